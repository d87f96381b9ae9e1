"""Stage 6, merge: which record of a cluster is kept, and the kept view that loses nothing.

Nothing is deleted. The kept record is the one from the most preferred source (the protocol's
``dedup.source_preference``), then the most complete, then the oldest id. The kept *view* is that
record with each empty field filled from its duplicates in the same order, so a DOI or abstract only
one database had is not lost from screening.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from harvester.dedup.cluster import Pair
from harvester.dedup.prepare import Keys
from harvester.records import BIBLIOGRAPHIC_FIELDS, Record


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A record removed as a duplicate: of which kept record, matched with which record by which rule."""

    record_id: int
    duplicate_of: int
    matched_with: int
    rule: str
    scores: dict[str, Any]
    by: str = "tool"


@dataclass(frozen=True, slots=True)
class Cluster:
    kept: int
    members: tuple[int, ...]
    duplicates: tuple[Duplicate, ...]


def ranking(members: Sequence[int], keys: Mapping[int, Keys], sources: Mapping[int, str],
            preference: Sequence[str]) -> list[int]:
    """Members best first: preferred source, most complete, lowest id."""
    rank = {name: i for i, name in enumerate(preference)}

    def key(record_id: int) -> tuple[int, int, int]:
        return (rank.get(sources.get(record_id, ""), len(rank)), -keys[record_id].filled, record_id)

    return sorted(members, key=key)


def build_cluster(members: Sequence[int], edges: Sequence[Pair], keys: Mapping[int, Keys],
                  sources: Mapping[int, str], preference: Sequence[str]) -> Cluster:
    """The cluster with its kept record, and for each duplicate the evidence that joined it."""
    order = ranking(members, keys, sources, preference)
    kept = order[0]
    duplicates = []
    for record_id in order[1:]:
        touching = [e for e in edges if record_id in (e.a, e.b)]
        direct = [e for e in touching if kept in (e.a, e.b)]
        edge = (direct or touching)[0]
        other = edge.b if edge.a == record_id else edge.a
        duplicates.append(Duplicate(record_id, kept, other, edge.rule, edge.scores, edge.by))
    return Cluster(kept, tuple(sorted(members)), tuple(sorted(duplicates, key=lambda d: d.record_id)))


def kept_view(kept: Record, duplicates: Sequence[Record]) -> Record:
    """The kept record with each empty bibliographic field filled from the first duplicate that has it."""
    filled: dict[str, Any] = {}
    for name in BIBLIOGRAPHIC_FIELDS:
        if getattr(kept, name) in ("", (), None):
            for other in duplicates:
                value = getattr(other, name)
                if value not in ("", (), None):
                    filled[name] = value
                    break
    return replace(kept, **filled) if filled else kept
