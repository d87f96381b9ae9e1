"""BibTeX exports (Scopus, Web of Science, EBSCOhost, ProQuest, Europe PMC, reference managers) and our writer.

Parsing is ``bibtexparser`` v2's; this module maps its entries to records. Field names are compared
case-insensitively (WoS writes ``Title``, Scopus ``title``). Each record keeps its entry's verbatim text
(``raw``), every field as a tag (plus ``ENTRYTYPE`` and ``ID``, the entry key), and its line. The entry
key is the ``source_id`` unless a database id field is present (WoS ``Unique-ID``, Scopus ``eid`` or the
``eid=`` of its scopus.com link, EBSCO's ``AN=`` accession in its link). An entry bibtexparser cannot
parse becomes a :class:`Rejected` with its line; entries that share a key (common in Scopus exports)
are all kept, as are entries with a field written twice (with a warning), and read like any other entry.
A file of any size is read the same way, block by block (:func:`stream`): memory is bounded by the block.

Values are turned from LaTeX into text by :func:`latex_to_text` (braces, escapes such as ``\\%``,
accents such as ``{\\"o}``); :func:`write_bibtex` escapes exactly what that function reads back, so a
written file reads back to the same normalised records.
"""

from __future__ import annotations

import itertools
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import bibtexparser
from bibtexparser.middlewares.enclosing import RemoveEnclosingMiddleware
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    Field,
    ImplicitComment,
    ParsingFailedBlock,
    String,
)

from harvester.formats import _fields as f
from harvester.formats.base import Damage, Detection, FileFormat, Parsed, Rejected
from harvester.records import Record

#: Normalised field -> BibTeX field names (lower case), first non-empty wins.
FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "abstract": ("abstract",),
    "year": ("year", "date"),
    "journal": ("journal", "journaltitle", "booktitle"),
    "journal_abbrev": ("abbrev_source_title", "journal-iso", "shortjournal"),
    "volume": ("volume",),
    "issue": ("number", "issue"),
    "pages": ("pages",),
    "doi": ("doi",),
    "pmid": ("pmid",),
    "url": ("url",),
    "publisher": ("publisher",),
}
#: List fields -> BibTeX field names; every named field contributes.
LIST_FIELDS: dict[str, tuple[str, ...]] = {
    "issn": ("issn", "eissn"),
    "language": ("language",),
    "keywords": ("author_keywords", "keywords", "keywords-plus"),
    "mesh": ("mesh",),
    "publication_types": ("document_type", "type"),
}
#: Fields naming the database's own id, in preference order (the entry key is the fallback).
ID_FIELDS: tuple[str, ...] = ("unique-id", "eid", "accession-number", "accession_number")
#: Which database wrote a file, from what its text shows.
DATABASE_HINTS: tuple[tuple[str, str], ...] = (
    (r"(?im)^\s*Scopus\s*$|source\s*=\s*\{Scopus\}|scopus\.com/inward", "Scopus"),
    (r"(?i)@\w+\{\s*WOS:|Unique-ID\s*=\s*\{WOS:", "Web of Science"),
    (r"(?i)ebscohost\.com", "EBSCOhost"),
    (r"(?i)proquest\.com", "ProQuest"),
    (r"(?i)europepmc\.org|@\w+\s*\{\s*(?:PMID|PPR|PMC):", "Europe PMC"),
)

#: ``\cmd`` -> text, for the commands real exports use.
_COMMANDS: dict[str, str] = {
    "textbackslash": "\\", "ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "aa": "å", "AA": "Å",
    "oe": "œ", "OE": "Œ", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "textendash": "–", "textemdash": "—",
    "textquoteright": "’", "textquoteleft": "‘", "textasciitilde": "~", "textasciicircum": "^",
    "textregistered": "®", "texttrademark": "™", "copyright": "©", "textdegree": "°", "S": "§",
}
#: Formatting commands whose argument is kept and the command dropped.
_FORMATTING = frozenset({"textit", "emph", "textbf", "textsc", "textrm", "mathrm", "textsuperscript",
                         "textsubscript", "texttt", "textsf", "mbox", "url", "em", "it", "bf", "rm"})
