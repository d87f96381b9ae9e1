"""Properties of the de-duplicator: order does not matter, a record is in one cluster at most, none is
lost, people's "different" is never bridged, and the incremental path equals a full run."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.dedup_sets import load_set
from harvester.dedup import Decision, dedupe, find_pairs, prepare_all, resolve
from harvester.dedup.block import still_candidates
from harvester.records import Record

TITLES = ["Peer support workers in mental health services", "Peer mentors for people with diabetes",
          "Lay health workers in primary care: a review", "Peer support workers in mental health service"]


@st.composite
def records(draw: st.DrawFn) -> list[tuple[int, Record]]:
    """Small sets of look-alike records: shared titles, authors, volumes and DOIs in many combinations."""
    count = draw(st.integers(min_value=1, max_value=14))
    out = []
    for i in range(count):
        out.append((i + 1, Record(
            title=draw(st.sampled_from(TITLES)),
            authors=(draw(st.sampled_from(["Smith, J. A.", "Smith JA", "Jones, B", "J.A. Smith"])),),
            year=draw(st.sampled_from([None, 2012, 2013, 2015])),
            journal=draw(st.sampled_from(["", "Health Soc Care Community", "Health and Social Care in the Community"])),
            volume=draw(st.sampled_from(["", "12", "13"])),
            pages=draw(st.sampled_from(["", "101-9", "101-109", "200-210"])),
            doi=draw(st.sampled_from(["", "", "10.1000/a", "10.1000/b"])),
        )))
    return out


def _clusters(result: object) -> set[frozenset[int]]:
    return {frozenset(c.members) for c in result.clusters}  # type: ignore[attr-defined]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records(), st.randoms(use_true_random=False))
def test_shuffling_gives_the_same_clusters(items: list[tuple[int, Record]], rnd: random.Random) -> None:
    first = dedupe(items)
    shuffled = list(items)
    rnd.shuffle(shuffled)
    second = dedupe(shuffled)
    assert _clusters(first) == _clusters(second)
    assert {c.kept for c in first.clusters} == {c.kept for c in second.clusters}
    assert {(p.a, p.b) for p in first.uncertain} == {(p.a, p.b) for p in second.uncertain}


@settings(max_examples=150, deadline=None)
@given(records())
def test_one_cluster_per_record_and_nothing_lost(items: list[tuple[int, Record]]) -> None:
    result = dedupe(items)
    seen: list[int] = [m for c in result.clusters for m in c.members]
    assert len(seen) == len(set(seen))  # never in two clusters
    removed = result.removed()
    ids = {i for i, _ in items}
    kept = ids - set(removed)
    assert set(removed.values()) <= kept  # every duplicate points at a kept record
    assert kept | set(removed) == ids  # every record is either kept or a duplicate of a kept one
    for cluster in result.clusters:  # never two different DOIs in one cluster
        dois = {r.doi for i, r in items if i in cluster.members and r.doi}
        assert len(dois) <= 1


@settings(max_examples=100, deadline=None)
@given(records(), st.data())
def test_a_persons_different_is_never_bridged(items: list[tuple[int, Record]], data: st.DataObject) -> None:
    ids = [i for i, _ in items]
    if len(ids) < 2:
        return
    a, b = data.draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))
    result = dedupe(items, decisions=[Decision(a, b, "different", "JM")])
    for cluster in result.clusters:
        assert not (a in cluster.members and b in cluster.members)


@settings(max_examples=100, deadline=None)
@given(records(), st.data())
def test_a_persons_same_merges(items: list[tuple[int, Record]], data: st.DataObject) -> None:
    ids = [i for i, _ in items]
    if len(ids) < 2:
        return
    a, b = data.draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))
    by_id = dict(items)
    if by_id[a].doi and by_id[b].doi and by_id[a].doi != by_id[b].doi:
        return  # two different DOIs are never one record, whoever says so
    result = dedupe(items, decisions=[Decision(a, b, "same", "JM")])
    assert any(a in c.members and b in c.members for c in result.clusters)


def _incremental(items: list[tuple[int, Record]], new: set[int]) -> object:
    """What dedupe_new does, in memory: old pairs from a run on the old records, new pairs through blocks."""
    old = [(i, r) for i, r in items if i not in new]
    earlier, _ = find_pairs(prepare_all(old))
    keys = prepare_all(items)
    fresh, _ = find_pairs(keys, only=new)
    keep = still_candidates(keys, [(p.a, p.b) for p in earlier])
    pairs = sorted(fresh + [p for p in earlier if (p.a, p.b) in keep], key=lambda p: (p.a, p.b))
    return resolve(keys, pairs)


@settings(max_examples=100, deadline=None)
@given(records(), st.data())
def test_incremental_equals_full(items: list[tuple[int, Record]], data: st.DataObject) -> None:
    ids = [i for i, _ in items]
    new = set(data.draw(st.lists(st.sampled_from(ids), unique=True)))
    full = dedupe(items)
    assert _clusters(_incremental(items, new)) == _clusters(full)


def test_incremental_equals_full_on_a_real_set(shared_dir: Path) -> None:
    labelled = load_set(shared_dir / "benchmarks" / "dedup", "stroke")
    items = labelled.records
    new = {i for i, _ in items if i % 5 == 0}
    full = dedupe(items)
    partial = _incremental(items, new)
    assert _clusters(partial) == _clusters(full)
    assert {(p.a, p.b) for p in partial.uncertain} == {(p.a, p.b) for p in full.uncertain}  # type: ignore[attr-defined]
