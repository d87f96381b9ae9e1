"""Ovid: MEDLINE, Embase and APA PsycInfo (Ovid Syntax Guide, https://ospguides.ovid.com/).

A multi-word term is a phrase without quotes (quotes only when it holds an operator word); ``*``
(or ``$``) truncates without limit. ``adjN`` finds the words within N-1 words of each other in any
order (``adj1``: next to each other), so PubMed ``~2`` is ``adj3``. Headings: ``exp X/`` explodes,
``X/`` does not, ``*X/`` is a major heading. Fields are suffixes: ``.ti,ab,kf.``.
"""

from __future__ import annotations

from harvester.query.dialect import (
    ALL_FIELDS,
    TEXT_WORDS,
    TITLE_ABSTRACT,
    TITLE_ABSTRACT_KEYWORDS,
    Dialect,
    FieldSyntax,
    QueryWarning,
)


def near(operands: list[str], distance: int, ordered: bool) -> tuple[str | None, list[QueryWarning]]:
    notes = []
    if ordered and distance > 0:
        notes.append(QueryWarning("proximity-order-dropped", "Ovid adjN is in any order: the required word order "
                                  "is not kept (broader)"))
    return f" adj{distance + 1} ".join(operands), notes


def _fields(keywords: str, vocabulary: str) -> dict[str, FieldSyntax]:
    heading_note = "" if vocabulary == "MeSH" else (
        f"MeSH heading kept as written: check it against {vocabulary} (controlled vocabulary is not mapped)")
    return {
        "none": FieldSyntax("{}.mp.", ALL_FIELDS, "an unfielded term is searched in Ovid's multi-purpose fields "
                            "(.mp.), not PubMed's all fields"),
        "all": FieldSyntax("{}.mp.", ALL_FIELDS, "Ovid .mp. (multi-purpose fields) stands for all fields"),
        "tiab": FieldSyntax(f"{{}}.ti,ab,{keywords}.", TITLE_ABSTRACT_KEYWORDS),
        "ti": FieldSyntax("{}.ti.", ("title",)),
        "ab": FieldSyntax("{}.ab.", ("abstract",)),
        "tw": FieldSyntax("{}.mp.", TEXT_WORDS, "Ovid .mp. (multi-purpose: title, abstract, headings, keywords "
                          "and more) stands for PubMed [tw]"),
        "ot": FieldSyntax(f"{{}}.{keywords}.", ("keywords",)),
        "mh": FieldSyntax("exp {}/", ("mesh",), heading_note, raw=True),
        "mh:noexp": FieldSyntax("{}/", ("mesh",), heading_note, raw=True),
        "majr": FieldSyntax("exp *{}/", ("mesh",), heading_note, raw=True),
        "majr:noexp": FieldSyntax("*{}/", ("mesh",), heading_note, raw=True),
        "au": FieldSyntax("{}.au.", ("authors",)),
        "ad": FieldSyntax("{}.in.", ()),
        "la": FieldSyntax("{}.lg.", ("language",)),
        "pt": FieldSyntax("{}.pt.", ("publication_types",)),
        "ta": FieldSyntax("{}.jn.", ("journal", "journal_abbrev")),
        "dp": FieldSyntax("{}.yr.", ("year",)),
    }


def _dialect(database: str, label: str, keywords: str, vocabulary: str) -> Dialect:
    return Dialect(database=database, label=label, fields=_fields(keywords, vocabulary), near=near,
                   operators=("and", "or", "not"), quote_only_when_needed=True, group_fields=True)


OVID_MEDLINE = _dialect("ovid-medline", "Ovid MEDLINE", "kf", "MeSH")
OVID_EMBASE = _dialect("ovid-embase", "Ovid Embase", "kf", "Emtree")  # .kf since September 2021, as MEDLINE
PSYCINFO = _dialect("psycinfo", "Ovid APA PsycInfo", "id", "the APA Thesaurus of Psychological Index Terms")

__all__ = ["OVID_EMBASE", "OVID_MEDLINE", "PSYCINFO", "TITLE_ABSTRACT"]
