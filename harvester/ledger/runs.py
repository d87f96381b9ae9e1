"""Runs: every search, import, de-duplication or screening pass is a row, with its status."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from harvester import __version__
from harvester.ledger.core import Ledger, utc_now

#: Parameter names that must never be stored (NCBI_API_KEY and friends).
SECRET_PARAMETERS = frozenset({"api_key", "apikey", "key", "token", "password", "secret"})


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    kind: str
    source: str | None
    database: str | None
    platform: str | None
    query: str | None
    query_translation: str | None
    parameters: dict[str, Any]
    count_reported: int | None
    count_retrieved: int | None
    started_at: str
    ended_at: str | None
    tool_version: str
    status: str
    message: str | None
    parent_run_id: int | None


def without_secrets(parameters: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``parameters`` with every secret-looking key removed."""
    return {k: v for k, v in parameters.items() if k.lower() not in SECRET_PARAMETERS}


def start_run(
    ledger: Ledger,
    kind: str,
    *,
    source: str | None = None,
    database: str | None = None,
    platform: str | None = None,
    query: str | None = None,
    parameters: dict[str, Any] | None = None,
    parent_run_id: int | None = None,
) -> int:
    """Record that a run has started; returns its id. The run is ``running`` until finished or failed."""
    with ledger.transaction() as connection:
        cursor = connection.execute(
            "INSERT INTO runs (kind, source, database, platform, query, parameters, started_at, tool_version,"
            " status, parent_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)",
            (
                kind,
                source,
                database,
                platform,
                query,
                json.dumps(without_secrets(parameters or {}), sort_keys=True),
                utc_now(),
                __version__,
                parent_run_id,
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def update_run(ledger: Ledger, run_id: int, **values: Any) -> None:
    """Set some of a run's columns (``query_translation``, ``count_reported``, ``parameters``...)."""
    allowed = {"query", "query_translation", "count_reported", "count_retrieved", "parameters", "message",
               "database", "platform"}
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"cannot update run columns {sorted(unknown)}")
    if "parameters" in values:
        values["parameters"] = json.dumps(without_secrets(values["parameters"]), sort_keys=True)
    assignments = ", ".join(f"{name} = ?" for name in values)
    with ledger.transaction() as connection:
        connection.execute(f"UPDATE runs SET {assignments} WHERE id = ?", (*values.values(), run_id))


def finish_run(ledger: Ledger, run_id: int, status: str = "ok", message: str | None = None,
               count_retrieved: int | None = None) -> None:
    """Close a run as ``ok``, ``failed`` or ``interrupted``."""
    with ledger.transaction() as connection:
        connection.execute(
            "UPDATE runs SET status = ?, message = COALESCE(?, message), ended_at = ?,"
            " count_retrieved = COALESCE(?, count_retrieved) WHERE id = ?",
            (status, message, utc_now(), count_retrieved, run_id),
        )


def get_run(ledger: Ledger, run_id: int) -> Run:
    row = ledger.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
    if row is None:
        raise KeyError(run_id)
    return _run(row)


def list_runs(ledger: Ledger, kind: str | None = None, source: str | None = None) -> list[Run]:
    """Runs in the order they started, optionally of one kind and source."""
    sql = "SELECT * FROM runs WHERE (? IS NULL OR kind = ?) AND (? IS NULL OR source = ?) ORDER BY id"
    return [_run(row) for row in ledger.execute(sql, (kind, kind, source, source))]


def _run(row: Any) -> Run:
    data = dict(row)
    data["parameters"] = json.loads(data["parameters"] or "{}")
    return Run(**data)
