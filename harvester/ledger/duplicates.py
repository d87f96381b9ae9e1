"""De-duplication in the ledger: which record duplicates which, by what rule, in which run.

Contract used by screening and PRISMA counts: :func:`current_duplicates` maps every record removed as
a duplicate to the record kept for its cluster, as of the latest successful dedupe run. The rest
holds the evidence (pairs per run) and people's same/different decisions.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from harvester.ledger.core import Ledger, chunks, utc_now
from harvester.ledger.runs import latest_ok_run


@dataclass(frozen=True, slots=True)
class DuplicateRow:
    record_id: int
    duplicate_of: int
    matched_with: int | None
    rule: str
    scores: dict[str, Any]
    run_id: int
    decided_at: str


@dataclass(frozen=True, slots=True)
class PairRow:
    record_a: int
    record_b: int
    verdict: str
    rule: str
    scores: dict[str, Any]
    open: bool


@dataclass(frozen=True, slots=True)
class LinkRow:
    """A notice (erratum, retraction, comment, reply) linked to the work it concerns by a dedupe run."""

    run_id: int
    notice_id: int
    work_id: int
    rule: str
    reason: str
    scores: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ChangeRow:
    """A merge a dedupe run undid or made among records the previous run held, with its evidence."""

    run_id: int
    record_id: int
    other_id: int
    change: str  # undone | made
    rule: str
    now: str
    scores: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DecisionRow:
    id: int
    record_a: int
    record_b: int
    decision: str
    reviewer: str
    decided_at: str
    how: str
    file: str | None
    line: int | None
    note: str | None


def latest_dedupe_run(ledger: Ledger) -> int | None:
    return latest_ok_run(ledger, "dedupe")


def current_duplicates(ledger: Ledger) -> dict[int, int]:
    """Removed record id -> kept record id, from the latest successful dedupe run (empty before any)."""
    return _removed(ledger, latest_dedupe_run(ledger))


def duplicates_as_of(ledger: Ledger, last_run_id: int) -> dict[int, int]:
    """Removed record id -> kept record id, as the latest successful dedupe run up to run ``last_run_id`` left
    them (empty when none had run): which record of a cluster the previous version of a review screened."""
    return _removed(ledger, latest_ok_run(ledger, "dedupe", up_to=last_run_id))


def _removed(ledger: Ledger, run_id: int | None) -> dict[int, int]:
    if run_id is None:
        return {}
    rows = ledger.connection.execute("SELECT record_id, duplicate_of FROM duplicates WHERE run_id = ?", (run_id,))
    return {int(row["record_id"]): int(row["duplicate_of"]) for row in rows}


def duplicate_rules(ledger: Ledger, run_id: int) -> dict[str, int]:
    """How many records one dedupe run removed, per matching rule (``reviewer`` for a person's merge)."""
    rows = ledger.connection.execute(
        "SELECT rule, COUNT(*) AS n FROM duplicates WHERE run_id = ? GROUP BY rule ORDER BY rule", (run_id,)
    )
    return {str(row["rule"]): int(row["n"]) for row in rows}


def duplicate_history(ledger: Ledger, record_id: int) -> list[dict[str, Any]]:
    """Every duplicates row naming the record (as the duplicate or as the kept one), with its run."""
    rows = ledger.connection.execute(
        "SELECT d.*, r.status AS run_status FROM duplicates d JOIN runs r ON r.id = d.run_id"
        " WHERE d.record_id = ? OR d.duplicate_of = ? ORDER BY d.id",
        (record_id, record_id),
    )
    found = []
    for row in rows:
        data = dict(row)
        with contextlib.suppress(json.JSONDecodeError):
            data["scores"] = json.loads(data.get("scores") or "{}")
        found.append(data)
    return found


def duplicates_removed_by_database(ledger: Ledger) -> dict[str, int]:
    """Database -> how many of its records the latest dedupe run removed (the PRISMA figure)."""
    run_id = latest_dedupe_run(ledger)
    if run_id is None:
        return {}
    rows = ledger.connection.execute(
        "SELECT r.database AS database, COUNT(*) AS n FROM duplicates d JOIN records r ON r.id = d.record_id"
        " WHERE d.run_id = ? GROUP BY r.database ORDER BY r.database", (run_id,))
    return {row["database"]: int(row["n"]) for row in rows}


def write_run_result(ledger: Ledger, run_id: int,
                     duplicates: Iterable[tuple[int, int, int | None, str, dict[str, Any]]],
                     pairs: Iterable[tuple[int, int, str, str, dict[str, Any], bool]],
                     links: Iterable[tuple[int, int, str, str, dict[str, Any]]] = (),
                     changes: Iterable[tuple[int, int, str, str, str, dict[str, Any]]] = ()) -> None:
    """Store one dedupe run's removed duplicates ``(record, kept, matched_with, rule, scores)``, its
    pairs ``(a, b, verdict, rule, scores, open)``, its links ``(notice, work, rule, reason, scores)`` and
    the merges it undid or made ``(record, other, change, rule, now, scores)``, in one transaction."""
    now = utc_now()
    with ledger.transaction() as connection:
        connection.executemany(
            "INSERT INTO duplicates (run_id, record_id, duplicate_of, matched_with, rule, scores, decided_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((run_id, r, kept, matched, rule, json.dumps(scores, sort_keys=True), now)
             for r, kept, matched, rule, scores in duplicates))
        connection.executemany(
            "INSERT INTO dedup_pairs (run_id, record_a, record_b, verdict, rule, scores, open)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((run_id, a, b, verdict, rule, json.dumps(scores, sort_keys=True), int(is_open))
             for a, b, verdict, rule, scores, is_open in pairs))
        connection.executemany(
            "INSERT INTO dedup_links (run_id, notice_id, work_id, rule, reason, scores) VALUES (?, ?, ?, ?, ?, ?)",
            ((run_id, notice, work, rule, reason, json.dumps(scores, sort_keys=True))
             for notice, work, rule, reason, scores in links))
        connection.executemany(
            "INSERT INTO dedup_changes (run_id, record_id, other_id, change, rule, now, scores)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((run_id, record, other, change, rule, now_, json.dumps(scores, sort_keys=True))
             for record, other, change, rule, now_, scores in changes))


