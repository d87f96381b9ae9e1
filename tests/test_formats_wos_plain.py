"""Web of Science / Zoological Record plain text."""

from __future__ import annotations

from pathlib import Path

from harvester.formats import read_bytes, read_file


def test_wos_plain_fields(shared_dir: Path) -> None:
    parsed = read_file(shared_dir / "corpus/wos/plaintext/rispy__example_wos.ris")  # .ris name, WoS content
    assert parsed.format == "wos-plain" and parsed.database == "Web of Science"
    record = parsed.records[0]
    assert record.authors[:2] == ("Parkes-Loach, PS", "Majeed, AP")  # one author per continuation line
    assert record.title.startswith("Interactions stabilizing the structure of the core light-harvesting complex")
    assert record.source_id.startswith("WOS:") and record.journal == "BIOCHEMISTRY"
    assert "CHEMICALLY SYNTHESIZED POLYPEPTIDES" in record.keywords  # ID split on ';'


def test_doi_not_taken_from_cited_references(shared_dir: Path) -> None:
    parsed = read_file(shared_dir / "corpus/wos/plaintext/wosfile__wos_plaintext.txt")
    for record in parsed.records:
        if not record.tag_values("DI"):
            assert record.doi == ""
        else:
            assert record.doi == record.tag_values("DI")[0]


def test_zoological_record(shared_dir: Path) -> None:
    parsed = read_file(shared_dir / "corpus/zoological_record/wos_plaintext/synthesisr__zoorec.txt")
    assert parsed.database == "Zoological Record" and len(parsed.records) == 134
    assert parsed.records[0].authors[0] == "Stillman, Andrew N."  # e-mail address removed


def test_truncated_and_bad_lines() -> None:
    text = b"FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nTI One\nUT WOS:1\nER\n\nPT J\nTI Two\nnot a tag\n" \
           b"ER\n\nPT J\nTI Three\n"
    parsed = read_bytes(text, "w.txt")
    assert [r.title for r in parsed.records] == ["One"]
    assert [(r.position, r.line) for r in parsed.rejected] == [(2, 8), (3, 13)]
    assert "neither a tag" in parsed.rejected[0].reason and "cut off" in parsed.rejected[1].reason
