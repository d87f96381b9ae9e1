"""Turning an export file's bytes into text: BOMs, UTF-16, Windows-1252 fallback, line endings.

There is one reading path, whatever the file's size: :func:`inspect_path` (or :func:`inspect_bytes`)
reads the bytes once in blocks of ``BLOCK_BYTES`` and decides the encoding, then checks the whole
file before any record is read: it must decode (UTF-8 that stops being UTF-8 anywhere falls back to
Windows-1252 with a warning naming the first bad line), hold no NUL character (binary, a sparse file,
a wrongly encoded export), hold no line longer than ``MAX_LINE_CHARS`` (XML aside: it is not read by
lines, and EndNote writes a library on one line) and not be empty. The result,
a :class:`TextSource`, gives the text block by block (:meth:`TextSource.blocks`, for files read as
they stream) or whole (:meth:`TextSource.text`); both give the same characters, so a large file and a
small file with the same bytes give the same records. Memory during the checks is one block.

Line endings are normalised to ``\\n`` (CRLF, lone CR and mixed files all occur in real exports), so
every format reader sees one shape and line numbers count the way an editor counts them.
"""

from __future__ import annotations

import codecs
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from harvester.errors import FormatError

#: How many bytes are read (and decoded) at a time.
BLOCK_BYTES = 1 << 20
#: The longest line accepted, in characters. Real export lines are at most a few hundred KB (a Web of
#: Science tab row with every cited reference); a longer "line" is a binary or damaged file, and reading
#: it would hold it whole in memory.
MAX_LINE_CHARS = 8 * 1024 * 1024
#: How much of the start of a file the binary and UTF-16 checks look at.
_SAMPLE_BYTES = 8000

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

Opener = Callable[[], BinaryIO]
if TYPE_CHECKING:
    from hashlib import _Hash as Hash


@dataclass(frozen=True, slots=True)
class TextSource:
    """A file that passed the checks: how to decode it, what was noticed, and its text on demand."""

    path: str
    encoding: str  # as reported: utf-8, utf-8-sig, utf-16-le, utf-16-be, cp1252 ...
    warnings: tuple[str, ...]
    size: int
    opener: Opener
    sha256: str = ""  # the bytes' SHA-256 (hex), when asked for (``inspect_path(..., sha256=True)``)

    def blocks(self, block_bytes: int | None = None) -> Iterator[str]:
        """The text in pieces of about ``block_bytes`` characters (newlines normalised, BOM dropped)."""
        size = block_bytes or BLOCK_BYTES
        errors = "replace" if self.encoding == "cp1252" else "strict"
        decoder = codecs.getincrementaldecoder(_codec(self.encoding))(errors=errors)
        first = True
        carry = ""  # a CR at the end of a block waits: the next block may start with its LF
        with self.opener() as handle:
            while True:
                data = handle.read(size)
                text = carry + decoder.decode(data, final=not data)
                if first and text:
                    text = text.removeprefix("\ufeff")
                    first = False
                carry = ""
                if data and text.endswith("\r"):
                    text, carry = text[:-1], "\r"
                if text:
                    yield normalise_newlines(text)
                if not data:
                    return

    def text(self) -> str:
        """The whole text (for files read at once)."""
        return "".join(self.blocks())

    def head(self, chars: int) -> str:
        """About the first ``chars`` characters, cut after the last whole line (the whole text if shorter)."""
        pieces: list[str] = []
        held = 0
        for block in self.blocks():
            pieces.append(block)
            held += len(block)
            if held >= chars:
                break
        text = "".join(pieces)
        if len(text) > chars:
            cut = text.rfind("\n", 0, chars)
            return text[: cut + 1] if cut >= 0 else text
        return text


def inspect_path(path: str | Path, *, sha256: bool = False) -> TextSource:
    """Check a file on disk (read once, block by block) and say how to decode it; :class:`FormatError` if it
    cannot be read as text. ``sha256``: also compute the bytes' SHA-256 (``TextSource.sha256``) in the same
    reading, instead of reading the file once more for it."""
    shown = str(path)

    def opener() -> BinaryIO:
        return Path(path).open("rb")

    try:
        return _inspect(opener, shown, sha256)
    except OSError as error:
        raise FormatError(shown, f"cannot read the file: {error.strerror or error}") from error


def inspect_bytes(data: bytes, path: str) -> TextSource:
    """:func:`inspect_path` for bytes already in memory."""
    return _inspect(lambda: io.BytesIO(data), path)


def decode(data: bytes, path: str) -> tuple[str, str, list[str]]:
    """Return ``(text, encoding, warnings)``; raise :class:`FormatError` for binary content."""
    source = inspect_bytes(data, path)
    return source.text(), source.encoding, list(source.warnings)


def normalise_newlines(text: str) -> str:
    if "\r" not in text:  # the usual case, one scan instead of two
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _codec(encoding: str) -> str:
    return "utf-8-sig" if encoding == "utf-8" else encoding  # a BOM is dropped by blocks() either way


