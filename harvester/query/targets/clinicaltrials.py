"""ClinicalTrials.gov API v2, ``query.term`` in Essie syntax (https://clinicaltrials.gov/find-studies/constructing-complex-search-queries).

AND/OR/NOT, quotes, brackets, ``AREA[Field]term``. A registry record has no abstract: an unfielded
term searches the BasicSearch area (titles, conditions, interventions, summary, keywords...). Essie
expands terms to synonyms and lexical variants by default; there is no truncation or proximity.
"""

from __future__ import annotations

from harvester.query.dialect import ALL_FIELDS, TEXT_WORDS, Dialect, FieldSyntax, QueryWarning

_BASIC = ("searched in the BasicSearch area (titles, conditions, interventions, brief summary, keywords): a "
          "registry record has no abstract")

FIELDS: dict[str, FieldSyntax] = {
    "none": FieldSyntax("{}", ALL_FIELDS, _BASIC),
    "all": FieldSyntax("{}", ALL_FIELDS, _BASIC),
    "tiab": FieldSyntax("{}", TEXT_WORDS, _BASIC),
    "tw": FieldSyntax("{}", TEXT_WORDS, _BASIC),
    "ti": FieldSyntax("(AREA[BriefTitle]{} OR AREA[OfficialTitle]{})", ("title",)),
    "ab": FieldSyntax("AREA[BriefSummary]{}", ("abstract",), "the brief summary stands for the abstract"),
    "ot": FieldSyntax("AREA[Keyword]{}", ("keywords",)),
    "mh": FieldSyntax("(AREA[ConditionMeshTerm]{} OR AREA[InterventionMeshTerm]{})", ("mesh",),
                      "MeSH heading searched in the condition and intervention MeSH terms the registry assigns"),
}
FIELDS["mh:noexp"] = FIELDS["majr"] = FIELDS["majr:noexp"] = FIELDS["mh"]

CLINICALTRIALS = Dialect(
    database="clinicaltrials", label="ClinicalTrials.gov", fields=FIELDS, truncation=None, parameter="query.term",
    notes=(QueryWarning("synonym-expansion", "ClinicalTrials.gov expands each term to synonyms and lexical variants "
                        "by default (Essie); prefix a term with EXPANSION[None] to search it as written"),),
)
