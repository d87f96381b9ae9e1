"""What every file format provides, and what reading a file returns."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace

from harvester.records import Record


@dataclass(frozen=True, slots=True)
class Detection:
    """Which format (and database, when the content tells) a text looks like, and why."""

    format: str
    confidence: float  # 0..1; the registry picks the highest
    database: str | None
    evidence: str  # e.g. "RIS tags; 'DB  - Scopus' on line 3"
    #: The evidence opens the file: a known header or record start on its first non-blank line (after a
    #: byte-order mark or an XML declaration). It beats any look-alike line further down (a CSV cell that
    #: starts ``@Word(`` or ``TY  - ``), whatever the confidence.
    opens: bool = False


class Damage(str):
    """A warning that is evidence the file was cut short or damaged: a record with no end mark at the end of
    the file, a row shorter than the header, a record count that disagrees with the file's own stated total.
    It reads like any warning (it is one, naming the record); ``import --strict`` refuses a file with one."""

    __slots__ = ()


def damaged(warnings: tuple[str, ...] | list[str]) -> list[str]:
    """The warnings that are evidence of damage (see :class:`Damage`)."""
    return [warning for warning in warnings if isinstance(warning, Damage)]


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that could not be read, with where and why."""

    position: int  # 1-based record number in the file
    line: int  # first line of the record
    reason: str
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Parsed:
    """The result of reading one file: records and rejected records, in file order."""

    path: str
    format: str
    database: str
    records: tuple[Record, ...]
    rejected: tuple[Rejected, ...] = ()
    warnings: tuple[str, ...] = ()
    encoding: str = "utf-8"
    detection: Detection | None = None

    @property
    def records_read(self) -> int:
        return len(self.records) + len(self.rejected)

    def with_context(self, *, encoding: str, detection: Detection, warnings: list[str]) -> Parsed:
        return replace(self, encoding=encoding, detection=detection, warnings=tuple(warnings) + self.warnings)


#: A reader of text arriving in pieces: ``(pieces, path, database, warnings)`` -> records and rejected records,
#: in file order, holding no more than a piece and one record at a time.
Streamer = Callable[[Iterable[str], str, "str | None", "list[str] | None"], Iterator["Record | Rejected"]]


@dataclass(frozen=True, slots=True)
class FileFormat:
    """A format module's entry in the registry.

    ``sniff(text)`` returns a :class:`Detection` when the text looks like this format, else None; it must
    be cheap (look at the start of the text). ``read(text, path, database)`` parses the whole text; a
    malformed record becomes a :class:`Rejected` (with file line and record number) and reading goes on.
    ``database`` is the detected or user-named database (None: the format decides, e.g. "PubMed").
    ``stream`` (None: the format is read whole) reads the text block by block, for large files.
    """

    name: str
    description: str
    sniff: Callable[[str], Detection | None]
    read: Callable[[str, str, str | None], Parsed]
    aliases: tuple[str, ...] = field(default=())
    extensions: tuple[str, ...] = field(default=())
    stream: Streamer | None = None


def lines_of(pieces: Iterable[str]) -> Iterator[str]:
    """The lines of a text that arrives in pieces, exactly as ``text.split("\\n")`` gives them (the last one
    even when empty), holding one piece and one line at a time (a long line's pieces are joined once)."""
    held: list[str] = []  # the pieces of the line not ended yet
    for piece in pieces:
        if "\n" not in piece:
            held.append(piece)
            continue
        parts = piece.split("\n")
        held.append(parts[0])
        yield "".join(held)
        yield from parts[1:-1]
        held = [parts[-1]]
    yield "".join(held)
