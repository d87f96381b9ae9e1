"""Turning an export file's bytes into text: BOMs, UTF-16, Windows-1252 fallback, line endings.

Line endings are normalised to ``\\n`` (CRLF, lone CR and mixed files all occur in real exports), so
every format reader sees one shape and line numbers count the way an editor counts them.
"""

from __future__ import annotations

import codecs

from harvester.errors import FormatError

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode(data: bytes, path: str) -> tuple[str, str, list[str]]:
    """Return ``(text, encoding, warnings)``; raise :class:`FormatError` for binary content."""
    warnings: list[str] = []
    encoding = _encoding_from_bom(data) or _utf16_without_bom(data)
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as error:
            problem = f"declared {encoding} by its byte-order mark but cannot be decoded: {error}"
            raise FormatError(path, problem) from error
        text = text.removeprefix("\ufeff")
    else:
        if _looks_binary(data):
            raise FormatError(path, "this is a binary file, not a text export (is it a PDF, a ZIP or an .xlsx?)")
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as error:
            text, encoding = data.decode("cp1252", errors="replace"), "cp1252"
            line = data[: error.start].count(b"\n") + 1
            warnings.append(f"{path}:{line}: not valid UTF-8; read as Windows-1252 (check accented characters)")
    if "\x00" in text:
        raise FormatError(path, "the text holds NUL characters: a binary file or a wrongly encoded export")
    return normalise_newlines(text), encoding, warnings


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


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
    sample = data[:8000]
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return control > 0.05 * len(sample)
