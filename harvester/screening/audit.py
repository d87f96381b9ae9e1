"""The audit: why each record was excluded, by which rule or whom, and one record's whole history.

Everything is derived from ledger rows (records, sightings, duplicates, rule results, decisions) and
from :func:`~harvester.screening.outcomes.record_outcomes`, so the audit and the PRISMA counts can
never disagree: they read the same outcomes.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import asdict, dataclass, fields
from typing import Any

from harvester.ledger.core import Ledger
from harvester.ledger.decisions import latest_rules_run, list_decisions, rule_history
from harvester.ledger.duplicates import duplicate_history, latest_dedupe_run
from harvester.ledger.records import file_of, get_record, record_place, sightings
from harvester.ledger.runs import get_run
from harvester.protocol import Protocol
from harvester.screening.outcomes import record_outcomes
from prisma.flow import Outcome

#: End states that are exclusions, and the stage each belongs to, in flow order.
EXCLUSIONS: dict[str, str] = {
    "duplicate": "dedupe",
    "ineligible-automation": "automation",
    "excluded-screening": "title-abstract",
    "not-retrieved": "retrieval",
    "excluded-full-text": "full-text",
}
STAGE_ORDER = ("dedupe", "automation", "title-abstract", "retrieval", "full-text")


@dataclass(frozen=True, slots=True)
class Tally:
    """One line of the summary: at ``stage``, ``n`` records excluded per ``group`` (reason|rule|reviewer)."""

    stage: str
    group: str
    key: str
    n: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Event:
    """One step of a record's history."""

    time: str
    event: str  # identified | sighted | duplicate | kept | rule | decision | outcome
    stage: str = ""
    who: str = ""
    what: str = ""
    detail: str = ""
    run: int | None = None
    file: str = ""
    line: int | None = None
    current: bool = True  # False for a superseded decision or a rule result / merge of an older run

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def summary(ledger: Ledger, protocol: Protocol, outcomes: list[Outcome] | None = None) -> list[Tally]:
    """Per stage: exclusions per reason, per rule (automation), per reviewer; and flags raised per rule."""
    outcomes = outcomes if outcomes is not None else record_outcomes(ledger, protocol)
    counts: Counter[tuple[str, str, str]] = Counter()
    for outcome in outcomes:
        stage = EXCLUSIONS.get(outcome.end)
        if stage is None:
            continue
        counts[(stage, "total", "")] += 1
        if outcome.end == "duplicate":
            counts[(stage, "reason", "Duplicate record")] += 1
            continue
        counts[(stage, "reason", outcome.reason or "(no reason given)")] += 1
        if outcome.by == "automation":
            counts[(stage, "rule", outcome.rule or "(automation)")] += 1
            counts[(stage, "reviewer", "automation")] += 1
        for name in outcome.reviewers:
            counts[(stage, "reviewer", name)] += 1
    for outcome in outcomes:  # flags drawn to the attention of people: records that reached screening
        if outcome.end in ("duplicate", "ineligible-automation", "removed-other"):
            continue
        for rule_id in outcome.flags:
            counts[("title-abstract", "flag", rule_id)] += 1
    groups = ("total", "reason", "rule", "reviewer", "flag")
    return [Tally(stage, group, key, n) for (stage, group, key), n in
            sorted(counts.items(), key=lambda item: (STAGE_ORDER.index(item[0][0]), groups.index(item[0][1]),
                                                     -item[1], item[0][2]))]


def excluded_records(ledger: Ledger, protocol: Protocol, outcomes: list[Outcome] | None = None) -> list[Outcome]:
    """Every excluded record's outcome (stage, reason, rule or reviewers), in flow order then by id."""
    outcomes = outcomes if outcomes is not None else record_outcomes(ledger, protocol)
    chosen = [o for o in outcomes if o.end in EXCLUSIONS]
    return sorted(chosen, key=lambda o: (STAGE_ORDER.index(EXCLUSIONS[o.end]), o.record_id))