_ACCENTS: dict[str, str] = {
    '"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304", ".": "\u0307",
    "c": "\u0327", "v": "\u030c", "u": "\u0306", "H": "\u030b", "k": "\u0328", "r": "\u030a", "d": "\u0323",
}
_ESCAPED = "{}&%$#_"


def latex_to_text(value: str) -> str:
    """LaTeX as BibTeX exports write it -> plain text; unknown commands are kept as written."""
    out: list[str] = []
    index = 0
    length = len(value)
    while index < length:
        char = value[index]
        if char in "{}":
            index += 1
            continue
        if char != "\\" or index + 1 >= length:
            out.append(char)
            index += 1
            continue
        following = value[index + 1]
        if following in _ESCAPED:
            out.append(following)
            index += 2
            continue
        word_match = re.match(r"[A-Za-z]+", value[index + 1:])
        if following in _ACCENTS and not (following.isalpha() and word_match and len(word_match.group()) > 1):
            index, letter = _accent_argument(value, index + 2)
            out.append(unicodedata.normalize("NFC", letter + _ACCENTS[following]) if letter else "")
            continue
        if word_match:
            word = word_match.group()
            index += 1 + len(word)
            if value.startswith("{}", index):
                index += 2
            elif word in _COMMANDS and value.startswith(" ", index):
                index += 1
            if word in _COMMANDS:
                out.append(_COMMANDS[word])
            elif word not in _FORMATTING:
                out.append("\\" + word)
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _accent_argument(value: str, index: int) -> tuple[int, str]:
    """The letter an accent applies to: ``\\"o``, ``\\"{o}`` or ``\\c c``; returns (next index, letter)."""
    while index < len(value) and value[index] == " ":
        index += 1
    if value.startswith("{", index):
        end = value.find("}", index)
        if end == -1:
            return len(value), value[index + 1:]
        inner = value[index + 1:end]
        inner = {"\\i": "i", "\\j": "j"}.get(inner, inner)
        return end + 1, inner
    if value.startswith("\\i", index) or value.startswith("\\j", index):
        return index + 2, value[index + 1]
    return (index + 1, value[index]) if index < len(value) else (index, "")


def text_to_latex(value: str) -> str:
    """The exact inverse of :func:`latex_to_text` for our writer: escape ``\\ { } & % $ # _``."""
    out: list[str] = []
    for char in value:
        if char == "\\":
            out.append("\\textbackslash{}")
        elif char in _ESCAPED:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def split_authors(value: str) -> list[str]:
    """``"Haseli, Gholamreza and {World Health Organization}"`` -> names, never splitting inside braces."""
    parts: list[str] = []
    depth = 0
    start = 0
    index = 0
    while index < len(value):
        char = value[index]
        if char == "\\":
            index += 2  # an escaped character (\{, \}) is text, not grouping
            continue
        if char == "{":
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        elif depth == 0 and value[index:index + 5].lower() in (" and ", "\nand "):
            parts.append(value[start:index])
            index += 5
            start = index
            continue
        index += 1
    parts.append(value[start:])
    return [part.strip() for part in parts if part.strip()]


# ---------------------------------------------------------------------------------------------------------
# reading


def sniff(text: str) -> Detection | None:
    head = text[:20000]
    match = re.search(r"(?m)^\s*@\s*([A-Za-z]+)\s*[{(]", head)
    if match is None or match.group(1).lower() in ("xml",):
        return None
    entries = len(re.findall(r"(?m)^\s*@\s*[A-Za-z]+\s*[{(]", head))
    database = _database(head)
    confidence = 0.9 if match.group(1).lower() not in ("comment", "string", "preamble") or entries > 1 else 0.6
    evidence = f"BibTeX entry @{match.group(1)} on line {head[:match.start(1)].count(chr(10)) + 1}"
    opens = not head[:match.start()].strip()
    return Detection("bibtex", confidence, database, evidence + (f"; written by {database}" if database else ""),
                     opens=opens)


def _database(text: str) -> str | None:
    for pattern, name in DATABASE_HINTS:
        if re.search(pattern, text):
            return name
    return None


