"""The updated-review diagram from the ledger: previous studies and the new identification, split at a boundary.

A living review keeps one ledger across its versions. ``--since REF`` names the end of the previous version
(a run, typically its last refresh, or a date) and splits the ledger's records in two:

- the **previous identification**: every record first brought in up to REF (by REF itself and its child runs,
  for a run). The studies included from those records are the diagram's "previous studies" (derived here,
  never typed in; the protocol's ``previous_studies`` is compared and a difference is reported);
- the **new identification**: every record first brought in after REF. It fills the main column(s) of the
  updated template: per database, duplicates removed (among the new records, and against the records held
  before REF), screening, retrieval, inclusion.

A new record in the same cluster as a record held before REF is a duplicate removed in the new
identification, whichever record the de-duplication keeps: when it keeps the new one (a preferred source),
the cluster's record from the previous version stands for it there, so the previous version's decisions
still count (:func:`split_clusters`). Counts then follow from one outcome per record, as for a new review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from harvester.errors import HarvestError
from harvester.ledger import Ledger
from harvester.ledger.duplicates import current_duplicates, duplicates_as_of
from harvester.ledger.records import records_added_after, records_since
from harvester.ledger.runs import Run, get_run, last_run_before, run_tree
from harvester.protocol import Protocol
from harvester.screening.outcomes import Outcome, record_outcomes
from prisma.check import Mismatch
from prisma.counts import PrismaCounts, counts_from_outcomes

_RUN = re.compile(r"#?(\d+)")
_DATE = re.compile(r"(\d{4})[-/](\d{2})[-/](\d{2})")

#: Extra keys of ``PrismaCounts.records`` in an updated-review count (no box of their own, or the previous box).
PREVIOUS_IDENTIFIED = "previous_identified"


@dataclass(frozen=True, slots=True)
class Boundary:
    """Where the previous version of the review ends: after a run (and its child runs), or at a moment."""

    given: str  # as the reviewer wrote it
    run_id: int | None = None
    moment: str | None = None  # ISO 8601 UTC, as the ledger stores times
    description: str = ""


@dataclass(frozen=True)
class UpdatedCounts:
    """The counts of an updated review, with the split they were computed from."""

    counts: PrismaCounts
    boundary: Boundary
    previous_ids: tuple[int, ...]  # records first brought in up to the boundary
    new_ids: tuple[int, ...]  # records first brought in after it
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"given": self.boundary.given, "run_id": self.boundary.run_id, "moment": self.boundary.moment,
                "description": self.boundary.description, "previous_records": len(self.previous_ids),
                "new_records": len(self.new_ids), "warnings": list(self.warnings)}


def parse_since(text: str) -> int | str:
    """A run id (``12`` or ``#12``) as an int, or a date or time as the ledger's ISO 8601 UTC text.

    A date (``2026-03-01`` or ``2026/03/01``) means 00:00 UTC that day; a time without a zone is taken as UTC.
    Raises ValueError with what is accepted.
    """
    value = text.strip()
    if match := _RUN.fullmatch(value):
        return int(match.group(1))
    if match := _DATE.fullmatch(value):
        value = "-".join(match.groups())
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--since {text!r}: give a run id (12 or #12, see `prisma-harvest runs`), a date "
                         "(2026-03-01, meaning 00:00 UTC) or an ISO 8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def resolve_boundary(ledger: Ledger, text: str) -> Boundary:
    """Check REF against the ledger: the run must exist and have finished ``ok``."""
    try:
        ref = parse_since(text)
    except ValueError as error:
        raise HarvestError(str(error)) from None
    if isinstance(ref, str):
        return Boundary(text, moment=ref, description=f"{ref[:10] if ref.endswith('T00:00:00.000000Z') else ref}"
                        + (" (00:00 UTC)" if ref.endswith("T00:00:00.000000Z") else ""))
    try:
        run: Run = get_run(ledger, ref)
    except KeyError:
        raise HarvestError(f"--since {text}: the ledger has no run #{ref} (list them with `prisma-harvest runs`)"
                           ) from None
    if run.status != "ok":
        raise HarvestError(f"--since {text}: run #{ref} ({run.kind}) ended {run.status}, so it cannot mark the end "
                           "of the previous version; give the last run of that version that finished ok")
    return Boundary(text, run_id=ref, description=f"{run.kind} run #{ref} (started {run.started_at})")


def split_clusters(duplicates: dict[int, int], new: set[int], kept_before: dict[int, int]) -> dict[int, int]:
    """Removed -> kept, with every cluster that holds a record from before the boundary kept by one of those.

    ``duplicates`` are the current clusters (removed -> kept), ``new`` the records after the boundary, and
    ``kept_before`` the clusters as they stood at the boundary (which record the previous version screened).
    In a cluster spanning both versions, every new record is a duplicate of the cluster's previous record:
    the current kept one when it is old, else the old member that was kept at the boundary, else the oldest.
    Clusters of new records only, and of old records only, are as they are. Pure, so it is testable.
    """
    members: dict[int, set[int]] = {}
    for removed, kept in duplicates.items():
        members.setdefault(kept, {kept}).add(removed)
    result: dict[int, int] = {}
    for kept, cluster in members.items():
        old = sorted(cluster - new)
        if not old or kept not in new:
            result.update({m: kept for m in cluster if m != kept})
            continue
        before = {kept_before.get(m, m) for m in old}
        standing = next((m for m in old if m in before), old[0])
        result.update({m: standing for m in cluster if m != standing})
    return result


def counts_since(ledger: Ledger, protocol: Protocol, since: str) -> UpdatedCounts:
    """The updated-review counts: previous studies from the records up to ``since``, the new identification
    after it (see the module docstring). Every record of the ledger is in exactly one of the two."""
    boundary = resolve_boundary(ledger, since)
    if boundary.run_id is not None:
        new = set(records_since(ledger, boundary.run_id))
        last_run = max(run_tree(ledger, boundary.run_id))
    else:
        assert boundary.moment is not None
        new = set(records_added_after(ledger, boundary.moment))
        last_run = last_run_before(ledger, boundary.moment) or 0
    clusters = split_clusters(current_duplicates(ledger), new, duplicates_as_of(ledger, last_run))
    outcomes = record_outcomes(ledger, protocol, duplicates=clusters)
    previous = [o for o in outcomes if o.record_id not in new]
    fresh = [o for o in outcomes if o.record_id in new]
    included = sorted(o.record_id for o in previous if o.end == "included")
    studies = len({_study(o) for o in previous if o.end == "included"})
    methods = {source.name: source.method or "other" for source in protocol.sources if source.kind == "other"}
    counts = counts_from_outcomes(fresh, other_methods=methods, previous_studies=studies,
                                  previous_reports=len(included), reasons_order=protocol.screening.full_text_reasons)
    records = dict(counts.records)
    records[PREVIOUS_IDENTIFIED] = tuple(sorted(o.record_id for o in previous))
    records["previous_reports"] = tuple(included)
    records["total_reports"] = tuple(sorted({*included, *records.get("new_reports", ())}))
    counts = replace(counts, records=records)
    return UpdatedCounts(counts, boundary, records[PREVIOUS_IDENTIFIED], tuple(sorted(new)),
                         tuple(_warnings(protocol, boundary, counts, previous)))


def _study(outcome: Outcome) -> str:
    return outcome.study_id or f"record:{outcome.record_id}"


def _warnings(protocol: Protocol, boundary: Boundary, counts: PrismaCounts, previous: list[Outcome]) -> list[str]:
    """What the reviewer must know: the protocol disagrees, a side is empty, old records still await."""
    found: list[str] = []
    where = f"records identified up to {boundary.description}"
    for key, derived in (("previous_studies", counts.previous_studies), ("previous_reports", counts.previous_reports)):
        given = getattr(protocol, key)
        if given is not None and given != derived:
            found.append(f"{protocol.path}: [review] {key} = {given:,}, but the ledger holds {derived or 0:,} from "
                         f"the {where}; the diagram shows the ledger's {derived or 0:,}")
    if not previous:
        found.append(f"no {where}: the previous version is empty (is --since {boundary.given} the right boundary?)")
    if not counts.identified_dbr and not counts.identified_other:
        found.append(f"no record was brought in after {boundary.description}: the new identification is empty")
    waiting = [o for o in previous if o.end.startswith("awaiting-")]
    if waiting:
        found.append(f"{len(waiting):,} of the {where} still await a decision; they are in neither the previous "
                     "studies nor the new identification until decided")
    return found


def check_since(updated: UpdatedCounts) -> list[Mismatch]:
    """The split itself: every record on exactly one side, each side's included reports from its own records,
    and the total box made of the two (A15 on the record ids, beside check_counts' A15 on the numbers)."""
    found: list[Mismatch] = []
    old, new = set(updated.previous_ids), set(updated.new_ids)
    both = sorted(old & new)
    if both:
        found.append(Mismatch("since", PREVIOUS_IDENTIFIED, len(both), 0, f"{len(both):,} record(s) are on both "
                              f"sides of the boundary, e.g. record {both[0]}"))
    records = updated.counts.records
    identified = {rid for key, ids in records.items()
                  if key in ("database_results", "register_results") or key.startswith("other_method_results/")
                  for rid in ids}
    if identified != new:
        found.append(Mismatch("since", "database_results", len(identified), len(new),
                              f"the new identification holds {len(identified):,} record(s) but {len(new):,} were "
                              f"brought in after {updated.boundary.description}"))
    previous_reports, new_reports = set(records.get("previous_reports", ())), set(records.get("new_reports", ()))
    if not previous_reports <= old:
        found.append(Mismatch("since", "previous_reports", len(previous_reports), len(previous_reports & old),
                              "a report counted in the previous version was identified after the boundary"))
    if not new_reports <= new:
        found.append(Mismatch("since", "new_reports", len(new_reports), len(new_reports & new),
                              "a report counted as new was identified before the boundary"))
    total = set(records.get("total_reports", ()))
    if total != previous_reports | new_reports or previous_reports & new_reports:
        found.append(Mismatch("A15", "total_reports", len(total), len(previous_reports) + len(new_reports),
                              f"Reports of total included studies lists {len(total):,} record(s), not the "
                              f"{len(previous_reports):,} previous + {len(new_reports):,} new"))
    return found
