"""Screening in the ledger: rule results and reviewers' decisions, kept as history.

Nothing here updates or deletes a row. The current rule results are those of the latest successful
``rules`` run; a reviewer's current decision on a record at a stage is their latest row (highest id).
Also the read-only look-ups the audit needs (sightings, duplicate rows, the file a record came from).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from harvester.ledger.core import Ledger, utc_now


@dataclass(frozen=True, slots=True)
class StoredRuleResult:
    id: int
    run_id: int
    record_id: int
    rule_id: str
    kind: str
    stage: str
    action: str
    fired: bool
    reason: str
    evidence: str
    decided_at: str


@dataclass(frozen=True, slots=True)
class NewDecision:
    """A decision read from a file, checked, ready to store."""

    record_id: int
    stage: str
    reviewer: str
    role: str
    decision: str
    reason: str | None = None
    note: str | None = None
    decided_at: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class StoredDecision:
    id: int
    run_id: int
    record_id: int
    stage: str
    reviewer: str
    role: str
    decision: str
    reason: str | None
    note: str | None
    decided_at: str
    imported_at: str
    file: str | None
    file_sha256: str | None
    line: int | None
    format: str


def latest_rules_run(ledger: Ledger) -> int | None:
    row = ledger.execute("SELECT MAX(id) AS id FROM runs WHERE kind = 'rules' AND status = 'ok'").fetchone()
    return int(row["id"]) if row["id"] is not None else None


def add_rule_results(ledger: Ledger, run_id: int, rows: Iterable[tuple[int, str, str, str, str, bool, str, str]]
                     ) -> int:
    """Store one rules run's results: (record_id, rule_id, kind, stage, action, fired, reason, evidence)."""
    now = utc_now()
    count = 0
    with ledger.transaction() as connection:
        for record_id, rule_id, kind, stage, action, fired, reason, evidence in rows:
            connection.execute(
                "INSERT INTO rule_results (run_id, record_id, rule_id, kind, stage, action, fired, reason, evidence,"
                " decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, record_id, rule_id, kind, stage, action, int(fired), reason, evidence, now),
            )
            count += 1
    return count


def current_rule_results(ledger: Ledger, fired_only: bool = True) -> dict[int, list[StoredRuleResult]]:
    """Record id -> its results in the latest successful rules run (by default only the rules that fired)."""
    run_id = latest_rules_run(ledger)
    if run_id is None:
        return {}
    rows = ledger.execute(
        "SELECT * FROM rule_results WHERE run_id = ? AND (? = 0 OR fired = 1) ORDER BY record_id, id",
        (run_id, int(fired_only)),
    )
    found: dict[int, list[StoredRuleResult]] = {}
    for row in rows:
        result = _rule_result(row)
        found.setdefault(result.record_id, []).append(result)
    return found


def rule_history(ledger: Ledger, record_id: int) -> list[StoredRuleResult]:
    """Every rule result ever stored for one record, oldest first."""
    rows = ledger.execute("SELECT * FROM rule_results WHERE record_id = ? ORDER BY id", (record_id,))
    return [_rule_result(row) for row in rows]


def add_decisions(ledger: Ledger, run_id: int, decisions: Iterable[NewDecision], *, file: str | None,
                  file_sha256: str | None, format: str) -> int:
    """Store checked decisions, all in one transaction (a file lands whole or not at all)."""
    now = utc_now()
    count = 0
    with ledger.transaction() as connection:
        for item in decisions:
            connection.execute(
                "INSERT INTO decisions (run_id, record_id, stage, reviewer, role, decision, reason, note, decided_at,"
                " imported_at, file, file_sha256, line, format) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, item.record_id, item.stage, item.reviewer, item.role, item.decision, item.reason,
                 item.note, item.decided_at or now, now, file, file_sha256, item.line, format),
            )
            count += 1
    return count


def list_decisions(ledger: Ledger, stage: str | None = None, record_id: int | None = None) -> list[StoredDecision]:
    """Decisions as history, oldest first, optionally of one stage or one record."""
    rows = ledger.execute(
        "SELECT * FROM decisions WHERE (? IS NULL OR stage = ?) AND (? IS NULL OR record_id = ?) ORDER BY id",
        (stage, stage, record_id, record_id),
    )
    return [StoredDecision(**dict(row)) for row in rows]


def record_ids(ledger: Ledger) -> set[int]:
    return {int(row["id"]) for row in ledger.execute("SELECT id FROM records")}


def record_identity(ledger: Ledger) -> list[tuple[int, str, str, str]]:
    """(id, title, doi, pmid) of every record: what a decisions row is checked against."""
    rows = ledger.execute("SELECT id, title, doi, pmid FROM records ORDER BY id")
    return [(int(row["id"]), row["title"] or "", row["doi"] or "", row["pmid"] or "") for row in rows]


def record_keys(ledger: Ledger) -> dict[tuple[str, str], list[int]]:
    """(source, source_id) -> record ids: the alternative key a decisions sheet may use."""
    found: dict[tuple[str, str], list[int]] = {}
    for row in ledger.execute("SELECT id, source, source_id FROM records WHERE source_id IS NOT NULL ORDER BY id"):
        found.setdefault((row["source"], row["source_id"]), []).append(int(row["id"]))
    return found


def record_positions(ledger: Ledger) -> dict[tuple[str, int], list[int]]:
    """(source, position in its file or result set) -> record ids: the key for records without a database id
    (a reference manager's export of hand-searched records), unique when the source has one file."""
    found: dict[tuple[str, int], list[int]] = {}
    for row in ledger.execute("SELECT id, source, position FROM records WHERE position IS NOT NULL ORDER BY id"):
        found.setdefault((row["source"], int(row["position"])), []).append(int(row["id"]))
    return found


def duplicate_rows(ledger: Ledger, record_id: int) -> list[dict[str, Any]]:
    """Every duplicates row naming the record (as the duplicate or as the kept one), with its run."""
    rows = ledger.execute(
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


def sightings(ledger: Ledger, record_id: int) -> list[dict[str, Any]]:
    """The runs that returned the record, with their kind, source and start time."""
    rows = ledger.execute(
        "SELECT r.id, r.kind, r.source, r.started_at, r.status FROM sightings s JOIN runs r ON r.id = s.run_id"
        " WHERE s.record_id = ? ORDER BY r.id",
        (record_id,),
    )
    return [dict(row) for row in rows]


def file_of(ledger: Ledger, file_id: int) -> dict[str, Any] | None:
    row = ledger.execute("SELECT id, path, sha256, format, database, imported_at FROM files WHERE id = ?",
                         (file_id,)).fetchone()
    return dict(row) if row else None


def record_place(ledger: Ledger, record_id: int) -> dict[str, Any] | None:
    """Where the record sits in its file or result set (position and line)."""
    row = ledger.execute("SELECT position, line FROM records WHERE id = ?", (record_id,)).fetchone()
    return dict(row) if row else None


def _rule_result(row: Any) -> StoredRuleResult:
    data = dict(row)
    data["fired"] = bool(data["fired"])
    return StoredRuleResult(**data)


def record_sources(ledger: Ledger) -> list[tuple[int, str, str]]:
    """(id, source, database) of every record held, by id: all the outcome computation needs of a record."""
    rows = ledger.execute("SELECT id, source, database FROM records ORDER BY id")
    return [(int(row["id"]), row["source"], row["database"]) for row in rows]
