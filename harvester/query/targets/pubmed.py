"""PubMed (https://pubmed.ncbi.nlm.nih.gov/help/): the protocol's own syntax, written back.

``[tiab]`` covers title, abstract, other abstract and author keywords; there is no abstract-only tag.
Proximity ``"a b"[tiab:~N]`` (N = most words between, any order) works only in ``[ti]``, ``[tiab]``
and ``[ad]``, on plain words: an OR inside proximity is expanded, truncation inside it is not allowed.
"""

from __future__ import annotations

import itertools

from harvester.query.ast import Near, Node, Or, Term
from harvester.query.dialect import (
    ALL_FIELDS,
    TEXT_WORDS,
    TITLE_ABSTRACT_KEYWORDS,
    Dialect,
    FieldSyntax,
    Translation,
    Writer,
    canonical_tag,
)

FIELDS: dict[str, FieldSyntax] = {
    "none": FieldSyntax("{}", ALL_FIELDS),
    "all": FieldSyntax("{}[all]", ALL_FIELDS),
    "tiab": FieldSyntax("{}[tiab]", TITLE_ABSTRACT_KEYWORDS),
    "ti": FieldSyntax("{}[ti]", ("title",)),
    "ab": FieldSyntax("{}[tiab]", TITLE_ABSTRACT_KEYWORDS,
                      "PubMed has no abstract-only field: searched in [tiab] (adds title and author keywords)"),
    "tw": FieldSyntax("{}[tw]", TEXT_WORDS),
    "ot": FieldSyntax("{}[ot]", ("keywords",)),
    "mh": FieldSyntax("{}[mh]", ("mesh",)),
    "mh:noexp": FieldSyntax("{}[mh:noexp]", ("mesh",)),
    "majr": FieldSyntax("{}[majr]", ("mesh",)),
    "majr:noexp": FieldSyntax("{}[majr:noexp]", ("mesh",)),
    "au": FieldSyntax("{}[au]", ("authors",)),
    "ad": FieldSyntax("{}[ad]", ()),
    "la": FieldSyntax("{}[la]", ("language",)),
    "pt": FieldSyntax("{}[pt]", ("publication_types",)),
    "ta": FieldSyntax("{}[ta]", ("journal", "journal_abbrev")),
    "dp": FieldSyntax("{}[dp]", ("year",)),
}

#: Tags PubMed accepts proximity on, as written in the output.
PROXIMITY_FIELDS = {"ti": "ti", "tiab": "tiab", "ad": "ad"}


class PubMedWriter(Writer):
    def proximity(self, near: Near) -> str:
        key = canonical_tag(near.field if near.field is not None else self.default_field)
        words = [_alternatives(item) for item in near.items]
        plain = all(alts is not None for alts in words)
        if key not in PROXIMITY_FIELDS:
            return self.fallback(near, f"PubMed allows proximity only in [ti], [tiab] and [ad], not [{key}]")
        if not plain:
            return self.fallback(near, "PubMed proximity takes plain words: no truncation or phrase inside it")
        if near.ordered and near.distance > 0:
            self.warn("proximity-order-dropped", "PubMed proximity is in any order: the required word order is "
                      "not kept (broader)")
        combos = list(itertools.product(*[alts for alts in words if alts is not None]))
        if len(combos) > 1:
            self.warn("proximity-expanded", f"PubMed proximity takes no OR inside it: written as {len(combos)} "
                      "proximity searches joined by OR")
        tag = PROXIMITY_FIELDS[key]
        written = [f'"{" ".join(combo)}"[{tag}:~{near.distance}]' for combo in combos]
        return written[0] if len(written) == 1 else "(" + " OR ".join(written) + ")"

def _alternatives(node: Node) -> list[str] | None:
    if isinstance(node, Term):
        return None if node.truncated or " " in node.text else [node.text]
    if isinstance(node, Or) and all(isinstance(i, Term) and not i.truncated and " " not in i.text
                                    for i in node.items):
        return [i.text for i in node.items if isinstance(i, Term)]
    return None


def _write(node: Node, dialect: Dialect, default_field: str | None) -> Translation:
    return PubMedWriter(dialect, default_field).translate(node)


PUBMED = Dialect(
    database="pubmed", label="PubMed", fields=FIELDS, custom=_write,
    unfielded_note="an unfielded, unquoted term goes through PubMed's automatic term mapping (adds MeSH and "
                   "synonyms); give a field tag or a default_field to search it literally",
)
