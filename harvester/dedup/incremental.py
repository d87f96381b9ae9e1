"""The incremental run: newly added records against what is already held, touching only what they can
change, with the same result as a full run on the same records.

Why reading so little is still exact:

1. A new record meets others only inside its own blocks. The members of those blocks (with their
   years, for splitting a block over the limit) are looked up by blocking key from what is held (in
   the ledger: an index over stored blocking keys), so held records outside them are never read.
2. Records joining a block never create a pair among held records: they can only separate one, when
   the block grows past the limit and is split by year. So the previous run's pairs stand, except
   pairs with a record given again as new (compared again) and pairs inside a block that grew past the
   limit, which are checked against every block the two share.
3. Clustering falls apart into the connected parts of the graph of match edges (and people's
   ``same``): whether union-find takes an edge depends only on the edges of its own part. The parts
   that gained or lost an edge, hold a new record, or hold a record a person decided about since the
   previous run are clustered again from their pairs; every other cluster is the previous run's,
   duplicate for duplicate (kept record, matched-with record, rule and scores).

The uncertain pairs for people are chosen again over all pairs (cheap: a few per thousand records).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict, deque
from collections.abc import Collection, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from harvester import normalise
from harvester.dedup import block, cluster, compare, decide, merge, pipeline, prepare
from harvester.dedup.block import MAX_BLOCK, block_groups, block_keys
from harvester.dedup.cluster import Pair
from harvester.dedup.decide import MATCH, PAGINATION_RULES
from harvester.dedup.merge import Cluster, Duplicate
from harvester.dedup.pipeline import DIFFERENT_DECISION, SAME_DECISION, Decision, Result, judge, resolve
from harvester.dedup.prepare import (
    TITLE_INDEX,
    VOLUME_INDEX,
    Facts,
    Keys,
    Pagination,
    index_keys,
    pagination,
    recurring_titles,
    title_key,
    volume_key,
)

Block = tuple[str, str]


def _version(*modules: object) -> str:
    digest = hashlib.sha256()
    for module in modules:
        digest.update(Path(str(getattr(module, "__file__", ""))).read_bytes())
    return digest.hexdigest()[:12]


#: The code that makes stored keys and blocking keys: when it changes, stored keys are made again.
KEYS_VERSION = _version(normalise, prepare, block)

#: Every stage's code: an incremental run reuses the previous run's pairs and clusters only when
#: none of it changed since (else a full run).
CODE_VERSION = _version(normalise, prepare, block, compare, decide, cluster, merge, pipeline)


class Held(Protocol):
    """What an incremental run reads about records already held (the ledger, or memory in tests)."""

    def block_members(self, blocks: Collection[Block]) -> dict[Block, list[tuple[int, int | None]]]:
        """Each block's held members as ``(record id, year)``; blocks nobody holds may be left out."""

    def keys(self, ids: Collection[int]) -> dict[int, Keys]:
        """The prepared keys of these held records."""

    def sources(self, ids: Collection[int]) -> dict[int, str]:
        """The protocol source of each record (new ones too), for the kept-record preference."""

    def indexed(self, index: str, values: Collection[str]) -> dict[str, list[int]]:
        """The held records under each value of a fact index (:func:`~harvester.dedup.prepare.index_keys`:
        a journal volume, a title in its journal); values nobody holds may be left out."""


@dataclass
class MemoryHeld:
    """Held records in memory (prepared keys and sources): the reference :class:`Held` for tests."""

    held: dict[int, Keys]
    source_of: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._index: dict[Block, list[tuple[int, int | None]]] = defaultdict(list)
        self._facts: dict[tuple[str, str], list[int]] = defaultdict(list)
        for k in self.held.values():
            for key in block_keys(k):
                self._index[key].append((k.id, k.year))
            for entry in index_keys(k):
                self._facts[entry].append(k.id)

    def block_members(self, blocks: Collection[Block]) -> dict[Block, list[tuple[int, int | None]]]:
        return {b: list(self._index[b]) for b in blocks if b in self._index}

    def keys(self, ids: Collection[int]) -> dict[int, Keys]:
        return {i: self.held[i] for i in ids}

    def sources(self, ids: Collection[int]) -> dict[int, str]:
        return {i: self.source_of.get(i, "") for i in ids}

    def indexed(self, index: str, values: Collection[str]) -> dict[str, list[int]]:
        return {v: list(self._facts[(index, v)]) for v in values if (index, v) in self._facts}


