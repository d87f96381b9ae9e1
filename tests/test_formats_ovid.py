"""Ovid labelled and tagged displays."""

from __future__ import annotations

from pathlib import Path

from harvester.formats import read_bytes, read_file


def test_ovid_labelled_display(shared_dir: Path) -> None:
    parsed = read_file(shared_dir / "corpus/ovid/plaintext_labelled/jabref__OvidImporterTest4.txt")
    assert parsed.format == "ovid"
    record = parsed.records[0]
    assert record.title.endswith("Harz Mountains, Germany.")  # "[Article]" removed
    assert record.authors == ("Kohler, Lars", "Leuschner, Christoph", "Hauck, Markus", "Hertel, Dietrich")
    assert (record.journal, record.volume, record.issue, record.pages, record.year) == \
        ("Ecohydrology", "8", "6", "1048-1064", 2015)
    assert record.source_id == "01445406-201509000-00006"


def test_ovid_author_degrees_and_footnotes(shared_dir: Path) -> None:
    record = read_file(shared_dir / "corpus/ovid/plaintext_labelled/jabref__OvidImporterTest6.txt").records[0]
    assert record.authors == ("Verbeek, Jan", "Hermans, Erik", "van Vugt, Arie", "Frolke, Jan Paul")
    assert record.doi == "10.1097/BOT.0000000000000502"


def test_ovid_tagged_display_and_several_records() -> None:
    text = (b"<1. >\nVN  - Ovid Technologies\nDB  - Embase\nUI  - 612345\nTI  - First title\n"
            b"AU  - Behan L.\nAB  - An abstract that\n      wraps.\nYR  - 2019\nDO  - 10.1000/xyz\n\n"
            b"<2. >\nDB  - Embase\nUI  - 612346\nTI  - Second\n")
    parsed = read_bytes(text, "x.ovd")
    assert parsed.format == "ovid" and parsed.database == "Embase"
    first = parsed.records[0]
    assert first.title == "First title" and first.abstract == "An abstract that wraps."
    assert first.authors == ("Behan, L.",) and first.year == 2019 and first.source_id == "612345"
    assert parsed.records[1].line == 12
