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
        sightings = ledger.connection.execute("SELECT COUNT(*) FROM sightings").fetchone()[0]
        assert sightings == 2
        assert [r.id for r in iter_records(ledger, run_id=first)] == ids1
        assert len(list_runs(ledger, kind="search")) == 2


def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        run_id = start_run(ledger, "search", source="MEDLINE")
        with pytest.raises(sqlite3.IntegrityError), ledger.transaction():
            add_records(ledger, [Record(title="a", source_id="9")], run_id=run_id, source="MEDLINE")
            ledger.connection.execute("INSERT INTO records (id) VALUES (NULL)")  # violates NOT NULL
        assert count_records(ledger) == 0


def test_batched_live_records_keep_input_order_and_one_row_per_source_id(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Across and within batches: a source_id seen before or earlier in the same call gets the same id;
    records without a source_id are always new rows; ids come back in input order."""
    import harvester.ledger.records as ledger_records

    monkeypatch.setattr(ledger_records, "BATCH_SIZE", 3)
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        first = start_run(ledger, "search", source="MEDLINE")
        ids1 = add_records(ledger, [Record(title=f"t{i}", source_id=str(i)) for i in (1, 2, 3, 4)], run_id=first,
                           source="MEDLINE")
        second = start_run(ledger, "search", source="MEDLINE")
        incoming = [Record(title="t4", source_id="4"), Record(title="new 5", source_id="5"),
                    Record(title="no id"), Record(title="again 5", source_id="5"), Record(title="t1", source_id="1"),
                    Record(title="no id")]
        ids2 = add_records(ledger, incoming, run_id=second, source="MEDLINE")
        other = add_records(ledger, [Record(title="t1 elsewhere", source_id="1")], run_id=second, source="Embase")
        assert len(set(ids1)) == 4
        assert ids2[0] == ids1[3] and ids2[4] == ids1[0]
        assert ids2[1] == ids2[3] and ids2[1] not in ids1
        assert ids2[2] != ids2[5] and not {ids2[2], ids2[5]} & set(ids1)
        assert other[0] not in ids1 + ids2
        assert get_record(ledger, ids2[1]).record.title == "new 5"  # the first one read is the one kept
        assert get_record(ledger, ids2[2]).record.title == "no id"
        assert count_records(ledger) == 4 + 3 + 1
        sightings = {tuple(row) for row in ledger.connection.execute("SELECT record_id, run_id FROM sightings")}
        assert {(i, second) for i in ids2} <= sightings and {(i, first) for i in ids1} <= sightings
        assert len(sightings) == 4 + 5 + 1


def test_batched_file_records_are_keyed_by_file_and_position(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import harvester.ledger.records as ledger_records
    from harvester.ledger.records import add_file

    monkeypatch.setattr(ledger_records, "BATCH_SIZE", 4)
    records = [Record(title=f"r{i}", position=i, line=10 * i, raw=f"TY  - JOUR\nTI  - r{i}") for i in range(1, 11)]
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        run_id = start_run(ledger, "import", source="CINAHL")
        file_a = add_file(ledger, run_id=run_id, sha256="a", path="a.ris", size=1, format="ris", database="CINAHL",
                          source="CINAHL", records_read=10)
        file_b = add_file(ledger, run_id=run_id, sha256="b", path="b.ris", size=1, format="ris", database="CINAHL",
                          source="CINAHL", records_read=10)
        ids_a = add_records(ledger, iter(records), run_id=run_id, source="CINAHL", file_id=file_a)
        again = add_records(ledger, list(reversed(records)), run_id=run_id, source="CINAHL", file_id=file_a)
        ids_b = add_records(ledger, records, run_id=run_id, source="CINAHL", file_id=file_b)
        assert again == list(reversed(ids_a))
        assert not set(ids_a) & set(ids_b)
        assert count_records(ledger) == 20
        for record, record_id in zip(records, ids_a, strict=True):
            stored = get_record(ledger, record_id)
            assert stored.record == record and stored.file_id == file_a and stored.origin == "file"