def duplicate_rows(ledger: Ledger, run_id: int | None = None) -> list[DuplicateRow]:
    """The removed duplicates of a run (default: the latest ok dedupe run), by kept record then id."""
    run_id = run_id if run_id is not None else latest_dedupe_run(ledger)
    if run_id is None:
        return []
    rows = ledger.connection.execute("SELECT * FROM duplicates WHERE run_id = ? ORDER BY duplicate_of, record_id",
                                     (run_id,))
    return [DuplicateRow(int(r["record_id"]), int(r["duplicate_of"]), r["matched_with"], r["rule"],
                         json.loads(r["scores"]), int(r["run_id"]), r["decided_at"]) for r in rows]


def pair_rows(ledger: Ledger, run_id: int, verdict: str | None = None, only_open: bool = False) -> list[PairRow]:
    """The pairs a run kept, optionally of one verdict, optionally only those waiting for a person."""
    rows = ledger.connection.execute(
        "SELECT * FROM dedup_pairs WHERE run_id = ? AND (? IS NULL OR verdict = ?) AND (? = 0 OR open = 1)"
        " ORDER BY record_a, record_b", (run_id, verdict, verdict, int(only_open)))
    return [PairRow(int(r["record_a"]), int(r["record_b"]), r["verdict"], r["rule"], json.loads(r["scores"]),
                    bool(r["open"])) for r in rows]


def link_rows(ledger: Ledger, run_id: int | None = None, record_id: int | None = None) -> list[LinkRow]:
    """The notices a run (default: the latest ok dedupe run) linked to the works they concern, optionally
    only the links naming one record (as the notice or as the work)."""
    run_id = run_id if run_id is not None else latest_dedupe_run(ledger)
    if run_id is None:
        return []
    rows = ledger.connection.execute(
        "SELECT * FROM dedup_links WHERE run_id = ? AND (? IS NULL OR notice_id = ? OR work_id = ?)"
        " ORDER BY notice_id, work_id", (run_id, record_id, record_id, record_id))
    return [LinkRow(int(r["run_id"]), int(r["notice_id"]), int(r["work_id"]), r["rule"], r["reason"],
                    json.loads(r["scores"])) for r in rows]


def change_rows(ledger: Ledger, run_id: int | None = None) -> list[ChangeRow]:
    """The merges a run (default: the latest ok dedupe run) undid or made among records held before it."""
    run_id = run_id if run_id is not None else latest_dedupe_run(ledger)
    if run_id is None:
        return []
    rows = ledger.connection.execute("SELECT * FROM dedup_changes WHERE run_id = ? ORDER BY change DESC, record_id",
                                     (run_id,))
    return [ChangeRow(int(r["run_id"]), int(r["record_id"]), int(r["other_id"]), r["change"], r["rule"], r["now"],
                      json.loads(r["scores"])) for r in rows]


