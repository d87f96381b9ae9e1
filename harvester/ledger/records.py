"""Records, export files, sightings and rejected input."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

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
    """
    ids: list[int] = []
    origin = "file" if file_id is not None else "run"
    now = utc_now()
    with ledger.transaction() as connection:
        for record in records:
            existing = None
            if file_id is None and record.source_id:
                existing = connection.execute(
                    "SELECT id FROM records WHERE source = ? AND source_id = ? AND file_id IS NULL",
                    (source, record.source_id),
                ).fetchone()
            elif file_id is not None:
                existing = connection.execute(
                    "SELECT id FROM records WHERE file_id = ? AND position = ?", (file_id, record.position)
                ).fetchone()
            if existing is not None:
                record_id = int(existing["id"])
            else:
                cursor = connection.execute(
                    "INSERT INTO records (source, database, origin, run_id, file_id, position, line, source_id,"
                    " pmid, doi, title, year, data, raw, added_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (source, record.database or source, origin, run_id, file_id, record.position or None,
                     record.line or None, record.source_id or None, record.pmid or None, record.doi or None,
                     record.title or None, record.year, _data_json(record), record.raw, now),
                )
                assert cursor.lastrowid is not None
                record_id = cursor.lastrowid
            connection.execute(
                "INSERT OR IGNORE INTO sightings (record_id, run_id) VALUES (?, ?)", (record_id, run_id)
            )
            ids.append(record_id)
    return ids


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


def _data_json(record: Record) -> str:
    """The record as JSON without ``raw`` (kept once, in its own column)."""
    return replace(record, raw="").to_json()


def _stored(row: object) -> StoredRecord:
    data = dict(row)  # type: ignore[call-overload]
    record = replace(Record.from_mapping(json.loads(data["data"])), raw=data["raw"])
    return StoredRecord(
        id=data["id"], source=data["source"], database=data["database"], origin=data["origin"],
        run_id=data["run_id"], file_id=data["file_id"], added_at=data["added_at"], record=record,
    )
