"""EBSCOhost, for CINAHL (EBSCO Connect: searching with field codes, proximity, wildcards and truncation).

Field codes come first: ``TI x``, ``AB x``; ``*`` truncates; ``Nn`` finds words within n words in
any order, ``Wn`` in the order typed; ``(MH "X+")`` explodes a CINAHL heading, ``(MH "X")`` does
not, ``MM`` is a major heading.
"""

from __future__ import annotations

from harvester.query.dialect import ALL_FIELDS, TEXT_WORDS, TITLE_ABSTRACT, Dialect, FieldSyntax, QueryWarning

_CINAHL = "MeSH heading kept as written: check it against CINAHL Subject Headings (not mapped)"


def near(operands: list[str], distance: int, ordered: bool) -> tuple[str | None, list[QueryWarning]]:
    return f" {'W' if ordered else 'N'}{distance} ".join(operands), []


FIELDS: dict[str, FieldSyntax] = {
    "none": FieldSyntax("{}", ALL_FIELDS, "an unfielded term is searched in EBSCOhost's default fields"),
    "all": FieldSyntax("TX {}", ALL_FIELDS, "EBSCOhost TX (all text) stands for all fields"),
    "tiab": FieldSyntax("(TI {} OR AB {})", TITLE_ABSTRACT, "TI and AB do not search author keywords, which "
                        "PubMed [tiab] does"),
    "ti": FieldSyntax("TI {}", ("title",)),
    "ab": FieldSyntax("AB {}", ("abstract",)),
    "tw": FieldSyntax("TX {}", TEXT_WORDS, "EBSCOhost TX (all text) stands for PubMed [tw]"),
    "ot": FieldSyntax("KW {}", ("keywords",)),
    "mh": FieldSyntax('(MH "{}+")', ("mesh",), _CINAHL, raw=True),
    "mh:noexp": FieldSyntax('(MH "{}")', ("mesh",), _CINAHL, raw=True),
    "majr": FieldSyntax('(MM "{}+")', ("mesh",), _CINAHL, raw=True),
    "majr:noexp": FieldSyntax('(MM "{}")', ("mesh",), _CINAHL, raw=True),
    "au": FieldSyntax("AU {}", ("authors",)),
    "ad": FieldSyntax("AF {}", ()),
    "la": FieldSyntax("LA {}", ("language",)),
    "pt": FieldSyntax("PT {}", ("publication_types",)),
    "ta": FieldSyntax("SO {}", ("journal", "journal_abbrev"), "EBSCOhost SO (source) stands for the journal title"),
    "dp": FieldSyntax("PY {}", ("year",)),
}

CINAHL = Dialect(database="cinahl", label="CINAHL (EBSCOhost)", fields=FIELDS, near=near, group_fields=True)
