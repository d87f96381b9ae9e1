"""A full dedupe run reads each record's fields through ``ledger.records.iter_record_parts``: only the fields
``prepare.FIELDS_READ`` and the tags ``prepare.TYPE_TAGS`` are built into the record it prepares (issue 17: most of
an imported record is tags, keywords and MeSH terms that de-duplication never reads). These tests hold that
narrower read to the whole record: on every record of the corpus' real exports (every format, with every tag
their databases wrote) and the labelled sets, the keys prepared from the record as ``iter_record_parts`` reads
it back from a ledger equal the keys prepared from the whole record. A field that ``prepare`` starts to read
without being named in ``FIELDS_READ`` would make some record's keys differ here."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest

from benchmarks.dedup_sets import SETS, load_set
from harvester.dedup.prepare import FIELDS_READ, TYPE_TAGS, keys_to_json, prepare
from harvester.formats import read_file
from harvester.ledger import Ledger
from harvester.ledger.records import add_records, iter_record_parts, iter_records
from harvester.ledger.runs import finish_run, start_run
from harvester.records import Record


def _corpus_records(shared: Path) -> list[Record]:
    found: list[Record] = []
    with (shared / "corpus" / "MANIFEST.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["scope"] == "import":
                found.extend(read_file(shared / "corpus" / row["path"]).records)
    return found


def _stored(folder: Path, records: list[Record]) -> Ledger:
    ledger = Ledger.open(folder / "ledger.sqlite")
    run = start_run(ledger, "import", source="MEDLINE")
    add_records(ledger, records, run_id=run, source="MEDLINE")
    finish_run(ledger, run)
    return ledger


def test_keys_from_the_fields_read_equal_keys_from_the_whole_record(shared_dir: Path, tmp_path: Path) -> None:
    records = _corpus_records(shared_dir)
    for name in SETS:
        records.extend(r for _, r in load_set(shared_dir / "benchmarks" / "dedup", name).records)
    assert len(records) > 5000
    # the corpus gives what the narrower read leaves out: tags, keywords, MeSH, and type tags it keeps
    assert sum(1 for r in records if r.keywords or r.mesh) > 500
    assert sum(1 for r in records if any(t in TYPE_TAGS for t, _ in r.tags)) > 500
    with _stored(tmp_path, records) as ledger:
        whole = {s.id: s.record for s in iter_records(ledger)}
        parts = list(iter_record_parts(ledger, FIELDS_READ, TYPE_TAGS))
    assert [i for i, _, _ in parts] == sorted(whole)
    differ = [i for i, _, part in parts if keys_to_json(prepare(i, part)) != keys_to_json(prepare(i, whole[i]))
              or prepare(i, part) != prepare(i, whole[i])]
    assert differ == []


def test_iter_record_parts_builds_the_named_fields_and_tags_only(tmp_path: Path) -> None:
    record = Record(title="A title", abstract="Text", authors=("Smith, J", "Doe, A"), year=2001, journal="J",
                    issn=("1234-5678",), pages="1-9", keywords=("k1", "k2"), mesh=("M",), publication_types=("Letter",),
                    url="https://example.org", tags=(("TY", "JOUR"), ("KW", "k1"), ("T2", "J"), ("TY", "ABST")),
                    source_id="7")
    no_year = dataclasses.replace(record, year=None, source_id="8")
    with _stored(tmp_path, [record, no_year]) as ledger:
        (first_id, source, first), (_, _, second) = iter_record_parts(ledger, ("title", "authors", "year", "pages"),
                                                                      {"TY"})
        assert source == "MEDLINE"
        assert first == Record(title="A title", authors=("Smith, J", "Doe, A"), year=2001, pages="1-9",
                               tags=(("TY", "JOUR"), ("TY", "ABST")))
        assert second.year is None and second.title == "A title"
        (_, _, bare), _ = iter_record_parts(ledger, ("doi",))
        assert bare == Record()  # no field named: every field empty, no tag
        assert first_id == min(s.id for s in iter_records(ledger))
        for wrong in (("tags",), ("raw",), ("titel",)):
            with pytest.raises(ValueError, match="not a field"):
                next(iter_record_parts(ledger, wrong))
