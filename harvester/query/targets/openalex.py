"""OpenAlex works search (https://docs.openalex.org/how-to-use-the-api/get-lists-of-entities/search-entities).

``search=`` looks in title, abstract and full text; ``filter=title_and_abstract.search:`` in title and
abstract, ``filter=title.search:`` in the title. Boolean operators in capitals, double-quoted
phrases; words are stemmed and stop words dropped; whole words only, so no truncation; one search
expression per request, so fields cannot be mixed within it; no proximity.
"""

from __future__ import annotations

from harvester.query.ast import Near, Node, Not, Term
from harvester.query.dialect import (
    ALL_FIELDS,
    TITLE_ABSTRACT,
    Dialect,
    FieldSyntax,
    QueryWarning,
    Translation,
    Writer,
    canonical_tag,
)

FIELDS: dict[str, FieldSyntax] = {"none": FieldSyntax("{}", ALL_FIELDS + ("fulltext",))}

#: The request parameter for the fields a query uses, and the Record fields it searches.
PARAMETERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ti": ("filter=title.search", ("title",)),
    "tiab": ("filter=title_and_abstract.search", TITLE_ABSTRACT),
    "none": ("search", ALL_FIELDS),
}


def parameter_for(node: Node, default_field: str | None) -> tuple[str, tuple[str, ...], list[QueryWarning]]:
    """Where the expression goes: one parameter for the whole query, from the fields its terms use."""
    tags = {canonical_tag(n.field if n.field is not None else default_field) for n in _fielded(node)}
    notes: list[QueryWarning] = []
    if tags <= {"ti"}:
        chosen = "ti"
    elif tags <= {"ti", "ab", "tiab"}:
        chosen = "tiab"
        if tags != {"tiab"}:
            notes.append(QueryWarning("field-approximated", "OpenAlex takes one search field per request: every "
                                      "term is searched in title and abstract"))
    elif tags <= {"none", "all"}:
        chosen = "none"
        notes.append(QueryWarning("field-approximated", "OpenAlex search= also searches full texts (broader)"))
    else:
        chosen = "tiab"
        other = ", ".join(f"[{t}]" for t in sorted(tags - {"ti", "ab", "tiab"}))
        notes.append(QueryWarning("field-not-available", f"OpenAlex cannot search {other} within a search "
                                  "expression: those terms are searched in title and abstract"))
    if "tiab" in tags or "ab" in tags:
        notes.append(QueryWarning("field-approximated", "OpenAlex title_and_abstract does not search author "
                                  "keywords, which PubMed [tiab] does"))
    return PARAMETERS[chosen][0], PARAMETERS[chosen][1], notes


class _OneFieldWriter(Writer):
    """Every term in the one field the request searches (chosen and warned by :func:`parameter_for`)."""

    def field_of(self, tag: str | None) -> tuple[str, FieldSyntax]:
        return "none", FIELDS["none"]


def _fielded(node: Node) -> list[Term | Near]:
    """The terms and proximities whose field decides where they are searched (not the words inside a NEAR)."""
    found: list[Term | Near] = []
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Term | Near):
            found.append(current)
        elif isinstance(current, Not):
            stack += [current.include, current.exclude]
        else:
            stack += list(current.items)
    return found


def _write(node: Node, dialect: Dialect, default_field: str | None) -> Translation:
    parameter, _, notes = parameter_for(node, default_field)
    writer = _OneFieldWriter(dialect, None)
    for note in notes:
        writer.warn(note.code, note.message)
    written = writer.translate(node)
    if parameter.startswith("filter=") and "," in written.query:
        writer.warn("comma-in-filter", "OpenAlex separates filters with commas: the commas in this query would "
                    "split it; remove them")
    return Translation(dialect.database, written.query, writer.warnings(), parameter)


OPENALEX = Dialect(
    database="openalex", label="OpenAlex", fields=FIELDS, truncation=None, custom=_write,
    notes=(QueryWarning("stemming", "OpenAlex stems words and drops stop words (\"possums\" finds \"possum\"); "
                        "add .no_stem to the filter to search words as written"),),
)
