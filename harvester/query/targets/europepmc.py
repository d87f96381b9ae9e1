"""Europe PMC REST search (https://europepmc.org/searchsyntax , https://europepmc.org/RestfulWebService).

Fields prefix a term: ``TITLE:``, ``ABSTRACT:``, ``KW:``, ``AUTH:``; boolean operators in capitals;
``"phrases"``; ``*`` truncates a word (not inside a phrase). An unfielded term also searches full
text. Proximity is not written (no documented operator we rely on): ANDed in the same field, warned.
"""

from __future__ import annotations

from harvester.query.dialect import ALL_FIELDS, TEXT_WORDS, TITLE_ABSTRACT_KEYWORDS, Dialect, FieldSyntax

_MESH = "Europe PMC's MeSH field does not explode headings: narrower terms are not searched"

FIELDS: dict[str, FieldSyntax] = {
    "none": FieldSyntax("{}", ALL_FIELDS, "an unfielded term also searches Europe PMC's full texts (broader)"),
    "all": FieldSyntax("{}", ALL_FIELDS, "an unfielded term also searches Europe PMC's full texts (broader)"),
    "tiab": FieldSyntax("(TITLE:{} OR ABSTRACT:{} OR KW:{})", TITLE_ABSTRACT_KEYWORDS),
    "ti": FieldSyntax("TITLE:{}", ("title",)),
    "ab": FieldSyntax("ABSTRACT:{}", ("abstract",)),
    "tw": FieldSyntax("(TITLE:{} OR ABSTRACT:{} OR KW:{} OR MESH_HEADING:{})", TEXT_WORDS),
    "ot": FieldSyntax("KW:{}", ("keywords",)),
    "mh": FieldSyntax("MESH_HEADING:{}", ("mesh",), _MESH),
    "mh:noexp": FieldSyntax("MESH_HEADING:{}", ("mesh",)),
    "majr": FieldSyntax("MESH_HEADING:{}", ("mesh",), _MESH + "; major topic not kept"),
    "majr:noexp": FieldSyntax("MESH_HEADING:{}", ("mesh",), "major topic not kept"),
    "au": FieldSyntax("AUTH:{}", ("authors",)),
    "ad": FieldSyntax("AFF:{}", ()),
    "la": FieldSyntax("LANG:{}", ("language",)),
    "pt": FieldSyntax("PUB_TYPE:{}", ("publication_types",)),
    "ta": FieldSyntax("JOURNAL:{}", ("journal", "journal_abbrev")),
    "dp": FieldSyntax("PUB_YEAR:{}", ("year",)),
}

EUROPEPMC = Dialect(database="europepmc", label="Europe PMC", fields=FIELDS, phrase_truncation=False,
                    parameter="query")
