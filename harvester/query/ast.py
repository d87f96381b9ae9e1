"""The query tree every parser produces and every target writes: terms, boolean groups, proximity.

Field tags are PubMed's (``tiab``, ``ti``, ``mh``...): the protocol's own syntax is PubMed's, so the
tree keeps its words, and each target maps them (``harvester/query/fields.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Term:
    """A word or quoted phrase, optionally truncated (``nurs*``) and fielded (``[tiab]``)."""

    text: str
    phrase: bool = False
    truncated: bool = False
    field: str | None = None
    column: int = 0


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """``include NOT exclude``."""

    include: Node
    exclude: Node


@dataclass(frozen=True, slots=True)
class Near:
    """Proximity: the items (terms, or ORs of terms) with at most ``distance`` words between
    consecutive ones, in any order unless ``ordered``. ``distance`` counts the words *between*:
    PubMed ``~2`` is 2, Ovid ``adj3`` is 2, ``adj``/``adj1`` is 0."""

    items: tuple[Node, ...]
    distance: int
    ordered: bool = False
    field: str | None = None
    column: int = 0


Node = Term | And | Or | Not | Near


def terms(node: Node) -> list[Term]:
    """Every term of the query, left to right."""
    return [item for item in walk(node) if isinstance(item, Term)]


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, depth first, left to right (no recursion: any depth is safe)."""
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, Not):
            stack.extend((current.exclude, current.include))
        elif isinstance(current, And | Or | Near):
            stack.extend(reversed(current.items))


def depth(node: Node) -> int:
    """How deep the groups nest (a term is 0)."""
    deepest = 0
    stack: list[tuple[Node, int]] = [(node, 0)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(current, Not):
            stack += [(current.include, level + 1), (current.exclude, level + 1)]
        elif isinstance(current, And | Or | Near):
            stack += [(item, level + 1) for item in current.items]
    return deepest


def with_field(node: Node, field: str | None) -> Node:
    """The tree with ``field`` given to every term and proximity that has none (a suffix on a group)."""
    if field is None:
        return node
    if isinstance(node, Term):
        return node if node.field else Term(node.text, node.phrase, node.truncated, field, node.column)
    if isinstance(node, Near):
        return node if node.field else Near(node.items, node.distance, node.ordered, field, node.column)
    if isinstance(node, Not):
        return Not(with_field(node.include, field), with_field(node.exclude, field))
    items = tuple(with_field(item, field) for item in node.items)
    return And(items) if isinstance(node, And) else Or(items)


def flat(kind: type[And] | type[Or], items: tuple[Node, ...]) -> Node:
    """``kind(items)`` with items of the same kind merged in (``(a OR b) OR c`` is ``a OR b OR c``)."""
    merged: list[Node] = []
    for item in items:
        merged.extend(item.items if isinstance(item, kind) else (item,))
    return merged[0] if len(merged) == 1 else kind(tuple(merged))
