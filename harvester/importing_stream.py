"""Reading a large export block by block, so memory stays flat however many records it holds.

:func:`harvester.importing.import_file` asks :func:`open_stream` for a file larger than
``STREAM_ABOVE_BYTES`` whose format declares a block reader (``FileFormat.stream``): RIS, CSV (with or
without a column mapping, ``import --map``), Web of Science tab, MEDLINE (and ERIC's nbib), Web of Science
plain text, EndNote tagged, Ovid, the XML formats (EndNote XML, PubMed XML, ICTRP XML) and BibTeX (cut before
a line that starts an entry, ``@string`` macros carried: see ``formats.bibtex.stream``); see docs/importing.md,
Large files.
The file has already been checked whole by ``encoding.inspect_path`` (the one reading path for every size:
encoding decided and verified on the whole file, NUL characters and over-long lines refused, before
anything is written); the format is decided on its first 256 KB, exactly as
:func:`harvester.formats.read_source` decides it for a whole file. The records then go to the ledger as
they are read, through the same store routine as a whole file, inside the one transaction of the import.
A format that cannot stream gives None and the caller reads the file whole (or refuses it when it is too
large to read whole). Nothing here writes to the ledger.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from harvester.errors import FormatError
from harvester.formats import decide, get_format, mapped_detection
from harvester.formats._doubled import watch
from harvester.formats.base import Detection, FileFormat, Rejected, Streamer
from harvester.formats.encoding import TextSource
from harvester.records import Record

HEAD_BYTES = 256 * 1024
BLOCK_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class Stream:
    """A file that can be read block by block: its format, what decided it, its encoding and the warnings
    the decoding gave."""

    path: Path
    format: FileFormat
    detection: Detection
    encoding: str
    warnings: tuple[str, ...]
    _reader: Streamer
    _text: TextSource

    def items(self, database: str | None, warnings: list[str]) -> Iterator[Record | Rejected]:
        """The file's records and rejected records, in order, read afresh from the start."""
        items = self._reader(self._text.blocks(BLOCK_BYTES), str(self.path), database, warnings)
        return watch(items, str(self.path), warnings)  # a block of lines written twice, as read_source looks for


def open_stream(path: Path, format: str | None, text: TextSource,
                mapping: Mapping[str, str] | None = None) -> Stream | None:
    """The file as a :class:`Stream`, or None when it cannot be streamed (the caller reads it whole).
    ``mapping`` (``import --map``): a CSV read with the columns it names; None for a format that is not CSV
    (the whole-file reader refuses the mapping, saying why)."""
    if mapping is not None:
        from harvester.formats import csv as csv_format  # format modules load when needed (start-up time)

        if format is not None and get_format(format).name != "csv":
            return None
        fmt = get_format("csv")
        return Stream(path, fmt, mapped_detection(_head(text), mapping), text.encoding, text.warnings,
                      partial(csv_format.stream, mapping=mapping), text)
    try:
        fmt, detection = decide(_head(text), str(path), format)
    except FormatError:
        return None
    if fmt.stream is None:
        return None
    return Stream(path, fmt, detection, text.encoding, text.warnings, fmt.stream, text)


def _head(text: TextSource) -> str:
    """The file's first ``HEAD_BYTES`` characters, cut after its last whole line, as the whole-file detection sees
    them; a file whose lines are longer than half of that (an EndNote library written on one line) is cut there,
    not after its first line (its XML declaration, which names no format)."""
    head = text.head(HEAD_BYTES)
    if len(head) >= HEAD_BYTES // 2 or len(head) >= text.size:
        return head
    return "".join(_first_chars(text, HEAD_BYTES))


def _first_chars(text: TextSource, count: int) -> Iterator[str]:
    for block in text.blocks():
        yield block[:count]
        count -= len(block)
        if count <= 0:
            return
