"""The review, opened once: its protocol and ledger read into the plain values the way out (``prisma``) needs.

``prisma`` works on values only (counts, a search report, record titles, an updated review's split); this
module is where the harvester computes them from the ledger, once per command: :func:`open_review` loads
the protocol, opens the ledger, computes the outcomes and counts, gathers the search report and the titles,
and closes the ledger. A pipeline that already holds the protocol and an open ledger calls
:func:`review_of` instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harvester import __version__
from harvester import protocol as protocol_module
from harvester.errors import HarvestError
from harvester.ledger import Ledger
from harvester.ledger.duplicates import current_duplicates, duplicate_rows, duplicate_rules, duplicates_as_of
from harvester.ledger.records import (
    list_files,
    record_sources,
    record_titles,
    records_added_after,
    records_per_source,
    records_since,
)
from harvester.ledger.runs import get_run, last_run_before, list_runs, run_tree
from harvester.ledger.withdrawals import current_withdrawals, withdrawn_records
from harvester.protocol import CITATION_SOURCE, LIVE_KINDS, Protocol
from harvester.screening import outcomes as screening_outcomes
from prisma.counts import OTHER_REMOVED_LABELS, PrismaCounts, counts_from_outcomes
from prisma.html_report import Titles
from prisma.search_report import DatabaseSearch, Deduplication, FailedAttempt, FileImport, OtherMethod, SearchReport
from prisma.since import (
    Boundary,
    UpdatedCounts,
    boundary_after_run,
    boundary_at,
    parse_since,
    split_clusters,
    updated_counts,
)


@dataclass(frozen=True)
class Review:
    """What the way out draws from, computed once: the protocol's names, the counts (of the updated review
    with ``since``), the search report and the titles of the records behind each box."""

    protocol: Protocol
    counts: PrismaCounts
    search: SearchReport
    titles: Titles
    updated: UpdatedCounts | None = None

    @property
    def title(self) -> str:
        return self.protocol.title

    @property
    def where(self) -> str:
        """The ledger's path, for messages."""
        return str(self.protocol.ledger_path)


def open_review(protocol_path: Path, since: str | None = None) -> Review:
    """Load the protocol, open its ledger once, and compute everything the way out needs."""
    protocol = protocol_module.load(protocol_path)
    with Ledger.open(protocol.ledger_path) as ledger:
        return review_of(ledger, protocol, since)


def review_of(ledger: Ledger, protocol: Protocol, since: str | None = None) -> Review:
    """The :class:`Review` of an open ledger (the counts computed once; with ``since``, the updated review's)."""
    updated = counts_since(ledger, protocol, since) if since is not None else None
    counts = updated.counts if updated is not None else counts_from_ledger(ledger, protocol)
    return Review(protocol, counts, search_report(ledger, protocol, counts), record_titles(ledger), updated)


def _other_methods(protocol: Protocol) -> dict[str, str]:
    methods = {source.name: source.method or "other" for source in protocol.sources if source.kind == "other"}
    return {CITATION_SOURCE: "citation searching", **methods}


def counts_from_ledger(ledger: Ledger, protocol: Protocol) -> PrismaCounts:
    """The one way from a ledger to counts: screening's outcome per record, aggregated by ``prisma``."""
    outcomes = screening_outcomes.record_outcomes(ledger, protocol)
    return counts_from_outcomes(
        outcomes,
        other_methods=_other_methods(protocol),
        previous_studies=protocol.previous_studies,
        previous_reports=protocol.previous_reports,
        reasons_order=protocol.screening.full_text_reasons,
    )


def resolve_boundary(ledger: Ledger, text: str) -> Boundary:
    """Check ``--since REF`` against the ledger: the run must exist and have finished ``ok``."""
    try:
        ref = parse_since(text)
    except ValueError as error:
        raise HarvestError(str(error)) from None
    if isinstance(ref, str):
        return boundary_at(text, ref)
    try:
        run = get_run(ledger, ref)
    except KeyError:
        raise HarvestError(f"--since {text}: the ledger has no run #{ref} (list them with `prisma-harvest runs`)"
                           ) from None
    if run.status != "ok":
        raise HarvestError(f"--since {text}: run #{ref} ({run.kind}) ended {run.status}, so it cannot mark the end "
                           "of the previous version; give the last run of that version that finished ok")
    return boundary_after_run(text, ref, run.kind, run.started_at)


