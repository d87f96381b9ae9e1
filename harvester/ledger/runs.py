"""The runs table: every search, import, de-duplication, screening pass or refresh is a row, with its status.

A refresh is a run of kind ``refresh``; the searches, imports and de-duplication it does are its child
runs (``parent_run_id``), so "which records came from which refresh" is a join on the run tree.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from harvester import __version__
from harvester.ledger.core import Ledger, stored_text, utc_now

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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def without_secrets(parameters: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``parameters`` with every secret-looking key removed, and every text as the ledger holds it
    (:func:`stored_text`: a path whose bytes are not UTF-8 would otherwise come back out of the JSON as text
    no output can print)."""
    return {k: _texts(v) for k, v in parameters.items() if k.lower() not in SECRET_PARAMETERS}


def _texts(value: Any) -> Any:
    if isinstance(value, str):
        return stored_text(value)
    if isinstance(value, dict):
        return {stored_text(str(k)): _texts(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_texts(v) for v in value]
    return value


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


#: What becomes of the partial work of a run left ``running`` by a killed process, by kind: searches and
#: citation searches commit page by page and keep what they stored (the next search of the source resumes
#: from it: :func:`~harvester.ledger.harvest.close_abandoned_searches` finds the run by this text), a refresh
#: keeps the sources it had finished (the next refresh reports them); every other run wrote in one
#: transaction, rolled back when it died, so it starts over.
ORPHAN_FATES = {
    "search": "what it stored is kept; the next search of this source resumes it",
    "cite": "what it stored is kept",
    "refresh": "the sources it had finished are kept and the next refresh reports them",
}
ORPHAN_FATE = "its partial work is not counted: run the command again to start over"


def interrupt_orphans(ledger: Ledger) -> list[tuple[int, str, str]]:
    """Mark ``interrupted`` every run still ``running``, whatever its kind: call it only holding the review's lock,
    before this process starts a run, when no other writer can be running, so such a run's process is gone
    (killed). Its message says what became of its work (:data:`ORPHAN_FATES`); the rows of a run that starts
    over are never counted (counts read the latest *successful* run). Returns (id, kind, fate) of each."""
    with ledger.transaction() as connection:
        found = [(int(row["id"]), str(row["kind"])) for row in connection.execute(
            "SELECT id, kind FROM runs WHERE status = 'running' ORDER BY id")]
        marked = [(run_id, kind, ORPHAN_FATES.get(kind, ORPHAN_FATE)) for run_id, kind in found]
        for run_id, _, fate in marked:
            connection.execute(
                "UPDATE runs SET status = 'interrupted', ended_at = ?, message = COALESCE(NULLIF(message, '') || "
                "'; ', '') || ? WHERE id = ?",
                (utc_now(), f"the process stopped before the run finished (killed?); {fate}", run_id))
    return marked


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
    row = ledger.connection.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
    if row is None:
        raise KeyError(run_id)
    return _run(row)


def list_runs(ledger: Ledger, kind: str | None = None, source: str | None = None) -> list[Run]:
    """Runs in the order they started, optionally of one kind and source."""
    sql = "SELECT * FROM runs WHERE (? IS NULL OR kind = ?) AND (? IS NULL OR source = ?) ORDER BY id"
    return [_run(row) for row in ledger.connection.execute(sql, (kind, kind, source, source))]


def _run(row: Any) -> Run:
    data = dict(row)
    data["parameters"] = json.loads(data["parameters"] or "{}")
    return Run(**data)


def latest_ok_run(ledger: Ledger, kind: str, up_to: int | None = None) -> int | None:
    """The id of the latest run of ``kind`` that finished ``ok`` (optionally no later than run ``up_to``)."""
    row = ledger.connection.execute(
        "SELECT MAX(id) AS id FROM runs WHERE kind = ? AND status = 'ok' AND (? IS NULL OR id <= ?)",
        (kind, up_to, up_to)).fetchone()
    return int(row["id"]) if row["id"] is not None else None


def max_run_id(ledger: Ledger) -> int:
    row = ledger.connection.execute("SELECT COALESCE(MAX(id), 0) AS id FROM runs").fetchone()
    return int(row["id"])


def last_run_before(ledger: Ledger, moment: str) -> int | None:
    """The id of the last run started before ``moment`` (None when there is none)."""
    row = ledger.connection.execute("SELECT MAX(id) AS id FROM runs WHERE started_at < ?", (moment,)).fetchone()
    return int(row["id"]) if row["id"] is not None else None


def run_tree(ledger: Ledger, run_id: int) -> list[int]:
    """``run_id`` and every run below it (children, grandchildren...)."""
    rows = ledger.connection.execute(
        "WITH RECURSIVE tree(id) AS (SELECT ? UNION ALL SELECT runs.id FROM runs JOIN tree"
        " ON runs.parent_run_id = tree.id) SELECT id FROM tree ORDER BY id",
        (run_id,),
    )
    return [int(row["id"]) for row in rows]


def set_run_parameters(ledger: Ledger, run_id: int, extra: dict[str, object]) -> None:
    """Merge ``extra`` into a run's stored parameters (keeping what the run itself stored)."""
    parameters = dict(get_run(ledger, run_id).parameters)
    parameters.update(extra)
    update_run(ledger, run_id, parameters=parameters)


# --- scheduled refreshes ------------------------------------------------------------------------------


def last_successful_search(ledger: Ledger, source: str) -> Run | None:
    """The latest search of ``source`` that finished ``ok`` (a failed or killed one does not count)."""
    row = ledger.connection.execute(
        "SELECT id FROM runs WHERE kind = 'search' AND source = ? AND status = 'ok' ORDER BY id DESC LIMIT 1",
        (source,),
    ).fetchone()
    return get_run(ledger, int(row["id"])) if row else None


def last_total_count(ledger: Ledger, source: str) -> int | None:
    """The query's total count for ``source`` at the last successful run that knew it.

    A refresh stores the total it saw in its parameters (``totals``: only of the sources it searched
    successfully, also when another source failed); before any refresh, a search run
    with no refresh window reported the total itself (``count_reported``). Window searches report only
    their window's count and are skipped.
    """
    rows = ledger.connection.execute(  # a refresh that failed for another source still knew this one's total
        "SELECT id, kind, parameters, count_reported FROM runs WHERE"
        " ((kind = 'refresh' AND status IN ('ok', 'failed')) OR (kind = 'search' AND source = ? AND status = 'ok'))"
        " ORDER BY id DESC",
        (source,),
    )
    for row in rows:
        parameters = json.loads(row["parameters"] or "{}")
        if row["kind"] == "refresh":
            total = parameters.get("totals", {}).get(source)
            if total is not None:
                return int(total)
        elif "refresh_window" not in parameters and row["count_reported"] is not None:
            return int(row["count_reported"])
    return None


def refresh_runs(ledger: Ledger) -> list[Run]:
    """Every refresh, in the order they started, whatever their status."""
    return list_runs(ledger, kind="refresh")


def adopt_runs(ledger: Ledger, parent_run_id: int, after_run_id: int) -> list[int]:
    """Make the orphan runs started after ``after_run_id`` children of ``parent_run_id``.

    Imports and de-duplication create their own runs without a parent; inside a refresh they belong to
    it, so that the run tree tells which refresh brought which record in.
    """
    with ledger.transaction() as connection:
        rows = connection.execute(
            "SELECT id FROM runs WHERE id > ? AND id != ? AND parent_run_id IS NULL ORDER BY id",
            (after_run_id, parent_run_id),
        ).fetchall()
        ids = [int(row["id"]) for row in rows]
        connection.executemany("UPDATE runs SET parent_run_id = ? WHERE id = ?", [(parent_run_id, i) for i in ids])
    return ids


def close_abandoned_refreshes(ledger: Ledger) -> list[int]:
    """Mark ``interrupted`` every refresh still ``running`` (and its running child runs).

    Called by a refresh that holds the review's lock: no other refresh can be alive, so a running one
    was killed. The source it was searching was rolled back with its transaction; the sources it had
    finished are kept (the next refresh reports their records).
    """
    ids: list[int] = []
    for run in refresh_runs(ledger):
        if run.status == "running":
            ids.extend(run_tree(ledger, run.id))
    if ids:
        marks = ",".join("?" * len(ids))
        with ledger.transaction() as connection:
            connection.execute(
                f"UPDATE runs SET status = 'interrupted', ended_at = COALESCE(ended_at, ?), message = COALESCE("
                f"message, 'killed before it finished; what it had finished is kept') WHERE status = 'running'"
                f" AND id IN ({marks})", (utc_now(), *ids))
    return ids