def read(text: str, path: str, database: str | None) -> Parsed:
    """Every entry of a BibTeX file, in order; @string/@preamble/@comment blocks are not records. The text is
    read as :func:`stream` reads a large file, in blocks (one mechanism for every size, the same records)."""
    database = database or _database(text[:_HEAD_CHARS]) or "BibTeX"
    warnings: list[str] = []
    items = list(stream((text[i:i + _BLOCK_CHARS] for i in range(0, len(text), _BLOCK_CHARS)), path, database,
                        warnings))
    return Parsed(path=path, format="bibtex", database=database,
                  records=tuple(i for i in items if isinstance(i, Record)),
                  rejected=tuple(i for i in items if isinstance(i, Rejected)), warnings=tuple(warnings))


#: How much of the file names the database that wrote it.
_HEAD_CHARS = 20000
#: The blocks :func:`read` gives :func:`stream` (an import of a large file gives blocks of ``BLOCK_BYTES``).
_BLOCK_CHARS = 1 << 20
#: A line where bibtexparser always starts a block, whatever came before (see :func:`stream`): an ``@`` and a word
#: then ``{`` or ``(``, at the start of the line (spaces and tabs aside). The text is cut only there.
_CUT_LINE = re.compile(r"(?m)^[ \t]{0,16}@[A-Za-z]{1,64}[ \t]{0,16}[{(]")
#: The longest text a cut line's match spans.
_CUT_PREFIX_CHARS = 16 + 1 + 64 + 16 + 1
#: The longest stretch read without a cut line in it: a longer one is cut at a line start anyway, with a warning
#: (damaged text: a real entry is a few KB; a line is at most ``encoding.MAX_LINE_CHARS``, 8 M characters).
MAX_UNCUT_CHARS = 16 * 1024 * 1024


def stream(pieces: Iterable[str], path: str, database: str | None,
           warnings: list[str] | None = None) -> Iterator[Record | Rejected]:
    """The entries of a BibTeX text arriving in pieces, as records and rejected records in file order, holding one
    piece and the text since the last cut line (see ``_CUT_LINE``) at a time.

    Why the records are those of bibtexparser reading the whole text: its splitter starts a new block at every
    ``@word{`` that opens a line, whatever it was reading (an entry still open is aborted there: a brace never
    closed, a quote never ended). So the text is cut only before such a line, and each batch is parsed with that
    line's ``@word{`` after it, so that an entry left open aborts exactly as it does in the whole text (same reason,
    same raw text); the block that ``@word{`` starts is dropped (it is read with the next batch). What crosses a
    cut is carried: the ``@string`` macros, the record number, the line number. A stretch of more than
    ``MAX_UNCUT_CHARS`` with no cut line (a damaged file) is cut at a line start anyway, with a warning naming the
    line: memory stays bounded whatever the file.

    Every entry is read alike, whether or not its key or a field name is repeated (bibtexparser leaves a repeated
    key's entry unresolved, with its braces; a reader of blocks cannot know the keys of the whole file), and an
    ``@string`` macro is resolved in the entries after it (BibTeX's own rule; bibtexparser, reading the whole text,
    also resolves it before). Line numbers count every line (bibtexparser does not count a line ending in ``\\``).

    An entry bibtexparser gives up on (real EBSCO exports hold scraped web-page junk with stray braces
    and ``@`` in ``Keywords``) is read again line by line, up to the next line that starts an entry;
    when that finds a title or DOI the record comes in with a warning, else it is rejected.
    """
    found = [] if warnings is None else warnings
    pieces = iter(pieces)
    head: list[str] = []
    size = 0
    for piece in pieces:  # the first piece holds the head that names the database
        head.append(piece)
        size += len(piece)
        if size >= _HEAD_CHARS:
            break
    first = "".join(head)
    reader = _Reader(path, database or _database(first[:_HEAD_CHARS]) or "BibTeX", found)
    yield from reader.items(_batches(itertools.chain([first], pieces), path))


@dataclass(slots=True)
class _Batch:
    """Text between two cuts: ``sentinel`` is the ``@word{`` of the cut line after it ("" at the end of the file
    or at a cut forced in a damaged stretch, then ``note`` says so), ``line`` its first line (0-based)."""

    text: str
    sentinel: str
    line: int
    note: str = ""