def counts_since(ledger: Ledger, protocol: Protocol, since: str) -> UpdatedCounts:
    """The updated-review counts (see ``prisma.since``): the records on each side of ``since`` and the clusters
    as they stood there, read from the ledger; every record of the ledger is on exactly one side."""
    boundary = resolve_boundary(ledger, since)
    if boundary.run_id is not None:
        new = set(records_since(ledger, boundary.run_id))
        last_run = max(run_tree(ledger, boundary.run_id))
    else:
        assert boundary.moment is not None
        new = set(records_added_after(ledger, boundary.moment))
        last_run = last_run_before(ledger, boundary.moment) or 0
    clusters = split_clusters(current_duplicates(ledger), new, duplicates_as_of(ledger, last_run))
    outcomes = screening_outcomes.record_outcomes(ledger, protocol, duplicates=clusters)
    return updated_counts(outcomes, new, boundary, other_methods=_other_methods(protocol),
                          reasons_order=protocol.screening.full_text_reasons,
                          declared={"previous_studies": protocol.previous_studies,
                                    "previous_reports": protocol.previous_reports},
                          where=str(protocol.path))


def shown_path(path: str | Path, protocol: Protocol) -> str:
    """A file as outputs name it: relative to the protocol file's folder (both resolved, so a symlinked checkout
    gives the same text), with forward slashes; never this machine's absolute path."""
    given = Path(path)
    if not given.is_absolute():  # stored as the reviewer gave it: already not this machine's
        return given.as_posix()
    resolved = given.resolve()
    base = Path(protocol.path).resolve().parent
    try:
        return Path(os.path.relpath(resolved, base)).as_posix()
    except ValueError:  # another drive (Windows): the file's name is all that is portable
        return resolved.name


def _limits(parameters: dict[str, Any], text: str | None) -> str:
    parts = []
    if parameters.get("mindate") or parameters.get("maxdate"):
        parts.append(f"{parameters.get('datetype', 'pdat')} from {parameters.get('mindate') or 'the start'} "
                     f"to {parameters.get('maxdate') or 'the search date'}")
    if parameters.get("window"):  # a cursor-paged service searched over a refresh window (its index dates)
        parts.append(f"records {parameters['window']}")
    if text:
        parts.append(text)
    return "; ".join(parts) or "none"


def _citation_searching(ledger: Ledger, held: dict[str, int]) -> tuple[OtherMethod, ...]:
    """``prisma-harvest cite`` runs, as one other method: which service, directions and records, when."""
    runs = [run for run in list_runs(ledger, kind="cite") if run.status == "ok"]
    if not runs:
        return ()
    done = "; ".join(f"{run.started_at[:10]} via {run.platform}, {' and '.join(run.parameters.get('directions', []))}"
                     f" from {len(run.parameters.get('records', []))} record(s) (run #{run.id})" for run in runs)
    return (OtherMethod(CITATION_SOURCE, f"citation searching: {done}", (), held.get(CITATION_SOURCE, 0)),)


def _duplicates_counted(ledger: Ledger, run_id: int | None, counts: PrismaCounts | None
                        ) -> tuple[int | None, dict[str, int]]:
    """The duplicates the diagram counts (both arms: "Duplicate records removed" and the other-method "Duplicate
    records" line), and how many of them each matching rule removed. A record the dedupe run merged but which was
    since withdrawn is no duplicate in the counts (its withdrawal says where it ends), so it is in neither number,
    and the rules add up to the total."""
    if counts is None:
        return None, duplicate_rules(ledger, run_id) if run_id is not None else {}
    counted = set(counts.records.get("duplicates", ())) | set(counts.records.get(
        f"other_removed/{OTHER_REMOVED_LABELS['duplicate']}", ()))
    total = (counts.duplicates or 0) + next((line.n for line in counts.other_removed
                                             if line.name == OTHER_REMOVED_LABELS["duplicate"]), 0)
    if run_id is None:
        return total, {}
    if not counts.records:  # counts without ids (not from this ledger): the run's own numbers
        return total, duplicate_rules(ledger, run_id)
    per_rule: dict[str, int] = {}
    for row in duplicate_rows(ledger, run_id):
        if row.record_id in counted:
            per_rule[row.rule] = per_rule.get(row.rule, 0) + 1
    return total, dict(sorted(per_rule.items()))


