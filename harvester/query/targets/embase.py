"""Embase.com (Elsevier; https://service.elsevier.com/app/answers/list/p/10847/ , Embase search help).

Phrases in single quotes; ``*`` truncates; ``NEAR/n`` any order and ``NEXT/n`` in order, counted like
Ovid's ``adjN``: ``NEAR/1`` is next to each other, so n-1 words between (librarians' guides list Ovid
and Embase as the two that do not count n as the words between); ``:ti,ab,kw`` title, abstract and
author keywords; ``'x'/exp`` explodes an Emtree term, ``'x'/de`` does not, ``/mj`` major.
"""

from __future__ import annotations

from harvester.query.dialect import ALL_FIELDS, TEXT_WORDS, TITLE_ABSTRACT_KEYWORDS, Dialect, FieldSyntax, QueryWarning

_EMTREE = "MeSH heading kept as written: check it against Emtree (controlled vocabulary is not mapped)"


def near(operands: list[str], distance: int, ordered: bool) -> tuple[str | None, list[QueryWarning]]:
    return f" {'NEXT' if ordered else 'NEAR'}/{distance + 1} ".join(operands), []


FIELDS: dict[str, FieldSyntax] = {
    "none": FieldSyntax("{}", ALL_FIELDS, "an unfielded term is searched in Embase.com's default fields"),
    "all": FieldSyntax("{}", ALL_FIELDS, "an unfielded term is searched in Embase.com's default fields"),
    "tiab": FieldSyntax("{}:ti,ab,kw", TITLE_ABSTRACT_KEYWORDS),
    "ti": FieldSyntax("{}:ti", ("title",)),
    "ab": FieldSyntax("{}:ab", ("abstract",)),
    "tw": FieldSyntax("{}:ti,ab,kw,de", TEXT_WORDS,
                      "Embase.com :ti,ab,kw,de (with index terms) stands for PubMed [tw]"),
    "ot": FieldSyntax("{}:kw", ("keywords",)),
    "mh": FieldSyntax("'{}'/exp", ("mesh",), _EMTREE, raw=True),
    "mh:noexp": FieldSyntax("'{}'/de", ("mesh",), _EMTREE, raw=True),
    "majr": FieldSyntax("'{}'/exp/mj", ("mesh",), _EMTREE, raw=True),
    "majr:noexp": FieldSyntax("'{}'/mj", ("mesh",), _EMTREE, raw=True),
    "au": FieldSyntax("{}:au", ("authors",)),
    "la": FieldSyntax("{}:la", ("language",)),
    "pt": FieldSyntax("{}:it", ("publication_types",), "Embase.com item types (:it) differ from PubMed's "
                      "publication types"),
    "ta": FieldSyntax("{}:jt", ("journal", "journal_abbrev")),
    "dp": FieldSyntax("{}:py", ("year",)),
}

EMBASE = Dialect(database="embase", label="Embase.com", fields=FIELDS, near=near, quote="'", group_fields=True)