class SetPagination(Mapping[str, Pagination]):
    """Each journal volume's pagination over held + new records, as a full run computes it
    (:func:`~harvester.dedup.prepare.pagination`), read only for the volumes asked about (pairs of other
    issues: few) from the held records of that volume. Iterates over the volumes read so far."""

    def __init__(self, fresh: Mapping[int, Keys], held: Held) -> None:
        self.fresh = fresh
        self.held = held
        self._done: dict[str, Pagination | None] = {}
        self._fresh: dict[str, list[Keys]] = defaultdict(list)  # volume -> its new records
        for k in fresh.values():
            self._fresh[volume_key(k.journal, k.volume)].append(k)

    def __getitem__(self, volume: str) -> Pagination:
        if volume not in self._done:
            ids = set(self.held.indexed(VOLUME_INDEX, [volume]).get(volume, [])) - set(self.fresh)
            members = list(self.held.keys(ids).values())
            members += self._fresh.get(volume, [])
            self._done[volume] = pagination(members).get(volume)
        found = self._done[volume]
        if found is None:
            raise KeyError(volume)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter([v for v, fact in self._done.items() if fact is not None])

    def __len__(self) -> int:
        return sum(1 for fact in self._done.values() if fact is not None)


class SetRecurring(Container[str]):
    """The titles recurring in three issues or more of their journal over held + new records, as a full run
    computes them (:func:`~harvester.dedup.prepare.recurring_titles`), read for the titles asked about from
    the held records of each title (:meth:`prefetch` reads many at once)."""

    def __init__(self, fresh: Mapping[int, Keys], held: Held) -> None:
        self.fresh = fresh
        self.held = held
        self.members: dict[str, set[int]] = {}  # title -> held records of it (read so far)
        self._done: dict[str, bool] = {}
        self._fresh: dict[str, list[Keys]] = defaultdict(list)  # title -> its new records
        for k in fresh.values():
            self._fresh[title_key(k)].append(k)

    def prefetch(self, titles: Iterable[str]) -> None:
        wanted = {t for t in titles if t and t not in self._done}
        if not wanted:
            return
        found = self.held.indexed(TITLE_INDEX, wanted)
        ids = {i for members in found.values() for i in members} - set(self.fresh)
        held = self.held.keys(ids)
        for title in wanted:
            self.members[title] = {i for i in found.get(title, []) if i in held}
            members = [held[i] for i in self.members[title]]
            members += self._fresh.get(title, [])
            self._done[title] = title in recurring_titles(members)

    def __contains__(self, title: object) -> bool:
        if not isinstance(title, str) or not title:
            return False
        self.prefetch([title])
        return self._done[title]


@dataclass(frozen=True, slots=True)
class Previous:
    """What the previous run found: its match and uncertain pairs, and its removed duplicates."""

    pairs: Sequence[Pair]
    duplicates: Sequence[Duplicate]