def _inspect(opener: Opener, path: str, sha256: bool = False) -> TextSource:
    with opener() as handle:
        sample = handle.read(_SAMPLE_BYTES)
    encoding = _encoding_from_bom(sample) or _utf16_without_bom(sample)
    declared = encoding is not None
    if encoding is None:
        if _looks_binary(sample):
            raise FormatError(path, "this is a binary file, not a text export (is it a PDF, a ZIP or an .xlsx?)")
        encoding = "utf-8"
    warnings: list[str] = []
    lines = not _looks_xml(sample, encoding)
    digest = hashlib.sha256() if sha256 else None
    try:
        size = _check(opener, path, encoding, digest, lines)
    except _NotUtf8 as error:
        if declared:
            raise FormatError(path, f"declared {encoding} by its byte-order mark but cannot be decoded: "
                                    f"{error.reason}", line=error.line) from None
        warnings.append(f"{path}:{error.line}: not valid UTF-8; read as Windows-1252 (check accented characters)")
        encoding = "cp1252"
        digest = hashlib.sha256() if sha256 else None  # the first reading stopped at the error: hash it all again
        size = _check(opener, path, encoding, digest, lines)
    return TextSource(path, encoding, tuple(warnings), size, opener, digest.hexdigest() if digest else "")


class _NotUtf8(Exception):  # noqa: N818 - internal signal, never leaves this module
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


#: Encodings in which each NUL, CR and LF character is that one byte and no byte of another character: the
#: checks look for them in the bytes (one fast scan) rather than in the decoded text.
_BYTE_LINES = frozenset({"utf-8", "utf-8-sig", "cp1252"})


def _check(opener: Opener, path: str, encoding: str, digest: Hash | None = None, lines: bool = True) -> int:
    """Decode every block once: NUL characters, over-long lines (unless ``lines`` is False: XML, see
    :func:`_looks_xml`) and an empty file are refused; a decoding error raises :class:`_NotUtf8` with its line.
    ``digest`` is given every block read. Returns the size in bytes."""
    bytewise = encoding in _BYTE_LINES
    errors = "replace" if encoding == "cp1252" else "strict"
    decoder = codecs.getincrementaldecoder(_codec(encoding))(errors=errors)
    lines_before = 0  # newlines (CRLF, CR, LF each one) in the blocks already checked
    line_length = 0  # characters of the current line so far
    size = 0
    blank = True
    with opener() as handle:
        while True:
            data = handle.read(BLOCK_BYTES)
            size += len(data)
            if digest is not None:
                digest.update(data)
            try:
                text = decoder.decode(data, final=not data)
            except UnicodeDecodeError as error:
                line = lines_before + _newlines(data[: max(error.start, 0)].decode("latin-1")) + 1
                raise _NotUtf8(line, str(error)) from None
            if b"\x00" in data if bytewise else "\x00" in text:
                line = lines_before + _newlines(text[: text.index("\x00")]) + 1
                raise FormatError(path, "the text holds NUL characters: a binary file, a damaged or sparse file, or "
                                        "a wrongly encoded export; nothing read", line=line)
            if blank and text and not text.isspace():
                blank = False
            crs = b"\r" in data if bytewise else "\r" in text  # most exports have none: a newline count is one scan
            if lines:
                line_length = _longest(text, line_length, path, lines_before, crs)
            lines_before += _newlines_in_bytes(data, crs) if bytewise else _newlines(text, crs)
            if not data:
                break
    if blank:
        raise FormatError(path, "the file is empty")
    return size


def _looks_xml(sample: bytes, encoding: str) -> bool:
    """Whether a file opens as XML (``<`` first, after a BOM and blanks). Its lines are not capped: XML is read
    element by element, never line by line, and EndNote 20 writes a whole library on one line (a library of a
    few thousand records is over the cap)."""
    text = sample.decode(_codec(encoding), errors="ignore").lstrip("\ufeff \t\r\n")
    return text.startswith("<")


def _longest(text: str, running: int, path: str, lines_before: int, crs: bool = True) -> int:
    """The length of the line still open at the end of ``text``; a line over the cap is refused. A line
    inside one block is at most a block long (shorter than the cap): only lines across blocks are counted."""
    first = _first_break(text) if crs else text.find("\n")
    if first == -1:
        running += len(text)
        if running > MAX_LINE_CHARS:
            raise FormatError(path, f"line {lines_before + 1} is longer than {MAX_LINE_CHARS:,} characters: "
                                    "not a text export (or a damaged one); nothing read", line=lines_before + 1)
        return running
    if running + first > MAX_LINE_CHARS:
        raise FormatError(path, f"line {lines_before + 1} is longer than {MAX_LINE_CHARS:,} characters: "
                                "not a text export (or a damaged one); nothing read", line=lines_before + 1)
    last = max(text.rfind("\n"), text.rfind("\r")) if crs else text.rfind("\n")
    return len(text) - last - 1


def _first_break(text: str) -> int:
    found = [index for index in (text.find("\n"), text.find("\r")) if index != -1]
    return min(found) if found else -1


def _newlines_in_bytes(data: bytes, crs: bool) -> int:
    """:func:`_newlines` of a block's text, counted in its bytes (for the encodings of ``_BYTE_LINES``)."""
    if not crs:
        return data.count(b"\n")
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def _newlines(text: str, crs: bool = True) -> int:
    """Line breaks in ``text`` (CRLF, CR and LF each one); ``crs`` False: the caller knows it holds no CR."""
    if not crs:
        return text.count("\n")
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _encoding_from_bom(data: bytes) -> str | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM shows as every other byte NUL in ASCII-heavy text."""
    sample = data[:4000]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) / 2
    if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def _looks_binary(data: bytes) -> bool:
    sample = data[:_SAMPLE_BYTES]
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return control > 0.05 * len(sample)
