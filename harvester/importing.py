"""Importing export files into the ledger: one file, or every file a protocol names.

An import is a run (kind ``import``) that stores the file (path, SHA-256, size, format, database, how
they were decided), every record read (with its place in the file, raw text and tags) and every
record refused (with line, record number and reason), all in one transaction: records read =
imported + rejected, and either all of it lands or none of it does. The same bytes imported again
(same SHA-256) change nothing and the result says so. ``strict`` refuses a file with any rejected
record: the run and the rejections are kept (the refusal is a fact of the search), no record is.
A file that cannot be read at all (empty, binary, not an export) is also a failed run with the reason.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harvester.errors import FormatError, UsageError
from harvester.formats import read_source
from harvester.formats.base import Parsed, Rejected, damaged
from harvester.formats.csv import mapping_problems
from harvester.formats.encoding import inspect_path
from harvester.importing_stream import BLOCK_BYTES, Stream, open_stream
from harvester.ledger import Ledger
from harvester.ledger.records import Rejection, add_file, add_records, add_rejections, find_file, finish_file
from harvester.ledger.runs import finish_run, start_run
from harvester.progress import Progress, counted
from harvester.protocol import DATABASE_FILE_KINDS, Protocol, Source
from harvester.records import Record

#: Source kinds whose records come from files.
FILE_KINDS = ("file", "register", "other")
#: Files larger than this are imported block by block when their format can read that way (RIS), so
#: memory stays flat however large the export; smaller files are read whole (simpler, same records).
STREAM_ABOVE_BYTES = 8 * 1024 * 1024

#: Where the records of one file come from, read afresh at each call (a strict import reads them twice);
#: the reader adds its warnings to the list it is given.
Items = Callable[[list[str]], Iterator[Record | Rejected]]


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What importing one file did. ``status``: imported, already-imported, refused (strict) or failed."""

    path: str
    source: str
    status: str
    sha256: str = ""
    format: str = ""
    database: str = ""
    detection: str = ""
    encoding: str = ""
    records_read: int = 0
    imported: int = 0
    rejected: tuple[Rejected, ...] = ()
    warnings: tuple[str, ...] = ()
    run_id: int | None = None
    file_id: int | None = None
    message: str = ""
    record_ids: tuple[int, ...] = field(default=(), repr=False)

    @property
    def ok(self) -> bool:
        return self.status in ("imported", "already-imported")

    def to_json(self) -> dict[str, object]:
        """The result as JSON-ready values (for ``--json``)."""
        return {
            "path": self.path, "source": self.source, "status": self.status, "sha256": self.sha256,
            "format": self.format, "database": self.database, "detection": self.detection,
            "encoding": self.encoding, "records_read": self.records_read, "imported": self.imported,
            "rejected": [{"record": r.position, "line": r.line, "reason": r.reason} for r in self.rejected],
            "warnings": list(self.warnings), "run_id": self.run_id, "file_id": self.file_id,
            "message": self.message,
        }


def choose_source(protocol: Protocol, path: Path, name: str | None = None, database: str | None = None) -> Source:
    """The protocol source a file belongs to: the one named, else the one listing the file, else the one
    whose database the content names, else the only file source. Ambiguity is an error, not a guess."""
    file_sources = [s for s in protocol.sources if s.kind in FILE_KINDS]
    if name is not None:
        try:
            source = protocol.source(name)
        except KeyError:
            known = ", ".join(s.name for s in file_sources) or "none"
            raise UsageError("--source", [f"{path}: the protocol has no source named {name!r} (file sources: "
                                          f"{known})"]) from None
        if source.kind not in FILE_KINDS:
            raise UsageError("--source", [f"{path}: source {name!r} is a live {source.kind} search; files go in a "
                                          "source of kind 'file' or 'other'"])
        return source
    resolved = path.resolve()
    for source in file_sources:
        if resolved in source.files:
            return source
    if database:
        matching = [s for s in file_sources if s.database.lower() == database.lower()]
        if len(matching) == 1:
            return matching[0]
    if len(file_sources) == 1:
        return file_sources[0]
    known = ", ".join(repr(s.name) for s in file_sources) or "none"
    raise UsageError("--source", [f"{path}: cannot tell which source this file belongs to; name it with --source "
                                  f"(file sources: {known})"])


