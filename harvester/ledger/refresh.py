"""Ledger queries for scheduled refreshes: where the last run left off, which records came from which
refresh, and tidying up after a refresh that was killed.

A refresh is a run of kind ``refresh``; the searches, imports and de-duplication it does are its child
runs (``parent_run_id``). Records are tied to the run that first brought them in (``records.run_id``),
so "which records came from which refresh" is a join on the run tree, not a stored list. Ids only grow
(SQLite reuses no id below the highest row, and a rolled-back refresh leaves no row behind), so
"records added after run N" is also "records with an id above those held when run N started".
"""

from __future__ import annotations

import json

from harvester.ledger.core import Ledger, utc_now
from harvester.ledger.runs import Run, get_run, list_runs, update_run


def last_successful_search(ledger: Ledger, source: str) -> Run | None:
    """The latest search of ``source`` that finished ``ok`` (a failed or killed one does not count)."""
    row = ledger.execute(
        "SELECT id FROM runs WHERE kind = 'search' AND source = ? AND status = 'ok' ORDER BY id DESC LIMIT 1",
        (source,),
    ).fetchone()
    return get_run(ledger, int(row["id"])) if row else None


def last_total_count(ledger: Ledger, source: str) -> int | None:
    """The query's total count for ``source`` at the last successful run that knew it.

    A refresh stores the total it saw in its parameters (``totals``); before any refresh, a search run
    with no refresh window reported the total itself (``count_reported``). Window searches report only
    their window's count and are skipped.
    """
    rows = ledger.execute(
        "SELECT id, kind, parameters, count_reported FROM runs WHERE status = 'ok' AND"
        " ((kind = 'refresh') OR (kind = 'search' AND source = ?)) ORDER BY id DESC",
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


def max_record_id(ledger: Ledger) -> int:
    row = ledger.execute("SELECT COALESCE(MAX(id), 0) AS id FROM records").fetchone()
    return int(row["id"])


def max_run_id(ledger: Ledger) -> int:
    row = ledger.execute("SELECT COALESCE(MAX(id), 0) AS id FROM runs").fetchone()
    return int(row["id"])


def record_ids_after(ledger: Ledger, record_id: int) -> list[int]:
    """Ids of the records stored after the record ``record_id`` (0: all), in order."""
    return [int(row["id"]) for row in ledger.execute("SELECT id FROM records WHERE id > ? ORDER BY id",
                                                     (record_id,))]


def records_since(ledger: Ledger, run_id: int) -> list[int]:
    """Ids of the records first brought in after run ``run_id`` and its child runs: the new identification.

    For an updated-review PRISMA diagram: pass the id of the last refresh (or search) of the previous
    version of the review; every other record is the previous identification.
    """
    tree = run_tree(ledger, run_id)
    marks = ",".join("?" * len(tree))
    rows = ledger.execute(f"SELECT id FROM records WHERE run_id > ? AND run_id NOT IN ({marks}) ORDER BY id",
                          (run_id, *tree))
    return [int(row["id"]) for row in rows]


def run_tree(ledger: Ledger, run_id: int) -> list[int]:
    """``run_id`` and every run below it (children, grandchildren...)."""
    rows = ledger.execute(
        "WITH RECURSIVE tree(id) AS (SELECT ? UNION ALL SELECT runs.id FROM runs JOIN tree"
        " ON runs.parent_run_id = tree.id) SELECT id FROM tree ORDER BY id",
        (run_id,),
    )
    return [int(row["id"]) for row in rows]


def records_from_refresh(ledger: Ledger, refresh_run_id: int) -> list[int]:
    """Ids of the records first brought in by one refresh (by its searches and imports)."""
    tree = run_tree(ledger, refresh_run_id)
    marks = ",".join("?" * len(tree))
    return [int(row["id"]) for row in ledger.execute(
        f"SELECT id FROM records WHERE run_id IN ({marks}) ORDER BY id", tuple(tree))]


def refresh_runs(ledger: Ledger) -> list[Run]:
    """Every refresh, in the order they started, whatever their status."""
    return list_runs(ledger, kind="refresh")


def sighted(ledger: Ledger, run_ids: list[int]) -> set[int]:
    """Ids of the records that any of these runs returned (new or already held)."""
    if not run_ids:
        return set()
    marks = ",".join("?" * len(run_ids))
    rows = ledger.execute(f"SELECT DISTINCT record_id FROM sightings WHERE run_id IN ({marks})", tuple(run_ids))
    return {int(row["record_id"]) for row in rows}


def revisions_already_seen(ledger: Ledger, source: str, since: str, refresh_run_id: int) -> set[int]:
    """Ids of the records that an earlier successful MDAT-window search of ``source`` started on or after
    ``since`` (``YYYY-MM-DD``) returned: revisions an overlapping refresh already reported."""
    rows = ledger.execute(
        "SELECT DISTINCT s.record_id FROM sightings s JOIN runs r ON r.id = s.run_id WHERE r.kind = 'search'"
        " AND r.source = ? AND r.status = 'ok' AND substr(r.started_at, 1, 10) >= ?"
        " AND json_extract(r.parameters, '$.refresh_window') LIKE 'mdat %'"
        " AND COALESCE(json_extract(r.parameters, '$.refresh_run_id'), -1) != ?",
        (source, since, refresh_run_id),
    )
    return {int(row["record_id"]) for row in rows}


def live_record_ids(ledger: Ledger, source: str) -> set[int]:
    """Ids of the live (searched, not imported) records held for one source."""
    rows = ledger.execute("SELECT id FROM records WHERE source = ? AND file_id IS NULL", (source,))
    return {int(row["id"]) for row in rows}


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
    was killed. Its work was rolled back with its transaction; only these log rows remain.
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
                f"message, 'killed before it finished; nothing it found was kept') WHERE status = 'running'"
                f" AND id IN ({marks})", (utc_now(), *ids))
    return ids


