"""The mechanism the line-tagged formats share: lines grouped into records, a record's lines into tags,
tags into normalised fields, and the whole file into a :class:`Parsed` result.

MEDLINE (``PMID- 1``), EndNote tagged (``%T title``), Web of Science plain text (``TI title``) and Ovid's
displays (``<1>`` then labels) are one syntax with different parameters: how a tag line is split, what
separates records (a blank line, an opening marker, a closing tag), which lines continue the value above
(indented lines, or any untagged line), and for which tags a continuation line is another value rather
than wrapped text. Each format module holds its tag table and those parameters as data and keeps only
what is truly its own (MEDLINE's ``[doi]`` suffixes, WoS page fields, Ovid's ``Source`` strings).
RIS has its own tuned reader (``ris.py``): it reads files of 100,000 records and streams them.
The module name starts with an underscore so the format registry does not take it for a format.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from harvester.errors import FormatError
from harvester.formats import _fields as f
from harvester.formats.base import Detection, Parsed, Rejected, Streamer, lines_of
from harvester.records import Record

#: Record fields taken as their first real value by :meth:`TagValues.common`.
TEXT_FIELDS = ("title", "abstract", "journal", "journal_abbrev", "volume", "issue", "pages", "url", "publisher",
               "source_id")
#: Record fields taken as every value once by :meth:`TagValues.common`.
LIST_FIELDS = ("language", "publication_types", "keywords", "mesh")

#: ``split(line)``: ``(tag, value)`` for a tag line, None for any other line.
Split = Callable[[str], "tuple[str, str] | None"]


@dataclass(slots=True)
class Block:
    """One record's lines as read: its first line number, the lines, and whether it was closed."""

    line: int
    lines: list[str]
    complete: bool = True  # False: the file ended before the record's closing tag


@dataclass(frozen=True, slots=True)
class Syntax:
    """How one tagged format writes a record's lines.

    ``continues(line)``: whether a line that is not a tag continues the value above (else it is a broken
    line and the record is rejected). ``list_tags``: tags whose continuation lines are further values
    (one author per line). ``blank_breaks_items``: a blank line inside a record separates items of the
    value above (Ovid's references), instead of being skipped.
    """

    name: str  # in messages: "MEDLINE 'XXXX- '"
    split: Split
    continues: Callable[[str], bool]
    list_tags: frozenset[str] = field(default=frozenset())
    blank_breaks_items: bool = False
    #: A known export quirk: ``glued(line)`` gives ``(tag, value)`` for a line that is a known tag with its
    #: separating space missing, where the line cannot be a continuation; None for anything else.
    glued: Split | None = None


# --- grouping lines into records ------------------------------------------------------------------

def blank_separated(lines: Iterable[str], restart: Callable[[str, list[str]], bool] | None = None) -> Iterator[Block]:
    """Records separated by blank lines (MEDLINE, EndNote tagged). ``restart(line, block)`` says that a line
    opens a new record with no blank line before it (MEDLINE: a second ``PMID-`` in one block)."""
    block: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            if block:
                yield Block(start, block)
                block = []
            continue
        if block and restart is not None and restart(line, block):
            yield Block(start, block)
            block = []
        if not block:
            start = number
        block.append(line)
    if block:
        yield Block(start, block)


def opened_by(lines: Iterable[str], marker: re.Pattern[str]) -> Iterator[Block]:
    """Records each opened by a marker line (Ovid's ``<1>``); lines before the first marker are no record,
    and blank lines at the end of a record are not part of it."""
    block: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if marker.match(line):
            if block:
                yield _trimmed(start, block)
            block, start = [line], number
        elif block:
            block.append(line)
    if block:
        yield _trimmed(start, block)


def _trimmed(start: int, block: list[str]) -> Block:
    end = len(block)
    while end > 1 and not block[end - 1].strip():
        end -= 1
    return Block(start, block[:end])