def _batches(pieces: Iterable[str], path: str) -> Iterator[_Batch]:
    """The text in batches, cut before the last cut line of what is held as each piece arrives (so each batch is
    about a piece), and in any stretch of more than ``MAX_UNCUT_CHARS`` with no cut line."""
    held = ""
    line = 0  # of held's start
    last_line = 0  # where held's last line starts
    for piece in itertools.chain(pieces, [None]):
        final = piece is None
        # a cut line not seen yet starts in the piece, or is held's last line if that is short enough to be one
        scan = last_line if len(held) - last_line < _CUT_PREFIX_CHARS else len(held)
        if piece:
            newline = piece.rfind("\n")
            last_line = len(held) + newline + 1 if newline != -1 else last_line
            held += piece
        cuts = [match.start() for match in _CUT_LINE.finditer(held, scan) if match.start() > 0]
        bounds: list[tuple[int, str]] = []  # (cut, sentinel) or (forced cut, "")
        previous = 0
        # the next cut after the cut lines held is at the end of the file, or at the earliest at the last line start
        ends = [*((cut, True) for cut in cuts), (len(held) if final else last_line, False)]
        for cut, is_cut in ends:
            while cut - previous > MAX_UNCUT_CHARS:
                forced = held.rfind("\n", previous, previous + MAX_UNCUT_CHARS) + 1
                previous = forced if forced > previous else previous + MAX_UNCUT_CHARS
                bounds.append((previous, ""))
            if is_cut:
                bounds.append((cut, _CUT_LINE.match(held, cut).group()))  # type: ignore[union-attr]
                previous = cut
        done = 0
        for index, (cut, sentinel) in enumerate(bounds):
            if sentinel and index + 1 < len(bounds) and bounds[index + 1][1]:
                continue  # the next cut line is a cut too: one batch up to the last of them
            text = held[done:cut]
            note = "" if sentinel else _forced(path, line, held, done, cut)
            yield _Batch(text, sentinel, line, note)
            line += text.count("\n")
            done = cut
        held = held[done:]
        last_line -= done
        if final:
            yield _Batch(held, "", line)


def _forced(path: str, line: int, held: str, start: int, cut: int) -> str:
    at = line + held.count("\n", start, cut) + 1
    return Damage(f"{path}:{at}: no BibTeX entry starts a line in the {MAX_UNCUT_CHARS // 2**20} MB from line "
                  f"{line + 1}: the text is cut at line {at} to be read (a damaged file?); an entry across that line "
                  "is not read whole")


