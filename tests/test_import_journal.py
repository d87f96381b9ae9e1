"""An import writes in bulk (``Ledger.transaction(bulk=True)``): with a rollback journal when it is the only
connection to the ledger, so the new records are written once instead of twice (log, then ledger), and with
the write-ahead log as usual when a reader has the ledger open. Either way it is one atomic write: a killed
import leaves the ledger as it was, and the ledger is back on the log afterwards."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from harvester import protocol as protocol_module
from harvester.importing import import_file
from harvester.ledger import Ledger
from harvester.ledger.records import count_records


def _ris(path: Path, count: int, first: int = 1) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(first, first + count):
            out.write(f"TY  - JOUR\nTI  - Peer support study number {i}\nAU  - Smith, J.\nPY  - 2020\n"
                      f"DO  - 10.1000/journal.{i}\nAB  - {'An abstract of some length. ' * 40}\nER  - \n\n")
    return path


def _protocol(folder: Path) -> protocol_module.Protocol:
    path = folder / "review.toml"
    path.write_text(f'[review]\nid = "j"\nledger = "{folder / "ledger.sqlite"}"\n[query]\ntext = "x"\n'
                    '[[sources]]\nname = "Scopus"\nkind = "file"\ndatabase = "Scopus"\nfiles = ["none.ris"]\n',
                    encoding="utf-8")
    return protocol_module.load(path)


class _Watch:
    """A progress callback noting the ledger's journal mode while the import stores its records."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.modes: set[str] = set()

    def __call__(self, label: str, done: int, total: int | None) -> None:
        self.modes.add(self.ledger.connection.execute("PRAGMA journal_mode").fetchone()[0])


def _mode(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return str(connection.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        connection.close()


def test_alone_the_import_writes_with_a_rollback_journal_then_the_ledger_is_back_on_the_log(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path)
    with Ledger.open(protocol.ledger_path) as ledger:
        watch = _Watch(ledger)
        result = import_file(ledger, protocol, _ris(tmp_path / "a.ris", 50), progress=watch)
        assert result.imported == 50
        assert watch.modes == {"truncate"}
        assert ledger.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert _mode(protocol.ledger_path) == "wal"
    journal = Path(f"{protocol.ledger_path}-journal")
    assert not journal.exists() or journal.stat().st_size == 0  # TRUNCATE: the journal emptied at commit


def test_with_a_reader_open_the_import_goes_through_the_log(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path)
    with Ledger.open(protocol.ledger_path) as ledger, Ledger.open(protocol.ledger_path) as reader:
        assert count_records(reader) == 0
        watch = _Watch(ledger)
        result = import_file(ledger, protocol, _ris(tmp_path / "a.ris", 50), progress=watch)
        assert result.imported == 50 and watch.modes == {"wal"}
        assert count_records(reader) == 50
    assert _mode(protocol.ledger_path) == "wal"


def test_a_failed_bulk_import_stores_nothing_and_leaves_the_log_on(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path)

    def boom(label: str, done: int, total: int | None) -> None:
        if done >= 10:
            raise RuntimeError("stopped half-way")

    with Ledger.open(protocol.ledger_path) as ledger:
        import_file(ledger, protocol, _ris(tmp_path / "a.ris", 20))
        with pytest.raises(RuntimeError):
            import_file(ledger, protocol, _ris(tmp_path / "b.ris", 20, first=100), progress=boom)
        assert count_records(ledger) == 20
        assert ledger.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


_KILLED_IMPORT = """
import sys, time
from harvester import protocol as protocol_module
from harvester.importing import import_file
from harvester.ledger import Ledger

def slow(label, done, total):
    if done == 5000:
        print("half-way", flush=True)
        time.sleep(60)

protocol = protocol_module.load(sys.argv[1])
with Ledger.open(protocol.ledger_path) as ledger:
    import_file(ledger, protocol, sys.argv[2], progress=slow)
"""


def test_an_import_killed_half_way_leaves_the_ledger_as_it_was(tmp_path: Path) -> None:
    """SIGKILL while the rollback journal holds the import (4,000 of 6,000 records stored, more than SQLite's page
    cache, so pages are already in the ledger file): the next open plays the journal back."""
    protocol = _protocol(tmp_path)
    with Ledger.open(protocol.ledger_path) as ledger:
        import_file(ledger, protocol, _ris(tmp_path / "a.ris", 30))
    big = _ris(tmp_path / "big.ris", 6000, first=1000)
    process = subprocess.Popen([sys.executable, "-c", _KILLED_IMPORT, str(tmp_path / "review.toml"), str(big)],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "half-way"
        assert Path(f"{protocol.ledger_path}-journal").stat().st_size > 0  # the rollback journal, not the log
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    with Ledger.open(protocol.ledger_path) as ledger:
        assert ledger.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert count_records(ledger) == 30
        assert ledger.connection.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
        assert ledger.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        again = import_file(ledger, protocol, big)
        assert again.status == "imported" and again.imported == 6000
        assert count_records(ledger) == 6030


def test_a_ledger_opened_during_a_bulk_write_reads_what_was_committed_before_it(tmp_path: Path) -> None:
    """A second connection opened while a bulk write holds the ledger cannot set the write-ahead log (SQLite
    refuses at once): it opens all the same, reads the rows committed before the write, and the rows of the
    write once it has landed; the ledger is back on the log afterwards."""
    protocol = _protocol(tmp_path)
    with Ledger.open(protocol.ledger_path) as ledger:
        import_file(ledger, protocol, _ris(tmp_path / "a.ris", 20))
        with ledger.transaction(bulk=True) as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "truncate"
            import_file(ledger, protocol, _ris(tmp_path / "b.ris", 15, first=100))
            with Ledger.open(protocol.ledger_path) as reader:
                assert count_records(reader) == 20
                assert count_records(ledger) == 35
        with Ledger.open(protocol.ledger_path) as reader:
            assert count_records(reader) == 35
        assert ledger.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert _mode(protocol.ledger_path) == "wal"
