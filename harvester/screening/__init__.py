"""Screening: inclusion rules, reviewers' decisions, and where each record ends in the flow.

Entry points (each takes an open :class:`~harvester.ledger.Ledger` and the loaded protocol):

- :func:`apply_rules` evaluates every protocol rule on every record, in a ``rules`` run;
- :func:`export_sheet` writes the screening sheet of the records awaiting a stage;
- :func:`import_decisions` reads a decisions file back (ours, Rayyan, ASReview), whole or not at all;
- :func:`conflicts` reports dual-screening agreement, Cohen's kappa and the conflicts;
- :func:`harvester.screening.outcomes.record_outcomes` gives every record's end state (PRISMA counts);
- :mod:`harvester.screening.audit` explains the exclusions and one record's history.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from harvester.errors import InputError, ProtocolError, UsageError
from harvester.formats import ris
from harvester.formats.encoding import decode, normalise_newlines
from harvester.ledger.core import Ledger
from harvester.ledger.decisions import (
    StoredDecision,
    add_decisions,
    add_rule_results,
    list_decisions,
)
from harvester.ledger.duplicates import current_duplicates
from harvester.ledger.records import (
    StoredRecord,
    count_records,
    iter_records,
    record_identity,
    record_keys,
    record_positions,
)
from harvester.ledger.runs import finish_run, start_run
from harvester.ledger.withdrawals import add_study_links
from harvester.progress import Progress, counted
from harvester.protocol import Protocol, Rule
from harvester.screening.agreement import Agreement, Conflict, agreement
from harvester.screening.decisions import (
    FORMATS,
    ROLES,
    STAGE_WORDS,
    STAGES,
    Context,
    check_rows,
    read_sheet,
    write_sheet,
)
from harvester.screening.outcomes import arm_of, record_outcomes, screeners_needed, settle
from harvester.screening.rules import FIELD_MAP, RECORD_TEXT_FIELDS, RecordText, evaluate
from prisma.flow import Outcome

__all__ = ["apply_rules", "export_sheet", "import_decisions", "conflicts", "record_outcomes", "RulesSummary",
           "Sheet", "ImportSummary", "ConflictReport"]

#: Which outcome end states a stage's sheet lists (a full-text sheet also lists reports not yet marked
#: retrieved: a full-text decision implies retrieval).
AWAITING: dict[str, tuple[str, ...]] = {
    "title-abstract": ("awaiting-screening",),
    "retrieval": ("awaiting-retrieval",),
    "full-text": ("awaiting-retrieval", "awaiting-assessment"),
}


@dataclass(frozen=True, slots=True)
class RulesSummary:
    run_id: int
    records: int
    fired: dict[str, int]  # rule id -> records it fired on
    rules: tuple[Rule, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "records": self.records, "fired": self.fired}


@dataclass(frozen=True, slots=True)
class Sheet:
    stage: str
    format: str
    text: str
    records: int

    def to_json(self) -> dict[str, Any]:
        """What was written (not the sheet itself, which is the command's output)."""
        return {"stage": self.stage, "format": self.format, "records": self.records}


@dataclass(frozen=True, slots=True)
class ImportSummary:
    run_id: int
    path: str
    format: str
    stored: int
    by_stage: dict[str, dict[str, int]]  # stage -> decision -> n
    reviewers: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ConflictReport:
    stage: str
    screeners: tuple[str, ...]
    agreements: list[Agreement] = field(default_factory=list)
    open: list[Conflict] = field(default_factory=list)  # not yet resolved: the records are not decided
    resolved: list[Conflict] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def check_rules(protocol: Protocol) -> None:
    """Refuse a rule this engine cannot evaluate before a run starts (the loader checks the rest)."""
    for index, rule in enumerate(protocol.rules):
        if rule.kind == "field":
            name = str(rule.params["field"]).lower()
            if name not in FIELD_MAP and name not in RECORD_TEXT_FIELDS:
                known = ", ".join(sorted(set(FIELD_MAP) | set(RECORD_TEXT_FIELDS)))
                raise ProtocolError(str(protocol.path), f"rules[{index}] ({rule.id}).field",
                                    f"unknown field {name!r} (known: {known})")


def apply_rules(ledger: Ledger, protocol: Protocol, progress: Progress | None = None) -> RulesSummary:
    """Evaluate every rule on every record in one ``rules`` run; each result (fired or not) is a row.
    ``progress`` hears of the records done."""
    check_rules(protocol)
    parameters = {"rules": [{"id": r.id, "kind": r.kind, "stage": r.stage, "action": r.action, "reason": r.reason,
                             "params": r.params} for r in protocol.rules]}
    run_id = start_run(ledger, "rules", parameters=parameters)
    fired: Counter[str] = Counter({rule.id: 0 for rule in protocol.rules})
    count = 0
    try:
        rows = []
        total = count_records(ledger) if progress is not None else None
        for stored in counted(iter_records(ledger), progress, "applying rules", total):
            count += 1
            texts = RecordText(stored.record)
            for rule in protocol.rules:
                result = evaluate(rule, stored.record, protocol.default_field, texts)
                fired[rule.id] += int(result.fired)
                rows.append((stored.id, rule.id, rule.kind, rule.stage, rule.action, result.fired, rule.reason,
                             result.evidence))
        add_rule_results(ledger, run_id, rows)
    except BaseException as error:
        finish_run(ledger, run_id, "failed", message=str(error) or type(error).__name__)
        raise
    finish_run(ledger, run_id, "ok", count_retrieved=count,
               message=", ".join(f"{rule}: {n}" for rule, n in fired.items()) or "no rules in the protocol")
    return RulesSummary(run_id, count, dict(fired), protocol.rules)


def _stage(stage: str) -> str:
    found = STAGE_WORDS.get(stage.strip().lower())
    if found is None:
        raise UsageError("--stage", [f"unknown stage {stage!r} (known: {', '.join(STAGES)})"])
    return found


def export_sheet(ledger: Ledger, protocol: Protocol, stage: str, format: str = "csv",
                 progress: Progress | None = None) -> Sheet:
    """The screening sheet of the records awaiting ``stage`` (CSV, or RIS for Rayyan/ASReview/Covidence);
    ``progress`` hears of the records looked at."""
    stage = _stage(stage)
    if format not in ("csv", "ris"):
        raise UsageError("--format", [f"unknown sheet format {format!r} (known: csv, ris)"])
    rules = {rule.id: rule for rule in protocol.rules}
    entries: list[dict[str, str]] = []
    notes: list[tuple[StoredRecord, tuple[str, ...]]] = []
    outcomes = record_outcomes(ledger, protocol)
    awaiting = {o.record_id: o for o in outcomes if o.end in AWAITING[stage]}
    for stored in counted(iter_records(ledger), progress, f"{stage} sheet", len(outcomes)):
        outcome = awaiting.get(stored.id)
        if outcome is None:
            continue
        record = stored.record
        entries.append({
            "record_id": str(outcome.record_id), "source": outcome.source, "source_id": record.source_id,
            "title": record.title, "authors": "; ".join(record.authors),
            "year": str(record.year) if record.year is not None else "", "journal": record.journal,
            "doi": record.doi, "pmid": record.pmid, "abstract": record.abstract,
            "flags": "; ".join(rules[f].reason if f in rules else f for f in outcome.flags),
            "stage": stage, "decision": "", "reason": "", "study": "", "note": "",
        })
        notes.append((stored, tuple(rules[f].reason if f in rules else f for f in outcome.flags)))
    if format == "csv":
        text = write_sheet(entries)
    else:  # RIS for Rayyan, ASReview and Covidence: the ledger id in ID, the flags as N1 notes
        text = "".join(ris.dump(stored.record, record_id=stored.id, notes=flags) for stored, flags in notes)
    return Sheet(stage, format, text, len(entries))


def import_decisions(ledger: Ledger, protocol: Protocol, path: str | Path, *, format: str = "ours",
                     reviewer: str | None = None, stage: str | None = None, role: str = "screener"
                     ) -> ImportSummary:
    """Read a decisions file and store it whole, in a ``screen`` run; refuse it whole, listing every problem.

    A refused file is logged as a failed ``screen`` run (with the problem count), and nothing of it is stored.
    """
    path = Path(path)
    shown = str(path)
    if format not in FORMATS:
        raise UsageError("--format", [f"unknown decisions format {format!r} (known: {', '.join(FORMATS)})"])
    if role not in ROLES:
        raise UsageError("--role", [f"unknown role {role!r} (known: {', '.join(ROLES)})"])
    if stage is not None:
        stage = _stage(stage)
    elif format == "asreview":
        stage = "title-abstract"  # ASReview LAB screens titles and abstracts
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(shown, [f"cannot read the file: {error.strerror or error}"]) from error
    sha256 = hashlib.sha256(data).hexdigest()
    text, _, _ = decode(data, shown)
    text = normalise_newlines(text)

    problems: list[str] = []
    rows, shape = read_sheet(text, format, shown, only_reviewer=reviewer if format == "rayyan" else None)
    problems.extend(shape)
    outcomes = record_outcomes(ledger, protocol)
    # the clusters as the counts see them: a withdrawn record is no duplicate, and a cluster whose kept record is
    # withdrawn is kept by another one (screening.outcomes.without_withdrawn), which the sheets list for a decision
    duplicates = {o.record_id: o.duplicate_of for o in outcomes if o.end == "duplicate" and o.duplicate_of is not None}
    titles: dict[int, str] = {}
    identifiers: dict[str, list[int]] = {}
    for record_id, title, doi, pmid in record_identity(ledger):
        titles[record_id] = title
        if record_id in duplicates:
            continue  # an identifier names the record kept for its cluster
        for key in (f"doi:{doi.strip().lower()}" if doi else "", f"pmid:{pmid.strip()}" if pmid else ""):
            if key:
                identifiers.setdefault(key, []).append(record_id)
    context = Context(
        path=shown,
        record_ids=frozenset(o.record_id for o in outcomes),
        keys=record_keys(ledger),
        positions=record_positions(ledger),
        titles=titles,
        identifiers=identifiers,
        duplicates=duplicates,
        other_arm=frozenset(o.record_id for o in outcomes if o.arm == "other"),
        full_text_reasons=protocol.screening.full_text_reasons,
        reviewers=protocol.screening.reviewers,
        stage=stage,
        reviewer=None if format == "rayyan" else reviewer,
        role=role,
    )
    decisions, found = check_rows(rows, context)
    problems.extend(found)
    # the same bytes may hold two reviewers' identical decisions; the same reviewer's file twice is a mistake
    who = {(d.reviewer, d.role) for d in decisions}
    earlier = [d for d in list_decisions(ledger) if d.file_sha256 == sha256 and (d.reviewer, d.role) in who]
    if earlier:
        problems.insert(0, f"{shown}: this file was already imported for {earlier[0].reviewer} (run "
                        f"{earlier[0].run_id}, {earlier[0].imported_at}); a changed decision goes in a new file")
    if not shape and not rows:
        problems.append(f"{shown}: no decisions in this file")

    run_id = start_run(ledger, "screen", parameters={"file": str(path.resolve()), "sha256": sha256, "format": format,
                                                      "reviewer": reviewer, "stage": stage, "role": role})
    if problems:
        finish_run(ledger, run_id, "failed", message=f"refused {shown}: {len(problems)} problem(s); nothing stored")
        raise InputError(shown, problems)
    stored = add_decisions(ledger, run_id, decisions, file=str(path.resolve()), file_sha256=sha256, format=format)
    studies = {row.line: row.study.strip() for row in rows if row.study.strip()}
    if studies:  # the sheet's study column: these records are reports of that study
        add_study_links(ledger, ((d.record_id, studies[d.line]) for d in decisions if d.line in studies),
                        who=", ".join(sorted({d.reviewer for d in decisions})), origin=path.name)
    finish_run(ledger, run_id, "ok", count_retrieved=stored, message=f"{stored} decision(s) from {shown}")
    by_stage: dict[str, dict[str, int]] = {}
    for item in decisions:
        by_stage.setdefault(item.stage, {}).setdefault(item.decision, 0)
        by_stage[item.stage][item.decision] += 1
    return ImportSummary(run_id, shown, format, stored, by_stage,
                         tuple(sorted({d.reviewer for d in decisions})))


def conflicts(ledger: Ledger, protocol: Protocol, stage: str) -> ConflictReport:
    """Agreement and Cohen's kappa for each pair of screeners at ``stage``, and the conflicts (open, resolved).

    Each screener's latest decision per record counts (a changed decision replaces their earlier one).
    Records found by other methods at title/abstract, and duplicates, are not screened and not counted.
    """
    stage = _stage(stage)
    duplicates = current_duplicates(ledger)
    history: dict[int, list[StoredDecision]] = {}
    for item in list_decisions(ledger, stage=stage):
        if item.record_id not in duplicates:
            history.setdefault(item.record_id, []).append(item)
    latest: dict[int, dict[str, StoredDecision]] = {}
    for record_id, items in history.items():
        for item in items:
            if item.role == "screener":
                latest.setdefault(record_id, {})[item.reviewer] = item
    found = sorted({name for by in latest.values() for name in by})
    listed = [name for name in protocol.screening.reviewers if name in found]
    screeners = tuple(listed + [name for name in found if name not in listed])
    labels = {record_id: {name: d.decision for name, d in by.items()} for record_id, by in latest.items()}
    report = ConflictReport(stage, screeners)
    for first, second in combinations(screeners, 2):
        report.agreements.append(agreement(first, second, labels))
    needed = screeners_needed(protocol, stage)
    for record_id in sorted(history):
        by = latest.get(record_id, {})
        screened = settle([d for d in history[record_id] if d.role == "screener"], needed)
        if screened.state != "conflict":
            continue
        conflict = Conflict(
            record_id=record_id,
            decisions=tuple((name, by[name].decision) for name in sorted(by)),
            reasons=tuple((name, by[name].reason or "") for name in sorted(by) if by[name].reason),
        )
        final = settle(history[record_id], needed)
        resolvers = [d for d in history[record_id] if d.role == "resolver"]
        if resolvers:
            conflict = Conflict(conflict.record_id, conflict.decisions, conflict.reasons, resolvers[-1].reviewer,
                                final.decision)
            report.resolved.append(conflict)
        else:
            report.open.append(conflict)
    return report


def outcomes_by_record(ledger: Ledger, protocol: Protocol) -> dict[int, Outcome]:
    return {outcome.record_id: outcome for outcome in record_outcomes(ledger, protocol)}


__all__ += ["arm_of", "outcomes_by_record", "check_rules"]
