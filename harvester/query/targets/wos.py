"""Web of Science Core Collection (search rules and field tags, https://webofscience.help.clarivate.com/).

``TS=`` searches title, abstract, author keywords and Keywords Plus; ``*`` truncates; ``NEAR/n``
finds words within n words in any order, n at most 15 (``NEAR`` alone is 15). Unquoted words are
lemmatised. The Core Collection has no controlled vocabulary.
"""

from __future__ import annotations

from harvester.query.dialect import ALL_FIELDS, TEXT_WORDS, Dialect, FieldSyntax, QueryWarning

MAX_NEAR = 15
_HEADING = "Web of Science has no MeSH: the heading is searched as words in TS= (title, abstract, keywords)"


def near(operands: list[str], distance: int, ordered: bool) -> tuple[str | None, list[QueryWarning]]:
    if distance > MAX_NEAR:
        return None, [QueryWarning("proximity-over-limit", f"Web of Science NEAR/n allows n up to {MAX_NEAR}, "
                                   f"not {distance}")]
    notes = []
    if ordered:
        notes.append(QueryWarning("proximity-order-dropped", "Web of Science NEAR/n is in any order: the required "
                                  "word order is not kept (broader)"))
    return f" NEAR/{distance} ".join(operands), notes


FIELDS: dict[str, FieldSyntax] = {
    "none": FieldSyntax("ALL=({})", ALL_FIELDS, "an unfielded term is searched in ALL=, not PubMed's all fields"),
    "all": FieldSyntax("ALL=({})", ALL_FIELDS, "Web of Science ALL= stands for all fields"),
    "tiab": FieldSyntax("TS=({})", TEXT_WORDS, "TS= adds Keywords Plus to PubMed [tiab]'s title, abstract and "
                        "author keywords (broader)"),
    "ti": FieldSyntax("TI=({})", ("title",)),
    "ab": FieldSyntax("AB=({})", ("abstract",)),
    "tw": FieldSyntax("TS=({})", TEXT_WORDS, "TS= stands for PubMed [tw]"),
    "ot": FieldSyntax("AK=({})", ("keywords",)),
    "mh": FieldSyntax("TS=({})", TEXT_WORDS, _HEADING),
    "mh:noexp": FieldSyntax("TS=({})", TEXT_WORDS, _HEADING),
    "majr": FieldSyntax("TS=({})", TEXT_WORDS, _HEADING),
    "majr:noexp": FieldSyntax("TS=({})", TEXT_WORDS, _HEADING),
    "au": FieldSyntax("AU=({})", ("authors",)),
    "ad": FieldSyntax("AD=({})", ()),
    "la": FieldSyntax("LA=({})", ("language",)),
    "pt": FieldSyntax("DT=({})", ("publication_types",), "Web of Science document types (DT=) differ from PubMed's "
                      "publication types"),
    "ta": FieldSyntax("SO=({})", ("journal", "journal_abbrev")),
    "dp": FieldSyntax("PY=({})", ("year",)),
}

WOS = Dialect(database="wos", label="Web of Science", fields=FIELDS, near=near, group_fields=True,
              unquoted_note="Web of Science lemmatises unquoted words (finds plural and spelling variants); quote a "
                            "word to search it as written")
