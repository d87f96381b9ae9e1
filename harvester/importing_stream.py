"""Importing a large export block by block, so memory stays flat however many records it holds.

:func:`harvester.importing.import_file` hands a file over here when it is larger than
``STREAM_ABOVE_BYTES`` and its format module offers ``iter_chunks(chunks, path, database, warnings)``
(RIS does). The file has already been checked whole by ``encoding.inspect_path`` (the one reading path
for every size: encoding decided and verified, NUL characters and over-long lines refused, before
anything is written); the format is decided on its first 256 KB, exactly as
:func:`harvester.formats.read_source` decides it for a whole file; the records then go to the ledger
as they are read, inside the one transaction of the import. A format that cannot stream returns None
and the caller reads the file whole (or refuses it when it is too large to read whole).
"""

from __future__ import annotations

import itertools
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from harvester.errors import FormatError
from harvester.formats import decide
from harvester.formats.base import Detection, FileFormat, Rejected, damaged
from harvester.formats.encoding import TextSource
from harvester.importing import BLOCK_BYTES, ImportResult, choose_source, strict_refusal
from harvester.ledger import Ledger
from harvester.ledger.imports import finish_file
from harvester.ledger.records import Rejection, add_file, add_records, add_rejections
from harvester.ledger.runs import finish_run, start_run
from harvester.protocol import Protocol, Source
from harvester.records import Record

HEAD_BYTES = 256 * 1024
Chunker = Callable[[Iterable[str], str, "str | None", "list[str] | None"], Iterator["Record | Rejected"]]


def _chunker(fmt: FileFormat) -> Chunker | None:
    module = sys.modules.get(fmt.read.__module__)
    found: Any = getattr(module, "iter_chunks", None)
    return found if callable(found) else None


def stream_import(ledger: Ledger, protocol: Protocol, path: Path, chosen: Source | None, sha256: str, size: int,
                  format: str | None, strict: bool, text: TextSource) -> ImportResult | None:
    """Import a large file block by block; None when it cannot be streamed (the caller reads it whole).

    ``text``: the file as checked by ``encoding.inspect_path`` (encoding decided and verified on the whole
    file, NUL characters and over-long lines refused), so the blocks read here are exactly the characters
    the whole-file reader would see."""
    head = text.head(HEAD_BYTES)
    warnings = list(text.warnings)
    try:
        fmt, detection = decide(head, str(path), format)
    except FormatError:
        return None
    chunker = _chunker(fmt)
    if chunker is None:
        return None
    source = chosen or choose_source(protocol, path, database=detection.database)
    named = source.database if source.kind == "file" else None
    if source.kind == "file" and detection.database and detection.database.lower() != source.database.lower():
        warnings.append(f"{path}: the content looks like {detection.database} but source {source.name!r} is "
                        f"{source.database}; the records are stored as {source.database}")
    return _store(ledger, source, path, sha256, size, fmt, detection, chunker, named, text, warnings, strict)


def _store(ledger: Ledger, source: Source, path: Path, sha256: str, size: int, fmt: FileFormat,
           detection: Detection, chunker: Chunker, named: str | None, text: TextSource, warnings: list[str],
           strict: bool) -> ImportResult | None:
    encoding = text.encoding
    database = named or detection.database
    reader_warnings: list[str] = []
    rejected: list[Rejected] = []
    databases: Counter[str] = Counter()
    parameters = {"path": str(path), "sha256": sha256, "format": fmt.name, "strict": strict, "encoding": encoding,
                  "streamed": True}
    if strict:
        read = 0
        noticed: list[str] = []
        for item in chunker(text.blocks(BLOCK_BYTES), str(path), database, noticed):
            read += 1
            if isinstance(item, Rejected):
                rejected.append(item)
        if rejected or damaged(noticed):
            return _refuse(ledger, source, path, sha256, fmt, detection, encoding, warnings + noticed, rejected,
                           parameters, read)

    items = chunker(text.blocks(BLOCK_BYTES), str(path), database, reader_warnings)
    first = next(items, None)
    if first is None:
        return None  # no record at all: the whole-file reader says why, before anything is written

    def records() -> Iterator[Record]:
        for item in itertools.chain((first,), items):
            if isinstance(item, Rejected):
                rejected.append(item)
            else:
                databases[item.database] += 1
                yield item

    with ledger.transaction():
        run_id = start_run(ledger, "import", source=source.name, database=database, platform=source.platform or None,
                           parameters=parameters)
        file_id = add_file(ledger, run_id=run_id, sha256=sha256, path=str(path), size=size, format=fmt.name,
                           database=database or fmt.name, source=source.name, records_read=0, encoding=encoding,
                           detection=detection.evidence, export_date=source.searched)
        ids = add_records(ledger, records(), run_id=run_id, source=source.name, file_id=file_id)
        add_rejections(ledger, [Rejection(r.position, r.line, r.reason, r.raw) for r in rejected], run_id=run_id,
                       source=source.name, path=str(path), file_id=file_id)
        database = database or (databases.most_common(1)[0][0] if databases else fmt.name)
        records_read = len(ids) + len(rejected)
        finish_file(ledger, file_id, records_read=records_read, database=database)
        message = (f"{records_read} records read: {len(ids)} imported, {len(rejected)} rejected "
                   f"({fmt.name}, {database}, {encoding}, read block by block)")
        finish_run(ledger, run_id, "ok", message, count_retrieved=len(ids))
    return ImportResult(path=str(path), source=source.name, status="imported", sha256=sha256, format=fmt.name,
                        database=database, detection=detection.evidence, encoding=encoding,
                        records_read=records_read, imported=len(ids), rejected=tuple(rejected),
                        warnings=tuple(warnings + reader_warnings), run_id=run_id, file_id=file_id, message=message,
                        record_ids=tuple(ids))


def _refuse(ledger: Ledger, source: Source, path: Path, sha256: str, fmt: FileFormat, detection: Detection,
            encoding: str, warnings: list[str], rejected: list[Rejected], parameters: dict[str, object],
            records_read: int) -> ImportResult:
    with ledger.transaction():
        run_id = start_run(ledger, "import", source=source.name, database=detection.database,
                           platform=source.platform or None, parameters=parameters)
        add_rejections(ledger, [Rejection(r.position, r.line, r.reason, r.raw) for r in rejected], run_id=run_id,
                       source=source.name, path=str(path))
        message = strict_refusal(len(rejected), records_read, damaged(warnings))
        finish_run(ledger, run_id, "failed", message, count_retrieved=0)
    return ImportResult(path=str(path), source=source.name, status="refused", sha256=sha256, format=fmt.name,
                        database=detection.database or "", detection=detection.evidence, encoding=encoding,
                        records_read=records_read, rejected=tuple(rejected), warnings=tuple(warnings), run_id=run_id,
                        message=message)