class _Reader:
    """What reading carries from batch to batch: the macros, the record number, where a line-by-line re-read
    ended, and the records' database."""

    def __init__(self, path: str, database: str, warnings: list[str]) -> None:
        self.path = path
        self.database = database
        self.warnings = warnings
        self.position = 0
        self.skip_until = -1
        self.strings: set[str] = set()  # the @string keys defined, as written: the first definition is kept
        self.raw_macros: dict[str, str] = {}  # lower-case key -> value as written (braces or quotes kept)
        self.macros: dict[str, str] = {}  # lower-case key -> value without its braces or quotes

    def items(self, batches: Iterable[_Batch]) -> Iterator[Record | Rejected]:
        last = _Batch("", "", 0)
        for batch in batches:
            yield from self.batch(batch)
            if batch.note:
                self.warnings.append(batch.note)
            last = batch
        _check_end(last.text, self.position, self.path, self.warnings, last.line)

    def batch(self, batch: _Batch) -> Iterator[Record | Rejected]:
        library = _parse(batch.text + batch.sentinel)
        blocks = library.blocks[:-1] if batch.sentinel else library.blocks  # the sentinel's block is the next's
        lines: list[str] | None = None
        line_of = _line_counter(batch.text)
        for block in blocks:
            start = line_of(block.start_line or 0)  # in the batch
            start_line = batch.line + start
            if start_line < self.skip_until:
                continue
            entry: Entry | None = None
            if isinstance(block, String):
                self.define(block, library)
            elif isinstance(block, Entry):
                entry = block
            elif isinstance(block, (DuplicateBlockKeyBlock, DuplicateFieldKeyBlock)):
                entry = block.ignore_error_block if isinstance(block.ignore_error_block, Entry) else None
                if isinstance(block, DuplicateFieldKeyBlock):
                    self.warnings.append(f"{self.path}:{start_line + 1}: a field is written twice; the first value "
                                         "is used")
            elif isinstance(block, ParsingFailedBlock):
                lines = (batch.text + batch.sentinel).split("\n") if lines is None else lines  # to the cut line
                yield from self.failed(block, lines, start, batch.line)
                continue
            elif isinstance(block, ImplicitComment) and _FIELD_IN_COMMENT.search(block.comment):
                self.warnings.append(f"{self.path}:{start_line + 1}: text between entries holds fields ('name = "
                                     "{...}'): an entry that lost its '@type{key,' line? It is not read")
            if entry is None:
                continue
            self.position += 1
            yield entry_record(self.resolved(entry, library), self.database, self.position, self.macros, start_line)

    def failed(self, block: ParsingFailedBlock, lines: list[str], start: int,
               first: int) -> Iterator[Record | Rejected]:
        """An entry bibtexparser gave up on, re-read line by line up to the next line starting an entry."""
        if start >= len(lines) or not _ENTRY_START.match(lines[start]) or _is_non_entry(lines[start]):
            return
        end = next((i for i in range(start + 1, len(lines)) if _ENTRY_START.match(lines[i])), len(lines))
        self.skip_until = first + end
        raw = "\n".join(lines[start:end]).rstrip()
        self.position += 1
        lenient = lenient_entry(raw, first + start)
        if lenient is not None:
            self.warnings.append(f"{self.path}:{first + start + 1} (record {self.position}): malformed BibTeX entry "
                                 f"read line by line ({_reason(block)}); check its fields")
            yield entry_record(lenient, self.database, self.position, self.macros)
        else:
            yield Rejected(self.position, first + start + 1, f"unreadable BibTeX entry: {_reason(block)}", raw)

    def define(self, string: String, library: Any) -> None:
        """An ``@string`` macro, for the entries after it (a key defined before, as written, keeps its first
        value, as bibtexparser keeps it)."""
        if string.key in self.strings:
            return
        self.strings.add(string.key)
        self.raw_macros[string.key.lower()] = string.value
        _ENCLOSING.transform_string(string, library)
        self.macros[string.key.lower()] = str(string.value)

    def resolved(self, entry: Entry, library: Any) -> Entry:
        """The entry with its macros resolved and the braces or quotes around each value removed, as
        bibtexparser's default parse stack does."""
        for field in entry.fields:
            value = field.value
            if isinstance(value, str) and not _enclosed(value):
                field.value = self.raw_macros.get(value.lower(), value)
        _ENCLOSING.transform_entry(entry, library)
        return entry


_ENCLOSING = RemoveEnclosingMiddleware(allow_inplace_modification=True)


def _enclosed(value: str) -> bool:
    return value[:1] + value[-1:] in ('""', "{}")


def _line_counter(text: str) -> Callable[[int], int]:
    """bibtexparser's line number of a block (it counts no line ending in a backslash) -> the line in ``text``."""
    if "\\\n" not in text:
        return lambda line: line
    counted = [0]
    for number, newline in enumerate((m.start() for m in re.finditer("\n", text)), start=1):
        if newline == 0 or text[newline - 1] != "\\":
            counted.append(number)
    return lambda line: counted[min(line, len(counted) - 1)]


#: The file's last non-blank text is an ``@`` and a word with no ``{`` or ``(`` after it: an entry cut off as it
#: began (BibTeX starts an entry at every ``@``, so a whole file never ends with one).
_CUT_ENTRY = re.compile(r"(?:\A|\n)([ \t]*@[ \t]*[A-Za-z]*)[ \t]*\Z")


def _check_end(text: str, position: int, path: str, warnings: list[str], first_line: int = 0) -> None:
    """A file that ends in the first word of an entry lost that entry and any after it: said as damage. ``text``:
    the end of the file from a line start, its ``first_line``."""
    tail = text.rstrip()
    match = _CUT_ENTRY.search(tail, max(0, len(tail) - 200))
    if match is not None:
        line = first_line + tail.count("\n", 0, match.start(1)) + 1
        warnings.append(Damage(f"{path}:{line}: the file ends with {match.group(1).strip()!r} after entry {position}: "
                               "an entry cut off as it began (a truncated export?); not read"))


