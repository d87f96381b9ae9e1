"""Opening the ledger, migrating its schema, and transactions."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from harvester import __version__
from harvester.errors import LedgerError


def utc_now() -> str:
    """The current time as an ISO 8601 UTC string with microseconds (sortable as text)."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def stored_text(text: str) -> str:
    """``text`` as the ledger can hold it: a file name's bytes that are not UTF-8 (an archive from a Latin-1
    system; Python keeps them as lone surrogates) are kept as ``\\xNN`` instead of failing the import with a
    UnicodeEncodeError. Every other text is unchanged."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:  # the bytes back as the file system gave them, each one not UTF-8 written \xNN
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that stands for no byte: written \udNNN
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


#: Ids per SQL statement (SQLite's limit on bound parameters is 999 on old builds).
CHUNK = 900


def chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    """``values`` in lists of at most :data:`CHUNK`: one ``IN (...)`` statement each."""
    items = list(values)
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


#: What SQLite raises: the CLI turns these into one line (only the ledger imports sqlite3).
DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error,)


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
        ledger = cls(path, connection)
        try:
            connection.execute("PRAGMA foreign_keys = ON")
            ledger._check_ours()
            ledger._write_ahead()
            ledger._migrate()
        except sqlite3.DatabaseError as error:  # not a database, locked for too long, disk I/O
            connection.close()
            if path.is_file() and not _writable(path):
                return cls._open_read_only(path)
            raise LedgerError(f"{path}: cannot open the ledger: {error}") from error
        except LedgerError:
            connection.close()
            raise
        return ledger

    @classmethod
    def _open_read_only(cls, path: Path) -> Ledger:
        """A ledger this user may read but not write (an archived review, a colleague's folder): opened read-only,
        so the commands that only read it work (they failed with "attempt to write a readonly database": the
        open sets the journal mode and migrates). A write then fails as SQLite refuses it, and a writing command
        already stops at the review's lock. A ledger this version would have to bring up to date is refused, and
        so is one in the write-ahead log whose log holds what no one has copied into it yet."""
        wal = path.with_name(path.name + "-wal")
        attempts = ["mode=ro"] + (["mode=ro&immutable=1"] if not wal.exists() or wal.stat().st_size == 0 else [])
        problem: Exception | None = None
        for query in attempts:  # immutable: the log's shared memory cannot be made beside a read-only ledger
            connection = sqlite3.connect(f"{path.resolve().as_uri()}?{query}", uri=True, isolation_level=None,
                                         timeout=30.0)
            connection.row_factory = sqlite3.Row
            ledger = cls(path, connection)
            try:
                ledger._check_ours()
                applied = set(ledger.applied_migrations())
            except sqlite3.DatabaseError as error:
                connection.close()
                problem = error
                continue
            known = {name for name, _ in _migrations()}
            if applied != known:
                connection.close()
                newer = sorted(applied - known)
                raise LedgerError(f"{path}: read-only, and " + (
                    f"brought up to date by a newer prisma-harvester (migration {', '.join(newer)}): upgrade"
                    if newer else f"this version must first bring it up to date (migration "
                    f"{', '.join(sorted(known - applied))}): open it once where it may be written"))
            return ledger
        raise LedgerError(f"{path}: cannot open the ledger: read-only, and SQLite cannot read it so: {problem}")

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self, *, bulk: bool = False) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside lands, or nothing does. Nested calls join the outer one.

        ``bulk``: a write that adds far more than it changes (an import of thousands of records). When no other
        connection has the ledger open, it is written with a rollback journal instead of the write-ahead log:
        the log would take every new page and then copy it into the ledger at the checkpoint (the new records
        written twice), while a rollback journal keeps only the original of the few existing pages the write
        changes, and the new pages go straight to the ledger, once. It is as atomic: a killed write leaves a
        journal that SQLite plays back at the next open, restoring the ledger as it was. The ledger goes back
        to the write-ahead log afterwards (readers then read while a writer writes). With another connection
        open (a reader), the mode cannot change and the write goes through the log as usual."""
        if self._depth:
            self._depth += 1
            try:
                yield self.connection
            finally:
                self._depth -= 1
            return
        journal = self._journal(bulk)
        try:
            with self._atomic() as connection:
                yield connection
        finally:
            if journal:
                self._journal(False)

    def _journal(self, bulk: bool) -> bool:
        """Set the journal for the next write: a rollback journal (``bulk``, synced fully at commit) or the
        write-ahead log. True when the rollback journal was taken (no other connection had the ledger open)."""
        if not bulk:
            self._write_ahead()
            return False
        try:
            mode = self.connection.execute("PRAGMA journal_mode = TRUNCATE").fetchone()[0]
        except sqlite3.OperationalError:  # another connection has the ledger open: SQLite refuses at once
            return False
        if str(mode).lower() != "truncate":
            return False
        self.connection.execute("PRAGMA synchronous = FULL")
        return True

    def _write_ahead(self) -> None:
        """The ledger's usual journal: the write-ahead log, so readers read while a writer writes. While another
        process writes in bulk with a rollback journal (:meth:`transaction`), SQLite refuses the change at once:
        this connection then reads and writes with that journal (waiting for the lock like any other) and the
        bulk writer sets the log back when it is done."""
        try:
            self.connection.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise
        self.connection.execute("PRAGMA synchronous = NORMAL")

    @contextmanager
    def _atomic(self) -> Iterator[sqlite3.Connection]:
        self.connection.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self.connection
        except BaseException:
            # SQLite may have rolled back already (a full disk, an I/O error end the transaction): a ROLLBACK then
            # fails with "no transaction is active", which must not hide the error that caused it
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
            raise
        else:
            self.connection.execute("COMMIT")
        finally:
            self._depth = 0

    def applied_migrations(self) -> list[str]:
        rows = self.connection.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()
        return [row["name"] for row in rows]

    def _check_ours(self) -> None:
        """Refuse another program's SQLite file before anything is changed in it (the journal mode included):
        migrating it would fail half-way ("table runs already exists") or add a ledger's tables beside its own."""
        tables = {row[0] for row in self.connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "schema_migrations" not in tables:
            shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
            raise LedgerError(f"{self.path}: an SQLite file of another program (tables {shown}), not a "
                              "prisma-harvester ledger; name a new or existing ledger")

    def _migrate(self) -> None:
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        applied = set(self.applied_migrations())
        known = _migrations()
        newer = sorted(applied - {name for name, _ in known})
        if newer:
            # a newer prisma-harvester migrated it: this version would read (and write) tables and columns whose
            # meaning it does not know, and could count wrong without a word
            raise LedgerError(f"{self.path}: the ledger was brought up to date by a newer prisma-harvester (migration "
                              f"{', '.join(newer)} is unknown to version {__version__}); upgrade prisma-harvester "
                              "to read or write it")
        for name, sql in known:
            if name in applied:
                continue
            try:
                with self.transaction() as connection:
                    # a second process opening a new ledger at the same moment may have applied it while this
                    # one waited for the write lock (BEGIN IMMEDIATE): checked again inside the transaction
                    if connection.execute("SELECT 1 FROM schema_migrations WHERE name = ?", (name,)).fetchone():
                        continue
                    for statement in _statements(sql):
                        connection.execute(statement)
                    connection.execute(
                        "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", (name, utc_now())
                    )
            except sqlite3.Error as error:
                raise LedgerError(f"{self.path}: migration {name} failed: {error}") from error


def _writable(path: Path) -> bool:
    """Whether this user may write the ledger and make its journal beside it."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


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
