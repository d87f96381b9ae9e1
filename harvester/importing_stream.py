"""Reading a large export block by block, so memory stays flat however many records it holds.

:func:`harvester.importing.import_file` asks :func:`open_stream` for a file larger than
``STREAM_ABOVE_BYTES`` whose format declares a block reader (``FileFormat.stream``; RIS does). The
format and encoding are decided on the file's first 256 KB, exactly as
:func:`harvester.formats.read_bytes` decides them for a whole file; the records then go to the ledger
as they are read, through the same store routine as a whole file, inside the one transaction of the
import. A file that turns out not to be UTF-8 after its first 256 KB is read as Windows-1252, with the
same warning the whole-file reader gives (the whole file is checked before anything is written, so
nothing needs undoing inside a caller's transaction). Anything unusual (a format that cannot stream, a
head that cannot be decoded) gives None and the caller reads the file whole, so every error message
stays the one the whole-file reader gives. Nothing here writes to the ledger.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harvester.errors import FormatError
from harvester.formats import decide
from harvester.formats.base import Detection, FileFormat, Rejected, Streamer
from harvester.formats.encoding import decode
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
    _stream_encoding: str

    def items(self, database: str | None, warnings: list[str]) -> Iterator[Record | Rejected]:
        """The file's records and rejected records, in order, read afresh from the start."""
        return self._reader(_blocks(self.path, self._stream_encoding), str(self.path), database, warnings)


def open_stream(path: Path, format: str | None) -> Stream | None:
    """The file as a :class:`Stream`, or None when it cannot be streamed (the caller reads it whole)."""
    head = _head(path)
    if head is None:
        return None
    text, encoding, warnings, bom = head
    try:
        fmt, detection = decide(text, str(path), format)
    except FormatError:
        return None
    if fmt.stream is None:
        return None
    stream_encoding = _stream_encoding(encoding, bom)
    if not _decodes(path, stream_encoding):
        if stream_encoding not in ("utf-8", "utf-8-sig"):
            return None  # the whole-file reader gives its own message
        warnings.append(f"{path}: not valid UTF-8 after the first {HEAD_BYTES // 1024} KB; read as Windows-1252 "
                        "(check accented characters)")
        stream_encoding = encoding = "cp1252"
    return Stream(path, fmt, detection, encoding, tuple(warnings), fmt.stream, stream_encoding)


def _head(path: Path) -> tuple[str, str, list[str], bool] | None:
    """The first 256 KB decoded (cut at a character boundary), its encoding, warnings, and whether a BOM opens it."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    bom = head.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = head[: len(head) - len(head) % 2]
    else:
        cut = head.rfind(b"\n")
        head = head[: cut + 1] if cut > 0 else head
    try:
        text, encoding, warnings = decode(head, str(path))
    except FormatError:
        return None
    return text, encoding, warnings, bom


def _stream_encoding(encoding: str, bom: bool) -> str:
    if encoding.startswith("utf-16") and bom:
        return "utf-16"  # the codec reads and drops the BOM
    return encoding


def _blocks(path: Path, encoding: str) -> Iterator[str]:
    with path.open(encoding=encoding, newline=None) as handle:  # universal newlines: CRLF, CR -> LF
        first = True
        while block := handle.read(BLOCK_BYTES):
            if first:
                block = block.removeprefix("\ufeff")
                first = False
            yield block


def _decodes(path: Path, encoding: str) -> bool:
    """Whether the whole file decodes in this encoding (read in blocks; nothing is kept)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as handle:
            while block := handle.read(BLOCK_BYTES):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
