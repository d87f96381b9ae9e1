"""EndNote tagged (refer / .enw)."""

from __future__ import annotations

from pathlib import Path

from harvester.formats import read_bytes, read_file


def test_ais_enw_file(shared_dir: Path) -> None:
    parsed = read_file(shared_dir / "corpus/endnote/tagged_enw/colrev__ais_enl.txt")
    assert parsed.format == "enw"
    # six blank-line-separated records; only two carry the optional %0 type line
    assert len(parsed.records) == 6
    first = parsed.records[0]
    assert first.authors[:2] == ("Guo, Wenbo", "Straub, Detmar W.")
    assert first.journal == "Management Information Systems Quarterly"
    assert first.year == 2021 and first.volume == "45" and first.issue == "3" and first.pages == "1309-1348"
    assert first.publication_types == ("Journal Article",)


def test_enw_keywords_doi_and_rejection() -> None:
    text = b"%0 Journal Article\n%T A title\n%K one\ntwo\n%R 10.1234/abc\n%M ACC1\n\nnot a tag\n%T Other\n"
    parsed = read_bytes(text, "x.enw", format="enw")
    record = parsed.records[0]
    assert record.keywords == ("one", "two") and record.doi == "10.1234/abc" and record.source_id == "ACC1"
    assert parsed.rejected[0].position == 2 and parsed.rejected[0].line == 8
