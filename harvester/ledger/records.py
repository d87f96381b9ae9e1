"""The records table and the tables about where records came from: export files, sightings (which run
returned which record) and rejected input. Every query on these tables is written here, once."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from harvester.errors import LedgerError
from harvester.ledger.core import Ledger, chunks, stored_text, utc_now
from harvester.ledger.runs import run_tree
from harvester.records import LIST_FIELDS, Record


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
    row = ledger.connection.execute("SELECT * FROM files WHERE sha256 = ?", (sha256,)).fetchone()
    return StoredFile(**dict(row)) if row else None


def list_files(ledger: Ledger) -> list[StoredFile]:
    return [StoredFile(**dict(row)) for row in ledger.connection.execute("SELECT * FROM files ORDER BY id")]


def file_of(ledger: Ledger, file_id: int) -> dict[str, Any] | None:
    row = ledger.connection.execute("SELECT id, path, sha256, format, database, imported_at FROM files WHERE id = ?",
                                    (file_id,)).fetchone()
    return dict(row) if row else None


def finish_file(ledger: Ledger, file_id: int, *, records_read: int, database: str) -> None:
    """Set what a file held once a streamed import has read it to the end (inside the import's transaction)."""
    with ledger.transaction() as connection:
        connection.execute("UPDATE files SET records_read = ?, database = ? WHERE id = ?",
                           (records_read, database, file_id))


def add_file(ledger: Ledger, *, run_id: int, sha256: str, path: str, size: int, format: str, database: str,
             source: str, records_read: int, encoding: str | None = None, detection: str | None = None,
             export_date: str | None = None) -> int:
    with ledger.transaction() as connection:
        cursor = connection.execute(
            "INSERT INTO files (sha256, path, size, format, database, source, encoding, detection, export_date,"
            " run_id, records_read, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (sha256, stored_text(path), size, format, database, source, encoding, detection, export_date, run_id,
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
    row = ledger.connection.execute("SELECT * FROM records WHERE id = ?", (record_id,)).fetchone()
    if row is None:
        raise KeyError(record_id)
    return _stored(row)


def iter_records(ledger: Ledger, source: str | None = None, run_id: int | None = None) -> Iterator[StoredRecord]:
    """Every record held, by ledger id, optionally of one source or first brought in by one run."""
    cursor = ledger.connection.execute(
        "SELECT * FROM records WHERE (? IS NULL OR source = ?) AND (? IS NULL OR run_id = ?) ORDER BY id",
        (source, source, run_id, run_id),
    )
    for row in cursor:
        yield _stored(row)


def iter_record_parts(ledger: Ledger, names: Collection[str],
                      tags: Collection[str] = ()) -> Iterator[tuple[int, str, Record]]:
    """Every record held, by ledger id, as ``(id, source, record)`` where the record holds only the fields
    ``names`` and the tags ``tags`` (every other field empty, every other tag left out): for a stage that reads a
    few fields of every record once and keeps none (de-duplication's full run). Each record's JSON is decoded
    whole, but the rest (keywords, MeSH terms, every tag of the export: most of a record) is not built into it."""
    unknown = set(names) - set(_RECORD_FIELDS) | ({"tags", "raw"} & set(names))
    if unknown:
        raise ValueError(f"not a field iter_record_parts reads: {sorted(unknown)}")
    plain = tuple(n for n in names if n not in LIST_FIELDS and n != "year")
    lists = tuple(n for n in names if n in LIST_FIELDS)
    year = "year" in names
    wanted = frozenset(tags)
    loads = json.loads
    cursor = ledger.connection.cursor()
    cursor.row_factory = None  # plain tuples: three columns, by place
    for record_id, source, data in cursor.execute("SELECT id, source, data FROM records ORDER BY id"):
        mapping = loads(data)
        # as Record.from_mapping reads them: a null is the field's default, except a year
        values = {name: mapping[name] for name in plain if mapping.get(name) is not None}
        if year and "year" in mapping:
            values["year"] = mapping["year"]
        for name in lists:
            found = mapping.get(name)
            if found is not None:
                values[name] = tuple(found)
        if wanted:
            values["tags"] = tuple((str(t), str(v)) for t, v in mapping.get("tags") or () if t in wanted)
        yield int(record_id), source, Record(**values)


def count_records(ledger: Ledger, source: str | None = None) -> int:
    row = ledger.connection.execute(
        "SELECT COUNT(*) AS n FROM records WHERE (? IS NULL OR source = ?)", (source, source)
    ).fetchone()
    return int(row["n"])


_RECORD_FIELDS = tuple(f.name for f in fields(Record))
#: The fields :func:`_fast_json` writes, in this order (checked against Record when the module is imported, so a
#: field added to Record stops the import instead of being left out of the ledger).
_FAST_FIELDS = ("title", "abstract", "authors", "year", "journal", "journal_abbrev", "issn", "volume", "issue",
                "pages", "doi", "pmid", "language", "publication_types", "keywords", "mesh", "url", "publisher",
                "database", "source_id", "raw", "tags", "position", "line")
if _RECORD_FIELDS != _FAST_FIELDS:
    raise ImportError("harvester.records.Record's fields changed: update ledger.records._fast_json")
#: Characters ``json.dumps`` escapes besides the double quote (a backslash and the C0 controls), as bytes.
_ESCAPED_BYTES = bytes(range(32)) + b"\\"
#: Double quotes in :func:`_fast_json`'s text besides those around string values: around its 24 keys.
_KEY_QUOTES = 2 * len(_FAST_FIELDS)


def _data_json(record: Record) -> str:
    """The record as JSON without ``raw`` (kept once, in its own column): what ``Record.to_json`` writes for
    the record with ``raw=""``, built without copying the record first (this runs once per record stored).
    Usually built by :func:`_fast_json` (the same text, about twice as fast); else by ``json.dumps``."""
    fast = _fast_json(record)
    if fast is not None:
        return fast
    data = {name: getattr(record, name) for name in _RECORD_FIELDS}
    data["raw"] = ""
    return json.dumps(data, ensure_ascii=False)


def _strings(values: tuple[str, ...]) -> str:
    if type(values) is not tuple:  # not the list fields' type (None, a string...): json.dumps writes it otherwise
        raise TypeError(values)
    return '["' + '", "'.join(values) + '"]' if values else "[]"


def _fast_json(record: Record) -> str | None:
    """``json.dumps`` of the record's fields (``raw`` empty, ``ensure_ascii=False``, default separators) when no
    string in it needs escaping, written by joining the strings as they are; None when one does (a double quote,
    a backslash, a control character) or a value is not of the record's declared type: the caller then uses
    ``json.dumps``. Whether any string needs escaping is checked on the joined text: every double quote in it
    must be one the joining put there, and it must hold no backslash and no control character."""
    year, position, line = record.year, record.position, record.line
    if not (year is None or type(year) is int) or type(position) is not int or type(line) is not int:
        return None
    r = record
    try:
        if type(r.tags) is not tuple:
            raise TypeError(r.tags)
        tags = ('[["' + '"], ["'.join([tag + '", "' + value for tag, value in r.tags]) + '"]]') if r.tags else "[]"
        text = "".join((
            '{"title": "', r.title, '", "abstract": "', r.abstract, '", "authors": ', _strings(r.authors),
            ', "year": ', "null" if year is None else str(year), ', "journal": "', r.journal,
            '", "journal_abbrev": "', r.journal_abbrev, '", "issn": ', _strings(r.issn), ', "volume": "', r.volume,
            '", "issue": "', r.issue, '", "pages": "', r.pages, '", "doi": "', r.doi, '", "pmid": "', r.pmid,
            '", "language": ', _strings(r.language), ', "publication_types": ', _strings(r.publication_types),
            ', "keywords": ', _strings(r.keywords), ', "mesh": ', _strings(r.mesh), ', "url": "', r.url,
            '", "publisher": "', r.publisher, '", "database": "', r.database, '", "source_id": "', r.source_id,
            '", "raw": "", "tags": ', tags, ', "position": ', str(position), ', "line": ', str(line), "}"))
        encoded = text.encode("utf-8")
    except (TypeError, ValueError):  # a value of another type, a tag that is no pair, a lone surrogate
        return None
    quotes = _KEY_QUOTES + 2 * (13 + len(r.authors) + len(r.issn) + len(r.language) + len(r.publication_types)
                                + len(r.keywords) + len(r.mesh)) + 4 * len(r.tags) + 2  # 13 strings, and raw
    if text.count('"') != quotes or len(encoded.translate(None, _ESCAPED_BYTES)) != len(encoded):
        return None
    return text


def _stored(row: object) -> StoredRecord:
    data = dict(row)  # type: ignore[call-overload]
    record = replace(Record.from_mapping(json.loads(data["data"])), raw=data["raw"])
    return StoredRecord(
        id=data["id"], source=data["source"], database=data["database"], origin=data["origin"],
        run_id=data["run_id"], file_id=data["file_id"], added_at=data["added_at"], record=record,
    )


# --- ids and look-ups -------------------------------------------------------------------------------------



def record_ids(ledger: Ledger) -> set[int]:
    return {int(row["id"]) for row in ledger.connection.execute("SELECT id FROM records")}


def max_record_id(ledger: Ledger) -> int:
    """The largest record id held (0 before any): the records stored later have larger ids."""
    row = ledger.connection.execute("SELECT COALESCE(MAX(id), 0) AS id FROM records").fetchone()
    return int(row["id"])


def record_ids_after(ledger: Ledger, record_id: int) -> list[int]:
    """Ids of the records stored after the record ``record_id`` (0: all), in order."""
    return [int(row["id"]) for row in ledger.connection.execute("SELECT id FROM records WHERE id > ? ORDER BY id",
                                                                (record_id,))]


def records_added_after(ledger: Ledger, moment: str) -> list[int]:
    """Ids of the records first stored after ``moment`` (an ISO 8601 UTC time as :func:`utc_now` writes it, or
    a prefix of one such as ``2026-03-01``, which means 00:00 UTC that day), in order."""
    rows = ledger.connection.execute("SELECT id FROM records WHERE added_at >= ? ORDER BY id", (moment,))
    return [int(row["id"]) for row in rows]


def record_sources(ledger: Ledger, ids: Iterable[int]) -> dict[int, str]:
    """Record id -> the protocol source that brought it in (ids not held are left out)."""
    found: dict[int, str] = {}
    for chunk in chunks(set(ids)):
        rows = ledger.connection.execute(
            f"SELECT id, source FROM records WHERE id IN ({', '.join('?' * len(chunk))})", tuple(chunk))
        found.update((int(row["id"]), row["source"]) for row in rows)
    return found


def existing_records(ledger: Ledger, ids: Iterable[int]) -> set[int]:
    """Which of ``ids`` are records of this ledger."""
    return set(record_sources(ledger, ids))


def record_origins(ledger: Ledger) -> list[tuple[int, str, str]]:
    """(id, source, database) of every record held, by id: all the outcome computation needs of a record."""
    rows = ledger.connection.execute("SELECT id, source, database FROM records ORDER BY id")
    return [(int(row["id"]), row["source"], row["database"]) for row in rows]


def records_per_source(ledger: Ledger) -> dict[str, int]:
    """Records held per protocol source name (every record as read, before de-duplication)."""
    rows = ledger.connection.execute("SELECT source, COUNT(*) AS n FROM records GROUP BY source ORDER BY source")
    return {str(row["source"]): int(row["n"]) for row in rows}


def record_titles(ledger: Ledger) -> dict[int, tuple[str, str, int | None]]:
    """Record id -> (source, title, year), for lists of the records behind a box."""
    rows = ledger.connection.execute("SELECT id, source, title, year FROM records ORDER BY id")
    return {int(row["id"]): (str(row["source"]), row["title"] or "", row["year"]) for row in rows}


def record_identity(ledger: Ledger) -> list[tuple[int, str, str, str]]:
    """(id, title, doi, pmid) of every record: what a decisions row is checked against."""
    rows = ledger.connection.execute("SELECT id, title, doi, pmid FROM records ORDER BY id")
    return [(int(row["id"]), row["title"] or "", row["doi"] or "", row["pmid"] or "") for row in rows]


def record_keys(ledger: Ledger) -> dict[tuple[str, str], list[int]]:
    """(source, source_id) -> record ids: the alternative key a decisions sheet may use."""
    found: dict[tuple[str, str], list[int]] = {}
    for row in ledger.connection.execute(
            "SELECT id, source, source_id FROM records WHERE source_id IS NOT NULL ORDER BY id"):
        found.setdefault((row["source"], row["source_id"]), []).append(int(row["id"]))
    return found


def record_positions(ledger: Ledger) -> dict[tuple[str, int], list[int]]:
    """(source, position in its file or result set) -> record ids: the key for records without a database id
    (a reference manager's export of hand-searched records), unique when the source has one file."""
    found: dict[tuple[str, int], list[int]] = {}
    for row in ledger.connection.execute(
            "SELECT id, source, position FROM records WHERE position IS NOT NULL ORDER BY id"):
        found.setdefault((row["source"], int(row["position"])), []).append(int(row["id"]))
    return found


def record_place(ledger: Ledger, record_id: int) -> dict[str, Any] | None:
    """Where the record sits in its file or result set (position and line)."""
    row = ledger.connection.execute("SELECT position, line FROM records WHERE id = ?", (record_id,)).fetchone()
    return dict(row) if row else None


def live_record_ids(ledger: Ledger, source: str) -> set[int]:
    """Ids of the live (searched, not imported) records held for one source."""
    rows = ledger.connection.execute("SELECT id FROM records WHERE source = ? AND file_id IS NULL", (source,))
    return {int(row["id"]) for row in rows}


# --- records by the run that brought them in ----------------------------------------------------------------


def count_records_of_runs(ledger: Ledger, run_ids: Sequence[int]) -> int:
    """How many records these runs brought in (first stored)."""
    if not run_ids:
        return 0
    marks = ",".join("?" * len(run_ids))
    row = ledger.connection.execute(f"SELECT COUNT(*) AS n FROM records WHERE run_id IN ({marks})",
                                    tuple(run_ids)).fetchone()
    return int(row["n"])


def records_since(ledger: Ledger, run_id: int) -> list[int]:
    """Ids of the records first brought in after run ``run_id`` and its child runs: the new identification.

    For an updated-review PRISMA diagram: pass the id of the last refresh (or search) of the previous
    version of the review; every other record is the previous identification.
    """
    tree = run_tree(ledger, run_id)
    marks = ",".join("?" * len(tree))
    rows = ledger.connection.execute(
        f"SELECT id FROM records WHERE run_id > ? AND run_id NOT IN ({marks}) ORDER BY id", (run_id, *tree))
    return [int(row["id"]) for row in rows]


def records_from_refresh(ledger: Ledger, refresh_run_id: int) -> list[int]:
    """Ids of the records first brought in by one refresh (by its searches and imports)."""
    tree = run_tree(ledger, refresh_run_id)
    marks = ",".join("?" * len(tree))
    return [int(row["id"]) for row in ledger.connection.execute(
        f"SELECT id FROM records WHERE run_id IN ({marks}) ORDER BY id", tuple(tree))]


# --- sightings: which run returned which record ----------------------------------------------------------


def sightings(ledger: Ledger, record_id: int) -> list[dict[str, Any]]:
    """The runs that returned the record, with their kind, source and start time."""
    rows = ledger.connection.execute(
        "SELECT r.id, r.kind, r.source, r.started_at, r.status FROM sightings s JOIN runs r ON r.id = s.run_id"
        " WHERE s.record_id = ? ORDER BY r.id",
        (record_id,),
    )
    return [dict(row) for row in rows]


def revisions_already_seen(ledger: Ledger, source: str, since: str, refresh_run_id: int) -> set[int]:
    """Ids of the records that an earlier successful MDAT-window search of ``source`` started on or after
    ``since`` (``YYYY-MM-DD``) returned: revisions an overlapping refresh already reported."""
    rows = ledger.connection.execute(
        "SELECT DISTINCT s.record_id FROM sightings s JOIN runs r ON r.id = s.run_id WHERE r.kind = 'search'"
        " AND r.source = ? AND r.status = 'ok' AND substr(r.started_at, 1, 10) >= ?"
        " AND json_extract(r.parameters, '$.refresh_window') LIKE 'mdat %'"
        " AND COALESCE(json_extract(r.parameters, '$.refresh_run_id'), -1) != ?",
        (source, since, refresh_run_id),
    )
    return {int(row["record_id"]) for row in rows}