_ENTRY_START = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]")
_FIELD_LINE = re.compile(r"^\s*([A-Za-z][\w\-:.]*)\s*=\s*(.*)$")
#: A field written outside any entry (BibTeX reads text between entries as a comment).
_FIELD_IN_COMMENT = re.compile(r"(?m)^\s*[A-Za-z][\w\-]*\s*=\s*[{\"\d]")


def _parse(text: str) -> Any:
    """bibtexparser's split of a text into blocks, values as written (macros are resolved and braces removed by
    :class:`_Reader`, in file order), without its log lines on stderr (its failures become our rejections)."""
    logger = logging.getLogger("bibtexparser")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        library = bibtexparser.parse_string(text, parse_stack=[])
    finally:
        logger.setLevel(level)
    for block in library.failed_blocks:  # its error's traceback holds the splitter and its text in a cycle, which
        error = getattr(block, "error", None)  # only the garbage collector would free: batches would pile up
        if isinstance(error, BaseException):
            error.__traceback__ = error.__context__ = error.__cause__ = None
    return library


def _reason(block: ParsingFailedBlock) -> str:
    error = block.error
    reason = getattr(error, "abort_reason", None) or str(error) or type(error).__name__
    return " ".join(str(reason).split())


def lenient_entry(raw: str, start_line: int) -> Entry | None:
    """An entry read line by line (``name = {value},`` per line, continuation lines appended)."""
    head = re.match(r"\s*@\s*([A-Za-z]+)\s*[{(]\s*([^,\n]*),", raw)
    if head is None:
        return None
    body = raw[head.end():].rstrip()
    if body.endswith(("}", ")")):
        body = body[:-1]
    fields: list[list[str]] = []
    for line in body.split("\n"):
        match = _FIELD_LINE.match(line)
        if match:
            fields.append([match.group(1), match.group(2)])
        elif fields:
            fields[-1][1] += "\n" + line
    entry_fields = []
    for name, value in fields:
        value = value.strip().removesuffix(",").strip()
        if len(value) >= 2 and value[0] + value[-1] in ("{}", '""'):
            value = value[1:-1]
        elif not re.fullmatch(r"[\w.\-]+", value):
            return None  # neither {braced}, "quoted" nor a bare number or macro: too broken to trust
        entry_fields.append(Field(name, value))
    entry = Entry(head.group(1).lower(), head.group(2).strip(), entry_fields, start_line=start_line, raw=raw)
    names = {entry_field.key.lower() for entry_field in entry_fields}
    return entry if names & {"title", "doi"} else None


def _is_non_entry(raw: str) -> bool:
    return bool(re.match(r"\s*@\s*(comment|string|preamble)\b", raw, re.IGNORECASE))


