"""Cochrane Library (Cochrane Library help: advanced search, https://www.cochranelibrary.com/help).

``:ti,ab,kw`` title, abstract and keywords; ``*`` truncates; ``NEAR/n`` within n words in any order,
``NEXT`` adjacent in order; ``[mh "X"]`` explodes a MeSH heading, ``[mh ^"X"]`` does not. A phrase
search takes no wildcard, so a truncated phrase is written with ``NEXT`` (``peer NEXT support*``).
"""

from __future__ import annotations

from harvester.query.dialect import ALL_FIELDS, TEXT_WORDS, Dialect, FieldSyntax, QueryWarning


def near(operands: list[str], distance: int, ordered: bool) -> tuple[str | None, list[QueryWarning]]:
    if ordered and distance == 0:
        return " NEXT ".join(operands), []
    notes = []
    if ordered:
        notes.append(QueryWarning("proximity-order-dropped", "Cochrane NEAR/n is in any order: the required word "
                                  "order is not kept (broader)"))
    return f" NEAR/{distance} ".join(operands), notes


FIELDS: dict[str, FieldSyntax] = {
    "none": FieldSyntax("{}", ALL_FIELDS, "an unfielded term is searched in all text in the Cochrane Library"),
    "all": FieldSyntax("{}", ALL_FIELDS, "an unfielded term is searched in all text in the Cochrane Library"),
    "tiab": FieldSyntax("{}:ti,ab,kw", TEXT_WORDS, "Cochrane :kw adds Cochrane's index keywords (often MeSH) to "
                        "PubMed [tiab]'s author keywords (broader)"),
    "ti": FieldSyntax("{}:ti", ("title",)),
    "ab": FieldSyntax("{}:ab", ("abstract",)),
    "tw": FieldSyntax("{}:ti,ab,kw", TEXT_WORDS),
    "ot": FieldSyntax("{}:kw", ("keywords", "mesh"), "Cochrane :kw holds index keywords as well as the authors'"),
    "mh": FieldSyntax('[mh "{}"]', ("mesh",), raw=True),
    "mh:noexp": FieldSyntax('[mh ^"{}"]', ("mesh",), raw=True),
    "majr": FieldSyntax('[mh "{}"]', ("mesh",), "Cochrane [mh] has no major-topic qualifier: major topic not kept",
                        raw=True),
    "majr:noexp": FieldSyntax('[mh ^"{}"]', ("mesh",), "Cochrane [mh] has no major-topic qualifier: major topic "
                              "not kept", raw=True),
    "au": FieldSyntax("{}:au", ("authors",)),
    "pt": FieldSyntax("{}:pt", ("publication_types",)),
    "ta": FieldSyntax("{}:so", ("journal", "journal_abbrev")),
}

COCHRANE = Dialect(database="cochrane", label="Cochrane Library", fields=FIELDS, near=near, group_fields=True,
                   truncated_phrase_joiner=" NEXT ")
