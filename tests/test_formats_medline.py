"""MEDLINE / PubMed nbib and ERIC nbib: fields, continuation lines, record boundaries, rejections."""

from __future__ import annotations

from pathlib import Path

from harvester.formats import read_bytes, read_file
from harvester.formats.medline import expand_pages


def test_pubmed_nbib_fields(shared_dir: Path) -> None:
    parsed = read_file(shared_dir / "corpus/pubmed/medline_nbib/jabref__NbibImporterTest.nbib")
    assert parsed.format == "medline" and parsed.database == "MEDLINE"
    record = parsed.records[0]
    assert record.pmid == record.source_id == "27169098"
    assert record.doi == "10.4103/2277-9175.180636"
    assert record.authors[:2] == ("Shruthi, Basavaradhya Sahukar", "Vinodhkumar, Palani")  # FAU, not AU
    assert record.issn == ("2277-9175",) and record.year == 2016 and record.language == ("eng",)
    assert record.journal_abbrev == "Adv Biomed Res"
    # a 6-space continuation joins the value above it
    assert any(tag == "AD" and "Vishnu Dental College" in value for tag, value in record.tags)


def test_several_records_with_line_numbers(shared_dir: Path) -> None:
    parsed = read_file(shared_dir / "corpus/pubmed/medline_nbib/biopython__pubmed_result2.txt")
    assert len(parsed.records) == 4
    lines = parsed.records[1].raw.split("\n")
    text = (shared_dir / "corpus/pubmed/medline_nbib/biopython__pubmed_result2.txt").read_text().split("\n")
    assert text[parsed.records[1].line - 1] == lines[0] and lines[0].startswith("PMID-")
    assert all(r.mesh for r in parsed.records)


def test_eric_nbib(shared_dir: Path) -> None:
    parsed = read_file(shared_dir / "corpus/eric/nbib/colrev__eric_nbib.nbib")
    record = parsed.records[0]
    assert parsed.database == "ERIC" and record.database == "ERIC"
    assert record.source_id == "EJ1131633" and record.pmid == ""
    assert record.doi == "10.1000/123456789" and record.issn == ("1234-4567",)


def test_malformed_record_is_rejected_and_reading_goes_on() -> None:
    text = b"PMID- 1\nTI  - One\n\nPMID- 2\nTI  - Two\nthis line is not a tag\n\nPMID- 3\nTI  - Three\n"
    parsed = read_bytes(text, "x.nbib", format="medline")
    assert [r.pmid for r in parsed.records] == ["1", "3"]
    assert parsed.rejected[0].position == 2 and parsed.rejected[0].line == 4
    assert "x.nbib:6" in parsed.rejected[0].reason


def test_abbreviated_end_pages_are_written_out() -> None:
    assert expand_pages("1309-48") == "1309-1348"
    assert expand_pages("e123") == "e123"
    assert expand_pages("100-110") == "100-110"
