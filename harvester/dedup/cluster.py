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
    blocked: tuple[Pair, ...]            # match edges refused (they would bridge a "different", or an
                                         # ambiguous record's) whose records stayed apart


def ambiguous(edges: Iterable[Pair], cannot: set[tuple[int, int]], conflict: Callable[[int, int], bool],
              other_issue: Callable[[int, int], bool] | None = None) -> set[int]:
    """Records that cannot tell which record they duplicate, so merge with none (their pairs go to people):

    - matched by the tool with two records that must stay apart (a guard, or a person's "different"): a
      recurring column's copy without issue or pages matches every issue's record;
    - matched across issues (``same-item-other-issue``) with records of two issues other than each other
      (``other_issue``): an item on the same pages of three issues is a column paginated by issue, not one
      item with an issue typed wrong."""
    neighbours: dict[int, set[int]] = {}
    across: dict[int, set[int]] = {}
    for edge in edges:
        if edge.by == "tool":
            neighbours.setdefault(edge.a, set()).add(edge.b)
            neighbours.setdefault(edge.b, set()).add(edge.a)
            if edge.rule == ACROSS_ISSUES:
                across.setdefault(edge.a, set()).add(edge.b)
                across.setdefault(edge.b, set()).add(edge.a)
    found = set()
    for record_id, others in neighbours.items():
        ordered = sorted(others)
        if any((x, y) in cannot or conflict(x, y) for i, x in enumerate(ordered) for y in ordered[i + 1:]):
            found.add(record_id)
            continue
        crossed = sorted(across.get(record_id, ()))
        if other_issue is not None and any(other_issue(x, y) for i, x in enumerate(crossed) for y in crossed[i + 1:]):
            found.add(record_id)
    return found


#: The rule that merges across issue numbers (decide.SAME_ITEM_OTHER_ISSUE), by name: clustering reads no rules.
ACROSS_ISSUES = "same-item-other-issue"


def cluster(edges: Iterable[Pair], cannot: set[tuple[int, int]], conflict: Callable[[int, int], bool],
            priority: dict[str, int], hard_conflict: Callable[[int, int], bool] | None = None,
            other_issue: Callable[[int, int], bool] | None = None) -> Clustering:
    """Union-find over match edges. ``cannot`` holds people's "different" pairs (a < b); ``conflict``
    says whether a guard keeps two records apart; ``priority`` orders rules. A person's "same" is
    checked only against ``hard_conflict`` (different identifiers): people may overrule the softer guards.
    The tool's edges of an :func:`ambiguous` record are refused (blocked)."""
    edges = list(edges)
    unsure = ambiguous(edges, cannot, conflict, other_issue)
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
        if edge.by == "tool" and (edge.a in unsure or edge.b in unsure):
            blocked.append(edge)
            continue
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
    apart = tuple(e for e in blocked if find(e.a) != find(e.b))  # refused, and not joined another way
    return Clustering(tuple(groups), tuple(joined), apart)
