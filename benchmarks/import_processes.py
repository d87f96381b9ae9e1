"""A prototype kept for its measurement, not used by the import: reading a RIS file in worker processes.

    .venv/bin/python benchmarks/import_processes.py FILE.ris [--workers 2]

The text is cut into ~2 MB pieces at TY lines; each piece's records are read (``ris.iter_chunks``), given
their line in the file and turned into the rows the import stores (``ledger.records._data_json`` included) in
``--workers`` forked processes (0: in this process), and this process inserts the rows into a new SQLite file
with the ledger's records table and indexes, one transaction, rollback journal. It leaves out what the import
adds (warnings, record numbers across pieces, the hash, the whole-file check, start-up), so it is a lower
bound on an import in several processes. Prints wall time, this process's CPU, the workers' CPU and peak
memory: with two workers on two cores, this process's share alone (cutting, receiving the rows, SQLite) is
what decides whether the import can finish before ``rispy.load`` (docs/importing.md, issue 17).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harvester.formats.ris import iter_chunks  # noqa: E402
from harvester.ledger.records import _data_json  # noqa: E402

Piece = tuple[str, int, int]
TABLE = ("CREATE TABLE records (id INTEGER PRIMARY KEY, source TEXT NOT NULL, database TEXT NOT NULL, origin TEXT,"
         " run_id INTEGER, file_id INTEGER, position INTEGER, line INTEGER, source_id TEXT, pmid TEXT, doi TEXT,"
         " title TEXT, year INTEGER, data TEXT NOT NULL, raw TEXT NOT NULL, added_at TEXT NOT NULL,"
         " UNIQUE (file_id, position))")
INSERT = ("INSERT INTO records (source, database, origin, run_id, file_id, position, line, source_id, pmid, doi,"
          " title, year, data, raw, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def pieces(path: Path) -> Iterator[Piece]:
    """(text, its first line, its number) for pieces of about 2 MB, each cut before a TY line."""
    buffer, line, number = "", 1, 0
    with path.open(encoding="utf-8") as handle:
        while block := handle.read(2 << 20):
            buffer += block
            cut = buffer.rfind("\nTY  -") + 1
            if cut <= 0:
                continue
            number += 1
            yield buffer[:cut], line, number
            line += buffer.count("\n", 0, cut)
            buffer = buffer[cut:]
    if buffer:
        yield buffer, line, number + 1


def rows(piece: Piece) -> list[tuple[object, ...]]:
    """The rows of one piece (its number stands for the file, so positions stay unique per piece)."""
    text, line, number = piece
    found = []
    for record in iter_chunks([text], "bench", "Scopus", []):
        record = replace(record, line=record.line + line - 1)
        found.append(("Scopus", record.database, "file", 1, number, record.position, record.line,
                      record.source_id or None, record.pmid or None, record.doi or None, record.title or None,
                      record.year, _data_json(record), record.raw, "now"))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    with tempfile.TemporaryDirectory(prefix="import-processes-") as folder:
        started = time.perf_counter()
        connection = sqlite3.connect(Path(folder) / "rows.sqlite", isolation_level=None)
        connection.execute("PRAGMA journal_mode = TRUNCATE")
        connection.execute(TABLE)
        for column in ("doi", "pmid", "run_id"):
            connection.execute(f"CREATE INDEX records_{column} ON records({column})")
        connection.execute("BEGIN")
        count = 0
        pool = multiprocessing.get_context("fork").Pool(args.workers) if args.workers else None
        for found in (pool.imap(rows, pieces(args.file)) if pool else map(rows, pieces(args.file))):
            connection.executemany(INSERT, found)
            count += len(found)
        connection.execute("COMMIT")
        connection.close()
        if pool is not None:
            pool.close()
            pool.join()
        seconds = time.perf_counter() - started
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"{count} records, {args.workers} workers: wall {seconds:.2f} s, this process "
          f"{own.ru_utime + own.ru_stime:.2f} s CPU, workers {workers.ru_utime + workers.ru_stime:.2f} s CPU, "
          f"peak {own.ru_maxrss / 1024:.0f} MB here, {workers.ru_maxrss / 1024:.0f} MB in a worker; "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