def closed_by(lines: Iterable[str], split: Split, end: str, outside: frozenset[str] = frozenset()) -> Iterator[Block]:
    """Records closed by an end tag (Web of Science: ``PT`` ... ``ER``), the end tag's line included.

    Between records, blank lines, stray end tags and file header tags (``outside``: ``FN``, ``VR``, ``EF``)
    are skipped. A record the file ends inside is given with ``complete=False``.
    """
    block: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if not block:
            pair = split(line)
            if pair is None or pair[0] in outside or pair[0] == end:
                continue
            start = number
        block.append(line)
        if line[:1] != " ":
            pair = split(line)
            if pair is not None and pair[0] == end:
                yield Block(start, block)
                block = []
    if block:
        yield Block(start, block, complete=False)


# --- a record's lines into tags -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Problem:
    """The first line of a record that is neither a tag nor a continuation, and what is wrong with it."""

    line: int
    reason: str


def tags_of(lines: list[str], first_line: int, syntax: Syntax,
            quirks: list[str] | None = None) -> tuple[list[tuple[str, str]], Problem | None]:
    """The ``(tag, value)`` pairs of a record's lines, in order, and the first problem found (None: none).

    A continuation line joins the value above with a space (or, after a blank line in a format where blank
    lines separate items, with the line break kept); for a list tag it is another value of the same tag.
    A line the syntax's ``glued`` reads (a known tag glued to its value) is a tag, noted in ``quirks``.
    """
    tags: list[list[str]] = []
    problem: Problem | None = None
    for offset, line in enumerate(lines):
        if not line.strip():
            if syntax.blank_breaks_items and tags and tags[-1][1]:
                tags[-1][1] += "\n"
            continue
        pair = syntax.split(line)
        if pair is not None:
            tags.append([pair[0], pair[1]])
            continue
        if not syntax.continues(line) and syntax.glued is not None:
            glued = syntax.glued(line)
            if glued is not None:
                tags.append([glued[0], glued[1]])
                if quirks is not None:
                    quirks.append(f"line {first_line + offset}: tag {glued[0]} glued to its value ({line[:40]!r}); "
                                  f"read as {glued[0]} {glued[1][:30]!r}")
                continue
        if not tags or not syntax.continues(line):
            if problem is None:
                what = (f"neither a tag ({syntax.name}) nor a continuation" if not syntax.continues(line)
                        else "a continuation before any tag")
                problem = Problem(first_line + offset, f"line {first_line + offset} is {what}: {line[:60]!r}")
            continue
        text = line.strip()
        tag, value = tags[-1]
        if tag in syntax.list_tags:
            tags.append([tag, text])
        elif value.endswith("\n"):
            tags[-1][1] = value + text
        else:
            tags[-1][1] = f"{value} {text}" if value else text
    return [(tag, value.strip()) for tag, value in tags], problem


def rejected(block: Block, position: int, path: str, reason: str | Problem) -> Rejected:
    """A record that cannot be read, with file, line (of the broken line, if one) and record number in its reason."""
    line = reason.line if isinstance(reason, Problem) else block.line
    text = reason.reason if isinstance(reason, Problem) else reason
    return Rejected(position, block.line, f"{path}:{line}: record {position}: {text}", "\n".join(block.lines).rstrip())


# --- tags into fields -----------------------------------------------------------------------------