def entry_record(entry: Entry, database: str, position: int, macros: dict[str, str] | None = None,
                 line: int | None = None) -> Record:
    """One BibTeX entry as a record; ``macros`` are the file's ``@string`` definitions, ``line`` the entry's first
    line (0-based; by default bibtexparser's)."""
    values: dict[str, str] = {}
    tags: list[tuple[str, str]] = [("ENTRYTYPE", entry.entry_type), ("ID", entry.key)]
    for field in entry.fields:
        value = field.value if isinstance(field.value, str) else str(field.value)
        tags.append((field.key, value))
        values.setdefault(field.key.lower(), concatenate(value, macros or {}))

    def text(name: str) -> str:
        return f.clean(latex_to_text(values.get(name, "")))

    found: dict[str, Any] = {}
    for name, candidates in FIELDS.items():
        found[name] = next((text(c) for c in candidates if text(c)), "")
    lists: dict[str, list[str]] = {}
    for name, candidates in LIST_FIELDS.items():
        items: list[str] = []
        for candidate in candidates:
            raw_value = values.get(candidate, "")
            if not raw_value:
                continue
            separator = ";" if ";" in raw_value or name in ("language", "publication_types") else ","
            if name == "issn":
                parts = list(f.issns([raw_value]))
            else:
                parts = [f.clean(latex_to_text(p)) for p in _split_list(raw_value, separator)]
            items.extend(p for p in parts if p and p not in items)
        lists[name] = items
    authors = [f.clean(latex_to_text(_unwrap(name))) for name in split_authors(values.get("author", ""))]
    authors = [f.author(name, "given-first") if not _braced(raw) else name
               for name, raw in zip(authors, split_authors(values.get("author", "")), strict=True)]
    if not authors and values.get("book-group-author"):
        authors = [text("book-group-author")]
    return Record(
        title=f.strip_markup(found["title"]),
        abstract=_paragraphs(values.get("abstract", "")) if "abstract" in values else f.strip_markup(found["abstract"]),
        authors=tuple(a for a in authors if a),
        year=f.year_of(found["year"]),
        journal=found["journal"],
        journal_abbrev=found["journal_abbrev"],
        issn=tuple(lists["issn"]),
        volume=found["volume"],
        issue=found["issue"],
        pages=f.pages(found["pages"]),
        doi=f.find_doi(found["doi"]),
        pmid=f.pmid_of(found["pmid"]) if found["pmid"] else _pmid_from_key(entry.key),
        language=tuple(lists["language"]),
        publication_types=tuple(lists["publication_types"]),
        keywords=tuple(lists["keywords"]),
        mesh=tuple(lists["mesh"]),
        url=found["url"],
        publisher=found["publisher"],
        database=text("database") or database,
        source_id=_source_id(entry, values),
        raw=entry.raw or "",
        tags=tuple(tags),
        position=position,
        line=(entry.start_line or 0 if line is None else line) + 1,
    )


def concatenate(value: str, macros: dict[str, str]) -> str:
    """Resolve BibTeX's ``"text " # macro # {more}`` (bibtexparser leaves such values as written)."""
    parts: list[str] = []
    depth = 0
    quoted = False
    start = 0
    for index, char in enumerate(value):
        if char == "\\":
            continue
        if char == "{" and (index == 0 or value[index - 1] != "\\"):
            depth += 1
        elif char == "}" and depth and value[index - 1] != "\\":
            depth -= 1
        elif char == '"' and depth == 0:
            quoted = not quoted
        elif char == "#" and depth == 0 and not quoted and index and value[index - 1] != "\\":
            parts.append(value[start:index])
            start = index + 1
    if not parts:
        return value
    parts.append(value[start:])
    resolved: list[str] = []
    for part in (p.strip() for p in parts):
        if len(part) >= 2 and part[0] + part[-1] in ('""', "{}"):
            resolved.append(part[1:-1])
        elif part.lower() in macros:
            resolved.append(macros[part.lower()])
        elif part.isdigit():
            resolved.append(part)
        else:
            return value  # not a concatenation after all (a braced "C# programming" whose braces are gone)
    return "".join(resolved)


def _split_list(value: str, separator: str) -> list[str]:
    """``;`` splits everywhere; ``,`` (EBSCO, ProQuest keywords) never inside parentheses."""
    if separator == ";":
        return [part.strip() for part in value.split(";") if part.strip()]
    return f.split_cell(value, ",")


def _unwrap(name: str) -> str:
    return name[1:-1] if _braced(name) else name


def _braced(name: str) -> bool:
    """A name wholly in braces is a corporate name, written as is (``{World Health Organization}``)."""
    if not (name.startswith("{") and name.endswith("}")):
        return False
    depth = 0
    index = 0
    while index < len(name):
        char = name[index]
        if char == "\\":
            index += 2
            continue
        depth += char == "{"
        depth -= char == "}"
        if depth == 0 and index < len(name) - 1:
            return False
        index += 1
    return True


def _pmid_from_key(key: str) -> str:
    match = re.fullmatch(r"PMID:(\d+)", key.strip())
    return match.group(1) if match else ""