def update(fresh: Mapping[int, Keys], held: Held, previous: Previous, decisions: Sequence[Decision] = (),
           changed: Collection[int] = (), preference: Sequence[str] = ()) -> Result:
    """The result of a full run on held + ``fresh`` records, from the previous run's result.

    ``fresh``: prepared keys of the new records (a held record given again is compared again);
    ``decisions``: every person's decision (the latest per pair counts); ``changed``: records a person
    decided about since the previous run."""
    fresh_ids = set(fresh)
    recurring = SetRecurring(fresh, held)
    facts = Facts(SetPagination(fresh, held), recurring)
    members, keys = _fresh_blocks(fresh, held)
    candidates, skipped = _candidates(fresh_ids, members)
    keys.update(held.keys({i for pair in candidates for i in pair} - set(keys)))
    recurring.prefetch(title_key(k) for k in keys.values())
    found = judge(keys, candidates, facts)
    # held records of a title the new records make (or keep) recurring: their pairs are decided again
    recurring_held = {i for k in fresh.values() if title_key(k) in recurring
                      for i in recurring.members[title_key(k)]}

    # the previous pairs that stand (rule 2 of the module docstring)
    big = {b for b, m in members.items() if len(m) > MAX_BLOCK}
    in_big: dict[int, set[Block]] = defaultdict(set)
    for b in big:
        for record_id, _ in members[b]:
            in_big[record_id].add(b)
    standing: list[Pair] = []
    dropped: list[Pair] = []
    to_check: list[Pair] = []
    for pair in previous.pairs:
        if pair.a in fresh_ids or pair.b in fresh_ids:
            dropped.append(pair)
        elif in_big.get(pair.a, set()) & in_big.get(pair.b, set()):
            to_check.append(pair)
        else:
            standing.append(pair)
    if to_check:
        keys.update(held.keys({i for p in to_check for i in (p.a, p.b)} - set(keys)))
        together = _still_together(to_check, keys, members, held)
        standing += [p for p in to_check if (p.a, p.b) in together]
        dropped += [p for p in to_check if (p.a, p.b) not in together]
    # pairs whose verdict reads the run's facts, which the new records may change: decided again
    again = [p for p in standing if p.rule in PAGINATION_RULES or p.a in recurring_held or p.b in recurring_held]
    if again:
        again_ids = {(p.a, p.b) for p in again}
        standing = [p for p in standing if (p.a, p.b) not in again_ids]
        dropped += again
        keys.update(held.keys({i for p in again for i in (p.a, p.b)} - set(keys)))
        recurring.prefetch(title_key(keys[i]) for p in again for i in (p.a, p.b))
        found += judge(keys, [(p.a, p.b) for p in again], facts)
    pairs = sorted(standing + found, key=lambda p: (p.a, p.b))

    # the parts of the match graph to cluster again (rule 3)
    latest = _latest(decisions)
    cannot = {pair for pair, d in latest.items() if d.decision == DIFFERENT_DECISION}
    edges = [(p.a, p.b) for p in pairs if p.verdict == MATCH and (p.a, p.b) not in cannot]
    edges += [pair for pair, d in latest.items() if d.decision == SAME_DECISION]
    dirty = set(fresh_ids) | set(changed)
    dirty.update(i for p in dropped for i in (p.a, p.b))
    dirty.update(i for p in found if p.verdict == MATCH for i in (p.a, p.b))
    affected = _reach(dirty, edges)
    keys.update(held.keys(affected - set(keys)))
    part_keys = {i: keys[i] for i in affected}
    recurring.prefetch(title_key(k) for k in part_keys.values())
    part = resolve(part_keys, [p for p in pairs if p.a in affected and p.b in affected], decisions,
                   held.sources(affected), preference, facts)

    clusters = sorted(_reused(previous.duplicates, affected) + list(part.clusters), key=lambda c: c.members)
    first_of = {member: c.members[0] for c in clusters for member in c.members}
    uncertain = pipeline.for_people(pairs, first_of, set(latest))
    blocked = tuple(p for p in pairs if p.verdict == MATCH and (p.a, p.b) not in cannot
                    and first_of.get(p.a, p.a) != first_of.get(p.b, p.b))
    blocked += tuple(Pair(a, b, MATCH, "reviewer", {"reviewer": d.reviewer}, by="reviewer")
                     for (a, b), d in latest.items()
                     if d.decision == SAME_DECISION and first_of.get(a, a) != first_of.get(b, b))
    stats = {"clusters": len(clusters), "duplicates": sum(len(c.duplicates) for c in clusters),
             "uncertain": len(uncertain), "blocked": len(blocked), "decisions": len(latest),
             "candidate_pairs": len(candidates), "skipped_blocks": skipped, "reclustered": len(affected),
             "keys_read": len(keys) - len(fresh_ids)}
    return Result(tuple(clusters), uncertain, tuple(pairs), blocked, stats, facts)


