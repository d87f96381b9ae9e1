"""Withdrawals and study links in the ledger, as history: nothing here updates or deletes a row.

A withdrawal concerns every record of one file, or of one run and its child runs; the latest row for that file or
run is what holds now (``undo`` ends it). A record's study is its latest link's (an empty study unlinks it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from harvester.ledger.core import Ledger, utc_now
from harvester.ledger.runs import run_tree


@dataclass(frozen=True, slots=True)
class Withdrawal:
    id: int
    file_id: int | None
    run_id: int | None
    action: str  # remove | exclude-from-counts | undo
    reason: str
    who: str
    at: str
    records: int

    @property
    def target(self) -> str:
        return f"file #{self.file_id}" if self.file_id is not None else f"run #{self.run_id}"


def records_of(ledger: Ledger, *, file_id: int | None = None, run_id: int | None = None) -> list[int]:
    """The records a withdrawal of this file (or run, with its child runs) concerns."""
    if file_id is not None:
        rows = ledger.connection.execute("SELECT id FROM records WHERE file_id = ? ORDER BY id", (file_id,))
        return [row["id"] for row in rows]
    assert run_id is not None
    runs = run_tree(ledger, run_id)
    marks = ", ".join("?" for _ in runs)
    rows = ledger.connection.execute(f"SELECT id FROM records WHERE run_id IN ({marks}) ORDER BY id", runs)
    return [row["id"] for row in rows]


def add_withdrawal(ledger: Ledger, *, file_id: int | None, run_id: int | None, action: str, reason: str, who: str,
                   records: int) -> Withdrawal:
    at = utc_now()
    with ledger.transaction() as connection:
        cursor = connection.execute(
            "INSERT INTO withdrawals (file_id, run_id, action, reason, who, at, records) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (file_id, run_id, action, reason, who, at, records))
    assert cursor.lastrowid is not None
    return Withdrawal(cursor.lastrowid, file_id, run_id, action, reason, who, at, records)


def list_withdrawals(ledger: Ledger) -> list[Withdrawal]:
    """Every withdrawal and undo, oldest first."""
    rows = ledger.connection.execute("SELECT * FROM withdrawals ORDER BY id")
    return [Withdrawal(**dict(row)) for row in rows]


def current_withdrawals(ledger: Ledger) -> list[Withdrawal]:
    """The withdrawals in force: per file or run, its latest row, unless that row is an undo."""
    latest: dict[tuple[int | None, int | None], Withdrawal] = {}
    for item in list_withdrawals(ledger):
        latest[(item.file_id, item.run_id)] = item
    return [item for item in latest.values() if item.action != "undo"]


def withdrawn_records(ledger: Ledger) -> dict[int, Withdrawal]:
    """Record id -> the withdrawal in force on it (a file's withdrawal wins over its run's: it is the narrower)."""
    found: dict[int, Withdrawal] = {}
    for item in sorted(current_withdrawals(ledger), key=lambda w: w.file_id is not None):
        for record_id in records_of(ledger, file_id=item.file_id, run_id=item.run_id):
            found[record_id] = item
    return found


@dataclass(frozen=True, slots=True)
class StudyLink:
    id: int
    record_id: int
    study: str
    who: str
    why: str
    at: str
    origin: str


def add_study_links(ledger: Ledger, links: Iterable[tuple[int, str]], *, who: str, why: str = "",
                    origin: str = "command") -> int:
    """Store (record id, study) links in one transaction; an empty study unlinks."""
    at = utc_now()
    count = 0
    with ledger.transaction() as connection:
        for record_id, study in links:
            connection.execute("INSERT INTO study_links (record_id, study, who, why, at, origin) "
                               "VALUES (?, ?, ?, ?, ?, ?)", (record_id, study, who, why, at, origin))
            count += 1
    return count


def study_link_history(ledger: Ledger, record_id: int | None = None) -> list[StudyLink]:
    rows = ledger.connection.execute(
        "SELECT * FROM study_links WHERE (? IS NULL OR record_id = ?) ORDER BY id", (record_id, record_id))
    return [StudyLink(**dict(row)) for row in rows]


def current_studies(ledger: Ledger) -> dict[int, str]:
    """Record id -> its study, for the records linked to one (the latest link of each; empty = unlinked)."""
    latest: dict[int, str] = {}
    for link in study_link_history(ledger):
        latest[link.record_id] = link.study
    return {record_id: study for record_id, study in latest.items() if study}