def _paragraphs(value: str) -> str:
    """An abstract with its paragraphs: a blank line in a BibTeX value is a paragraph break (LaTeX's rule),
    kept as one line break; other line breaks are spaces, as in every text field."""
    parts = (f.strip_markup(f.clean(latex_to_text(part))) for part in re.split(r"\n[ \t]*\n\s*", value))
    text = "\n".join(part for part in parts if part)
    return "" if f.is_placeholder(text) else text


def _source_id(entry: Entry, values: dict[str, str]) -> str:
    for name in ID_FIELDS:
        if values.get(name, "").strip():
            return f.clean(latex_to_text(values[name]))
    if "eid" in values:
        return ""  # our export writes an empty eid for a record with no database id: the key is not one
    url = values.get("url", "")
    if url:
        query = parse_qs(urlsplit(url.strip()).query)
        for name in ("eid", "AN"):
            if query.get(name):
                return query[name][0]
    return entry.key.strip()


# ---------------------------------------------------------------------------------------------------------
# writing

#: Record field -> BibTeX field, in the order written.
WRITE_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "title"), ("journal", "journal"), ("journal_abbrev", "shortjournal"), ("year", "year"),
    ("volume", "volume"), ("issue", "number"), ("pages", "pages"), ("doi", "doi"), ("pmid", "pmid"),
    ("issn", "issn"), ("language", "language"), ("publication_types", "type"), ("keywords", "keywords"),
    ("mesh", "mesh"), ("url", "url"), ("publisher", "publisher"), ("abstract", "abstract"),
)


def write_bibtex(records: Iterable[Record], keys: Iterable[str] | None = None) -> Iterable[str]:
    """BibTeX text, one entry per record (yielded one at a time, so a large export streams).

    ``keys`` (optional) gives each entry's key; by default the record's ``source_id``, made unique and
    safe. The database's id goes to ``eid`` so reading the file back gives the same ``source_id``.
    """
    used: set[str] = set()
    key_iter = iter(keys) if keys is not None else None
    for number, record in enumerate(records, start=1):
        wanted = next(key_iter) if key_iter is not None else (record.source_id or f"record{number}")
        key = _unique_key(wanted, used, number)
        yield _entry_text(record, key)


def entry(record: Record, key: str) -> str:
    """One BibTeX entry under ``key`` as given (the export's ledger id)."""
    return next(iter(write_bibtex([record], keys=[key])))


def _unique_key(wanted: str, used: set[str], number: int) -> str:
    key = re.sub(r"[^A-Za-z0-9_:.\-/]", "", wanted) or f"record{number}"
    base = key
    suffix = 1
    while key in used:
        suffix += 1
        key = f"{base}-{suffix}"
    used.add(key)
    return key


def _entry_text(record: Record, key: str) -> str:
    lines = [f"@article{{{key},"]
    if record.authors:
        names = [text_to_latex(a) if "," in a and " and " not in a.lower() else "{" + text_to_latex(a) + "}"
                 for a in record.authors]
        lines.append(f"  author = {{{' and '.join(names)}}},")
    for name, bib in WRITE_FIELDS:
        value = getattr(record, name)
        if value is None or value == "" or value == ():
            continue
        if isinstance(value, tuple):
            text = "; ".join(text_to_latex(v) for v in value)
            if len(value) == 1 and "," in value[0]:
                text += ";"  # one value holding a comma: the ";" tells a reader not to split at the comma
        else:
            text = text_to_latex(str(value))
            if name == "abstract" and "\n" in text:
                text = re.sub(r"\s*\n\s*", "\n\n", text.strip())  # a paragraph break is a blank line in BibTeX
        lines.append(f"  {bib} = {{{text}}},")
    lines.append(f"  eid = {{{text_to_latex(record.source_id)}}},")  # empty: no database id (the key is none)
    if record.database:
        lines.append(f"  database = {{{text_to_latex(record.database)}}},")
    lines.append("}")
    return "\n".join(lines) + "\n\n"


FORMAT = FileFormat(
    name="bibtex",
    description="BibTeX (Scopus, Web of Science, EBSCOhost, ProQuest, Europe PMC, Zotero, JabRef...)",
    sniff=sniff,
    read=read,
    aliases=("bib", "biblatex"),
    extensions=(".bib", ".bibtex"),
    stream=stream,
)
