from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from harvester.ledger import Ledger
from harvester.ledger.records import add_records, count_records, get_record, iter_records
from harvester.ledger.runs import finish_run, get_run, list_runs, start_run
from harvester.records import Record


def test_migrations_apply_once(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        first = ledger.applied_migrations()
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        assert ledger.applied_migrations() == first
    assert first[0] == "0001_core.sql"


def test_run_parameters_never_hold_secrets(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        run_id = start_run(ledger, "search", parameters={"term": "x", "api_key": "SECRET123", "tool": "t"})
        finish_run(ledger, run_id, count_retrieved=0)
        run = get_run(ledger, run_id)
    assert run.parameters == {"term": "x", "tool": "t"}
    assert run.status == "ok" and run.ended_at
    assert b"SECRET123" not in (tmp_path / "l.sqlite").read_bytes()


def test_live_records_are_stored_once_per_source_id_and_sighted_per_run(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        first = start_run(ledger, "search", source="MEDLINE")
        second = start_run(ledger, "search", source="MEDLINE")
        record = Record(title="T", pmid="1", source_id="1", authors=("Smith, J",), raw="PMID- 1")
        ids1 = add_records(ledger, [record], run_id=first, source="MEDLINE")
        ids2 = add_records(ledger, [record], run_id=second, source="MEDLINE")
        assert ids1 == ids2
        assert count_records(ledger) == 1
        stored = get_record(ledger, ids1[0])
        assert stored.record == record
        sightings = ledger.execute("SELECT COUNT(*) FROM sightings").fetchone()[0]
        assert sightings == 2
        assert [r.id for r in iter_records(ledger, run_id=first)] == ids1
        assert len(list_runs(ledger, kind="search")) == 2


def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        run_id = start_run(ledger, "search", source="MEDLINE")
        with pytest.raises(sqlite3.IntegrityError), ledger.transaction():
            add_records(ledger, [Record(title="a", source_id="9")], run_id=run_id, source="MEDLINE")
            ledger.execute("INSERT INTO records (id) VALUES (NULL)")  # violates NOT NULL
        assert count_records(ledger) == 0
