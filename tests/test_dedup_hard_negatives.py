"""Hard negatives (benchmarks/dedup_hard_negatives.py) at small size: look-alike records that are not
duplicates, mixed into a generated set and into a labelled set; not one may be merged, and the notices are
linked to the record they concern. The benchmark runs the same at 10,000 and 100,000 records."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from benchmarks.dedup_hard_negatives import KINDS, POSITIVE_KINDS, judge, look_alikes, mix
from benchmarks.dedup_scale import generate
from benchmarks.dedup_sets import load_set, score
from harvester.dedup import dedupe


def _check(records: list, clusters: list[list[int]], count: int, seed: int) -> None:
    mixed = mix(records, clusters, count, seed)
    assert {kind for kind, _ in mixed.negatives.values()} == set(KINDS)  # every kind is there
    result = dedupe(mixed.records)
    found = [list(c.members) for c in result.clusters]
    outcome = judge(mixed, found, [(p.scores["notice"], p.scores["work"]) for p in result.links()])
    assert not outcome.merged, f"hard negatives merged, by kind: {dict(outcome.merged)}"
    assert score(mixed.clusters, found).fp == 0
    assert outcome.notices and outcome.linked >= 0.9 * outcome.notices, (outcome.linked, outcome.notices)
    assert outcome.positives and outcome.positives_merged == outcome.positives  # issue typos in continuous volumes


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_hard_negative_is_merged_in_a_generated_set(seed: int) -> None:
    records, clusters = generate(1200, seed)
    _check(records, clusters, 150, seed)


def test_no_hard_negative_is_merged_in_a_labelled_set(shared_dir: Path) -> None:
    stroke = load_set(shared_dir / "benchmarks" / "dedup", "stroke")
    _check(stroke.records, stroke.clusters, 200, 5)


@pytest.mark.parametrize("kind", KINDS)
def test_no_kind_is_merged_with_the_record_it_imitates(kind: str) -> None:
    """Kind by kind: no look-alike is merged with the record it was made from, nor with another look-alike
    made from it (the record and its look-alikes de-duplicated alone); an issue typo in a continuously
    paginated volume is merged."""
    records, _ = generate(300, 9)
    donors = [r.title for _, r in records]
    rnd = random.Random(kind)
    for base_id, base in records[:60]:
        made = [(10_000 + i, r) for i, r in enumerate(look_alikes(base, kind, rnd, donors))]
        result = dedupe([(base_id, base), *made])
        clusters = [c.members for c in result.clusters]
        if kind in POSITIVE_KINDS:  # the first two are one item, merged; nothing else
            assert clusters == [(10_000, 10_001)], (kind, base.title, clusters)
            assert result.clusters[0].duplicates[0].rule == "same-item-other-issue"
        else:
            assert not clusters, (kind, base.title, [c.duplicates[0].rule for c in result.clusters])
