"""Records, export files, sightings and rejected input."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields, replace

from harvester.errors import LedgerError
from harvester.ledger.core import Ledger, utc_now
from harvester.records import Record


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record as the ledger holds it: its ledger id and where it came from, plus the record."""

    id: int
    source: str
    database: str
    origin: str
    run_id: int
    file_id: int | None
    added_at: str
    record: Record


@dataclass(frozen=True, slots=True)
class Rejection:
    position: int | None
    line: int | None
    reason: str
    raw: str = ""


@dataclass(frozen=True, slots=True)
class StoredFile:
    id: int
    sha256: str
    path: str
    size: int
    format: str
    database: str
    source: str
    encoding: str | None
    detection: str | None
    export_date: str | None
    run_id: int
    records_read: int
    imported_at: str


def find_file(ledger: Ledger, sha256: str) -> StoredFile | None:
    row = ledger.execute("SELECT * FROM files WHERE sha256 = ?", (sha256,)).fetchone()
    return StoredFile(**dict(row)) if row else None


def list_files(ledger: Ledger) -> list[StoredFile]:
    return [StoredFile(**dict(row)) for row in ledger.execute("SELECT * FROM files ORDER BY id")]


def add_file(ledger: Ledger, *, run_id: int, sha256: str, path: str, size: int, format: str, database: str,
             source: str, records_read: int, encoding: str | None = None, detection: str | None = None,
             export_date: str | None = None) -> int:
    with ledger.transaction() as connection:
        cursor = connection.execute(
            "INSERT INTO files (sha256, path, size, format, database, source, encoding, detection, export_date,"
            " run_id, records_read, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (sha256, path, size, format, database, source, encoding, detection, export_date, run_id,
             records_read, utc_now()),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def add_records(ledger: Ledger, records: Iterable[Record], *, run_id: int, source: str,
                file_id: int | None = None) -> list[int]:
    """Store records; returns the ledger ids, in input order.

    A live record (no file) already held for the same source and ``source_id`` is not stored again:
    the run is recorded as a sighting of it and its existing id is returned. A file record is keyed by
    its file and position, so importing the same file twice stores nothing new.

    Records are written in batches of :data:`BATCH_SIZE` (one lookup of the keys already held, one
    ``executemany`` insert and one of sightings per batch) rather than three statements per record.
    ``records`` may be a generator (a streamed import): it is read one batch at a time, so memory does
    not grow with the file.
    """
    ids: list[int] = []
    origin = "file" if file_id is not None else "run"
    now = utc_now()
    with ledger.transaction() as connection:
        batch: list[Record] = []
        for record in records:
            batch.append(record)
            if len(batch) == BATCH_SIZE:
                ids.extend(_add_batch(connection, batch, run_id, source, file_id, origin, now))
                batch = []
        if batch:
            ids.extend(_add_batch(connection, batch, run_id, source, file_id, origin, now))
    return ids