def import_file(ledger: Ledger, protocol: Protocol, path: str | Path, *, source: str | None = None,
                format: str | None = None, strict: bool = False,
                mapping: Mapping[str, str] | None = None, force: bool = False,
                progress: Progress | None = None) -> ImportResult:
    """Import one export file for one of the protocol's sources. Raises :class:`FormatError` (after
    recording the failed run) when the file cannot be read at all, and (storing nothing) when ``source`` is
    named but the content names another database, unless ``force``: a file imported under the wrong source
    would make that source's count wrong for good. ``progress`` hears of the records stored.

    ``mapping`` (record field -> column header, ``import --map``) reads a CSV whose header matches no
    vendor's (Rayyan, ASReview, a spreadsheet); it is kept in the run's parameters."""
    path = Path(path)
    check_mapping(mapping)
    if source is not None:
        choose_source(protocol, path, source)  # a wrong --source is an error even for a file seen before
    sha256, size = _digest(path)
    existing = find_file(ledger, sha256)
    if existing is not None:
        return ImportResult(
            path=str(path), source=existing.source, status="already-imported", sha256=sha256,
            format=existing.format, database=existing.database, detection=existing.detection or "",
            encoding=existing.encoding or "", records_read=existing.records_read, run_id=existing.run_id,
            file_id=existing.id,
            message=f"already imported as file #{existing.id} (run #{existing.run_id}, {existing.path}); "
                    "nothing changed",
        )
    chosen = _source_before_parsing(protocol, path, source)
    fmt = format or (chosen.format if chosen else None)
    try:
        text = inspect_path(path)  # one reading path for every size: decoding, NUL and line checks, bounded memory
    except FormatError as error:
        _record_failure(ledger, chosen, path, sha256, fmt, str(error), mapping)
        raise
    if size > STREAM_ABOVE_BYTES:
        stream = open_stream(path, fmt, text, mapping)
        if stream is not None:
            streamed = _store_stream(ledger, protocol, stream, chosen, sha256, size, strict, progress,
                                     named=source is not None and not force, mapping=mapping)
            if streamed is not None:
                return streamed
    named_database = chosen.database if chosen is not None and chosen.kind in DATABASE_FILE_KINDS else None
    try:
        parsed = read_source(text, format=fmt, database=named_database, mapping=mapping)
    except FormatError as error:
        _record_failure(ledger, chosen, path, sha256, fmt, str(error), mapping)
        raise
    if chosen is None:
        detected = parsed.detection.database if parsed.detection else None
        chosen = choose_source(protocol, path, database=detected or parsed.database)
        if chosen.kind in DATABASE_FILE_KINDS and parsed.database != chosen.database:
            parsed = read_source(text, format=fmt, database=chosen.database, mapping=mapping)
    return _store_parsed(ledger, chosen, path, size, sha256, parsed, strict, mapping, progress,
                         named=source is not None and not force)


def check_mapping(mapping: Mapping[str, str] | None) -> None:
    """Refuse a column mapping naming a field that cannot be mapped (the message lists those that can)."""
    problems = mapping_problems(mapping) if mapping is not None else []
    if problems:
        raise UsageError("--map", problems)


def _digest(path: Path) -> tuple[str, int]:
    """The file's SHA-256 and size, read in blocks (a large export is never held whole for this)."""
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as handle:
            while block := handle.read(BLOCK_BYTES):
                digest.update(block)
                size += len(block)
    except OSError as error:
        raise FormatError(str(path), f"cannot read the file: {error.strerror or error}") from error
    return digest.hexdigest(), size


def _source_before_parsing(protocol: Protocol, path: Path, name: str | None) -> Source | None:
    """The source when it does not depend on the content (named, or the file is listed); else None."""
    if name is not None:
        return choose_source(protocol, path, name)
    resolved = path.resolve()
    for source in protocol.sources:
        if source.kind in FILE_KINDS and resolved in source.files:
            return source
    return None


def _evidence(parsed: Parsed) -> str:
    return parsed.detection.evidence if parsed.detection else f"format {parsed.format}"


def _mismatch(path: Path, source: Source, detected: str | None, named: bool = False) -> list[str]:
    """A warning when the content names another database than the source's; refused (``named``: the reviewer
    named the source with ``--source`` and did not ``--force`` it) before anything is stored."""
    if source.kind in DATABASE_FILE_KINDS and detected and detected.lower() != source.database.lower():
        if named:
            raise FormatError(str(path), f"the content names {detected} but source {source.name!r} is "
                              f"{source.database}: refused, nothing stored; import it under the source it belongs "
                              f"to, or pass --force to store it as {source.database}")
        return [f"{path}: the content looks like {detected} but source {source.name!r} is "
                f"{source.database}; the records are stored as {source.database}"]
    return []


def _store_parsed(ledger: Ledger, source: Source, path: Path, size: int, sha256: str, parsed: Parsed,
                  strict: bool, mapping: Mapping[str, str] | None = None,
                  progress: Progress | None = None, named: bool = False) -> ImportResult:
    """A file read whole: its records go through :func:`_store`."""
    detected = parsed.detection.database if parsed.detection else None
    warnings = list(parsed.warnings) + _mismatch(path, source, detected, named)
    parameters: dict[str, object] = {"path": str(path), "sha256": sha256, "format": parsed.format,
                                     "strict": strict, "encoding": parsed.encoding}
    if mapping is not None:
        parameters["mapping"] = dict(mapping)
    items: tuple[Record | Rejected, ...] = (*parsed.records, *parsed.rejected)
    return _store(ledger, source, path, sha256=sha256, size=size, format=parsed.format,
                  database=parsed.database, evidence=_evidence(parsed), encoding=parsed.encoding, warnings=warnings,
                  strict=strict, parameters=parameters, items=lambda _: iter(items), progress=progress,
                  total=len(items))


