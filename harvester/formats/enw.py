"""EndNote tagged / refer (``.enw``): ``%0 Journal Article``, ``%T`` title, ``%A`` author ... per line.

Records are separated by blank lines; ``%0`` (the reference type) is optional in practice (the AIS
eLibrary writes it for some records only), so a record is any blank-line-separated run of ``%`` lines.
A line without ``%`` continues the value above it (``%K`` keywords are one per line this way).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from harvester.errors import FormatError
from harvester.formats import _fields as f
from harvester.formats.base import Detection, FileFormat, Parsed, Rejected
from harvester.records import Record

#: Normalised field -> refer tags, most trusted first.
FIELD_TAGS: dict[str, tuple[str, ...]] = {
    "title": ("%T",),
    "abstract": ("%X",),
    "authors": ("%A",),
    "year": ("%D", "%8"),
    "journal": ("%J", "%B"),
    "journal_abbrev": ("%O",),  # refer's "other" field; EndNote puts the alternate (abbreviated) title here
    "issn": ("%@",),
    "volume": ("%V",),
    "issue": ("%N",),
    "pages": ("%P",),
    "doi": ("%R", "%U"),
    "language": ("%G",),
    "publication_types": ("%0", "%9"),
    "keywords": ("%K",),
    "url": ("%U",),
    "publisher": ("%I",),
    "source_id": ("%M", "%F"),
}

#: Tags whose continuation lines are further values.
LIST_TAGS = frozenset({"%K", "%A", "%E"})


def _split(line: str) -> tuple[str, str] | None:
    if len(line) >= 2 and line[0] == "%" and not line[1].isspace() and (len(line) == 2 or line[2] == " "):
        return line[:2], line[3:].strip()
    return None


def iter_records(lines: Iterable[str], path: str, database: str | None,
                 warnings: list[str] | None = None) -> Iterator[Record | Rejected]:
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
        if not block:
            start = number
        block.append(line)
    if block:
        position += 1
        yield _record(block, start, position, path, database)


def _record(block: list[str], start: int, position: int, path: str, database: str | None) -> Record | Rejected:
    raw = "\n".join(block)
    tags: list[list[str]] = []
    for line in block:
        pair = _split(line)
        if pair is None:
            if not tags:
                return Rejected(position, start, f"{path}:{start}: record {position} does not start with a '%' tag "
                                                 f"({line[:40]!r}); not an EndNote tagged record", raw)
            if tags[-1][0] in LIST_TAGS:
                tags.append([tags[-1][0], line.strip()])
            else:
                tags[-1][1] = f"{tags[-1][1]} {line.strip()}".strip()
            continue
        tags.append([pair[0], pair[1]])
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

    year = None
    for value in all_of("year"):
        year = f.year_of(value)
        if year:
            break
    url = one("url")
    return Record(
        title=one("title"),
        abstract=one("abstract"),
        authors=f.unique(f.author(v) for v in all_of("authors")),
        year=year,
        journal=one("journal"),
        journal_abbrev=one("journal_abbrev"),
        issn=f.issns(all_of("issn")),
        volume=one("volume"),
        issue=one("issue"),
        pages=one("pages"),
        doi=next((d for d in (f.find_doi(v) for v in all_of("doi")) if d), ""),
        language=f.unique(f.clean(v) for v in all_of("language")),
        publication_types=f.unique(f.clean(v) for v in all_of("publication_types")),
        keywords=f.unique(f.clean(v) for v in all_of("keywords")),
        url=url,
        publisher=one("publisher"),
        database=database or "EndNote",
        source_id=one("source_id"),
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
        raise FormatError(path, f"does not look like EndNote tagged (named with --format?): {first}")
    if not records and not rejected:
        raise FormatError(path, "no EndNote tagged record found (no '%T' or '%0' line)")
    return Parsed(path=path, format=FORMAT.name, database=database or "EndNote", records=tuple(records),
                  rejected=tuple(rejected))


def sniff(text: str) -> Detection | None:
    """EndNote tagged if most of the first non-blank lines are ``%X value`` and a ``%T`` or ``%0`` is among them."""
    lines = [line for line in text[:10000].split("\n")[:200] if line.strip()]
    tagged = [line for line in lines if _split(line) is not None]
    if not tagged or len(tagged) < 0.6 * len(lines) or _split(lines[0]) is None:
        return None
    if not any(line.startswith(("%T ", "%0 ")) for line in tagged):
        return None
    return Detection("enw", 0.85, None, f"EndNote tagged: {len(tagged)} of the first {len(lines)} lines are '%' tags")


FORMAT = FileFormat(
    name="enw",
    description="EndNote tagged / refer text (%0, %T, %A ...; .enw)",
    sniff=sniff,
    read=read,
    aliases=("endnote-tagged", "refer", "tagged_enw"),
    extensions=(".enw", ".txt"),
)
