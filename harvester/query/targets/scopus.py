"""Scopus (Scopus Search Guide, https://schema.elsevier.com/dtds/document/bkapi/search/SCOPUSSearchTips.htm).

Field codes wrap: ``TITLE-ABS-KEY(...)``; ``"..."`` is a loose phrase (punctuation and plurals
ignored), ``{...}`` exact; ``*`` truncates; ``W/n`` within n words in any order, ``PRE/n`` in order.
Scopus reads OR before AND, so every group is bracketed; exclusion is ``AND NOT``. Inside quotes a
wildcard is punctuation, so a truncated phrase is written with ``PRE/0`` (``peer PRE/0 support*``);
proximity takes terms or phrases only, not an OR group, so an OR inside it is expanded.
"""

from __future__ import annotations

from harvester.query.dialect import ALL_FIELDS, TEXT_WORDS, Dialect, FieldSyntax, QueryWarning

_HEADING = ("MeSH heading searched as an index term (INDEXTERMS): not exploded, and Scopus index terms mix "
            "vocabularies")


def near(operands: list[str], distance: int, ordered: bool) -> tuple[str | None, list[QueryWarning]]:
    return f" {'PRE' if ordered else 'W'}/{distance} ".join(operands), []


FIELDS: dict[str, FieldSyntax] = {
    "none": FieldSyntax("ALL({})", ALL_FIELDS, "an unfielded term is searched in Scopus ALL(), not PubMed's "
                        "all fields"),
    "all": FieldSyntax("ALL({})", ALL_FIELDS, "Scopus ALL() stands for all fields"),
    "tiab": FieldSyntax("TITLE-ABS-KEY({})", TEXT_WORDS, "TITLE-ABS-KEY adds index terms (MeSH, Emtree...) to "
                        "PubMed [tiab]'s title, abstract and author keywords (broader)"),
    "ti": FieldSyntax("TITLE({})", ("title",)),
    "ab": FieldSyntax("ABS({})", ("abstract",)),
    "tw": FieldSyntax("TITLE-ABS-KEY({})", TEXT_WORDS),
    "ot": FieldSyntax("AUTHKEY({})", ("keywords",)),
    "mh": FieldSyntax("INDEXTERMS({})", ("mesh",), _HEADING),
    "mh:noexp": FieldSyntax("INDEXTERMS({})", ("mesh",), _HEADING),
    "majr": FieldSyntax("INDEXTERMS({})", ("mesh",), _HEADING + "; major topic not kept"),
    "majr:noexp": FieldSyntax("INDEXTERMS({})", ("mesh",), _HEADING + "; major topic not kept"),
    "au": FieldSyntax("AUTH({})", ("authors",)),
    "ad": FieldSyntax("AFFIL({})", ()),
    "la": FieldSyntax("LANGUAGE({})", ("language",)),
    "pt": FieldSyntax("DOCTYPE({})", ("publication_types",), "Scopus DOCTYPE takes its own codes (ar, re...)"),
    "ta": FieldSyntax("SRCTITLE({})", ("journal", "journal_abbrev")),
    "dp": FieldSyntax("PUBYEAR IS {}", ("year",)),
}

SCOPUS = Dialect(database="scopus", label="Scopus", fields=FIELDS, near=near, group_fields=True,
                 operators=("AND", "OR", "AND NOT"), truncated_phrase_joiner=" PRE/0 ", near_groups=False,
                 phrase_note="Scopus \"...\" is a loose phrase (punctuation ignored, plurals and spelling variants "
                             "found); {...} would be exact but takes no truncation")