def _fresh_blocks(fresh: Mapping[int, Keys], held: Held) -> tuple[dict[Block, list[tuple[int, int | None]]],
                                                                   dict[int, Keys]]:
    """Every block a new record belongs to, with all its members (held and new)."""
    own: dict[Block, list[tuple[int, int | None]]] = defaultdict(list)
    for k in fresh.values():
        for key in block_keys(k):
            own[key].append((k.id, k.year))
    found = held.block_members(own.keys())
    members = {b: [m for m in found.get(b, []) if m[0] not in fresh] + mine for b, mine in own.items()}
    return members, dict(fresh)


def _candidates(fresh_ids: set[int], members: Mapping[Block, list[tuple[int, int | None]]]) \
        -> tuple[set[tuple[int, int]], int]:
    """The pairs to compare: a new record with every other member of a group it is in."""
    pairs: set[tuple[int, int]] = set()
    skipped = 0
    for ids in members.values():
        parts = block_groups(ids)
        skipped += len(ids) > 1 and not parts
        for group in parts:
            for a in group:
                if a in fresh_ids:
                    pairs.update((a, b) if a < b else (b, a) for b in group if b != a)
    return pairs, skipped


def _still_together(pairs: Iterable[Pair], keys: Mapping[int, Keys],
                    members: dict[Block, list[tuple[int, int | None]]], held: Held) -> set[tuple[int, int]]:
    """Which previous pairs still share a group in some block (blocks without a new record: as held)."""
    shared = {(p.a, p.b): set(block_keys(keys[p.a])) & set(block_keys(keys[p.b])) for p in pairs}
    missing = {b for blocks in shared.values() for b in blocks} - set(members)
    members.update(held.block_members(missing))
    groups: dict[Block, list[set[int]]] = {}
    together = set()
    for (a, b), blocks in shared.items():
        for key in blocks:
            if key not in groups:
                groups[key] = [set(g) for g in block_groups(members.get(key, []))]
            if any(a in g and b in g for g in groups[key]):
                together.add((a, b))
                break
    return together


def _latest(decisions: Sequence[Decision]) -> dict[tuple[int, int], Decision]:
    latest: dict[tuple[int, int], Decision] = {}
    for d in decisions:
        if d.a != d.b:
            latest[(min(d.a, d.b), max(d.a, d.b))] = d
    return latest


def _reach(start: set[int], edges: Iterable[tuple[int, int]]) -> set[int]:
    """Every record connected to ``start`` through ``edges``."""
    adjacent: dict[int, list[int]] = defaultdict(list)
    for a, b in edges:
        adjacent[a].append(b)
        adjacent[b].append(a)
    seen = set(start)
    queue = deque(start)
    while queue:
        for other in adjacent.get(queue.popleft(), ()):
            if other not in seen:
                seen.add(other)
                queue.append(other)
    return seen


def _reused(duplicates: Sequence[Duplicate], affected: set[int]) -> list[Cluster]:
    """The previous run's clusters outside the parts clustered again, as they were."""
    by_kept: dict[int, list[Duplicate]] = defaultdict(list)
    for d in duplicates:
        if (d.record_id in affected) != (d.duplicate_of in affected):
            raise ValueError(f"record {d.record_id} and its kept record {d.duplicate_of} fell in different parts"
                             " of the match graph: the previous run does not fit its pairs")
        if d.record_id not in affected:
            by_kept[d.duplicate_of].append(d)
    return [Cluster(kept, tuple(sorted([kept, *(d.record_id for d in found)])),
                    tuple(sorted(found, key=lambda d: d.record_id)))
            for kept, found in by_kept.items()]
