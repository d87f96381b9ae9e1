"""Read-only queries the PRISMA reports need beyond runs, files and records (``prisma.search_report``)."""

from __future__ import annotations

from harvester.ledger.core import Ledger


def duplicate_rules(ledger: Ledger, run_id: int) -> dict[str, int]:
    """How many records one dedupe run removed, per matching rule (``reviewer`` for a person's merge)."""
    rows = ledger.execute(
        "SELECT rule, COUNT(*) AS n FROM duplicates WHERE run_id = ? GROUP BY rule ORDER BY rule", (run_id,)
    )
    return {str(row["rule"]): int(row["n"]) for row in rows}


def records_per_source(ledger: Ledger) -> dict[str, int]:
    """Records held per protocol source name (every record as read, before de-duplication)."""
    rows = ledger.execute("SELECT source, COUNT(*) AS n FROM records GROUP BY source ORDER BY source")
    return {str(row["source"]): int(row["n"]) for row in rows}


def record_titles(ledger: Ledger) -> dict[int, tuple[str, str, int | None]]:
    """Record id -> (source, title, year), for lists of the records behind a box."""
    rows = ledger.execute("SELECT id, source, title, year FROM records ORDER BY id")
    return {int(row["id"]): (str(row["source"]), row["title"] or "", row["year"]) for row in rows}
