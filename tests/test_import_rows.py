"""The ledger rows an import writes, compared column by column with those written before the import was made
faster (issue 17): every corpus export of import scope (and a file with rejected records) read whole into one
ledger (each record's own database), and every corpus RIS file (and that file) read block by block (4 KB
blocks) for a Scopus file source.

``tests/golden/import_rows.json`` holds, per scenario, per table, the number of rows and a SHA-256 of every
stored column but the clock's (``started_at``, ``ended_at``, ``imported_at``, ``added_at``, ``tool_version``),
with the corpus folder written ``<corpus>`` (the test's own folder ``<tmp>``); records also per file, so a
difference names the file. It was written by the code of main at 3c04ff3, before the change. A change that
alters what is stored fails here; when a change of rows is intended (a reader fixed), write the file again and
say why in the commit:

    PRISMA_HARVEST_WRITE_GOLDEN=1 .venv/bin/pytest tests/test_import_rows.py"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

import harvester.importing as importing
import harvester.importing_stream as streaming
from harvester import protocol as protocol_module
from harvester.importing import import_files
from harvester.ledger import Ledger

GOLDEN = Path(__file__).parent / "golden" / "import_rows.json"
#: Columns the clock or the tool's version fills: they differ from run to run.
CLOCK = {"started_at", "ended_at", "imported_at", "added_at", "tool_version"}
TABLES = ("runs", "files", "records", "sightings", "rejections")


def _corpus_files(shared_dir: Path, formats: tuple[str, ...] | None = None) -> list[Path]:
    with (shared_dir / "corpus" / "MANIFEST.csv").open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["scope"] == "import"]
    return [shared_dir / "corpus" / row["path"] for row in rows if formats is None or row["format"] in formats]


def _protocol(folder: Path) -> protocol_module.Protocol:
    path = folder / "review.toml"
    path.write_text(
        f'[review]\nid = "rows"\nledger = "{folder / "ledger.sqlite"}"\n[query]\ntext = "x"\n'
        '[[sources]]\nname = "Scopus"\nkind = "file"\ndatabase = "Scopus"\nfiles = ["none.ris"]\n'
        '[[sources]]\nname = "Hand"\nkind = "other"\nmethod = "citation searching"\nfiles = ["none.ris"]\n',
        encoding="utf-8")
    return protocol_module.load(path)


def _plain(value: Any, folders: dict[str, str]) -> Any:
    if isinstance(value, str):
        for folder, name in folders.items():
            value = value.replace(folder, name)
    return value


def _digests(ledger: Ledger, folders: dict[str, str]) -> dict[str, Any]:
    """Per table: rows and the SHA-256 of every stored column but the clock's; records also per file."""
    found: dict[str, Any] = {}
    connection = ledger.connection
    files = {row["id"]: Path(row["path"]).name for row in connection.execute("SELECT id, path FROM files")}
    for table in TABLES:
        order = "record_id, run_id" if table == "sightings" else "id"
        rows = [{key: _plain(row[key], folders) for key in row.keys() if key not in CLOCK}  # noqa: SIM118
                for row in connection.execute(f"SELECT * FROM {table} ORDER BY {order}")]
        text = json.dumps(rows, ensure_ascii=False, sort_keys=True)
        found[table] = {"rows": len(rows), "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}
        if table == "records":
            per_file: dict[str, list[dict[str, Any]]] = {}
            for row in rows:
                per_file.setdefault(files.get(row["file_id"], "-"), []).append(row)
            found["records per file"] = {
                name: hashlib.sha256(json.dumps(held, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()
                for name, held in sorted(per_file.items())}
    return found


#: A file with rejected records (no TY; cut off before its ER), so that rejections are compared too.
DAMAGED = ("TY  - JOUR\nTI  - First\nAU  - Smith, J\nER  - \n\nTI  - A record with no type\nER  - \n\n"
           "TY  - JOUR\nTI  - Third \"quoted\"\tand\\slashed\nER  - \n\nTY  - JOUR\nTI  - Cut off\n")


def _whole(tmp_path: Path, shared_dir: Path) -> dict[str, Any]:
    loaded = _protocol(tmp_path)
    damaged = tmp_path / "damaged.ris"
    damaged.write_text(DAMAGED, encoding="utf-8")
    with Ledger.open(loaded.ledger_path) as ledger:
        results = import_files(ledger, loaded, [*_corpus_files(shared_dir), damaged], source="Hand")
        assert sum(result.imported for result in results) > 1000
        return _digests(ledger, {str(shared_dir / "corpus"): "<corpus>", str(tmp_path): "<tmp>"})


def _streamed(tmp_path: Path, shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setattr(importing, "STREAM_ABOVE_BYTES", 0)
    monkeypatch.setattr(importing, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(streaming, "BLOCK_BYTES", 4096)
    loaded = _protocol(tmp_path)
    damaged = tmp_path / "damaged.ris"
    damaged.write_text(DAMAGED, encoding="utf-8")
    with Ledger.open(loaded.ledger_path) as ledger:
        results = import_files(ledger, loaded, [*_corpus_files(shared_dir, ("ris", "ris_edge_cases")), damaged],
                               source="Scopus", force=True)
        assert sum("read block by block" in result.message for result in results) > 20
        return _digests(ledger, {str(shared_dir / "corpus"): "<corpus>", str(tmp_path): "<tmp>"})


def test_import_writes_the_rows_it_wrote_before(tmp_path: Path, shared_dir: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "whole").mkdir()
    (tmp_path / "streamed").mkdir()
    found = {"whole files, each record's own database": _whole(tmp_path / "whole", shared_dir),
             "RIS read block by block, Scopus source": _streamed(tmp_path / "streamed", shared_dir, monkeypatch)}
    if os.environ.get("PRISMA_HARVEST_WRITE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    for scenario, tables in expected.items():
        for table, digest in tables.items():
            assert found[scenario][table] == digest, f"{scenario}: {table} differs"
