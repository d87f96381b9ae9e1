"""Opening the ledger, migrating its schema, and transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from harvester.errors import LedgerError


def utc_now() -> str:
    """The current time as an ISO 8601 UTC string with microseconds (sortable as text)."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


#: Ids per SQL statement (SQLite's limit on bound parameters is 999 on old builds).
CHUNK = 900


def chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    """``values`` in lists of at most :data:`CHUNK`: one ``IN (...)`` statement each."""
    items = list(values)
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def _migrations() -> list[tuple[str, str]]:
    """Every ``migrations/NNNN_name.sql`` shipped with the package, in name order."""
    folder = resources.files("harvester.ledger") / "migrations"
    found = [(entry.name, entry.read_text(encoding="utf-8")) for entry in folder.iterdir()
             if entry.name.endswith(".sql")]
    return sorted(found)


class Ledger:
    """A review's SQLite ledger. Use :meth:`open`; close with :meth:`close` or as a context manager."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self.connection = connection
        self._depth = 0

    @classmethod
    def open(cls, path: str | Path) -> Ledger:
        """Open (creating if needed) the ledger at ``path`` and bring its schema up to date."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        except (OSError, sqlite3.Error) as error:
            raise LedgerError(f"{path}: cannot open the ledger: {error}") from error
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        ledger = cls(path, connection)
        ledger._migrate()
        return ledger

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside lands, or nothing does. Nested calls join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield self.connection
            finally:
                self._depth -= 1
            return
        self.connection.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self.connection
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        else:
            self.connection.execute("COMMIT")
        finally:
            self._depth = 0

    def applied_migrations(self) -> list[str]:
        rows = self.connection.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()
        return [row["name"] for row in rows]

    def _migrate(self) -> None:
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        applied = set(self.applied_migrations())
        for name, sql in _migrations():
            if name in applied:
                continue
            try:
                with self.transaction() as connection:
                    for statement in _statements(sql):
                        connection.execute(statement)
                    connection.execute(
                        "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", (name, utc_now())
                    )
            except sqlite3.Error as error:
                raise LedgerError(f"{self.path}: migration {name} failed: {error}") from error


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (``executescript`` would commit our transaction)."""
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