def set_run_parameters(ledger: Ledger, run_id: int, extra: dict[str, object]) -> None:
    """Merge ``extra`` into a run's stored parameters (keeping what the run itself stored)."""
    parameters = dict(get_run(ledger, run_id).parameters)
    parameters.update(extra)
    update_run(ledger, run_id, parameters=parameters)


# --- the boundary of an updated review (``prisma-harvest diagram --since``) -------------------------------


def records_added_after(ledger: Ledger, moment: str) -> list[int]:
    """Ids of the records first stored after ``moment`` (an ISO 8601 UTC time as :func:`utc_now` writes it, or
    a prefix of one such as ``2026-03-01``, which means 00:00 UTC that day), in order."""
    rows = ledger.execute("SELECT id FROM records WHERE added_at >= ? ORDER BY id", (moment,))
    return [int(row["id"]) for row in rows]


def last_run_before(ledger: Ledger, moment: str) -> int | None:
    """The id of the last run started before ``moment`` (None when there is none)."""
    row = ledger.execute("SELECT MAX(id) AS id FROM runs WHERE started_at < ?", (moment,)).fetchone()
    return int(row["id"]) if row["id"] is not None else None


def duplicates_as_of(ledger: Ledger, last_run_id: int) -> dict[int, int]:
    """Removed record id -> kept record id, as the latest successful dedupe run up to run ``last_run_id`` left
    them (empty when none had run): which record of a cluster the previous version of a review screened."""
    row = ledger.execute("SELECT MAX(id) AS id FROM runs WHERE kind = 'dedupe' AND status = 'ok' AND id <= ?",
                         (last_run_id,)).fetchone()
    if row["id"] is None:
        return {}
    rows = ledger.execute("SELECT record_id, duplicate_of FROM duplicates WHERE run_id = ?", (int(row["id"]),))
    return {int(item["record_id"]): int(item["duplicate_of"]) for item in rows}
