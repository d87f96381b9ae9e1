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

from harvester.formats import _fields as f
from harvester.formats import _tagged
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
#: The tags a record opens with: PubMed writes ``PMID`` first, ERIC ``OWN`` (its id, ``OID``, comes last). A record
#: that opens with another tag than these and than the file's first record (a writer writes its fields in one
#: order, as the EndNote tagged reader also holds) is the rest of a record split by a blank line.
_START_TAGS = frozenset({"PMID", "OWN"})


def _tag(line: str) -> tuple[str, str] | None:
    if len(line) >= 6 and line[4:6] == "- " and line[0].isupper():
        tag = line[:4].rstrip()
        if tag and tag.isalnum():
            return tag, line[6:].strip()
    match = _TAG.match(line)
    return (match.group(1), match.group(2).strip()) if match else None


SYNTAX = _tagged.Syntax(name="MEDLINE 'XXXX- '", split=_tag, continues=lambda line: line[:1] == " ")


def _second_pmid(line: str, block: list[str]) -> bool:
    """A ``PMID-`` line in a block that already has one opens the next record (no blank line between)."""
    return line.startswith("PMID-") and any(b.startswith("PMID-") for b in block)


def iter_records(lines: Iterable[str], path: str, database: str | None,
                 warnings: list[str] | None = None) -> Iterator[Record | Rejected]:
    """Records from MEDLINE lines: a record is a run of non-blank lines; a new ``PMID-`` also starts one."""
    opening = ""  # the tag the file's first record opens with: its writer's first field
    for position, block in enumerate(_tagged.blank_separated(lines, restart=_second_pmid), start=1):
        tags, problem = _tagged.tags_of(block.lines, block.line, SYNTAX)
        opening = opening or (tags[0][0] if tags and not problem else "")
        if problem:
            yield _tagged.rejected(block, position, path, problem)
        elif not {t for t, _ in tags} & {"PMID", "OWN", "OID"}:
            yield _tagged.rejected(block, position, path, "no PMID, OWN or OID tag: not a MEDLINE record (cut off?)")
        else:
            found = [tag for tag, _ in tags]
            bare = not set(found) - _START_TAGS  # only PMID/OWN: a record always holds a title or a citation too
            if warnings is not None and (found.count("TI") > 1 or bare):
                what = "two TI lines" if found.count("TI") > 1 else f"nothing but its {'/'.join(found)} line"
                warnings.append(f"{path}:{block.line}: record {position} holds {what}: two records run together, "
                                "or one split? (read as it is)")
            elif warnings is not None and found[0] not in _START_TAGS and found[0] != opening:
                warnings.append(f"{path}:{block.line}: record {position} opens with {found[0]}, not PMID or OWN "
                                f"(or {opening}, as the file's first record): "
                                "the rest of the record before it, split by a blank line? (read as it is)")
            yield to_record(tuple(tags), database=database, position=position, line=block.line,
                            raw="\n".join(block.lines))


def to_record(tags: tuple[tuple[str, str], ...], *, database: str | None, position: int = 0, line: int = 0,
              raw: str = "") -> Record:
    values = _tagged.TagValues(tags, FIELD_TAGS)
    owner = f.first(values.tag("OWN"))
    own_database = OWNERS.get(owner.upper(), owner) if owner else ("MEDLINE" if values.tag("PMID") else "")
    full = values.tag("FAU") or values.tag("AU")
    authors = f.unique([f.author(name) for name in full] + [f.clean(name) for name in values.tag("CN")])
    doi = ""
    for value in values.all("doi"):
        kind = _ID_KIND.search(value)
        if kind and kind.group(1).lower() != "doi":
            continue  # "S0048-... [pii]"
        doi = f.find_doi(value)
        if doi:
            break
    url = ""
    for value in values.tag("LID") + values.tag("AID") + values.tag("URL"):
        if value.startswith("http") and not f.find_doi(value):
            url = value.split()[0]
            break
    return Record(**(values.common() | {
        "authors": authors, "pages": expand_pages(values.one("pages")), "doi": doi, "url": url,
        "database": database or own_database or "MEDLINE", "raw": raw, "tags": tags, "position": position,
        "line": line}))


def expand_pages(value: str) -> str:
    """MEDLINE shortens end pages (``1309-48``); write them out (``1309-1348``) so pages compare equal."""
    return f.pages(value) if value else ""


def read(text: str, path: str, database: str | None) -> Parsed:
    return _tagged.read_records(text, path, database, records=iter_records, sniff=sniff, format_name=FORMAT.name,
                                label="MEDLINE", missing="no 'PMID- ' line", default_database="MEDLINE")


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
                     f"MEDLINE tags ('{lines[starts[0]][:6]}' on non-blank line {starts[0] + 1}); {database}",
                     opens=starts[0] == 0)


FORMAT = FileFormat(
    name="medline",
    description="MEDLINE / PubMed .nbib tagged text (PubMed 'Save > PubMed format'), ERIC nbib",
    sniff=sniff,
    read=read,
    aliases=("nbib", "pubmed-nbib", "medline-nbib"),
    extensions=(".nbib", ".txt"),
    stream=_tagged.streamer(iter_records),
)
