"""EndNote XML (``<xml><records><record>``), as EndNote, Zotero, Mendeley and Bookends write it.

The element table below is data: record element path -> normalised field. Text is read with
``itertext`` because values are wrapped in ``<style face=... font=... size=...>`` (sometimes several
per value). Files may be one single line (EndNote 20), so a record's ``line`` is where its ``<record>``
starts, and ``raw`` is the record's XML as written.

The parser never resolves entities, never loads a DTD, never touches the network, and refuses a file
that declares entities at all (no real EndNote export does; an entity-expansion bomb does). Records
are read one at a time (``iterparse``) so a large library stays flat in memory and a file truncated
in its last record still gives every complete record before it, the broken one rejected with its line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any

from lxml import etree

from harvester.formats import _fields as f
from harvester.formats import _xml
from harvester.formats.base import Detection, FileFormat, Parsed, Rejected
from harvester.records import Record

#: Normalised text field -> element paths inside ``<record>``; the first non-empty wins.
FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("titles/title",),
    "abstract": ("abstract",),
    "year": ("dates/year", "dates/pub-dates/date"),
    "journal": ("periodical/full-title", "titles/secondary-title", "alt-periodical/full-title"),
    "journal_abbrev": ("periodical/abbr-1", "titles/alt-title", "alt-periodical/abbr-1"),
    "volume": ("volume",),
    "issue": ("number", "issue"),
    "pages": ("pages",),
    "doi": ("electronic-resource-num",),
    "url": ("urls/related-urls/url", "urls/web-urls/url"),
    "publisher": ("publisher",),
    "source_id": ("accession-num",),
}
#: Normalised list field -> element paths; every element found contributes a value.
LIST_FIELDS: dict[str, tuple[str, ...]] = {
    "authors": ("contributors/authors/author",),
    "keywords": ("keywords/keyword",),
    "language": ("language",),
    "issn": ("isbn",),
}
#: ``remote-database-provider`` / ``remote-database-name`` values that make ``accession-num`` a PMID.
PUBMED_PROVIDERS: tuple[str, ...] = ("nlm", "pubmed", "medline")

_DECLARATION = _xml.DECLARATION


def sniff(text: str) -> Detection | None:
    head = _DECLARATION.sub("", text[:4000], count=1).lstrip()
    if not head.startswith("<xml") or "<records" not in head[:200] and "<record" not in head[:4000]:
        return None
    app = re.search(r'<source-app[^>]*name="([^"]+)"', text[:4000])
    database = app.group(1) if app else None
    return Detection("endnote-xml", 0.95, database,
                     "EndNote XML (<xml><records><record>)" + (f" written by {database}" if database else ""),
                     opens=True)


def read(text: str, path: str, database: str | None) -> Parsed:
    """Every ``<record>`` of an EndNote XML file, in order."""
    file_database = _file_database(text, database)
    warnings: list[str] = []
    records, rejected = _xml.read_elements(text, path, "record",
                                           lambda element, position: element_record(element, file_database, position),
                                           missing=_MISSING, warnings=warnings, check=run_together)
    return Parsed(path=path, format="endnote-xml", database=file_database, records=tuple(records),
                  rejected=tuple(rejected), warnings=tuple(warnings))


#: Children a ``<record>`` holds once (a record has one number, type, title group, date group, volume and page
#: range; none is repeated in the 1,413 corpus records). Two in one record are two records run together, a
#: ``</record><record>`` between them lost (fuzz seed 8: 3 records read as 2, in silence).
ONCE = ("rec-number", "ref-type", "titles", "dates", "volume", "pages")


def run_together(element: Any, position: int) -> str | None:
    """A warning when a record holds two of a child it holds once."""
    found = [child.tag for child in element if isinstance(child.tag, str)]
    twice = next((tag for tag in ONCE if found.count(tag) > 1), None)
    return (f"holds two <{twice}> elements: two records run together (a </record><record> lost)? read as one"
            if twice else None)


_MISSING = "the record has no title, DOI or accession number"


def _file_database(text: str, database: str | None) -> str:
    """The database named by the user, else the application that wrote the file (in its first 4,000 characters)."""
    app = re.search(r'<source-app[^>]*name="([^"]+)"', text[:4000])
    return database or (app.group(1) if app else "EndNote")


def stream(pieces: Iterable[str], path: str, database: str | None,
           warnings: list[str] | None = None) -> Iterator[Record | Rejected]:
    """The block reader: the records of a text arriving in pieces, one at a time, as :func:`read` gives them."""
    head, rest = _xml.head_of(pieces, 4000)
    file_database = _file_database(head, database)
    return _xml.iter_elements(chain([head], rest), path, "record",
                              lambda element, position: element_record(element, file_database, position),
                              missing=_MISSING, warnings=warnings, check=run_together)


def _text(element: Any) -> str:
    return f.clean("".join(element.itertext()))


def element_record(element: Any, database: str, position: int) -> Record:
    """One ``<record>`` element as a record."""
    raw = etree.tostring(element, encoding="unicode", with_tail=False)
    tags: list[tuple[str, str]] = []
    for child in element:
        if not isinstance(child.tag, str):
            continue
        _collect(child, child.tag, tags)

    def first(paths: tuple[str, ...]) -> str:
        for path in paths:
            for found in element.findall(path):
                value = _text(found)
                if value:
                    return value
        return ""

    def every(paths: tuple[str, ...]) -> list[str]:
        values: list[str] = []
        for path in paths:
            values.extend(v for v in (_text(found) for found in element.findall(path)) if v and v not in values)
        return values

    values = {name: first(paths) for name, paths in FIELDS.items()}
    lists = {name: every(paths) for name, paths in LIST_FIELDS.items()}
    ref_type = element.find("ref-type")
    types = [ref_type.get("name")] if ref_type is not None and ref_type.get("name") else []
    provider = " ".join(_text(e) for e in element.findall("remote-database-provider")
                        + element.findall("remote-database-name")).lower()
    accession = values["source_id"]
    pmid = ""
    if accession.isdigit() and any(p in provider for p in PUBMED_PROVIDERS):
        pmid = accession
    if not accession:
        accession = first(("rec-number",))
    return Record(
        title=f.strip_markup(values["title"]),
        abstract=f.strip_markup(values["abstract"]),
        authors=tuple(f.author(a, "surname-initials") for a in lists["authors"]),
        year=f.year_of(values["year"]),
        journal=values["journal"],
        journal_abbrev=values["journal_abbrev"],
        issn=f.issns(lists["issn"]),
        volume=values["volume"],
        issue=values["issue"],
        pages=f.pages(values["pages"]),
        doi=f.find_doi(values["doi"]),
        pmid=f.pmid_of(pmid) if pmid else "",
        language=tuple(lists["language"]),
        publication_types=tuple(types),
        keywords=tuple(lists["keywords"]),
        url=values["url"],
        publisher=values["publisher"],
        database=database,
        source_id=accession,
        raw=raw,
        tags=tuple(tags),
        position=position,
        line=element.sourceline or 0,
    )


def _collect(element: Any, path: str, tags: list[tuple[str, str]]) -> None:
    """Every leaf value under ``element`` as ``(path, text)``; ``<style>`` wrappers count as text."""
    for name, value in sorted(element.attrib.items()):
        tags.append((f"{path}@{name}", value))
    children = [c for c in element if isinstance(c.tag, str) and c.tag != "style"]
    if not children:
        text = _text(element)
        if text:
            tags.append((path, text))
        return
    for child in children:
        _collect(child, f"{path}/{child.tag}", tags)


FORMAT = FileFormat(
    name="endnote-xml",
    description="EndNote XML (EndNote, Zotero, Mendeley, Bookends: <xml><records><record>)",
    sniff=sniff,
    read=read,
    aliases=("endnote_xml", "enl-xml"),
    extensions=(".xml",),
    stream=stream,
)
