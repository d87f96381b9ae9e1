"""Web of Science / Zoological Record plain text (``FN``/``VR`` header, ``PT`` ... ``ER`` records, ``EF``).

Also saved as ``.ciw``, ``.isi`` and (rispy's example) ``.ris``: the content decides, not the extension.
A tag is two characters and a space; a value continues on lines indented by three spaces. For the
name and address tags each continuation line is another value (one author per line under a single
``AU``); for the others it is wrapped text. Keywords (``DE``, ``ID``) are ``; `` separated.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from harvester.errors import FormatError
from harvester.formats import _fields as f
from harvester.formats.base import Detection, FileFormat, Parsed, Rejected
from harvester.records import Record

#: Normalised field -> WoS tags, most trusted first.
FIELD_TAGS: dict[str, tuple[str, ...]] = {
    "title": ("TI", "BT"),
    "abstract": ("AB",),
    "authors": ("AF", "AU"),  # AF "Stillman, Andrew N." preferred to AU "Stillman, AN"
    "collective": ("CA", "GP"),
    "year": ("PY", "EA", "PD"),
    "journal": ("SO", "SE"),
    "journal_abbrev": ("JI", "J9"),
    "issn": ("SN", "EI"),
    "volume": ("VL",),
    "issue": ("IS",),
    "start_page": ("BP",),
    "end_page": ("EP",),
    "article_number": ("AR",),
    "page_span": ("PS",),  # Zoological Record: "134-141", "i-iv, 1-74"
    "doi": ("DI", "D2"),
    "pmid": ("PM",),
    "language": ("LA",),
    "publication_types": ("DT",),
    "keywords": ("DE", "ID"),
    "publisher": ("PU",),
    "source_id": ("UT", "AN"),
}

#: Tags whose continuation lines are separate values.
LINE_LIST_TAGS = frozenset({"AU", "AF", "BA", "BF", "CA", "GP", "BE", "CR", "C1", "C3", "RP", "EM", "RI", "OI", "FU"})
#: Tags whose value is a ``; `` separated list.
SEMICOLON_TAGS = frozenset({"DE", "ID", "DT", "WC", "SC"})
_HEADER_TAGS = frozenset({"FN", "VR", "EF"})


def _split(line: str) -> tuple[str, str] | None:
    if len(line) >= 2 and line[0].isupper() and (line[1].isupper() or line[1].isdigit()) and (
            len(line) == 2 or line[2] == " "):
        return line[:2], line[3:].strip()
    return None


def iter_records(lines: Iterable[str], path: str, database: str | None,
                 warnings: list[str] | None = None) -> Iterator[Record | Rejected]:
    """Records from ``PT`` to ``ER``; a line that is neither a tag nor an indented continuation rejects its record."""
    position = 0
    block: list[str] = []
    tags: list[list[str]] = []
    start = 0
    problem = ""
    for number, line in enumerate(lines, start=1):
        if not block:
            pair = _split(line)
            if pair is None or pair[0] in _HEADER_TAGS or pair[0] == "ER":
                continue  # header, blank lines between records, the end-of-file mark
            start, block, tags, problem = number, [], [], ""
        block.append(line)
        if line.startswith("   ") or (line.startswith(" ") and line.strip() and tags):
            if tags:
                tag = tags[-1][0]
                text = line.strip()
                if tag in LINE_LIST_TAGS:
                    tags.append([tag, text])
                else:
                    tags[-1][1] = f"{tags[-1][1]} {text}".strip()
            continue
        pair = _split(line)
        if pair is None:
            if line.strip() and not problem:
                problem = f"line {number} is neither a tag nor an indented continuation: {line[:60]!r}"
            continue
        if pair[0] == "ER":
            position += 1
            yield _finish(block, tags, start, position, path, database, problem)
            block = []
            continue
        tags.append([pair[0], pair[1]])
    if block:
        position += 1
        raw = "\n".join(block).rstrip()
        yield Rejected(position, start, f"{path}:{start}: record {position} is cut off: the file ends before its "
                                        "ER line (a truncated export?)", raw)


def _finish(block: list[str], tags: list[list[str]], start: int, position: int, path: str, database: str | None,
            problem: str) -> Record | Rejected:
    raw = "\n".join(block)
    if problem:
        return Rejected(position, start, f"{path}:{start}: record {position}: {problem}", raw)
    if not tags or tags[0][0] != "PT":
        return Rejected(position, start, f"{path}:{start}: record {position} does not start with PT "
                                         f"(starts with {tags[0][0] if tags else 'nothing'!r})", raw)
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

    def listed(field: str) -> tuple[str, ...]:
        return f.unique(f.clean(part) for v in all_of(field) for part in v.split(";"))

    names = values.get("AF") or values.get("AU") or []
    authors = f.unique([f.author(_without_email(n)) for n in names] +
                       [f.clean(n) for tag in FIELD_TAGS["collective"] for n in values.get(tag, ())])
    year = None
    for value in all_of("year"):
        year = f.year_of(value)
        if year:
            break
    source_id = one("source_id")
    own_database = "Zoological Record" if source_id.upper().startswith("ZOOR") else "Web of Science"
    pages = f.pages(one("start_page"), one("end_page")) or one("page_span") or one("article_number")
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
        pages=pages,
        doi=next((d for d in (f.find_doi(v) for v in all_of("doi")) if d), ""),
        pmid=pmid if pmid.isdigit() else "",
        language=listed("language"),
        publication_types=listed("publication_types"),
        keywords=listed("keywords"),
        publisher=one("publisher"),
        database=database or own_database,
        source_id=source_id,
        raw=raw,
        tags=tags,
        position=position,
        line=line,
    )


def _without_email(name: str) -> str:
    """Zoological Record writes ``Stillman, Andrew N. (andrew.stillman@uconn.edu)``."""
    if "(" in name and "@" in name:
        return name[: name.index("(")].strip()
    return name


def read(text: str, path: str, database: str | None) -> Parsed:
    records: list[Record] = []
    rejected: list[Rejected] = []
    warnings: list[str] = []
    for item in iter_records(text.split("\n"), path, database, warnings):
        if isinstance(item, Record):
            records.append(item)
        else:
            rejected.append(item)
    if not records and sniff(text) is None:
        first = rejected[0].reason if rejected else "no record"
        raise FormatError(path, f"does not look like Web of Science plain text (named with --format?): {first}")
    if not records and not rejected:
        raise FormatError(path, "no Web of Science record found (no 'PT ' line after the FN/VR header)")
    if "\nEF" not in text and not text.startswith("EF"):
        warnings.append(f"{path}: no EF line at the end: the export may be incomplete")
    named = database or (records[0].database if records else "Web of Science")
    return Parsed(path=path, format=FORMAT.name, database=named, records=tuple(records),
                  rejected=tuple(rejected), warnings=tuple(warnings))


def sniff(text: str) -> Detection | None:
    """Web of Science plain text opens with ``FN `` (then ``VR``) or with ``PT `` records ending in ``ER``."""
    head = text[:5000].lstrip("\n")
    first_line = head.split("\n", 1)[0]
    if first_line.startswith("FN ") and "\nPT " in head[:2000] or first_line.startswith("FN ") and "\nVR" in head:
        zoo = "ZOOR" in text[:20000]
        database = "Zoological Record" if zoo else "Web of Science"
        return Detection("wos-plain", 0.95, database, f"Web of Science plain text: header {first_line[:50]!r}")
    if first_line.startswith("PT ") and "\nER" in text[:50000] and "\nUT " in text[:50000]:
        return Detection("wos-plain", 0.7, "Web of Science", "Web of Science plain text: PT/UT/ER records, no header")
    return None


FORMAT = FileFormat(
    name="wos-plain",
    description="Web of Science / Zoological Record plain text (FN/VR header, PT...ER records; .txt .ciw .isi)",
    sniff=sniff,
    read=read,
    aliases=("wos", "ciw", "isi", "wos-plaintext", "web-of-science"),
    extensions=(".txt", ".ciw", ".isi"),
)
