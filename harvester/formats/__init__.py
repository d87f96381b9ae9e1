"""Export file formats: one module per format, each with its tag or column table as data at the top.

Every format module in this package defines ``FORMAT``, a :class:`~harvester.formats.base.FileFormat`;
the registry below finds them by walking the package, so adding a module adds a format.
:func:`read_file` decodes a file's bytes (see ``encoding``), picks the format (by the caller's choice
or by content), and returns a :class:`~harvester.formats.base.Parsed` result.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from pathlib import Path

from harvester.errors import FormatError
from harvester.formats._doubled import doubled_blocks
from harvester.formats.base import Detection, FileFormat, Parsed
from harvester.formats.encoding import TextSource, inspect_bytes, inspect_path

_NOT_FORMATS = {"base", "encoding"}
#: The largest file read whole (records, raw text and tags of every record are held): about 1 GB of memory per
#: 100 MB of export. Larger files are imported block by block (every format can: RIS, CSV, WoS tab, the line-tagged
#: formats MEDLINE, Web of Science plain text, EndNote tagged and Ovid, the XML formats, and BibTeX, cut before a
#: line that starts an entry); a file whose format is not recognised is refused.
MAX_WHOLE_BYTES = 256 * 1024 * 1024
#: How much of a file too large to read whole is read to name its format in the refusal.
_HEAD_CHARS = 256 * 1024


@cache
def formats() -> tuple[FileFormat, ...]:
    """Every registered format, by name."""
    found: list[FileFormat] = []
    for module in pkgutil.iter_modules(__path__):
        if module.name in _NOT_FORMATS or module.name.startswith("_"):
            continue
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        fmt = getattr(loaded, "FORMAT", None)
        if isinstance(fmt, FileFormat):
            found.append(fmt)
    return tuple(sorted(found, key=lambda f: f.name))


def get_format(name: str) -> FileFormat:
    for fmt in formats():
        if fmt.name == name or name in fmt.aliases:
            return fmt
    known = ", ".join(f.name for f in formats())
    raise FormatError(name, f"unknown format {name!r} (known: {known})")


#: The confidence from which evidence on the first line takes precedence (a known header, not a weak guess).
KNOWN_HEADER = 0.5


def _rank(detection: Detection) -> tuple[bool, float]:
    return detection.opens and detection.confidence >= KNOWN_HEADER, detection.confidence


def detect(text: str, path: str) -> Detection:
    """The format with the best evidence, by precedence: a known header or record start opening the file
    beats a look-alike line further down; then the most confident sniffer. The evidence returned names the
    runner-up (what else the text looked like, and why it lost). Raises if no format recognises the text."""
    found = [d for d in (fmt.sniff(text) for fmt in formats()) if d is not None]
    if not found:
        raise FormatError(path, "not a recognised export format (RIS, MEDLINE, PubMed XML, Web of Science, "
                                "BibTeX, EndNote, Ovid or a known CSV); name it with --format")
    found.sort(key=_rank, reverse=True)
    best = found[0]
    if len(found) == 1:
        return replace(best, evidence=f"{best.evidence}; no other format recognised it")
    runner = found[1]
    why = ("it opens the file" if _rank(best)[0] and not _rank(runner)[0] else "more confident")
    return replace(best, evidence=f"{best.evidence}; runner-up {runner.format} ({runner.evidence}), "
                                  f"{best.format} chosen: {why}")


def read_file(path: str | Path, format: str | None = None, database: str | None = None,
              mapping: Mapping[str, str] | None = None) -> Parsed:
    """Read one export file: decode, detect (unless ``format`` is given), parse. Never writes anything.
    ``mapping`` (record field -> the file's column header) reads a CSV whose header matches no vendor."""
    return read_source(inspect_path(path), format=format, database=database, mapping=mapping)


def read_bytes(data: bytes, path: str, format: str | None = None, database: str | None = None,
               mapping: Mapping[str, str] | None = None) -> Parsed:
    """:func:`read_file` for bytes in memory."""
    return read_source(inspect_bytes(data, path), format=format, database=database, mapping=mapping)


def read_source(source: TextSource, format: str | None = None, database: str | None = None,
                mapping: Mapping[str, str] | None = None) -> Parsed:
    """Read a checked file (see ``encoding.inspect_path``) whole. A file larger than ``MAX_WHOLE_BYTES`` is
    refused here: a format that can, reads it block by block instead (``importing_stream``)."""
    path = source.path
    if source.size > MAX_WHOLE_BYTES:
        if mapping is not None:  # a mapping that does not fit the file says so first
            _read_mapped(source.head(_HEAD_CHARS), path, format, database, mapping)
        raise FormatError(path, too_large(source, format))
    text, encoding, warnings = source.text(), source.encoding, list(source.warnings)
    if mapping is not None:
        parsed = _read_mapped(text, path, format, database, mapping)
        return parsed.with_context(encoding=encoding, detection=mapped_detection(text, mapping),
                                   warnings=warnings + doubled_blocks(parsed.records, path))
    fmt, detection = decide(text, path, format)
    parsed = fmt.read(text, path, database or detection.database)
    return parsed.with_context(encoding=encoding, detection=detection,
                               warnings=warnings + doubled_blocks(parsed.records, path))


def too_large(source: TextSource, format: str | None = None) -> str:
    """Why a file too large to read whole is refused, in one line: its size, its format, what to do."""
    limit = MAX_WHOLE_BYTES // 2**20
    try:
        fmt: FileFormat | None = decide(source.head(_HEAD_CHARS), source.path, format)[0]
    except FormatError:
        fmt = None
    what = f"{fmt.name} ({fmt.description.split(' (')[0]})" if fmt else "a format not recognised in its first 256 KB"
    if fmt is not None and fmt.stream is not None:
        return (f"the file is {source.size / 2**20:,.0f} MB of {what}: over the {limit} MB read whole; import it "
                "(prisma-harvest import), which reads this format block by block")
    streamed = ", ".join(f.name for f in formats() if f.stream is not None)
    if fmt is None:
        return (f"the file is {source.size / 2**20:,.0f} MB of {what}: over the {limit} MB read whole; if it is an "
                f"export, name its format with --format (these are read block by block: {streamed})")
    return (f"the file is {source.size / 2**20:,.0f} MB of {what}: over the {limit} MB this format is read whole, "
            f"and it cannot be read block by block (only {streamed} can); split the export into files under "
            f"{limit} MB, or export it as RIS")


def decide(text: str, path: str, format: str | None = None) -> tuple[FileFormat, Detection]:
    """The format to read a text with: the one named (with what its sniffer says of the database), else the
    one detected. Raises :class:`FormatError` for an unknown name or a text no format recognises."""
    if format is None:
        detection = detect(text, path)
        return get_format(detection.format), detection
    fmt = get_format(format)
    sniffed = fmt.sniff(text)
    return fmt, Detection(fmt.name, sniffed.confidence if sniffed else 0.0, sniffed.database if sniffed else None,
                          f"format {fmt.name} named by the user")


def _read_mapped(text: str, path: str, format: str | None, database: str | None,
                 mapping: Mapping[str, str]) -> Parsed:
    """A CSV read with the user's column mapping (``import --map``); only CSV has columns to map."""
    from harvester.formats.csv import read_csv  # the registry loads format modules lazily too

    if format is not None and get_format(format).name != "csv":
        raise FormatError(path, f"a column mapping (--map) reads CSV files; format {format!r} has no columns")
    return read_csv(text, path, database, mapping=mapping)


def mapped_detection(text: str, mapping: Mapping[str, str]) -> Detection:
    """What the detection says of a CSV read with the user's column mapping (``text``: the file or its start)."""
    sniffed = get_format("csv").sniff(text)
    pairs = ", ".join(f"{name}={column}" for name, column in mapping.items())
    return Detection("csv", sniffed.confidence if sniffed else 0.0, sniffed.database if sniffed else None,
                     f"CSV read with the column mapping given ({pairs})")
