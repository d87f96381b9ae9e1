"""Screening in the ledger: rule results and reviewers' decisions, kept as history.

Nothing here updates or deletes a row. The current rule results are those of the latest successful
``rules`` run; a reviewer's current decision on a record at a stage is their latest row (highest id).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from harvester.ledger.core import Ledger, utc_now
from harvester.ledger.runs import latest_ok_run


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
    return latest_ok_run(ledger, "rules")


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
    rows = ledger.connection.execute(
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
    rows = ledger.connection.execute("SELECT * FROM rule_results WHERE record_id = ? ORDER BY id", (record_id,))
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
    rows = ledger.connection.execute(
        "SELECT * FROM decisions WHERE (? IS NULL OR stage = ?) AND (? IS NULL OR record_id = ?) ORDER BY id",
        (stage, stage, record_id, record_id),
    )
    return [StoredDecision(**dict(row)) for row in rows]


def _rule_result(row: Any) -> StoredRuleResult:
    data = dict(row)
    data["fired"] = bool(data["fired"])
    return StoredRuleResult(**data)
