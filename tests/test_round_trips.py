"""Lossless round trips: every corpus file, exported as CSV, RIS and BibTeX and imported again, gives the same
records (normalised fields, database id, database), with only these documented exceptions, each for RIS:

- MeSH headings come back as keywords: RIS has no MeSH tag (the writer puts them in ``KW`` after the keywords).
- Line breaks in an abstract come back as spaces: a RIS value is one tag line.
- A DOI or PMID inside the record's link (``UR``) is read as the DOI/PMID when the first reader had none: the
  RIS reader takes identifiers from links (Cochrane's ``.../doi/10.1002/central/CN-...``, PubMed URLs); the
  EndNote XML reader, which read the file first, does not.

A hypothesis property checks the RIS writer and reader on generated records (CSV and BibTeX have theirs in
``test_exporting.py``).
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester.formats import _fields as f
from harvester.formats import read_bytes, read_file, ris
from harvester.formats.bibtex import write_bibtex
from harvester.records import Record
from tests.test_corpus_manifest import MANIFEST_ERRATA
from tests.test_exporting import _ITEM, _records, csv_export


def _import_files(shared_dir: Path) -> list[str]:
    with (shared_dir / "corpus" / "MANIFEST.csv").open(encoding="utf-8") as handle:
        return [row["path"] for row in csv.DictReader(handle) if row["scope"] == "import"]


def _export(records: tuple[Record, ...], fmt: str) -> tuple[bytes, str]:
    if fmt == "csv":
        return csv_export(records), "export.csv"
    if fmt == "ris":
        return ris.dumps(records).encode("utf-8"), "export.ris"
    return "".join(write_bibtex(records)).encode("utf-8"), "export.bib"


def _comparable(record: Record) -> dict[str, object]:
    fields = record.bibliographic()
    fields.update(source_id=record.source_id, database=record.database)
    return fields


def _ris_expectation(record: Record, back: Record) -> dict[str, object]:
    """What the RIS round trip gives back for ``record``: the documented exceptions applied, nothing else."""
    expected = _comparable(record)
    expected["keywords"] = list(dict.fromkeys(record.keywords + record.mesh))
    expected["mesh"] = []
    expected["abstract"] = " ".join(record.abstract.split("\n")).strip()
    if not record.doi and back.doi and back.doi in record.url:
        expected["doi"] = back.doi
    if not record.pmid and back.pmid and back.pmid in record.url:
        expected["pmid"] = back.pmid
    if record.database == "ProQuest":  # its AN is a list of ids: the first is the record's
        expected["source_id"] = next((p.strip() for p in record.source_id.split(";") if p.strip()), record.source_id)
    return expected


@pytest.mark.parametrize("fmt", ["csv", "ris", "bibtex"])
def test_every_corpus_file_survives_export_then_import(fmt: str, shared_dir: Path) -> None:
    changed: list[str] = []
    total = 0
    for name in _import_files(shared_dir):
        records = read_file(shared_dir / "corpus" / name).records
        data, path = _export(records, fmt)
        back = read_bytes(data, path)
        assert not back.rejected and len(back.records) == len(records), name
        for record, again in zip(records, back.records, strict=True):
            total += 1
            expected = _ris_expectation(record, again) if fmt == "ris" else _comparable(record)
            got = _comparable(again)
            if got != expected:
                diff = {k: (expected[k], got[k]) for k in expected if expected[k] != got[k]}
                changed.append(f"{name} record {record.position}: {diff}")
    with (shared_dir / "corpus" / "MANIFEST.csv").open(encoding="utf-8") as handle:
        true_counts = {row["path"]: int(row["records"]) for row in csv.DictReader(handle) if row["scope"] == "import"}
    true_counts.update({path: count for path, (count, *_) in MANIFEST_ERRATA.items() if path in true_counts})
    assert total == sum(true_counts.values())  # every record of every import-scope file was compared
    assert not changed, "\n".join(changed[:20])


def test_the_documented_exceptions_are_the_only_ris_changes(shared_dir: Path) -> None:
    """The exceptions are real (each happens on the corpus), and a CINAHL-style numeric accession number
    stays the accession number even when imported for a MEDLINE source."""
    mesh_records = read_file(shared_dir / "corpus" / "pubmed/medline_nbib/biopython__pubmed_result1.txt").records
    assert any(r.mesh for r in mesh_records)
    back = read_bytes(ris.dumps(mesh_records).encode(), "x.ris").records
    assert all(not r.mesh for r in back) and back[0].keywords[-len(mesh_records[0].mesh):] == mesh_records[0].mesh
    cinahl = Record(title="Peer support", database="CINAHL", source_id="104126482")
    text = ris.dumps([cinahl]).encode()
    for named in (None, "MEDLINE"):
        again = read_bytes(text, "x.ris", database=named).records[0]
        assert again.pmid == "" and again.source_id == "104126482"
    medline = read_bytes(b"TY  - JOUR\nTI  - t\nDB  - MEDLINE\nAN  - 25647015\nER  - \n", "m.ris").records[0]
    assert medline.pmid == "25647015"  # the look-alike that must keep working: MEDLINE's AN is its PMID


@pytest.mark.parametrize(("name", "author"), [("Nct,", "Nct"), ("et al.,", "et al."), ("Smith, J.", "Smith, J.")])
def test_a_name_ending_in_a_comma_reads_the_same_in_every_form(name: str, author: str) -> None:
    assert {f.author(name, form) for form in ("auto", "surname-first", "surname-initials", "as-written")} == {author}


def test_bibtex_keeps_abstract_paragraphs_and_pubmed_pages_are_written_out(shared_dir: Path) -> None:
    record = Record(title="T", abstract="BACKGROUND: one.\nMETHODS: two.", pages="113-125", database="PubMed")
    back = read_bytes("".join(write_bibtex([record])).encode(), "x.bib").records[0]
    assert back.abstract == record.abstract and back.source_id == ""
    first = read_file(shared_dir / "corpus" / "pubmed/xml/biopython__pubmed1.xml").records
    assert "113-125" in [r.pages for r in first]  # MedlinePgn 113-25, as the MEDLINE reader gives it


#: The databases the importers name (RIS carries the database as a name in ``DB``, read by known patterns).
DATABASES = ("Zotero", "Web of Science", "EndNote", "Scopus", "Zoological Record", "PsycINFO", "Lens", "EBSCOhost",
             "RIS", "PubMed", "Rayyan", "Embase", "SpringerLink", "MEDLINE", "IEEE Xplore", "Ovid", "ProQuest",
             "OpenAlex", "Dimensions", "JSTOR", "TRID", "Europe PMC", "ERIC", "CINAHL", "Cochrane")


def _as_read(record: Record, database: str) -> Record:
    """A generated record as a reader gives it: names through the one name cleaner, a known database."""
    names = tuple(dict.fromkeys(name for name in (f.author(a) for a in record.authors) if name))
    return replace(record, authors=names, database=database)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_records(_ITEM), st.sampled_from(DATABASES)).map(lambda pair: _as_read(*pair)),
                min_size=1, max_size=5))
def test_ris_export_then_import_gives_the_same_records(records: list[Record]) -> None:
    """Generated records through the RIS writer and reader: the same fields, but for the exceptions above."""
    back = read_bytes(ris.dumps(records).encode(), "export.ris")
    assert not back.rejected and len(back.records) == len(records)
    for record, again in zip(records, back.records, strict=True):
        assert _comparable(again) == _ris_expectation(record, again)


@pytest.mark.parametrize(("written", "read"), [(";", ";"), ("123; 456", "123"), ("; 789", "789"), ("42", "42")])
def test_a_proquest_accession_list_reads_as_its_first_id(written: str, read: str) -> None:
    record = Record(title="Peer mentors", database="ProQuest", source_id=written, url="https://www.proquest.com/x")
    (back,) = read_bytes(ris.dumps([record]).encode(), "export.ris").records
    assert (back.database, back.source_id) == ("ProQuest", read)
