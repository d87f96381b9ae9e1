"""Ovid's plain-text displays: the labelled display and the tagged (``VN  - Ovid Technologies``) display.

Both start each record with its number in angle brackets (``<8>``, ``<3001. >``). In the labelled
display a label stands alone on its line (``Accession Number``) and its value follows, indented by
two spaces, possibly on several lines; in the tagged display each line is ``TAG - value`` with values
wrapping onto lines indented by six spaces. Labels and tags map to fields through the tables below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from harvester.errors import FormatError
from harvester.formats import _fields as f
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


def iter_records(lines: Iterable[str], path: str, database: str | None,
                 warnings: list[str] | None = None) -> Iterator[Record | Rejected]:
    position = 0
    block: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if _RECORD_START.match(line):
            if block:
                position += 1
                yield _record(block, start, position, path, database)
            block, start = [line], number
            continue
        if block:
            block.append(line)
    if block:
        position += 1
        yield _record(block, start, position, path, database)


def _record(block: list[str], start: int, position: int, path: str, database: str | None) -> Record | Rejected:
    while block and not block[-1].strip():
        block = block[:-1]
    raw = "\n".join(block)
    tags: list[list[str]] = []
    for line in block[1:]:
        if not line.strip():
            if tags and tags[-1][1]:
                tags[-1][1] += "\n"  # a blank line inside a value (References) separates items
            continue
        match = _TAG.match(line)
        if line[:1].isspace():
            if not tags:
                return Rejected(position, start, f"{path}:{start}: record {position}: a value comes before any "
                                                 "label", raw)
            tags[-1][1] = f"{tags[-1][1]} {line.strip()}".strip() if not tags[-1][1].endswith("\n") \
                else f"{tags[-1][1]}{line.strip()}"
        elif match:
            tags.append([match.group(1), match.group(2).strip()])
        else:
            tags.append([line.strip(), ""])
    if not tags:
        return Rejected(position, start, f"{path}:{start}: record {position} is empty (a record number and "
                                         "nothing else: cut off?)", raw)
    return to_record(tuple((t, v.strip()) for t, v in tags), database=database, position=position, line=start,
                     raw=raw)


def to_record(tags: tuple[tuple[str, str], ...], *, database: str | None, position: int = 0, line: int = 0,
              raw: str = "") -> Record:
    values: dict[str, list[str]] = {}
    for tag, value in tags:
        if value:
            values.setdefault(tag, []).append(value)

    def all_of(field: str) -> list[str]:
        return [v for label in FIELD_LABELS[field] for v in values.get(label, ())]

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
    year = None
    for value in all_of("year"):
        year = f.year_of(value)
        if year:
            break
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
        year=year,
        journal=journal.rstrip("."),
        journal_abbrev=f.first(all_of("journal_abbrev")),
        issn=f.issns(all_of("issn")),
        volume=f.first(all_of("volume")) or (parsed.group("volume") or "" if parsed else ""),
        issue=f.first(all_of("issue")) or (parsed.group("issue") or "" if parsed else ""),
        pages=f.first(all_of("pages")) or (parsed.group("pages") or "" if parsed else ""),
        doi=next((d for d in (f.find_doi(v) for v in all_of("doi")) if d), ""),
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
    records: list[Record] = []
    rejected: list[Rejected] = []
    for item in iter_records(text.split("\n"), path, database):
        if isinstance(item, Record):
            records.append(item)
        else:
            rejected.append(item)
    if not records and sniff(text) is None:
        first = rejected[0].reason if rejected else "no record"
        raise FormatError(path, f"does not look like Ovid (named with --format?): {first}")
    if not records and not rejected:
        raise FormatError(path, "no Ovid record found (no '<1>' record number line)")
    return Parsed(path=path, format=FORMAT.name, database=database or "Ovid", records=tuple(records),
                  rejected=tuple(rejected))


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
    return Detection("ovid", 0.9, database, f"Ovid {kind} display: record number {lines[0].strip()!r} on line 1")


FORMAT = FileFormat(
    name="ovid",
    description="Ovid labelled or tagged plain-text display (records numbered <1>, <2> ...)",
    sniff=sniff,
    read=read,
    aliases=("ovid-text", "plaintext_labelled", "ovid-labelled"),
    extensions=(".txt", ".ovd", ".cgi"),
)
