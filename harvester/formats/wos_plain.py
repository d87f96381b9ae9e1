"""Web of Science / Zoological Record plain text (``FN``/``VR`` header, ``PT`` ... ``ER`` records, ``EF``).

Also saved as ``.ciw``, ``.isi`` and (rispy's example) ``.ris``: the content decides, not the extension.
A tag is two characters and a space; a value continues on lines indented by three spaces. For the
name and address tags each continuation line is another value (one author per line under a single
``AU``); for the others it is wrapped text. Keywords (``DE``, ``ID``) are ``; `` separated.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from harvester.formats import _fields as f
from harvester.formats import _tagged
from harvester.formats.base import Damage, Detection, FileFormat, Parsed, Rejected, lines_of
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


#: Every field tag Web of Science and Zoological Record plain text write (Clarivate's field tag list, and the
#: tags of the corpus files): a line starting with one of these glued to its value is read as that tag.
KNOWN_TAGS = frozenset({
    "PT", "AU", "AF", "BA", "BF", "CA", "GP", "BE", "TI", "SO", "SE", "BS", "LA", "DT", "CT", "CY", "CL", "SP", "HO",
    "DE", "ID", "AB", "C1", "C3", "RP", "EM", "RI", "OI", "FU", "FP", "FX", "CR", "NR", "TC", "Z9", "U1", "U2", "PU",
    "PI", "PA", "SN", "EI", "BN", "J9", "JI", "PD", "PY", "VL", "IS", "PN", "SU", "SI", "MA", "BP", "EP", "AR", "DI",
    "DL", "D2", "EA", "EY", "PG", "WC", "WE", "SC", "GA", "PM", "OA", "HC", "HP", "DA", "UT", "AN", "TN", "ST", "PS",
    "OR", "BD", "NT", "ZS", "ZR", "ZB", "Z8", "UR", "AW",
})


def _glued(line: str) -> tuple[str, str] | None:
    """A known tag with its separating space missing (``PY2019``, ``TIA title``), a quirk of some exports. A WoS
    value continues only on indented lines, so an unindented line can only be a tag or damage; a line whose
    third character is a space, a lower-case letter or nothing is not read this way (damage, not this quirk)."""
    if len(line) > 2 and line[:2] in KNOWN_TAGS and not line[2].isspace() and not line[2].islower():
        return line[:2], line[2:].strip()
    return None


SYNTAX = _tagged.Syntax(name="Web of Science 'XX '", split=_split, continues=lambda line: line[:1] == " ",
                        list_tags=LINE_LIST_TAGS, glued=_glued)


def iter_records(lines: Iterable[str], path: str, database: str | None,
                 warnings: list[str] | None = None) -> Iterator[Record | Rejected]:
    """Records from ``PT`` to ``ER``; a line that is neither a tag nor an indented continuation rejects its record."""
    for position, block in enumerate(_tagged.closed_by(lines, _split, "ER", _HEADER_TAGS), start=1):
        if not block.complete:
            yield _tagged.rejected(block, position, path, "is cut off: the file ends before its ER line "
                                                          "(a truncated export?)")
            continue
        quirks: list[str] = []
        tags, problem = _tagged.tags_of(block.lines[:-1], block.line, SYNTAX, quirks)
        if quirks and problem is None and warnings is not None:
            warnings.extend(f"{path}:{block.line}: record {position}: quirk read: {quirk}" for quirk in quirks)
        found = [tag for tag, _ in tags]
        twice = next((tag for tag in ("TI", "PY") if found.count(tag) > 1), None)
        if warnings is not None and problem is None and twice:
            warnings.append(f"{path}:{block.line}: record {position} holds two {twice} lines: two records run "
                            "together (an ER and a PT lost)? read as one")
        if problem is not None:
            yield _tagged.rejected(block, position, path, problem)
        elif not tags or tags[0][0] != "PT":
            yield _tagged.rejected(block, position, path, "does not start with PT (starts with "
                                                          f"{tags[0][0] if tags else 'nothing'!r})")
        else:
            yield to_record(tuple(tags), database=database, position=position, line=block.line,
                            raw="\n".join(block.lines))


def to_record(tags: tuple[tuple[str, str], ...], *, database: str | None, position: int = 0, line: int = 0,
              raw: str = "") -> Record:
    values = _tagged.TagValues(tags, FIELD_TAGS)
    names = values.tag("AF") or values.tag("AU")
    authors = f.unique([f.author(_without_email(n)) for n in names] + [f.clean(n) for n in values.all("collective")])
    source_id = values.one("source_id")
    own_database = "Zoological Record" if source_id.upper().startswith("ZOOR") else "Web of Science"
    pages = f.pages(values.one("start_page"), values.one("end_page")) or f.pages(values.one("page_span")) or \
        values.one("article_number")
    return Record(**(values.common() | {
        "authors": authors, "pages": pages, "language": values.listed("language", ";"),
        "publication_types": values.listed("publication_types", ";"), "keywords": values.listed("keywords", ";"),
        "database": database or own_database, "source_id": source_id, "raw": raw, "tags": tags,
        "position": position, "line": line}))


def _without_email(name: str) -> str:
    """Zoological Record writes ``Stillman, Andrew N. (andrew.stillman@uconn.edu)``."""
    if "(" in name and "@" in name:
        return name[: name.index("(")].strip()
    return name


def read(text: str, path: str, database: str | None) -> Parsed:
    parsed = _tagged.read_records(text, path, database, records=iter_records, sniff=sniff, format_name=FORMAT.name,
                                  label="Web of Science plain text", missing="no 'PT ' line after the FN/VR header",
                                  default_database="Web of Science")
    if "\nEF" not in text and not text.startswith("EF"):
        parsed = replace(parsed, warnings=(*parsed.warnings, Damage(f"{path}: no EF line at the end: the export "
                                                                    "may be incomplete")))
    return parsed


def stream(pieces: Iterable[str], path: str, database: str | None,
           warnings: list[str] | None = None) -> Iterator[Record | Rejected]:
    """The block reader: :func:`iter_records` on the lines as they come, then the same EF check as :func:`read`."""
    seen_ef = False

    def watched() -> Iterator[str]:
        nonlocal seen_ef
        for line in lines_of(pieces):
            seen_ef = seen_ef or line.startswith("EF")
            yield line

    yield from iter_records(watched(), path, database, warnings)
    if not seen_ef and warnings is not None:
        warnings.append(Damage(f"{path}: no EF line at the end: the export may be incomplete"))


def sniff(text: str) -> Detection | None:
    """Web of Science plain text opens with ``FN `` (then ``VR``) or with ``PT `` records ending in ``ER``."""
    head = text[:5000].lstrip("\n")
    first_line = head.split("\n", 1)[0]
    if first_line.startswith("FN ") and "\nPT " in head[:2000] or first_line.startswith("FN ") and "\nVR" in head:
        zoo = "ZOOR" in text[:20000]
        database = "Zoological Record" if zoo else "Web of Science"
        return Detection("wos-plain", 0.95, database, f"Web of Science plain text: header {first_line[:50]!r}",
                         opens=True)
    if first_line.startswith("PT ") and "\nER" in text[:50000] and "\nUT " in text[:50000]:
        return Detection("wos-plain", 0.7, "Web of Science", "Web of Science plain text: PT/UT/ER records, no header",
                         opens=True)
    return None


FORMAT = FileFormat(
    name="wos-plain",
    description="Web of Science / Zoological Record plain text (FN/VR header, PT...ER records; .txt .ciw .isi)",
    sniff=sniff,
    read=read,
    aliases=("wos", "ciw", "isi", "wos-plaintext", "web-of-science"),
    extensions=(".txt", ".ciw", ".isi"),
    stream=stream,
)