def history(ledger: Ledger, protocol: Protocol, record_id: int) -> list[Event]:
    """One record's whole history, oldest first, ending with where it stands now. KeyError if unknown."""
    stored = get_record(ledger, record_id)
    events: list[Event] = []
    run = get_run(ledger, stored.run_id)
    place = record_place(ledger, record_id) or {}
    origin_file = file_of(ledger, stored.file_id) if stored.file_id is not None else None
    where = (f"file {origin_file['path']} ({origin_file['format']}), record {place.get('position')}"
             if origin_file else f"live {run.kind} run, result {place.get('position') or '?'}")
    source = stored.source if stored.source == stored.database else f"{stored.source} ({stored.database})"
    events.append(Event(stored.added_at, "identified", who=source, what=where,
                        detail=_describe(stored.record.title, stored.record.year, stored.record.source_id),
                        run=stored.run_id, file=origin_file["path"] if origin_file else "",
                        line=place.get("line")))
    for seen in sightings(ledger, record_id):
        if seen["id"] != stored.run_id:
            events.append(Event(seen["started_at"], "sighted", who=seen["source"] or "",
                                what=f"returned again by {seen['kind']} run {seen['id']}", run=seen["id"]))

    dedupe_run = latest_dedupe_run(ledger)
    for row in duplicate_history(ledger, record_id):
        current = row["run_id"] == dedupe_run
        scores = ", ".join(f"{k} {v}" for k, v in row["scores"].items()) if isinstance(row["scores"], dict) \
            else str(row["scores"])
        if row["record_id"] == record_id:
            events.append(Event(row["decided_at"], "duplicate", stage="dedupe", who=row["rule"],
                                what=f"duplicate of record {row['duplicate_of']}", detail=scores,
                                run=row["run_id"], current=current))
        else:
            events.append(Event(row["decided_at"], "kept", stage="dedupe", who=row["rule"],
                                what=f"record {row['record_id']} is its duplicate", detail=scores,
                                run=row["run_id"], current=current))

    rules_run = latest_rules_run(ledger)
    for result in rule_history(ledger, record_id):
        verdict = ("fired: " + result.action) if result.fired else "passed"
        events.append(Event(result.decided_at, "rule", stage=result.stage, who=result.rule_id,
                            what=f"{verdict} ({result.reason})" if result.fired else verdict,
                            detail=result.evidence, run=result.run_id, current=result.run_id == rules_run))

    decisions = list_decisions(ledger, record_id=record_id)
    latest = {(d.stage, d.reviewer): d.id for d in decisions}
    for item in decisions:
        said = item.decision + (f": {item.reason}" if item.reason else "")
        events.append(Event(item.decided_at, "decision", stage=item.stage, who=f"{item.reviewer} ({item.role})",
                            what=said, detail=item.note or "", run=item.run_id, file=item.file or "",
                            line=item.line, current=latest[(item.stage, item.reviewer)] == item.id))

    events.sort(key=lambda e: (e.time, _EVENT_ORDER.index(e.event)))
    outcome = next(o for o in record_outcomes(ledger, protocol) if o.record_id == record_id)
    events.append(Event(events[-1].time if events else "", "outcome", stage=outcome.stage or "",
                        who=outcome.by or "", what=outcome.end, detail=_outcome_detail(outcome)))
    return events


_EVENT_ORDER = ("identified", "sighted", "duplicate", "kept", "rule", "decision", "outcome")


def _describe(title: str, year: int | None, source_id: str) -> str:
    parts = [title.strip() or "(no title)"]
    if year is not None:
        parts.append(str(year))
    if source_id:
        parts.append(f"id {source_id}")
    return "; ".join(parts)


def _outcome_detail(outcome: Outcome) -> str:
    parts = []
    if outcome.reason:
        parts.append(f"reason: {outcome.reason}")
    if outcome.rule:
        parts.append(f"rule: {outcome.rule}")
    if outcome.reviewers:
        parts.append("by " + ", ".join(outcome.reviewers))
    if outcome.duplicate_of is not None:
        parts.append(f"duplicate of record {outcome.duplicate_of}")
    if outcome.flags:
        parts.append("flags: " + ", ".join(outcome.flags))
    if outcome.note:
        parts.append(outcome.note)
    return "; ".join(parts)


def summary_csv(tallies: list[Tally]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["stage", "group", "key", "n"])
    for tally in tallies:
        writer.writerow([tally.stage, tally.group, tally.key, tally.n])
    return out.getvalue()


def excluded_csv(outcomes: list[Outcome]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["record_id", "source", "arm", "stage", "end", "reason", "by", "rule", "reviewers",
                     "duplicate_of"])
    for o in outcomes:
        writer.writerow([o.record_id, o.source, o.arm, o.stage or "", o.end, o.reason or "", o.by or "",
                         o.rule or "", "; ".join(o.reviewers), o.duplicate_of or ""])
    return out.getvalue()


def history_csv(events: list[Event]) -> str:
    out = io.StringIO()
    names = [f.name for f in fields(Event)]
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    for event in events:
        row = asdict(event)
        row["current"] = "yes" if event.current else "no (superseded)"
        writer.writerow(row)
    return out.getvalue()