def add_decisions(ledger: Ledger, decisions: Iterable[tuple[int, int, str, str, str, str | None, int | None,
                                                            str | None]]) -> int:
    """Store people's decisions ``(a, b, decision, reviewer, how, file, line, note)``; ``a < b`` is
    enforced here. Returns how many were stored."""
    now = utc_now()
    count = 0
    with ledger.transaction() as connection:
        for a, b, decision, reviewer, how, file, line, note in decisions:
            connection.execute(
                "INSERT INTO dedup_decisions (record_a, record_b, decision, reviewer, decided_at, how, file, line,"
                " note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (min(a, b), max(a, b), decision, reviewer, now, how, file, line, note))
            count += 1
    return count


def decision_rows(ledger: Ledger) -> list[DecisionRow]:
    """Every decision, oldest first (a later one for the same pair supersedes)."""
    return [DecisionRow(**dict(r)) for r in ledger.connection.execute("SELECT * FROM dedup_decisions ORDER BY id")]



# --- stored keys: what lets an incremental run read only the records its new records can meet ------



def store_keys(ledger: Ledger, version: str,
               rows: Iterable[tuple[int, int | None, str, Iterable[str]]], clear: bool = False) -> None:
    """Store records' prepared keys ``(record id, year, keys JSON, blocking keys)`` made by code
    ``version`` (a record stored again is replaced). ``clear`` first drops every stored key: the code
    that made them changed."""
    with ledger.transaction() as connection:
        if clear:
            connection.execute("DELETE FROM dedup_blocks")
            connection.execute("DELETE FROM dedup_keys")
        rows = list(rows)
        connection.executemany("INSERT OR REPLACE INTO dedup_keys (record_id, version, keys) VALUES (?, ?, ?)",
                               ((record_id, version, keys) for record_id, _, keys, _ in rows))
        # in the index's own order (block, record): each row lands after the one before instead of somewhere in
        # a B-tree of hundreds of thousands of rows (a third less time at 100,000 records)
        index: list[tuple[str, int, int | None]] = [(b, record_id, year) for record_id, year, _, blocks in rows
                                                     for b in blocks]
        index.sort()  # a record holds a block once, so (block, record) decides the order before the year
        connection.executemany("INSERT OR IGNORE INTO dedup_blocks (block, record_id, year) VALUES (?, ?, ?)", index)


def stale_keys(ledger: Ledger, version: str) -> bool:
    """Whether any stored keys were made by other code than ``version``."""
    row = ledger.connection.execute("SELECT 1 FROM dedup_keys WHERE version != ? LIMIT 1", (version,)).fetchone()
    return row is not None


def records_without_keys(ledger: Ledger, version: str, up_to: int | None = None) -> set[int]:
    """Ids of records (optionally up to an id) with no keys stored by code ``version``."""
    rows = ledger.connection.execute(
        "SELECT r.id FROM records r LEFT JOIN dedup_keys k ON k.record_id = r.id AND k.version = ?"
        " WHERE k.record_id IS NULL AND (? IS NULL OR r.id <= ?)", (version, up_to, up_to))
    return {int(r["id"]) for r in rows}


def block_members(ledger: Ledger, blocks: Iterable[str]) -> dict[str, list[tuple[int, int | None]]]:
    """Blocking key -> ``(record id, year)`` of every record holding it (through the block index)."""
    found: dict[str, list[tuple[int, int | None]]] = {}
    for chunk in chunks(set(blocks)):
        rows = ledger.connection.execute(f"SELECT block, record_id, year FROM dedup_blocks WHERE block IN"
                              f" ({', '.join('?' * len(chunk))}) ORDER BY block, record_id", tuple(chunk))
        for row in rows:
            found.setdefault(row["block"], []).append((int(row["record_id"]), row["year"]))
    return found


def stored_keys(ledger: Ledger, ids: Iterable[int], version: str) -> dict[int, str]:
    """Record id -> its stored keys JSON made by code ``version`` (records without are left out)."""
    found: dict[int, str] = {}
    for chunk in chunks(set(ids)):
        rows = ledger.connection.execute(f"SELECT record_id, keys FROM dedup_keys WHERE version = ? AND record_id IN"
                              f" ({', '.join('?' * len(chunk))})", (version, *chunk))
        found.update((int(row["record_id"]), row["keys"]) for row in rows)
    return found




def max_decision_id(ledger: Ledger) -> int:
    """The id of the latest person's decision (0 before any): decisions after it are new to a run."""
    row = ledger.connection.execute("SELECT MAX(id) AS id FROM dedup_decisions").fetchone()
    return int(row["id"] or 0)

