"""Live searches in the ledger: closing killed searches, the slices a search was split into, batches of
fetched records, and PMIDs a source listed but did not return.

Resuming needs no checkpoint of its own: records are committed one EFetch batch at a time (the batch,
the PMIDs it did not return and the run's running count in one transaction), and the next search of
the source skips every PMID already held, only recording that it saw them. A search killed at any
moment therefore loses at most the batch it was fetching. The killed run stays ``running`` until the
next search of the same source, holding the review's lock, marks it ``interrupted``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from harvester.ledger.core import Ledger, utc_now
from harvester.ledger.records import add_records
from harvester.ledger.runs import ORPHAN_FATES
from harvester.records import Record


@dataclass(frozen=True, slots=True)
class SliceRow:
    """One ESearch a run made for its result set (the whole search, a date range, a PMID range)."""

    mindate: str | None
    maxdate: str | None
    datetype: str | None
    uid_range: str | None
    count_reported: int
    ids_listed: int


def close_abandoned_searches(ledger: Ledger, source: str, resumed_by: int) -> list[int]:
    """Mark ``interrupted`` every earlier search of ``source`` still ``running``; returns their ids.

    Only call this holding the review's lock (:class:`~harvester.lock.ReviewLock`): then no other process
    can be searching, so a running search was killed. What it stored before it died stays (batches are
    committed one by one) and the search ``resumed_by`` skips those PMIDs.
    """
    with ledger.transaction() as connection:
        # also a search another writing command found left running and marked (``interrupt_orphans``): it is
        # resumed here all the same
        rows = connection.execute(
            "SELECT id FROM runs WHERE kind = 'search' AND source = ? AND id != ? AND (status = 'running' OR ("
            "status = 'interrupted' AND instr(message, ?) > 0 AND instr(message, 'resumed by run #') = 0))"
            " ORDER BY id", (source, resumed_by, ORPHAN_FATES["search"]),
        ).fetchall()
        ids = [int(row["id"]) for row in rows]
        connection.executemany(
            "UPDATE runs SET ended_at = COALESCE(ended_at, ?), message = COALESCE(message || '; ', '') || CASE WHEN "
            "status = 'running' THEN 'stopped before finishing; what it stored is kept, ' ELSE '' END || ?, "
            "status = 'interrupted' WHERE id = ?",
            [(utc_now(), f"resumed by run #{resumed_by}", i) for i in ids],
        )
    return ids


def add_slices(ledger: Ledger, run_id: int, slices: Iterable[SliceRow]) -> None:
    with ledger.transaction() as connection:
        connection.executemany(
            "INSERT INTO search_slices (run_id, mindate, maxdate, datetype, uid_range, count_reported, ids_listed)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(run_id, s.mindate, s.maxdate, s.datetype, s.uid_range, s.count_reported, s.ids_listed)
             for s in slices],
        )


def list_slices(ledger: Ledger, run_id: int) -> list[SliceRow]:
    rows = ledger.connection.execute(
        "SELECT mindate, maxdate, datetype, uid_range, count_reported, ids_listed FROM search_slices"
        " WHERE run_id = ? ORDER BY id", (run_id,)
    )
    return [SliceRow(**dict(row)) for row in rows]


def held_records(ledger: Ledger, source: str) -> dict[str, int]:
    """Source id (PMID) -> ledger id, for every live record held for ``source``."""
    rows = ledger.connection.execute(
        "SELECT source_id, id FROM records WHERE source = ? AND file_id IS NULL AND source_id IS NOT NULL",
        (source,),
    )
    return {str(row["source_id"]): int(row["id"]) for row in rows}


def sight(ledger: Ledger, run_id: int, record_ids: Sequence[int]) -> None:
    """Record that ``run_id`` returned records already held (a sighting, not a new record)."""
    with ledger.transaction() as connection:
        connection.executemany(
            "INSERT OR IGNORE INTO sightings (record_id, run_id) VALUES (?, ?)",
            [(record_id, run_id) for record_id in record_ids],
        )


def store_batch(ledger: Ledger, run_id: int, source: str, records: Sequence[Record],
                missing: Mapping[str, str], count_retrieved: int) -> list[int]:
    """One EFetch batch, atomically: its records, the PMIDs it did not return (with why) and the run's
    count so far. Returns the records' ledger ids, in order."""
    with ledger.transaction() as connection:
        ids = add_records(ledger, records, run_id=run_id, source=source)
        connection.executemany(
            "INSERT OR REPLACE INTO search_missing (run_id, source_id, reason) VALUES (?, ?, ?)",
            [(run_id, pmid, reason) for pmid, reason in missing.items()],
        )
        connection.execute("UPDATE runs SET count_retrieved = ? WHERE id = ?", (count_retrieved, run_id))
    return ids


def list_missing(ledger: Ledger, run_id: int) -> list[tuple[str, str]]:
    """``(PMID, reason)`` for every PMID the run's search listed but EFetch did not return."""
    rows = ledger.connection.execute("SELECT source_id, reason FROM search_missing WHERE run_id = ? ORDER BY source_id",
                          (run_id,))
    return [(str(row["source_id"]), str(row["reason"])) for row in rows]


@dataclass(frozen=True, slots=True)
class PageRow:
    """One page of a cursor-paged search, as stored."""

    page: int
    cursor: str
    next_cursor: str | None
    records: int
    total: int | None


def store_page(ledger: Ledger, run_id: int, source: str, records: Sequence[Record], page: PageRow,
               count_retrieved: int) -> list[int]:
    """One page of a cursor-paged search, atomically: its records, the page with the cursor that follows
    it (where a killed search resumes), and the run's count so far. Returns the records' ledger ids."""
    with ledger.transaction() as connection:
        ids = add_records(ledger, records, run_id=run_id, source=source)
        connection.execute(
            "INSERT OR REPLACE INTO search_pages (run_id, page, cursor, next_cursor, records, total)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (run_id, page.page, page.cursor, page.next_cursor, page.records, page.total),
        )
        connection.execute("UPDATE runs SET count_retrieved = ? WHERE id = ?", (count_retrieved, run_id))
    return ids


def list_pages(ledger: Ledger, run_id: int) -> list[PageRow]:
    rows = ledger.connection.execute(
        "SELECT page, cursor, next_cursor, records, total FROM search_pages WHERE run_id = ? ORDER BY page", (run_id,))
    return [PageRow(**dict(row)) for row in rows]


def sighted_by(ledger: Ledger, run_id: int) -> list[int]:
    """The ledger ids of every record a run returned (new or already held), in id order."""
    rows = ledger.connection.execute("SELECT record_id FROM sightings WHERE run_id = ? ORDER BY record_id", (run_id,))
    return [int(row["record_id"]) for row in rows]