def search_report(ledger: Ledger, protocol: Protocol, counts: PrismaCounts | None = None) -> SearchReport:
    """Gather the PRISMA-S items from the ledger's runs and files and the protocol's sources."""
    held = records_per_source(ledger)
    in_force = current_withdrawals(ledger)
    never = [rid for rid, w in withdrawn_records(ledger).items() if w.action == "exclude-from-counts"]
    for source_name in record_sources(ledger, never).values():  # withdrawn as never identified: not counted
        held[source_name] -= 1
    withdrawn_files = {w.file_id: f"{'never identified' if w.action == 'exclude-from-counts' else 'removed'}, "
                               f"{w.reason} ({w.who}, {w.at[:10]})" for w in in_force if w.file_id is not None}
    databases: list[DatabaseSearch] = []
    searches = [run for run in list_runs(ledger, kind="search")]
    failed: list[FailedAttempt] = []
    for source in protocol.sources:
        if source.kind not in LIVE_KINDS:
            continue
        runs = [run for run in searches if run.source == source.name]
        # Only successful runs are searches the review reports; the others go to the appendix (a killed
        # search that a later run resumed is part of that run, not an attempt of its own).
        failed += [FailedAttempt(source.name, run.database or source.database, run.started_at[:16].replace("T", " "),
                                 run.id, run.status, run.message or "")
                   for run in runs if run.status == "failed"
                   or (run.status == "interrupted" and "resumed by run" not in (run.message or ""))]
        ok = [run for run in runs if run.status == "ok"]
        if not ok:
            continue
        last = ok[-1]
        databases.append(DatabaseSearch(
            source=source.name, database=last.database or source.database, platform=last.platform or source.platform,
            searched=last.started_at[:10], query=last.query or protocol.query_for(source),
            translation=last.query_translation or "", limits=_limits(last.parameters, source.limits),
            reported=last.count_reported, retrieved=last.count_retrieved, run_id=last.id, status=last.status,
            earlier=tuple(run.started_at[:10] for run in ok[:-1]),
            data_version=str(last.parameters.get("data_timestamp") or ""), notes=last.message or "",
        ))
    files: list[FileImport] = []
    kinds = {source.name: source for source in protocol.sources}
    for stored in list_files(ledger):
        declared = kinds.get(stored.source)
        if declared is not None and declared.kind == "other":
            continue
        files.append(FileImport(
            source=stored.source, database=stored.database, platform=declared.platform if declared else "",
            path=shown_path(stored.path, protocol), format=stored.format, export_date=stored.export_date or "",
            searched=(declared.searched or "") if declared else "", records_read=stored.records_read,
            sha256=stored.sha256, query=protocol.query_for(declared) if declared else "",
            limits=(declared.limits or "none") if declared else "none", withdrawn=withdrawn_files.get(stored.id, ""),
            register=declared.is_register if declared else False,
        ))
    others = tuple(
        OtherMethod(source.name, source.method or "other", tuple(shown_path(path, protocol) for path in source.files),
                    held.get(source.name, 0))
        for source in protocol.sources if source.kind == "other"
    ) + _citation_searching(ledger, held)
    dedupe_runs = [run for run in list_runs(ledger, kind="dedupe") if run.status == "ok"]
    if dedupe_runs:
        last = dedupe_runs[-1]
        settings = ", ".join(f"{key.replace('_', ' ')} {last.parameters[key]}" for key in ("mode", "rules_version")
                             if last.parameters.get(key))
        method = str(last.parameters.get("method") or "prisma-harvester de-duplication (exact identifiers, then "
                     "fuzzy title, authors and citation)") + (f", {settings}" if settings else "")
        if last.message:
            method += f": {last.message}"
        removed, per_rule = _duplicates_counted(ledger, last.id, counts)
        dedup = Deduplication(last.id, last.started_at[:10], last.tool_version, method, removed, per_rule)
    else:
        dedup = Deduplication(None, "", __version__, "not run yet", _duplicates_counted(ledger, None, counts)[0])
    from harvester.strategy.report import source_queries  # values from the strategy stage

    return SearchReport(protocol.title, protocol.query_text, tuple(databases), tuple(files), others, dedup, held,
                        failed=tuple(failed), queries=source_queries(ledger, protocol))


