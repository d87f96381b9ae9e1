"""Agreement between two screeners: percent agreement, Cohen's kappa, and the conflicts to resolve.

Cohen's kappa (Cohen 1960), the textbook formula::

    kappa = (p_o - p_e) / (1 - p_e)
    p_o   = share of records both screeners put in the same category
    p_e   = sum over categories k of  p_A(k) * p_B(k)   (chance agreement from each one's own rates)

Only records both screeners decided count. When ``p_e`` is 1 (both gave every record the same single
category) kappa is undefined and reported as ``None``, not as a made-up number.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Conflict:
    record_id: int
    decisions: tuple[tuple[str, str], ...]  # (reviewer, decision) pairs
    reasons: tuple[tuple[str, str], ...] = ()  # (reviewer, reason) where a reason was given
    resolved_by: str | None = None
    resolution: str | None = None


@dataclass(frozen=True, slots=True)
class Agreement:
    """Two screeners on one stage."""

    first: str
    second: str
    both_decided: int
    agreed: int
    percent: float | None  # 0-100, None when nothing was decided by both
    kappa: float | None
    observed: float | None
    expected: float | None
    table: dict[str, dict[str, int]] = field(default_factory=dict)  # first's category -> second's -> n


def cohen_kappa(pairs: list[tuple[str, str]]) -> tuple[float | None, float | None, float | None]:
    """(kappa, p_o, p_e) for a list of (first's category, second's category) pairs."""
    n = len(pairs)
    if n == 0:
        return None, None, None
    observed = sum(1 for a, b in pairs if a == b) / n
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    expected = sum(first[k] / n * second.get(k, 0) / n for k in first)
    if expected >= 1.0:
        return None, observed, expected
    return (observed - expected) / (1 - expected), observed, expected


def agreement(first: str, second: str, decisions: Mapping[int, Mapping[str, str]]) -> Agreement:
    """Agreement of two screeners over ``record id -> {reviewer: decision}``."""
    pairs = [(by[first], by[second]) for _, by in sorted(decisions.items()) if first in by and second in by]
    kappa, observed, expected = cohen_kappa(pairs)
    table: dict[str, dict[str, int]] = {}
    for a, b in pairs:
        table.setdefault(a, {}).setdefault(b, 0)
        table[a][b] += 1
    agreed = sum(1 for a, b in pairs if a == b)
    return Agreement(
        first=first,
        second=second,
        both_decided=len(pairs),
        agreed=agreed,
        percent=100.0 * agreed / len(pairs) if pairs else None,
        kappa=kappa,
        observed=observed,
        expected=expected,
        table=table,
    )
