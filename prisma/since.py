"""The updated-review diagram: previous studies and the new identification, split at a boundary.

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

The harvester reads the ledger (``harvester.review.counts_since``: the boundary's run, the records on each
side, the clusters as they stood); everything here works on the values it hands over.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from prisma.check import Mismatch
from prisma.counts import PrismaCounts, counts_from_outcomes
from prisma.flow import Outcome

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


def boundary_at(given: str, ref: str) -> Boundary:
    """The boundary for a moment (an ISO 8601 UTC time as :func:`parse_since` gives it)."""
    return Boundary(given, moment=ref, description=f"{ref[:10] if ref.endswith('T00:00:00.000000Z') else ref}"
                    + (" (00:00 UTC)" if ref.endswith("T00:00:00.000000Z") else ""))


def boundary_after_run(given: str, run_id: int, kind: str, started_at: str) -> Boundary:
    """The boundary after a run (and its child runs)."""
    return Boundary(given, run_id=run_id, description=f"{kind} run #{run_id} (started {started_at})")


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


def updated_counts(outcomes: Iterable[Outcome], new: set[int], boundary: Boundary, *,
                   other_methods: Mapping[str, str] | None = None, reasons_order: Iterable[str] = (),
                   declared: Mapping[str, int | None] | None = None, where: str = "the protocol") -> UpdatedCounts:
    """The updated-review counts from one outcome per record (clusters already split, see
    :func:`split_clusters`) and the records brought in after the boundary (``new``): previous studies from
    the others, the new identification from these. ``declared`` holds the protocol's own
    ``previous_studies`` / ``previous_reports`` (compared, never used), ``where`` names the protocol file."""
    outcomes = list(outcomes)
    previous = [o for o in outcomes if o.record_id not in new]
    fresh = [o for o in outcomes if o.record_id in new]
    included = sorted(o.record_id for o in previous if o.end == "included")
    studies = len({_study(o) for o in previous if o.end == "included"})
    counts = counts_from_outcomes(fresh, other_methods=other_methods, previous_studies=studies,
                                  previous_reports=len(included), reasons_order=reasons_order)
    records = dict(counts.records)
    records[PREVIOUS_IDENTIFIED] = tuple(sorted(o.record_id for o in previous))
    records["previous_reports"] = tuple(included)
    records["total_reports"] = tuple(sorted({*included, *records.get("new_reports", ())}))
    counts = replace(counts, records=records)
    return UpdatedCounts(counts, boundary, records[PREVIOUS_IDENTIFIED], tuple(sorted(new)),
                         tuple(_warnings(declared or {}, where, boundary, counts, previous)))


def _study(outcome: Outcome) -> str:
    return outcome.study_id or f"record:{outcome.record_id}"


def _warnings(declared: Mapping[str, int | None], protocol_path: str, boundary: Boundary, counts: PrismaCounts,
              previous: list[Outcome]) -> list[str]:
    """What the reviewer must know: the protocol disagrees, a side is empty, old records still await."""
    found: list[str] = []
    where = f"records identified up to {boundary.description}"
    for key, derived in (("previous_studies", counts.previous_studies), ("previous_reports", counts.previous_reports)):
        given = declared.get(key)
        if given is not None and given != derived:
            found.append(f"{protocol_path}: [review] {key} = {given:,}, but the ledger holds {derived or 0:,} from "
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
