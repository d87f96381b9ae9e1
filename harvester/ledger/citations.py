"""Citation searching in the ledger: the works found through a record's references (backward) or citing
works (forward), each stored once as a record, and one link row per (record it came from, work, direction)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harvester.ledger.core import Ledger, utc_now
from harvester.ledger.records import add_records
from harvester.records import Record


@dataclass(frozen=True, slots=True)
class Link:
    run_id: int
    from_record: int
    to_record: int
    direction: str  # backward | forward
    service: str


def store_links(ledger: Ledger, run_id: int, source: str, from_record: int, direction: str, service: str,
                records: Sequence[Record]) -> list[int]:
    """The works one record led to, atomically: the records (a work already held is sighted, not stored
    again) and a link from the record to each. Returns the works' ledger ids, in order."""
    with ledger.transaction() as connection:
        ids = add_records(ledger, records, run_id=run_id, source=source)
        connection.executemany(
            "INSERT OR IGNORE INTO citation_links (run_id, from_record, to_record, direction, service)"
            " VALUES (?, ?, ?, ?, ?)",
            [(run_id, from_record, to_record, direction, service) for to_record in dict.fromkeys(ids)],
        )
    return ids


def list_links(ledger: Ledger, run_id: int | None = None) -> list[Link]:
    rows = ledger.connection.execute(
        "SELECT run_id, from_record, to_record, direction, service FROM citation_links"
        " WHERE (? IS NULL OR run_id = ?) ORDER BY run_id, from_record, direction, to_record", (run_id, run_id))
    return [Link(*row) for row in rows]


def close_abandoned_cites(ledger: Ledger, by: int) -> list[int]:
    """Mark ``interrupted`` every earlier citation search still ``running`` (call holding the review's lock:
    such a run was killed). What it stored stays: works and links were committed record by record."""
    with ledger.transaction() as connection:
        ids = [int(row[0]) for row in connection.execute(
            "SELECT id FROM runs WHERE kind = 'cite' AND status = 'running' AND id != ? ORDER BY id", (by,))]
        connection.executemany(
            "UPDATE runs SET status = 'interrupted', ended_at = ?, message = ? WHERE id = ?",
            [(utc_now(), f"stopped before finishing; what it stored is kept (found again by run #{by})", i)
             for i in ids])
    return ids
