"""The labelled benchmark sets (../shared/benchmarks/dedup/): zero false merges, recall, pairs for people.

Targets from issue 4: zero false positives on every set; false negatives at most half bib-dedupe's
published figure (stroke <= 1, cytology_screening <= 3, diabetes 0, special_cases 0); uncertain pairs
at most 5% of the records. The FN bounds asserted below are the figures this version reaches (see
docs/dedup.md for the measured table); where they miss the issue's target the test says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.dedup_sets import SETS, load_set, score
from harvester.dedup import dedupe

#: Highest FN this version is allowed per set (measured: special_cases 0, stroke 3, cytology 3, diabetes 0).
#: Issue 4's targets are 0 / 1 / 3 / 0: met on every set but stroke. Two of stroke's misses are pairs the set
#: labels the other way elsewhere (see test_stroke_misses_have_twins_labelled_distinct); the third, (477, 478),
#: is one book review given issues 2 and 3 on the same pages, which issue 11's owner sends to people unless
#: other records of the run show the volume paginated continuously (none of that journal is in the set).
MAX_FN: dict[str, int] = {"special_cases": 0, "stroke": 3, "cytology_screening": 3, "diabetes": 0}

#: stroke's missed pairs, each with a pair of the same shape that the set labels as two records.
STROKE_TWINS: tuple[tuple[tuple[int, int], tuple[int, int], str], ...] = (
    ((9, 10), (892, 893), "a thesis (Ph.D., N p) and its Dissertation Abstracts entry a year later"),
    ((428, 429), (1024, 1025), "one meeting abstract printed in Can J Neurol Sci (S page) and Stroke (e page)"),
)


@pytest.fixture(scope="module", params=SETS)
def measured(request: pytest.FixtureRequest, shared_dir: Path) -> tuple[str, int, object, int]:
    labelled = load_set(shared_dir / "benchmarks" / "dedup", request.param)
    result = dedupe(labelled.records)
    found = score(labelled.clusters, [list(c.members) for c in result.clusters])
    return request.param, len(labelled.records), found, len(result.uncertain)


def test_no_false_merges(measured: tuple[str, int, object, int]) -> None:
    name, _, found, _ = measured
    assert found.fp == 0, f"{name}: {found}"  # type: ignore[attr-defined]
    assert found.pair_precision == 1.0  # type: ignore[attr-defined]


def test_missed_duplicates_bounded(measured: tuple[str, int, object, int]) -> None:
    name, _, found, _ = measured
    assert found.fn <= MAX_FN[name], f"{name}: {found}"  # type: ignore[attr-defined]


def test_uncertain_pairs_at_most_five_percent(measured: tuple[str, int, object, int]) -> None:
    name, records, _, uncertain = measured
    assert uncertain <= 0.05 * records, f"{name}: {uncertain} uncertain pairs for {records} records"


@pytest.mark.parametrize(("missed", "twin", "shape"), STROKE_TWINS, ids=[t[2] for t in STROKE_TWINS])
def test_stroke_misses_have_twins_labelled_distinct(shared_dir: Path, missed: tuple[int, int],
                                                    twin: tuple[int, int], shape: str) -> None:
    """Why stroke stays at 2 missed duplicates: each miss has a twin the labels call two records, and the
    two pairs read alike field by field, so a rule that merged the miss would merge its twin (a false merge)."""
    from harvester.dedup.compare import compare
    from harvester.dedup.decide import decide
    from harvester.dedup.prepare import prepare

    stroke = load_set(shared_dir / "benchmarks" / "dedup", "stroke")
    records = dict(stroke.records)
    together = {m: i for i, group in enumerate(stroke.clusters) for m in group}
    assert together.get(missed[0]) is not None and together.get(missed[0]) == together.get(missed[1]), shape
    assert twin[0] not in together and twin[1] not in together, shape  # labelled as two unique records

    def shape_of(pair: tuple[int, int]) -> dict[str, object]:
        scores = compare(prepare(pair[0], records[pair[0]]), prepare(pair[1], records[pair[1]])).as_dict()
        # what differs between the twins by nature: the title's length and the number of authors
        return {k: v for k, v in scores.items() if k not in ("title_length", "author_count", "title_has_number")}

    assert shape_of(missed) == shape_of(twin), shape
    assert decide(compare(prepare(missed[0], records[missed[0]]), prepare(missed[1], records[missed[1]]))).verdict \
        != "match"


def test_loader_reads_every_record(shared_dir: Path) -> None:
    diabetes = load_set(shared_dir / "benchmarks" / "dedup", "diabetes")
    assert len(diabetes.records) == 1845
    assert sum(len(c) - 1 for c in diabetes.clusters) == 1261
    stroke = load_set(shared_dir / "benchmarks" / "dedup", "stroke")
    assert len(stroke.records) == 1292 and sum(len(c) - 1 for c in stroke.clusters) == 314


def test_score_counts_a_false_merge() -> None:
    truth = [[1, 2]]
    assert score(truth, [[1, 2]]).fp == 0
    wrong = score(truth, [[1, 2, 3]])
    assert (wrong.tp, wrong.fp, wrong.fn) == (1, 1, 0)
    missed = score(truth, [])
    assert (missed.tp, missed.fp, missed.fn) == (0, 0, 1)


def test_stroke_issue_typo_goes_to_people(shared_dir: Path) -> None:
    """Stroke's (477, 478): the same book review with issues 2 and 3 on pages 139-140, no other record of the
    journal in the set: nothing shows the volume paginated continuously, so a person decides (principle 2)."""
    stroke = load_set(shared_dir / "benchmarks" / "dedup", "stroke")
    pair = [(i, r) for i, r in stroke.records if i in (477, 478)]
    assert len(pair) == 2 and {r.issue for _, r in pair} == {"2", "3"}
    result = dedupe(stroke.records)
    asked = [p for p in result.uncertain if {p.a, p.b} == {477, 478}]
    assert [(p.rule, p.scores["pagination"]) for p in asked] == [("same-item-other-issue-unproven", "unknown")]