#: Records written per statement batch (well under SQLite's limit of host parameters in one ``IN (...)``).
BATCH_SIZE = 1000
_MAX_ROWID = 2**63 - 1
_INSERT_RECORD = (
    "INSERT INTO records (source, database, origin, run_id, file_id, position, line, source_id, pmid, doi, title,"
    " year, data, raw, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _key(record: Record, file_id: int | None) -> str | int | None:
    """What makes a record the same one again: its database id (live) or its place in the file (file).
    None: no key (a live record without an id, a file record without a position): always a new row."""
    if file_id is None:
        return record.source_id or None
    return record.position or None


def _held(connection: sqlite3.Connection, keys: list[str | int], source: str,
          file_id: int | None) -> dict[str | int, int]:
    """The ids of the records already held under these keys (one query)."""
    if not keys:
        return {}
    marks = ", ".join("?" * len(keys))
    if file_id is None:
        rows = connection.execute(
            f"SELECT source_id AS key, id FROM records WHERE source = ? AND file_id IS NULL AND source_id IN ({marks})",
            (source, *keys))
    else:
        rows = connection.execute(
            f"SELECT position AS key, id FROM records WHERE file_id = ? AND position IN ({marks})", (file_id, *keys))
    return {row[0]: int(row[1]) for row in rows}


def _add_batch(connection: sqlite3.Connection, batch: list[Record], run_id: int, source: str, file_id: int | None,
               origin: str, now: str) -> list[int]:
    keys = [_key(record, file_id) for record in batch]
    held = _held(connection, list({key for key in keys if key is not None}), source, file_id)
    slots: list[int] = []  # per record: its id if held, else -(index of its new row + 1)
    fresh: dict[str | int, int] = {}  # key -> slot of a record new in this batch (the same key twice: one row)
    rows: list[tuple[object, ...]] = []
    for record, key in zip(batch, keys, strict=True):
        if key is not None and key in held:
            slots.append(held[key])
            continue
        if key is not None and key in fresh:
            slots.append(fresh[key])
            continue
        rows.append((source, record.database or source, origin, run_id, file_id, record.position or None,
                     record.line or None, record.source_id or None, record.pmid or None, record.doi or None,
                     record.title or None, record.year, _data_json(record), record.raw, now))
        slots.append(-len(rows))
        if key is not None:
            fresh[key] = -len(rows)
    new_ids = _insert(connection, rows)
    ids = [slot if slot > 0 else new_ids[-slot - 1] for slot in slots]
    connection.executemany("INSERT OR IGNORE INTO sightings (record_id, run_id) VALUES (?, ?)",
                           [(record_id, run_id) for record_id in dict.fromkeys(ids)])
    return ids


def _insert(connection: sqlite3.Connection, rows: list[tuple[object, ...]]) -> list[int]:
    """Insert rows; their ids, in order.

    Inside the write transaction SQLite gives each new row the largest rowid + 1 (its documented rule
    while the largest is below 2**63 - 1), so a batch of n rows gets the n ids after the largest before
    it; that is checked after the insert, and near the limit rows go in one by one instead.
    """
    if not rows:
        return []
    before = connection.execute("SELECT COALESCE(MAX(id), 0) FROM records").fetchone()[0]
    if before + len(rows) >= _MAX_ROWID:
        ids = []
        for row in rows:
            cursor = connection.execute(_INSERT_RECORD, row)
            assert cursor.lastrowid is not None
            ids.append(cursor.lastrowid)
        return ids
    connection.executemany(_INSERT_RECORD, rows)
    after = connection.execute("SELECT MAX(id), COUNT(*) FROM records WHERE id > ?", (before,)).fetchone()
    if after[0] != before + len(rows) or after[1] != len(rows):
        raise LedgerError(f"records {before + 1}..{before + len(rows)} were not numbered in order "
                          f"(largest id {after[0]}, {after[1]} new rows); nothing was stored")
    return list(range(before + 1, before + len(rows) + 1))


def add_rejections(ledger: Ledger, rejections: Iterable[Rejection], *, run_id: int, source: str | None,
                   path: str | None, file_id: int | None = None) -> int:
    count = 0
    with ledger.transaction() as connection:
        for rejection in rejections:
            connection.execute(
                "INSERT INTO rejections (run_id, file_id, source, path, position, line, reason, raw)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, file_id, source, path, rejection.position, rejection.line, rejection.reason,
                 rejection.raw),
            )
            count += 1
    return count


def get_record(ledger: Ledger, record_id: int) -> StoredRecord:
    row = ledger.execute("SELECT * FROM records WHERE id = ?", (record_id,)).fetchone()
    if row is None:
        raise KeyError(record_id)
    return _stored(row)


def iter_records(ledger: Ledger, source: str | None = None, run_id: int | None = None) -> Iterator[StoredRecord]:
    """Every record held, by ledger id, optionally of one source or first brought in by one run."""
    cursor = ledger.execute(
        "SELECT * FROM records WHERE (? IS NULL OR source = ?) AND (? IS NULL OR run_id = ?) ORDER BY id",
        (source, source, run_id, run_id),
    )
    for row in cursor:
        yield _stored(row)


def count_records(ledger: Ledger, source: str | None = None) -> int:
    row = ledger.execute(
        "SELECT COUNT(*) AS n FROM records WHERE (? IS NULL OR source = ?)", (source, source)
    ).fetchone()
    return int(row["n"])


def source_ids(ledger: Ledger, source: str) -> set[str]:
    """The database ids of the live records held for one source."""
    rows = ledger.execute(
        "SELECT source_id FROM records WHERE source = ? AND file_id IS NULL AND source_id IS NOT NULL",
        (source,),
    )
    return {row["source_id"] for row in rows}


_RECORD_FIELDS = tuple(f.name for f in fields(Record))


def _data_json(record: Record) -> str:
    """The record as JSON without ``raw`` (kept once, in its own column): what ``Record.to_json`` writes for
    the record with ``raw=""``, built without copying the record first (this runs once per record stored)."""
    data = {name: getattr(record, name) for name in _RECORD_FIELDS}
    data["raw"] = ""
    return json.dumps(data, ensure_ascii=False)


def _stored(row: object) -> StoredRecord:
    data = dict(row)  # type: ignore[call-overload]
    record = replace(Record.from_mapping(json.loads(data["data"])), raw=data["raw"])
    return StoredRecord(
        id=data["id"], source=data["source"], database=data["database"], origin=data["origin"],
        run_id=data["run_id"], file_id=data["file_id"], added_at=data["added_at"], record=record,
    )
