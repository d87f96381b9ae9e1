"""Percent agreement and Cohen's kappa against hand-computed examples and the textbook formula."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harvester.screening.agreement import agreement, cohen_kappa


def _pairs(table: dict[tuple[str, str], int]) -> list[tuple[str, str]]:
    return [pair for pair, n in table.items() for _ in range(n)]


def test_two_by_two_hand_computed() -> None:
    # 50 records: both include 20, A include / B exclude 5, A exclude / B include 10, both exclude 15.
    # p_o = 35/50 = 0.70; p_A(include) = 25/50 = 0.5, p_B(include) = 30/50 = 0.6
    # p_e = 0.5*0.6 + 0.5*0.4 = 0.50; kappa = (0.70 - 0.50) / (1 - 0.50) = 0.40
    pairs = _pairs({("include", "include"): 20, ("include", "exclude"): 5, ("exclude", "include"): 10,
                    ("exclude", "exclude"): 15})
    kappa, observed, expected = cohen_kappa(pairs)
    assert observed == pytest.approx(0.70)
    assert expected == pytest.approx(0.50)
    assert kappa == pytest.approx(0.40)


def test_three_categories_hand_computed() -> None:
    # 20 records with maybe as a third category:
    #            B inc  B exc  B maybe   (row totals)
    #   A inc      4      1      1        6
    #   A exc      1      9      0       10
    #   A maybe    1      1      2        4
    #   (columns)  6     11      3       20
    # p_o = (4+9+2)/20 = 0.75; p_e = (6*6 + 10*11 + 4*3)/400 = 158/400 = 0.395
    # kappa = (0.75 - 0.395) / 0.605 = 0.586776...
    pairs = _pairs({("include", "include"): 4, ("include", "exclude"): 1, ("include", "maybe"): 1,
                    ("exclude", "include"): 1, ("exclude", "exclude"): 9,
                    ("maybe", "include"): 1, ("maybe", "exclude"): 1, ("maybe", "maybe"): 2})
    kappa, observed, expected = cohen_kappa(pairs)
    assert observed == pytest.approx(0.75)
    assert expected == pytest.approx(0.395)
    assert kappa == pytest.approx(0.355 / 0.605)


def test_agreement_counts_only_records_both_decided() -> None:
    decisions = {
        1: {"JM": "include", "JS": "include"},
        2: {"JM": "exclude", "JS": "exclude"},
        3: {"JM": "exclude", "JS": "include"},
        4: {"JM": "exclude"},  # JS has not decided: not counted
        5: {"JM": "exclude", "JS": "exclude"},
    }
    result = agreement("JM", "JS", decisions)
    assert result.both_decided == 4
    assert result.agreed == 3
    assert result.percent == pytest.approx(75.0)
    # p_o = 0.75; JM include 1/4, JS include 2/4: p_e = 1/4*2/4 + 3/4*2/4 = 0.5; kappa = 0.5
    assert result.kappa == pytest.approx(0.5)
    assert result.table == {"include": {"include": 1}, "exclude": {"exclude": 2, "include": 1}}


def test_kappa_undefined_when_chance_agreement_is_certain() -> None:
    kappa, observed, expected = cohen_kappa([("exclude", "exclude")] * 10)
    assert kappa is None
    assert observed == 1.0 and expected == 1.0
    assert cohen_kappa([]) == (None, None, None)


def test_perfect_agreement_is_one_and_systematic_disagreement_is_negative() -> None:
    assert cohen_kappa([("a", "a"), ("b", "b")] * 5)[0] == pytest.approx(1.0)
    assert cohen_kappa([("a", "b"), ("b", "a")] * 5)[0] == pytest.approx(-1.0)


labels = st.sampled_from(["include", "exclude", "maybe"])


@given(st.lists(st.tuples(labels, labels), min_size=1, max_size=60))
def test_kappa_properties(pairs: list[tuple[str, str]]) -> None:
    kappa, observed, expected = cohen_kappa(pairs)
    swapped = cohen_kappa([(b, a) for a, b in pairs])
    assert observed is not None and 0.0 <= observed <= 1.0
    assert swapped[1] == pytest.approx(observed)
    if kappa is not None:
        assert kappa <= 1.0 + 1e-9
        assert swapped[0] == pytest.approx(kappa)
        assert expected is not None
        assert kappa == pytest.approx((observed - expected) / (1 - expected))
        if observed == 1.0:
            assert kappa == pytest.approx(1.0)
