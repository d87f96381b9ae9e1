"""Stage 5, cluster: matched pairs become clusters (union-find), without ever bridging a "different".

Matches are not transitive by nature: A~B and B~C can chain two records a person said differ, or two
records with different DOIs. So every union is checked first: two groups are joined only when no
record of one is known to differ from a record of the other (a person's ``different`` decision, or
two different DOIs or PMIDs). Edges are taken in a fixed order (people first, then rule order, then
ids), so the clusters do not depend on the order records came in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Pair:
    """A compared pair with its verdict: ``a < b``; ``by`` is "tool" or "reviewer"."""

    a: int
    b: int
    verdict: str
    rule: str
    scores: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    by: str = "tool"


@dataclass(frozen=True, slots=True)
class Clustering:
    groups: tuple[tuple[int, ...], ...]  # each sorted, size >= 2, sorted by first id
    joined: tuple[Pair, ...]             # the edges that joined them
    blocked: tuple[Pair, ...]            # match edges refused because they would bridge a "different"


def cluster(edges: Iterable[Pair], cannot: set[tuple[int, int]], conflict: Callable[[int, int], bool],
            priority: dict[str, int], hard_conflict: Callable[[int, int], bool] | None = None) -> Clustering:
    """Union-find over match edges. ``cannot`` holds people's "different" pairs (a < b); ``conflict``
    says whether a guard keeps two records apart; ``priority`` orders rules. A person's "same" is
    checked only against ``hard_conflict`` (different identifiers): people may overrule the softer guards."""
    ordered = sorted(edges, key=lambda p: (p.by != "reviewer", priority.get(p.rule, 99), p.a, p.b))
    parent: dict[int, int] = {}
    members: dict[int, list[int]] = {}

    def find(x: int) -> int:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    joined: list[Pair] = []
    blocked: list[Pair] = []
    for edge in ordered:
        ra, rb = find(edge.a), find(edge.b)
        if ra == rb:
            joined.append(edge)
            continue
        left, right = members.get(ra, [ra]), members.get(rb, [rb])
        check = conflict if edge.by != "reviewer" else (hard_conflict or conflict)
        if any((min(x, y), max(x, y)) in cannot or check(x, y) for x in left for y in right):
            blocked.append(edge)
            continue
        root, other = (ra, rb) if ra < rb else (rb, ra)
        parent[other] = root
        members[root] = sorted(left + right)
        members.pop(other, None)
        joined.append(edge)
    groups = sorted(tuple(m) for r, m in members.items() if find(r) == r and len(m) > 1)
    return Clustering(tuple(groups), tuple(joined), tuple(blocked))
