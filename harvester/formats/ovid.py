"""Ovid's plain-text displays: the labelled display and the tagged (``VN  - Ovid Technologies``) display.

Both start each record with its number in angle brackets (``<8>``, ``<3001. >``). In the labelled
display a label stands alone on its line (``Accession Number``) and its value follows, indented by
two spaces, possibly on several lines; in the tagged display each line is ``TAG - value`` with values
wrapping onto lines indented by six spaces. Labels and tags map to fields through the tables below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from harvester.formats import _fields as f
from harvester.formats import _tagged
from harvester.formats.base import Detection, FileFormat, Parsed, Rejected
from harvester.records import Record

#: Normalised field -> labels (labelled display) and tags (tagged display), most trusted first.
FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "title": ("Title", "TI", "Book Title", "Chapter Title"),
    "abstract": ("Abstract", "AB"),
    "authors": ("Author", "Authors", "Authors Full Name", "AU", "FA"),
    "year": ("Year of Publication", "Publication Year", "YR", "Date of Publication", "Source", "SO", "Status"),
    "journal": ("Journal Name", "Journal Title", "JN", "JT", "Source", "SO"),
    "journal_abbrev": ("Journal Abbreviation", "JA", "TA"),
    "issn": ("ISSN", "International Standard Serial Number", "IS", "ISSN Electronic", "ISSN Print"),
    "volume": ("Volume", "VO"),
    "issue": ("Issue", "Issue/Part", "IP"),
    "pages": ("Pages", "Page", "PG"),
    "doi": ("DOI Number", "Digital Object Identifier", "DOI", "DO"),
    "pmid": ("PubMed ID", "PMID", "Unique Identifier (PubMed)"),
    "language": ("Language", "LG", "LA"),
    "publication_types": ("Publication Type", "Document Type", "PT", "DT"),
    "keywords": ("Author Keywords", "Keyword Heading", "Keywords", "KW", "Identifiers", "ID"),
    "mesh": ("MeSH Subject Headings", "Subject Headings", "MH", "Emtree Heading"),
    "url": ("Link to the Ovid Full Text or citation", "URL", "UR", "XL"),
    "publisher": ("Publisher", "PB", "PU"),
    "source_id": ("Accession Number", "Unique Identifier", "AN", "UI"),
    "database": ("Database", "DB"),
}

#: Labels whose ``;`` separated value is a list.
LIST_LABELS = frozenset({"Author", "Authors", "Author Keywords", "Keyword Heading", "Keywords",
                         "MeSH Subject Headings", "Subject Headings", "Emtree Heading", "Publication Type"})

_RECORD_START = re.compile(r"^<\s*(\d+)\.?\s*>\s*$")
_TAG = re.compile(r"^([A-Z][A-Z0-9]{1,3})\s*- (.*)$")
_SOURCE = re.compile(r"^(?P<journal>.+?)\.\s+(?:(?P<volume>[\w-]+)(?:\((?P<issue>[^)]+)\))?:(?P<pages>[\w-]+))?")
_TYPE_SUFFIX = re.compile(r"\s*\[[^\]]*\]\s*$")
_FOOTNOTE = re.compile(r"(\s+[\d*+,]+)+$")
_DEGREES = re.compile(r"(,?\s+(MD|PhD|RN|MSc|MS|BSc|MPH|MA|BA|DPhil|DrPH|FRCP|MBBS))+\s*$")


def _split(line: str) -> tuple[str, str] | None:
    """A tagged-display line (``TI  - value``), or a labelled-display label standing alone (``Title``)."""
    if not line.strip() or line[:1].isspace():
        return None
    match = _TAG.match(line)
    return (match.group(1), match.group(2).strip()) if match else (line.strip(), "")


SYNTAX = _tagged.Syntax(name="Ovid label", split=_split, continues=lambda line: line[:1].isspace(),
                        blank_breaks_items=True)


def iter_records(lines: Iterable[str], path: str, database: str | None,
                 warnings: list[str] | None = None) -> Iterator[Record | Rejected]:
    """Records each opened by its number in angle brackets; labels or tags, and their indented values."""
    for position, block in enumerate(_tagged.opened_by(lines, _RECORD_START), start=1):
        tags, problem = _tagged.tags_of(block.lines[1:], block.line + 1, SYNTAX)
        if problem is not None:
            yield _tagged.rejected(block, position, path, "a value comes before any label")
        elif not tags:
            yield _tagged.rejected(block, position, path, "is empty (a record number and nothing else: cut off?)")
        else:
            yield to_record(tuple(tags), database=database, position=position, line=block.line,
                            raw="\n".join(block.lines))


def to_record(tags: tuple[tuple[str, str], ...], *, database: str | None, position: int = 0, line: int = 0,
              raw: str = "") -> Record:
    fields = _tagged.TagValues(tags, FIELD_LABELS)
    values = fields.by_tag
    all_of = fields.all

    def first_label(field: str) -> tuple[str, str]:
        for label in FIELD_LABELS[field]:
            for value in values.get(label, ()):
                if f.clean(value):
                    return label, f.clean(value)
        return "", ""

    def listed(field: str) -> tuple[str, ...]:
        out: list[str] = []
        for label in FIELD_LABELS[field]:
            for value in values.get(label, ()):
                parts = value.split(";") if label in LIST_LABELS or ";" in value else [value]
                out.extend(f.clean(p).rstrip(".") for p in parts)
        return f.unique(out)

    source = f.first(values.get("Source", []) + values.get("SO", []))
    parsed = _SOURCE.match(source) if source else None
    label, journal = first_label("journal")
    if label in ("Source", "SO"):
        journal = parsed.group("journal").strip() if parsed else journal
    authors = []
    for label in FIELD_LABELS["authors"]:
        for value in values.get(label, ()):
            for name in value.split(";") if ";" in value or label in LIST_LABELS else [value]:
                cleaned = _DEGREES.sub("", _FOOTNOTE.sub("", name.strip())).strip()
                if cleaned:
                    authors.append(f.author(cleaned))
        if authors:
            break
    title = _TYPE_SUFFIX.sub("", f.first(all_of("title")))
    pmid = f.first(all_of("pmid"))
    own_database = f.first(all_of("database"))
    return Record(
        title=title,
        abstract=f.first(all_of("abstract")),
        authors=f.unique(authors),
        year=fields.year(),
        journal=journal.rstrip("."),
        journal_abbrev=f.first(all_of("journal_abbrev")),
        issn=f.issns(all_of("issn")),
        volume=f.first(all_of("volume")) or (parsed.group("volume") or "" if parsed else ""),
        issue=f.first(all_of("issue")) or (parsed.group("issue") or "" if parsed else ""),
        pages=f.pages(f.first(all_of("pages")) or (parsed.group("pages") or "" if parsed else "")),
        doi=fields.doi(),
        pmid=pmid if pmid.isdigit() else "",
        language=f.unique(f.clean(v).rstrip(".") for v in all_of("language")),
        publication_types=f.unique(_TYPE_SUFFIX.sub("", f.clean(v)).rstrip(".") for v in all_of("publication_types")),
        keywords=listed("keywords"),
        mesh=listed("mesh"),
        url=f.first(all_of("url")).split()[0] if f.first(all_of("url")) else "",
        publisher=f.first(all_of("publisher")),
        database=database or own_database or "Ovid",
        source_id=f.first(all_of("source_id")).rstrip("."),
        raw=raw,
        tags=tags,
        position=position,
        line=line,
    )


def read(text: str, path: str, database: str | None) -> Parsed:
    return _tagged.read_records(text, path, database, records=iter_records, sniff=sniff, format_name=FORMAT.name,
                                label="Ovid", missing="no '<1>' record number line", default_database="Ovid")


def sniff(text: str) -> Detection | None:
    """Ovid if the first non-blank line is a record number in angle brackets (``<1>``, ``<3001. >``)."""
    lines = [line for line in text[:5000].split("\n") if line.strip()]
    if not lines or not _RECORD_START.match(lines[0]):
        return None
    tagged = any(_TAG.match(line) for line in lines[1:10])
    database = None
    for line in lines[1:60]:
        match = _TAG.match(line)
        if match and match.group(1) == "DB":
            database = match.group(2).strip()
            break
    kind = "tagged" if tagged else "labelled"
    return Detection("ovid", 0.9, database, f"Ovid {kind} display: record number {lines[0].strip()!r} on line 1",
                     opens=True)


FORMAT = FileFormat(
    name="ovid",
    description="Ovid labelled or tagged plain-text display (records numbered <1>, <2> ...)",
    sniff=sniff,
    read=read,
    aliases=("ovid-text", "plaintext_labelled", "ovid-labelled"),
    extensions=(".txt", ".ovd", ".cgi"),
    stream=_tagged.streamer(iter_records),
)
