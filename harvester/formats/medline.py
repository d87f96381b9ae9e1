"""MEDLINE / PubMed ``.nbib`` (``PMID- 12345``) and ERIC's nbib, read with line numbers.

A tag is four characters padded with spaces, then ``- ``; a value that wraps continues on lines indented
by six spaces; records are separated by blank lines. ``Bio.Medline`` parses the same syntax but keeps
neither a record's raw text nor its line numbers, which the ledger needs to point an auditor back into
the file, so this small reader is our own. ERIC writes the same syntax with no ``PMID`` (its id is
``OID``) and ``OWN - ERIC`` first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from harvester.errors import FormatError
from harvester.formats import _fields as f
from harvester.formats.base import Detection, FileFormat, Parsed, Rejected
from harvester.records import Record

#: Normalised field -> MEDLINE tags, most trusted first.
FIELD_TAGS: dict[str, tuple[str, ...]] = {
    "title": ("TI", "BTI", "CTI", "TT"),
    "abstract": ("AB", "OAB"),
    "authors": ("FAU", "AU"),  # FAU "Neilen, Amanda D" preferred to AU "Neilen AD"
    "collective": ("CN",),
    "year": ("DP", "DEP", "EDAT", "CRDT"),
    "journal": ("JT",),
    "journal_abbrev": ("TA",),
    "issn": ("IS", "ISSN"),
    "volume": ("VI",),
    "issue": ("IP",),
    "pages": ("PG",),
    "doi": ("AID", "LID"),
    "pmid": ("PMID",),
    "language": ("LA",),
    "publication_types": ("PT",),
    "keywords": ("OT",),
    "mesh": ("MH",),
    "publisher": ("PB",),
    "source_id": ("PMID", "OID"),
}

#: The owner (``OWN``) value -> database name; a record with a PMID and no known owner is MEDLINE.
OWNERS: dict[str, str] = {"NLM": "MEDLINE", "PIP": "MEDLINE", "KIE": "MEDLINE", "NASA": "MEDLINE",
                          "ERIC": "ERIC"}

_TAG = re.compile(r"^([A-Z][A-Z0-9]{0,3}) *- (.*)$")
_ID_KIND = re.compile(r"\s*\[(\w+)\]\s*$")
_START_TAGS = frozenset({"PMID", "OWN"})


def _tag(line: str) -> tuple[str, str] | None:
    if len(line) >= 6 and line[4:6] == "- " and line[0].isupper():
        tag = line[:4].rstrip()
        if tag and tag.isalnum():
            return tag, line[6:].strip()
    match = _TAG.match(line)
    return (match.group(1), match.group(2).strip()) if match else None


def iter_records(lines: Iterable[str], path: str, database: str | None,
                 warnings: list[str] | None = None) -> Iterator[Record | Rejected]:
    """Records from MEDLINE lines: a record is a run of non-blank lines; a new ``PMID-`` also starts one."""
    position = 0
    block: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            if block:
                position += 1
                yield _record(block, start, position, path, database)
                block = []
            continue
        if block and line.startswith("PMID-") and any(b.startswith("PMID-") for b in block):
            position += 1
            yield _record(block, start, position, path, database)
            block = []
        if not block:
            start = number
        block.append(line)
    if block:
        position += 1
        yield _record(block, start, position, path, database)


def _record(block: list[str], start: int, position: int, path: str, database: str | None) -> Record | Rejected:
    raw = "\n".join(block)
    tags: list[list[str]] = []
    for offset, line in enumerate(block):
        if line.startswith("      ") or (line.startswith(" ") and tags):
            if not tags:
                break
            tags[-1][1] = f"{tags[-1][1]} {line.strip()}".strip()
            continue
        pair = _tag(line)
        if pair is None:
            return Rejected(position, start, f"{path}:{start + offset}: record {position}: line {start + offset} is "
                                             f"neither a MEDLINE tag ('XXXX- ') nor an indented continuation", raw)
        tags.append([pair[0], pair[1]])
    if not tags:
        return Rejected(position, start, f"{path}:{start}: record {position}: no MEDLINE tag", raw)
    names = {t for t, _ in tags}
    if not names & {"PMID", "OWN", "OID"}:
        return Rejected(position, start, f"{path}:{start}: record {position} has no PMID, OWN or OID tag: "
                                         "not a MEDLINE record (cut off?)", raw)
    return to_record(tuple((t, v) for t, v in tags), database=database, position=position, line=start, raw=raw)


def to_record(tags: tuple[tuple[str, str], ...], *, database: str | None, position: int = 0, line: int = 0,
              raw: str = "") -> Record:
    values: dict[str, list[str]] = {}
    for tag, value in tags:
        if value:
            values.setdefault(tag, []).append(value)

    def all_of(field: str) -> list[str]:
        return [v for tag in FIELD_TAGS[field] for v in values.get(tag, ())]

    def one(field: str) -> str:
        return f.first(all_of(field))

    owner = f.first(values.get("OWN", ()))
    own_database = OWNERS.get(owner.upper(), owner) if owner else ("MEDLINE" if "PMID" in values else "")
    full = values.get("FAU") or values.get("AU") or []
    authors = f.unique([f.author(name) for name in full] + [f.clean(name) for name in values.get("CN", ())])
    doi = ""
    for value in all_of("doi"):
        kind = _ID_KIND.search(value)
        if kind and kind.group(1).lower() != "doi":
            continue
        doi = f.find_doi(value)
        if doi:
            break
    url = ""
    for value in values.get("LID", []) + values.get("AID", []) + values.get("URL", []):
        if value.startswith("http") and not f.find_doi(value):
            url = value.split()[0]
            break
    year = None
    for value in all_of("year"):
        year = f.year_of(value)
        if year:
            break
    pmid = one("pmid")
    return Record(
        title=one("title"),
        abstract=one("abstract"),
        authors=authors,
        year=year,
        journal=one("journal"),
        journal_abbrev=one("journal_abbrev"),
        issn=f.issns(all_of("issn")),
        volume=one("volume"),
        issue=one("issue"),
        pages=expand_pages(one("pages")),
        doi=doi,
        pmid=pmid if pmid.isdigit() else "",
        language=f.unique(f.clean(v) for v in all_of("language")),
        publication_types=f.unique(f.clean(v) for v in all_of("publication_types")),
        keywords=f.unique(f.clean(v) for v in all_of("keywords")),
        mesh=f.unique(f.clean(v) for v in all_of("mesh")),
        url=url,
        publisher=one("publisher"),
        database=database or own_database or "MEDLINE",
        source_id=one("source_id"),
        raw=raw,
        tags=tags,
        position=position,
        line=line,
    )


def expand_pages(value: str) -> str:
    """MEDLINE shortens end pages (``1309-48``); write them out (``1309-1348``) so pages compare equal."""
    return f.pages(value) if value else ""


def read(text: str, path: str, database: str | None) -> Parsed:
    warnings: list[str] = []
    records: list[Record] = []
    rejected: list[Rejected] = []
    for item in iter_records(text.split("\n"), path, database, warnings):
        if isinstance(item, Record):
            records.append(item)
        else:
            rejected.append(item)
    if not records and sniff(text) is None:
        first = rejected[0].reason if rejected else "no record"
        raise FormatError(path, f"does not look like MEDLINE (named with --format?): {first}")
    if not records and not rejected:
        raise FormatError(path, "no MEDLINE record found (no 'PMID- ' line)")
    named = database or (records[0].database if records else "MEDLINE")
    return Parsed(path=path, format=FORMAT.name, database=named, records=tuple(records),
                  rejected=tuple(rejected), warnings=tuple(warnings))


def sniff(text: str) -> Detection | None:
    """MEDLINE if one of the first tag lines is ``PMID- `` or ``OWN - `` and most lines are MEDLINE tags."""
    lines = [line for line in text[:20000].split("\n")[:300] if line.strip()]
    if not lines or any(line.startswith("TY  - ") for line in lines):
        return None  # RIS shares the shape ("TY  - JOUR" has "- " at column 5)
    starts = [i for i, line in enumerate(lines[:50]) if (_tag(line) or ("", ""))[0] in _START_TAGS]
    if not starts:
        return None
    shaped = sum(1 for line in lines if line.startswith("      ") or (len(line) >= 6 and line[4:6] == "- "))
    if shaped < 0.8 * len(lines):
        return None
    eric = any(line.startswith("OWN - ERIC") for line in lines[:50])
    database = "ERIC" if eric else "MEDLINE"
    return Detection("medline", 0.95, database,
                     f"MEDLINE tags ('{lines[starts[0]][:6]}' on non-blank line {starts[0] + 1}); {database}")


FORMAT = FileFormat(
    name="medline",
    description="MEDLINE / PubMed .nbib tagged text (PubMed 'Save > PubMed format'), ERIC nbib",
    sniff=sniff,
    read=read,
    aliases=("nbib", "pubmed-nbib", "medline-nbib"),
    extensions=(".nbib", ".txt"),
)
