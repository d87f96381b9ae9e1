"""The import pipeline's own ledger writes (the rest is in ``records.py`` and ``runs.py``)."""

from __future__ import annotations

from harvester.ledger.core import Ledger


def finish_file(ledger: Ledger, file_id: int, *, records_read: int, database: str) -> None:
    """Set what a file held once a streamed import has read it to the end (inside the import's transaction)."""
    with ledger.transaction() as connection:
        connection.execute("UPDATE files SET records_read = ?, database = ? WHERE id = ?",
                           (records_read, database, file_id))