class TagValues:
    """A record's non-empty values by tag, read through a format's field table (field -> tags, most
    trusted first): the lookups every tagged format makes, written once."""

    __slots__ = ("by_tag", "table")

    def __init__(self, tags: Iterable[tuple[str, str]], table: Mapping[str, tuple[str, ...]]) -> None:
        self.table = table
        self.by_tag: dict[str, list[str]] = {}
        for tag, value in tags:
            if value:
                self.by_tag.setdefault(tag, []).append(value)

    def tag(self, tag: str) -> list[str]:
        """Every value of one tag."""
        return self.by_tag.get(tag, [])

    def all(self, name: str) -> list[str]:
        """Every value of a field's tags, tag by tag in table order."""
        return [value for tag in self.table[name] for value in self.by_tag.get(tag, ())]

    def one(self, name: str) -> str:
        """The field's first real value (not empty, not a placeholder), cleaned."""
        return f.first(self.all(name))

    def listed(self, name: str, separator: str | None = None) -> tuple[str, ...]:
        """Every value of a list field, cleaned, each once; ``separator`` splits values holding several."""
        values = self.all(name)
        if separator is not None:
            values = [part for value in values for part in value.split(separator)]
        return f.unique(f.clean(value) for value in values)

    def year(self, name: str = "year") -> int | None:
        """The year in the first of the field's values that holds one."""
        for value in self.all(name):
            found = f.year_of(value)
            if found:
                return found
        return None

    def doi(self, name: str = "doi") -> str:
        """The DOI in the first of the field's values that holds one."""
        for value in self.all(name):
            found = f.find_doi(value)
            if found:
                return found
        return ""

    def issns(self, name: str = "issn") -> tuple[str, ...]:
        return f.issns(self.all(name))

    def pmid(self, name: str = "pmid") -> str:
        found = self.one(name)
        return found if found.isdigit() else ""

    def common(self) -> dict[str, Any]:
        """The record fields every tagged format reads the same way, for each field its table names: text
        fields as their first real value, year, ISSNs, DOI, PMID, and list fields as every value once.
        A format overrides what it reads its own way: ``Record(**(values.common() | {...}))``."""
        found: dict[str, Any] = {name: self.one(name) for name in TEXT_FIELDS if name in self.table}
        found.update({name: self.listed(name) for name in LIST_FIELDS if name in self.table})
        readers: dict[str, Callable[[], Any]] = {"year": self.year, "issn": self.issns, "doi": self.doi,
                                                 "pmid": self.pmid}
        found.update({name: read() for name, read in readers.items() if name in self.table})
        return found


# --- a file read block by block -------------------------------------------------------------------

def streamer(records: Callable[..., Iterator[Record | Rejected]]) -> Streamer:
    """A format's block reader (``FileFormat.stream``) from its ``records(lines, path, database, warnings)``: the
    same records as the whole-file reader, with memory bounded by a block and one record."""
    def stream(pieces: Iterable[str], path: str, database: str | None,
               warnings: list[str] | None = None) -> Iterator[Record | Rejected]:
        return records(lines_of(pieces), path, database, warnings)

    return stream


# --- a whole file ---------------------------------------------------------------------------------

def read_records(text: str, path: str, database: str | None, *, records: Callable[..., Iterator[Record | Rejected]],
                 sniff: Callable[[str], Detection | None], format_name: str, label: str, missing: str,
                 default_database: str) -> Parsed:
    """Read a whole text with a format's ``records(lines, path, database, warnings)``: the records and rejected
    records in file order. A text in which nothing reads and which does not look like the format, or which
    holds no record at all, is a :class:`FormatError` (``label`` names the format, ``missing`` what was
    looked for). The file's database: the one named, else the first record's, else ``default_database``."""
    warnings: list[str] = []
    found: list[Record] = []
    refused: list[Rejected] = []
    for item in records(text.split("\n"), path, database, warnings):
        if isinstance(item, Record):
            found.append(item)
        else:
            refused.append(item)
    if not found and sniff(text) is None:
        first = refused[0].reason if refused else "no record"
        raise FormatError(path, f"does not look like {label} (named with --format?): {first}")
    if not found and not refused:
        raise FormatError(path, f"no {label} record found ({missing})")
    named = database or (found[0].database if found else default_database)
    return Parsed(path=path, format=format_name, database=named, records=tuple(found), rejected=tuple(refused),
                  warnings=tuple(warnings))