def _store_stream(ledger: Ledger, protocol: Protocol, stream: Stream, chosen: Source | None, sha256: str,
                  size: int, strict: bool, progress: Progress | None = None, named: bool = False,
                  mapping: Mapping[str, str] | None = None) -> ImportResult | None:
    """A large file read block by block: its records go through :func:`_store` as they are read. None (nothing
    written) when the file holds no record at all: the whole-file reader says why."""
    path = stream.path
    source = chosen or choose_source(protocol, path, database=stream.detection.database)
    database = source.database if source.kind in DATABASE_FILE_KINDS else stream.detection.database
    _mismatch(path, source, stream.detection.database, named)
    parameters: dict[str, object] = {"path": str(path), "sha256": sha256, "format": stream.format.name,
                                     "strict": strict, "encoding": stream.encoding, "streamed": True}
    if mapping is not None:
        parameters["mapping"] = dict(mapping)
    try:  # a reader may find the file unreadable only as it goes (XML not well-formed): nothing is kept but the why
        if next(stream.items(database, []), None) is None:
            return None
        return _store(ledger, source, path, sha256=sha256, size=size, format=stream.format.name, database=database,
                      evidence=stream.detection.evidence, encoding=stream.encoding,
                      warnings=list(stream.warnings) + _mismatch(path, source, stream.detection.database),
                      strict=strict, parameters=parameters, items=lambda found: stream.items(database, found),
                      how=", read block by block", progress=progress)
    except FormatError as error:
        _record_failure(ledger, chosen, path, sha256, stream.format.name, str(error), mapping)
        raise


def _store(ledger: Ledger, source: Source, path: Path, *, sha256: str, size: int, format: str, database: str | None,
           evidence: str, encoding: str, warnings: list[str], strict: bool, parameters: dict[str, object],
           items: Items, how: str = "", progress: Progress | None = None, total: int | None = None) -> ImportResult:
    """The one store-or-refuse routine: one import run, the file, its records and its rejections, in one
    transaction. ``strict`` with any rejected record refuses the file (the run and rejections are kept, no
    record is). ``database`` None: the database most of the records name."""
    if strict:
        read = 0
        refused: list[Rejected] = []
        noticed: list[str] = []
        for item in items(noticed):
            read += 1
            if isinstance(item, Rejected):
                refused.append(item)
        if refused or damaged(warnings + noticed):
            return _refuse(ledger, source, path, sha256=sha256, format=format, database=database or "",
                           evidence=evidence, encoding=encoding, warnings=warnings + noticed, rejected=refused,
                           parameters=parameters, records_read=read)
    reader_warnings: list[str] = []
    rejected: list[Rejected] = []
    databases: Counter[str] = Counter()

    def records() -> Iterator[Record]:
        for item in counted(items(reader_warnings), progress, f"importing {path.name}", total):
            if isinstance(item, Rejected):
                rejected.append(item)
            else:
                databases[item.database] += 1
                yield item

    with ledger.transaction(bulk=True):
        run_id = start_run(ledger, "import", source=source.name, database=database, platform=source.platform or None,
                           parameters=parameters)
        file_id = add_file(ledger, run_id=run_id, sha256=sha256, path=str(path), size=size, format=format,
                           database=database or format, source=source.name, records_read=0, encoding=encoding,
                           detection=evidence, export_date=source.searched)
        ids = add_records(ledger, records(), run_id=run_id, source=source.name, file_id=file_id)
        add_rejections(ledger, [Rejection(r.position, r.line, r.reason, r.raw) for r in rejected], run_id=run_id,
                       source=source.name, path=str(path), file_id=file_id)
        database = database or (databases.most_common(1)[0][0] if databases else format)
        records_read = len(ids) + len(rejected)
        finish_file(ledger, file_id, records_read=records_read, database=database)
        message = (f"{records_read} records read: {len(ids)} imported, {len(rejected)} rejected "
                   f"({format}, {database}, {encoding}{how})")
        finish_run(ledger, run_id, "ok", message, count_retrieved=len(ids))
    return ImportResult(path=str(path), source=source.name, status="imported", sha256=sha256, format=format,
                        database=database, detection=evidence, encoding=encoding, records_read=records_read,
                        imported=len(ids), rejected=tuple(rejected), warnings=tuple(warnings + reader_warnings),
                        run_id=run_id, file_id=file_id, message=message, record_ids=tuple(ids))


