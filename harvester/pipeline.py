"""The whole review in one call: search, import, de-duplicate, apply rules, import decisions, report.

``prisma-harvest run`` (and ``make demo``) call :func:`run_review`. Each step is the same library call
its own command makes, so the pipeline adds no logic of its own beyond the order and skipping what
is already done: files and decision sheets already in the ledger (same SHA-256) are not read again,
so running the pipeline twice changes nothing but the run log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harvester import protocol as protocol_module
from harvester.dedup.runs import dedupe_ledger
from harvester.importing import import_protocol_files
from harvester.ledger import Ledger
from harvester.ledger.decisions import list_decisions
from harvester.ledger.records import count_records
from harvester.lock import ReviewLock
from harvester.outputs import check_loaded, counts_of, draw_diagram, layout_problems, notices, write_outputs
from harvester.progress import Progress
from harvester.protocol import LIVE_KINDS, DecisionFile, Protocol
from harvester.review import Review, review_of
from harvester.screening import apply_rules, import_decisions

Say = Callable[[str], None]


@dataclass(slots=True)
class PipelineResult:
    """What a whole run did. ``failed``: the steps that failed (a live source, an export file that could not
    be imported); the others still ran and their work is kept, but the run as a whole failed
    (``prisma-harvest run`` exits 1)."""

    protocol: str
    out: Path
    steps: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_json(self) -> dict[str, object]:
        return {"protocol": self.protocol, "out": str(self.out), "ok": self.ok, "steps": self.steps,
                "files": [str(p) for p in self.files], "warnings": self.warnings, "failed": self.failed}


def run_review(protocol_path: Path, out: Path, *, offline: bool = False, say: Say | None = None,
               strict: bool = False) -> PipelineResult:
    """Run every step the protocol defines into its ledger, then write the diagram and reports into ``out``
    (with ``strict``, refuse to write them while records still await a decision: the ledger keeps every step).
    Takes the review's lock and opens the ledger once for the whole run (:func:`run_held`)."""
    protocol = protocol_module.load(protocol_path)
    with ReviewLock(protocol.ledger_path, command="run"), Ledger.open(protocol.ledger_path) as ledger:
        return run_held(protocol, ledger, out, offline=offline, say=say, strict=strict)


def run_held(protocol: Protocol, ledger: Ledger, out: Path, *, offline: bool = False, say: Say | None = None,
             strict: bool = False, progress: Progress | None = None) -> PipelineResult:
    """:func:`run_review` on the review the caller already holds (loaded, locked, its ledger open): every step
    works in that one ledger, and the outputs are drawn from the one review computed at the end. A live source
    that fails is listed in ``failed``; the other steps still run and what they did is kept. ``progress`` hears
    how many records each long step has done (searches, imports, de-duplication, rules)."""
    tell = say or (lambda _message: None)
    result = PipelineResult(protocol=str(protocol.path), out=out)
    result.warnings.extend(f"query lint: {issue}" for issue in protocol.query_lint)

    def step(message: str) -> None:
        result.steps.append(message)
        tell(message)

    live = [s for s in protocol.sources if s.kind in LIVE_KINDS]
    if live and offline:
        step(f"search: skipped {len(live)} live source(s) (--offline)")
    elif live:
        from harvester.search import search_held  # only the live path needs the HTTP stack

        for outcome in search_held(ledger, protocol, live, progress=progress):
            step(f"search {outcome.source}: {outcome.status}" + (f" ({outcome.error})" if outcome.error else ""))
            if outcome.status != "ok":
                result.failed.append(outcome.error or f"search {outcome.source}: {outcome.status}")

    for imported in import_protocol_files(ledger, protocol, progress=progress):
        step(f"import {Path(imported.path).name} ({imported.source}): {imported.status}, "
             f"{imported.imported} of {imported.records_read} records read"
             + (f", {len(imported.rejected)} rejected" if imported.rejected else ""))
        result.warnings.extend(imported.warnings)
        if not imported.ok:  # a file source that failed: the run fails, the other files and steps are kept
            result.failed.append(f"import {imported.path} ({imported.source}) {imported.status}: {imported.message}")
    dedup = dedupe_ledger(ledger, protocol, progress, count_records(ledger) if progress is not None else None)
    step(f"dedupe: {dedup.duplicates} duplicate(s) in {dedup.clusters} cluster(s) among {dedup.records} "
         f"records; {dedup.uncertain} uncertain pair(s) left to people")
    rules = apply_rules(ledger, protocol, progress)
    fired = ", ".join(f"{rule} {n}" for rule, n in sorted(rules.fired.items())) or "none fired"
    step(f"rules: {fired}")
    for sheet in protocol.decisions:
        step(_import_sheet(ledger, protocol, sheet))
    review = review_of(ledger, protocol)

    notices(counts_of(review), strict)
    step("outputs: " + ", ".join(str(p) for p in _write_outputs(review, out, result)))
    return result


def _import_sheet(ledger: Ledger, protocol: Protocol, sheet: DecisionFile) -> str:
    sha256 = hashlib.sha256(sheet.file.read_bytes()).hexdigest() if sheet.file.is_file() else ""
    if sha256 and any(d.file_sha256 == sha256 and d.role == sheet.role for d in list_decisions(ledger)):
        return f"decisions {sheet.file.name}: already imported"
    summary = import_decisions(ledger, protocol, sheet.file, format=sheet.format, reviewer=sheet.reviewer,
                               stage=sheet.stage, role=sheet.role)
    return f"decisions {sheet.file.name}: {summary.stored} stored ({', '.join(summary.reviewers)})"


def _write_outputs(review: Review, out: Path, result: PipelineResult) -> list[Path]:
    """The way out's files, plus the 2009 layout the seed review used; problems of the check become warnings.
    All from the one review the pipeline computed (its counts are not computed again)."""
    written = write_outputs(review, out)
    loaded = counts_of(review)
    old_layout = out / "prisma-2009.svg"
    misfit = layout_problems(loaded, "2009")
    if misfit:  # a layout that does not fit this review is not drawn (run draws no DRAFT): say why instead
        stale = old_layout.is_file()
        old_layout.unlink(missing_ok=True)  # an earlier run's figure would show numbers this ledger no longer has
        result.warnings.append(f"{old_layout.name} not written: the 2009 layout does not fit this review ("
                               + "; ".join(str(problem) for problem in misfit) + ")"
                               + ("; the one an earlier run wrote there is removed" if stale else ""))
    else:
        written.append(draw_diagram(loaded, template="2009", fmt="svg", out=old_layout).path)
    checked = check_loaded(loaded)
    result.warnings.extend(f"check: {problem}" for problem in checked.problems)
    result.warnings.extend(checked.warnings)
    result.files.extend(written)
    return written
