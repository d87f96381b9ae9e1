"""De-duplication in the ledger: which record duplicates which, by what rule, in which run.

Contract used by screening and PRISMA counts: :func:`current_duplicates` maps every record removed as
a duplicate to the record kept for its cluster, as of the latest successful dedupe run.
"""

from __future__ import annotations

from harvester.ledger.core import Ledger


def latest_dedupe_run(ledger: Ledger) -> int | None:
    row = ledger.execute("SELECT MAX(id) AS id FROM runs WHERE kind = 'dedupe' AND status = 'ok'").fetchone()
    return int(row["id"]) if row["id"] is not None else None


def current_duplicates(ledger: Ledger) -> dict[int, int]:
    """Removed record id -> kept record id, from the latest successful dedupe run (empty before any)."""
    run_id = latest_dedupe_run(ledger)
    if run_id is None:
        return {}
    rows = ledger.execute("SELECT record_id, duplicate_of FROM duplicates WHERE run_id = ?", (run_id,))
    return {int(row["record_id"]): int(row["duplicate_of"]) for row in rows}
