"""The query as a database actually runs it: what its translation keeps, and which record fields it searches.

``query check`` evaluates this on the records, so a record a source returned but the query (as that
database reads it) would not select points at a difference between the database and the translation:
truncation the target cannot do, proximity written as AND, a field that searches more or less.
"""

from __future__ import annotations

from harvester.query.ast import And, Near, Node, Not, Or, Term, with_field
from harvester.query.dialect import canonical_tag
from harvester.query.targets.openalex import parameter_for
from harvester.query.targets.pubmed import PROXIMITY_FIELDS
from harvester.query.targets.wos import MAX_NEAR
from harvester.query.translate import dialect


def searched_tree(node: Node, database: str, default_field: str | None = None) -> Node:
    """The tree with every term's field made explicit and each approximation the target makes applied."""
    target = dialect(database)
    explicit = with_field(node, default_field) if default_field else node

    def term(item: Term) -> Term:
        truncated = item.truncated
        if target.truncation is None or (item.phrase and " " in item.text and not target.phrase_truncation):
            truncated = False
        return Term(item.text, item.phrase, truncated, item.field, item.column)

    def near_kept(item: Near) -> bool:
        field = canonical_tag(item.field if item.field is not None else default_field)
        if target.database == "pubmed":
            plain = all(isinstance(t, Term) and not t.truncated and " " not in t.text or
                        isinstance(t, Or) and all(isinstance(i, Term) and not i.truncated for i in t.items)
                        for t in item.items)
            return field in PROXIMITY_FIELDS and plain
        if target.database == "wos" and item.distance > MAX_NEAR:
            return False
        return target.near is not None

    def walk(item: Node) -> Node:
        if isinstance(item, Term):
            return term(item)
        if isinstance(item, Near):
            items = tuple(walk(i) for i in item.items)
            if near_kept(item):
                return Near(items, item.distance, item.ordered, item.field, item.column)
            field = item.field if item.field is not None else default_field
            return And(tuple(with_field(i, field) for i in items))
        if isinstance(item, Not):
            return Not(walk(item.include), walk(item.exclude))
        kind = And if isinstance(item, And) else Or
        return kind(tuple(walk(i) for i in item.items))

    return walk(explicit)


def record_fields(database: str, node: Node | None = None, default_field: str | None = None
                  ) -> dict[str, tuple[str, ...]]:
    """Field tag -> the Record fields the database's field searches, for :func:`harvester.screening.rules.matches`."""
    target = dialect(database)
    if target.database == "openalex" and node is not None:
        _, searched, _ = parameter_for(node, default_field)
        return {tag: searched for tag in ("none", "all", "tiab", "ti", "ab", "tw", "ot", "mh", "mh:noexp", "majr",
                                          "majr:noexp", "au", "ad", "la", "pt", "ta", "dp")}
    table = {tag: syntax.searches for tag, syntax in target.fields.items()}
    fallback = table["none"]
    for tag in ("all", "tiab", "ti", "ab", "tw", "ot", "mh", "mh:noexp", "majr", "majr:noexp", "au", "ad", "la",
                "pt", "ta", "dp"):
        table.setdefault(tag, fallback)
    return table