def _refuse(ledger: Ledger, source: Source, path: Path, *, sha256: str, format: str, database: str, evidence: str,
            encoding: str, warnings: list[str], rejected: list[Rejected], parameters: dict[str, object],
            records_read: int) -> ImportResult:
    """A strict import of a file with rejected records: the run and the rejections, no record."""
    with ledger.transaction():
        run_id = start_run(ledger, "import", source=source.name, database=database or None,
                           platform=source.platform or None, parameters=parameters)
        add_rejections(ledger, [Rejection(r.position, r.line, r.reason, r.raw) for r in rejected], run_id=run_id,
                       source=source.name, path=str(path))
        message = strict_refusal(len(rejected), records_read, damaged(warnings))
        finish_run(ledger, run_id, "failed", message, count_retrieved=0)
    return ImportResult(path=str(path), source=source.name, status="refused", sha256=sha256, format=format,
                        database=database, detection=evidence, encoding=encoding, records_read=records_read,
                        rejected=tuple(rejected), warnings=tuple(warnings), run_id=run_id, message=message)


def strict_refusal(rejected: int, records_read: int, damage: list[str]) -> str:
    """Why ``--strict`` refused a file: records that could not be read, or evidence the file is cut short."""
    reasons = [f"{rejected} of {records_read} records could not be read"] if rejected else []
    if damage:
        reasons.append(f"the file shows damage ({damage[0]}" + (f"; and {len(damage) - 1} more" if len(damage) > 1
                                                                 else "") + ")")
    return f"strict: the whole file is refused because {' and '.join(reasons)}; nothing imported"


def _record_failure(ledger: Ledger, source: Source | None, path: Path, sha256: str, fmt: str | None,
                    reason: str, mapping: Mapping[str, str] | None = None) -> None:
    """A file that cannot be read is a failed import run with one rejection saying why."""
    parameters: dict[str, object] = {"path": str(path), "sha256": sha256, "format": fmt}
    if mapping is not None:
        parameters["mapping"] = dict(mapping)
    with ledger.transaction():
        run_id = start_run(ledger, "import", source=source.name if source else None,
                           database=source.database if source else None, parameters=parameters)
        add_rejections(ledger, [Rejection(None, None, reason)], run_id=run_id,
                       source=source.name if source else None, path=str(path))
        finish_run(ledger, run_id, "failed", reason, count_retrieved=0)


def import_files(ledger: Ledger, protocol: Protocol, paths: list[Path] | None = None, *, source: str | None = None,
                 format: str | None = None, strict: bool = False,
                 mapping: Mapping[str, str] | None = None, force: bool = False,
                 progress: Progress | None = None) -> list[ImportResult]:
    """Import the files given (none: every file the protocol names). A file that cannot be read does not
    stop the others: its result has status ``failed`` and the reason (the failed run is in the ledger).
    ``mapping``: a CSV column mapping for every file (see :func:`import_file`); a bad one refuses them all."""
    check_mapping(mapping)
    if not paths and mapping is not None and source is None:
        raise UsageError("--map", ["a column mapping reads the CSV files it is given: name the files, or the one "
                                   "source (--source) whose files it fits"])
    if not paths:
        if source is not None:
            choose_source(protocol, Path(protocol.path), source)  # an unknown name is an error, not "no files"
        return import_protocol_files(ledger, protocol, strict=strict, source=source, mapping=mapping,
                                     progress=progress)
    results: list[ImportResult] = []
    for path in paths:
        try:
            results.append(import_file(ledger, protocol, path, source=source, format=format, strict=strict,
                                       mapping=mapping, force=force, progress=progress))
        except FormatError as error:
            results.append(ImportResult(path=str(path), source=source or "", status="failed", message=str(error)))
    return results


def import_protocol_files(ledger: Ledger, protocol: Protocol, *, strict: bool = False,
                          source: str | None = None, mapping: Mapping[str, str] | None = None,
                          progress: Progress | None = None) -> list[ImportResult]:
    """Import every file named by the protocol's file and other sources (or by one of them), in protocol order.

    A file that cannot be read does not stop the others: its result has status ``failed`` and the reason.
    """
    results: list[ImportResult] = []
    for named in protocol.sources:
        if named.kind not in FILE_KINDS or source is not None and named.name != source:
            continue
        for path in named.files:
            try:
                # the protocol lists the file under this source: its declaration stands (a mismatch is warned)
                results.append(import_file(ledger, protocol, path, source=named.name, format=named.format,
                                           strict=strict, mapping=mapping, force=True, progress=progress))
            except FormatError as error:
                results.append(ImportResult(path=str(path), source=named.name, status="failed",
                                            message=str(error)))
    return results
