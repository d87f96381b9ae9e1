"""WHO ICTRP Search Portal export (XML): ``<Trials_downloaded_from_ICTRP>`` with one ``<Trial>`` per registered
trial, gathered from every primary register (ClinicalTrials.gov, ISRCTN, EU CTR, ANZCTR, ChiCTR, CTRI...).

A register export, not a bibliographic database's (PRISMA 2020's "Registers" line). The element table below is
data: element -> normalised field. The trial id (``TrialID``: NCT..., ISRCTN..., ACTRN...) is the record's id,
the source register (``Source_Register``) is kept with the other elements as tags. Like the EndNote XML
reader: no entities, no DTD, no network, one ``<Trial>`` at a time, a file broken half-way gives every trial
before the break.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from lxml import etree

from harvester.formats import _fields as f
from harvester.formats import _xml
from harvester.formats.base import Detection, FileFormat, Parsed, Rejected
from harvester.records import Record

#: Normalised text field -> ``<Trial>`` child elements; the first non-empty wins.
FIELDS: dict[str, tuple[str, ...]] = {
    "source_id": ("TrialID",),
    "title": ("Scientific_title", "Public_title"),
    "url": ("web_address", "Web_address"),
    "publisher": ("Primary_sponsor",),
}
#: Normalised list field -> elements whose text is split on ";" (ICTRP joins several values with it).
LIST_FIELDS: dict[str, tuple[str, ...]] = {
    "keywords": ("Condition", "Intervention"),
    "publication_types": ("Study_type",),
}
#: Where the year comes from: registration date ("12/03/2019" or "2019-03-12"), else the last refresh.
YEAR_FROM: tuple[str, ...] = ("Date_registration", "Date_registration3", "Date_enrollement")
DATABASE = "WHO ICTRP"


def sniff(text: str) -> Detection | None:
    head = _xml.DECLARATION.sub("", text[:4000], count=1).lstrip()
    if head.startswith("<Trials_downloaded_from_ICTRP") or (head.startswith("<Trials") and "<TrialID>" in head):
        return Detection("ictrp-xml", 0.95, DATABASE, "XML root <Trials_downloaded_from_ICTRP> (WHO ICTRP export)")
    return None


def read(text: str, path: str, database: str | None) -> Parsed:
    """Every ``<Trial>`` of an ICTRP export, in order."""
    name = database or DATABASE
    records, rejected = _xml.read_elements(text, path, "Trial",
                                           lambda element, position: trial_record(element, name, position),
                                           missing=_MISSING)
    return Parsed(path=path, format="ictrp-xml", database=name, records=tuple(records), rejected=tuple(rejected))


_MISSING = "the trial has no TrialID and no title"


def stream(pieces: Iterable[str], path: str, database: str | None,
           warnings: list[str] | None = None) -> Iterator[Record | Rejected]:
    """The block reader: the trials of a text arriving in pieces, one at a time, as :func:`read` gives them."""
    name = database or DATABASE
    return _xml.iter_elements(pieces, path, "Trial", lambda element, position: trial_record(element, name, position),
                              missing=_MISSING)


def trial_record(element: Any, database: str, position: int) -> Record:
    raw = etree.tostring(element, encoding="unicode", with_tail=False)
    texts = {child.tag: f.clean("".join(child.itertext())) for child in element if isinstance(child.tag, str)}
    values: dict[str, Any] = {field: f.first(texts.get(name, "") for name in names)
                              for field, names in FIELDS.items()}
    for field, names in LIST_FIELDS.items():
        values[field] = f.unique(part.strip() for name in names for part in texts.get(name, "").split(";")
                                 if part.strip())
    year = next((y for name in YEAR_FROM if (y := f.year_of(texts.get(name, ""))) is not None), None)
    return Record(**values, year=year, database=database, raw=raw, position=position,
                  line=element.sourceline or 0, tags=tuple((tag, value) for tag, value in texts.items() if value))


FORMAT = FileFormat(
    name="ictrp-xml",
    description="WHO ICTRP Search Portal export (XML: <Trials_downloaded_from_ICTRP><Trial>)",
    sniff=sniff,
    read=read,
    aliases=("ictrp",),
    extensions=(".xml",),
    stream=stream,
)
