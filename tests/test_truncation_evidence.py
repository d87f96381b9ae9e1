"""The cases the fuzz benchmark (``benchmarks/fuzz_formats.py``, seeds 1 to 8) found changing the record count
in silence, each rebuilt from the real corpus file it was found in (read in place), and each checked on its
look-alike that must stay quiet: the same file whole. The rules are in ``docs/importing.md`` (Truncation
evidence); each holds for any file of its format, not only for these files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from harvester.formats import csv as csv_format
from harvester.formats import read_bytes, read_file
from harvester.formats.base import damaged

JSTOR = "jstor/ris/colrev__jstor_ris.ris"  # a Provider:/Database:/Content: preamble before each record
OVID_RIS = "ovid/ris/synthesisr__Ovid_ris_example.ris"  # a link line after each record's ER
EBSCO_BIB = "ebsco/bibtex/colrev__ebsco_bib.bib"
EUROPEPMC_BIB = "europepmc/bibtex/colrev__europe_pmc_bib.bib"
ERIC = "eric/nbib/colrev__eric_nbib.nbib"
MULTILINE = "misc/ris_edge_cases/rispy__example_multiline.ris"


def _corpus(shared: Path, path: str) -> bytes:
    return (shared / "corpus" / path).read_bytes()


def test_no_corpus_export_shows_damage(shared_dir: Path) -> None:
    """The look-alikes of every rule below: no real, whole export gives a damage warning."""
    with (shared_dir / "corpus" / "MANIFEST.csv").open(encoding="utf-8") as handle:
        paths = [row["path"] for row in csv.DictReader(handle) if row["scope"] == "import"]
    shown = {path: damaged(read_file(shared_dir / "corpus" / path).warnings) for path in paths}
    assert not {path: found for path, found in shown.items() if found}
    assert len(paths) > 50


@pytest.mark.parametrize("keep", ["Provider: JS", "Provider: JSTOR http://www.jstor.org\r\nData",
                                  "Provider: JSTOR http://www.jstor.org\r\nDatabase: JSTOR\r\nContent: text/pl"])
def test_a_ris_cut_in_the_preamble_of_its_next_record_is_flagged(shared_dir: Path, keep: str) -> None:
    """JSTOR writes its Provider/Database/Content lines before every record: a file that ends in them after a
    record's ER lost the records from there on (found by seeds 1 and 2: 4 records became 2 or 3, silently)."""
    data = _corpus(shared_dir, JSTOR)
    third = data.index(b"Provider:", data.index(b"ER  -", data.index(b"ER  -") + 1))  # record 3's preamble
    cut = data[:third] + keep.encode()
    parsed = read_bytes(cut, "j.ris")
    assert parsed.records_read == 2
    assert any("after record 2's ER, the way it begins before its first record" in w and "cut off" in w
               for w in damaged(parsed.warnings)), parsed.warnings
    assert not damaged(read_bytes(data, "j.ris").warnings)


def test_a_ris_ending_with_a_whole_preamble_and_no_record_is_flagged(shared_dir: Path) -> None:
    data = _corpus(shared_dir, JSTOR)
    last = data.rindex(b"TY  - ")
    parsed = read_bytes(data[:last], "j.ris")  # the last record's preamble, whole, and nothing after it
    assert parsed.records_read == 3 and any("after record 3's ER" in w for w in damaged(parsed.warnings))


@pytest.mark.parametrize("label", [b"Link to the Ovid Fu", b"&D=caba6&AN=20203155", b"Link Resolver: http://jn8",
                                   b"&rft.jtitle=Proceedings+of", b"&rft.at"])
def test_an_ovid_ris_cut_in_the_link_line_after_a_record_is_flagged(shared_dir: Path, label: bytes) -> None:
    """Ovid writes a link line after each record: one cut short (a prefix of the line after the record before,
    or fewer of its labelled parts: ``Label: `` and link parameters) lost the records after it."""
    data = _corpus(shared_dir, OVID_RIS)
    second_link = data.index(b"Link to the Ovid", data.index(b"Link to the Ovid") + 1)  # after record 2
    cut = data[: data.index(label, second_link) + len(label)]
    parsed = read_bytes(cut, "o.ris")
    assert parsed.records_read == 2
    assert any("after record 2's ER" in w and ("cut short" in w or "cut off" in w)
               for w in damaged(parsed.warnings)), parsed.warnings
    assert not damaged(read_bytes(data, "o.ris").warnings)


@pytest.mark.parametrize("path", [OVID_RIS, "ovid/ris/asreview__ovid_psycinfo.ris"])
def test_an_ovid_ris_cut_in_the_link_line_of_its_first_record_is_flagged(shared_dir: Path, path: str) -> None:
    """Seed 1 cut the Ovid file inside the link line after record 1 (``...citation: http://ovidsp.ovid.com``): 1
    record of 4, silently, since there is no link before it to compare with. Ovid builds every full-text link
    from the accession number (``AN=`` the record's ``ID``): a link line without it, or ending in a part of it,
    was cut. Look-alikes that stay quiet: the first record with its whole link line (a valid one-record export),
    and the link line cut after the accession number (not told: it reads as a whole link)."""
    data = _corpus(shared_dir, path)
    link = data.index(b"Link to the Ovid Full Text or citation: ")
    accession = data.index(b"AN=", link) + len(b"AN=")
    end_of_line = data.index(b"\n", link)
    for end in (link + 45, link + 60, data.index(b"?", link) + 1, accession, accession + 4):
        parsed = read_bytes(data[:end], "o.ris")
        assert parsed.records_read == 1
        assert any("after record 1's ER" in w and "cut" in w for w in damaged(parsed.warnings)), \
            (data[link:end], parsed.warnings)
    for end in (end_of_line, data.index(b"Link", accession)):  # the whole line; cut after its accession number
        quiet = read_bytes(data[:end], "o.ris")
        assert quiet.records_read == 1 and not damaged(quiet.warnings), quiet.warnings


@pytest.mark.parametrize("path", [OVID_RIS, "ovid/ris/asreview__ovid_psycinfo.ris"])
def test_an_ovid_ris_cut_in_the_number_or_ty_line_of_its_next_record_is_flagged(shared_dir: Path, path: str) -> None:
    """Seed 7 cut the Ovid file in record 3's first line (``3.`` then ``TY  ``): 2 records of 4, silently, since the
    link line after record 2 is whole. After the line that follows every record, the file's own record number
    (``1.`` on its first line, digits aside) or a proper start of ``TY  - `` is a record cut off as it began.
    Look-alikes that stay quiet: the file ending with record 2's whole link line (a valid two-record export)."""
    data = _corpus(shared_dir, path)
    number = data.index(b"\n3.\n") + 1
    for end in range(number + 1, number + 7):  # '3', '3.', '3.\n', '3.\nT', '3.\nTY', '3.\nTY '
        parsed = read_bytes(data[:end], "o.ris")
        assert parsed.records_read == 2
        assert any("after record 2's ER, then" in w and "cut off as it began" in w for w in damaged(parsed.warnings)), \
            (data[number:end], parsed.warnings)
    for end in (number - 2, number - 1):  # the link line whole, with or without its line end
        assert not damaged(read_bytes(data[:end], "o.ris").warnings)


@pytest.mark.parametrize(("path", "count"), [(EBSCO_BIB, 2), (EUROPEPMC_BIB, 2)])
def test_a_bibtex_file_ending_in_an_entrys_first_word_is_flagged(shared_dir: Path, path: str, count: int) -> None:
    """BibTeX starts an entry at every ``@``: a file that ends in ``@artic`` lost that entry (found by seeds 1
    and 2 in both files: 2 entries became 1, silently)."""
    data = _corpus(shared_dir, path)
    last = data.rindex(b"\n@") + 1
    for end in (last + 1, last + 4):
        parsed = read_bytes(data[:end], "b.bib")
        assert parsed.records_read == count - 1
        assert any(f"after entry {count - 1}: an entry cut off as it began" in w for w in damaged(parsed.warnings))
    assert not damaged(read_bytes(data, "b.bib").warnings)


def test_a_medline_record_with_nothing_but_its_owner_line_is_flagged(shared_dir: Path) -> None:
    """ERIC's file opens with a blank line; swapped with ``OWN - ERIC`` it made 2 records of 1 (seed 1). A MEDLINE
    record always holds a title or a citation besides its PMID and OWN lines."""
    lines = _corpus(shared_dir, ERIC).split(b"\n")
    assert lines[0] == b"" and lines[1] == b"OWN - ERIC"
    lines[0], lines[1] = lines[1], lines[0]
    parsed = read_bytes(b"\n".join(lines), "e.nbib")
    assert parsed.records_read == 2
    assert any("e.nbib:1: record 1 holds nothing but its OWN line" in w for w in parsed.warnings)
    assert not read_bytes(_corpus(shared_dir, ERIC), "e.nbib").warnings


@pytest.mark.parametrize("lost", [b"ER  -\n\nTY  - JOUR\n", b"line\nER  -\n\nTY  - JOUR\n", b"ER  -\n\nTY  - JOUR\nN"])
def test_two_ris_records_run_together_by_a_lost_end_and_start_are_flagged(shared_dir: Path, lost: bytes) -> None:
    """A deletion across one record's ER and the next one's TY joins them (seeds 1 and 2, the multiline file):
    either a tag a record holds once comes twice (N2 here; also TI, PY, VL, IS, SP, EP) or a tag line's
    separator is left inside a line (``* last lN2  - first``, ``2  - first``). Not told: a deletion that leaves
    text reading as a value's continuation (``  - first line,``), see docs/importing.md."""
    data = _corpus(shared_dir, MULTILINE)
    at = data.index(lost)
    parsed = read_bytes(data[:at] + data[at + len(lost):], "m.ris")
    assert parsed.records_read == 2
    assert any("record 1 holds two N2 lines" in w or "holds a tag inside it" in w for w in parsed.warnings), \
        parsed.warnings
    assert not read_bytes(data, "m.ris").warnings


def test_two_endnote_tagged_records_run_together_are_flagged(shared_dir: Path) -> None:
    """A deletion across the blank lines between two EndNote tagged records and the second one's ``%T`` line joins
    them (seed 4: 6 records read as 5): the record then holds two years, volumes, issues, page ranges, which a
    record holds once. Look-alikes that stay quiet: the whole file, and a record with several authors."""
    path = "endnote/tagged_enw/colrev__ais_enl.txt"
    data = _corpus(shared_dir, path)
    second = data.index(b"\n\n%T ", data.index(b"%X "))
    parsed = read_bytes(data[:second - 10] + data[data.index(b"\n", second + 3):], "e.txt")
    assert parsed.records_read == 5
    assert any("e.txt:1: record 1 holds two %D lines: two records run together" in w for w in parsed.warnings), \
        parsed.warnings
    whole = read_bytes(data, "e.txt")
    assert whole.records_read == 6 and not [w for w in whole.warnings if "holds two" in w]
    assert any(sum(1 for tag, _ in r.tags if tag == "%A") > 1 for r in whole.records)


def test_two_endnote_xml_records_run_together_are_flagged(shared_dir: Path) -> None:
    """A deletion of ``</record><record>`` between two EndNote XML records leaves well-formed XML with one record
    fewer (seed 8: 3 read as 2): that record holds two ``<rec-number>``, ``<titles>``... which a record holds once.
    Look-alikes that stay quiet: every corpus EndNote XML file whole (1,413 records)."""
    path = "endnote/xml/jabref__EndnoteXmlImporterTestLabelAndMultiTitle.xml"
    data = _corpus(shared_dir, path)
    end = data.index(b"</record>", data.index(b"</record>") + 1)  # record 2's end
    start = data.index(b"<record>", end) + len(b"<record>")
    parsed = read_bytes(data[:end] + data[start:], "e.xml")
    assert parsed.records_read == 2
    assert any("record 2 holds two <rec-number> elements: two records run together" in w for w in parsed.warnings), \
        parsed.warnings
    for whole in (path, "zotero/endnote_xml/ASySD__zotero_export.xml", "endnote/xml/dedupe-sweep__tafenoquine.xml",
                  "endnote/xml/jabref__EndnoteXmlImporterTestArticle.xml"):
        assert not [w for w in read_bytes(_corpus(shared_dir, whole), "e.xml").warnings if "holds two" in w], whole


def test_an_ovid_ris_cut_before_the_link_line_of_a_record_is_flagged(shared_dir: Path) -> None:
    """Ovid writes ``NL`` and a link line after each record's ER; the file cut inside the NL of record 5 (seed 2)
    ends where every record before had its link line: the record after it was lost."""
    path = "ovid/ris/asreview__ovid_psycinfo.ris"
    data = _corpus(shared_dir, path)
    fifth_nl = data.index(b"\nNL  - ", data.index(b"\n5.\n")) + len(b"\nNL  - In")
    parsed = read_bytes(data[:fifth_nl], "o.ris")
    assert parsed.records_read == 5
    assert any("ends after record 5 without the line that follows the record before it" in w
               for w in damaged(parsed.warnings)), parsed.warnings
    assert not damaged(read_bytes(data, "o.ris").warnings)


def test_a_delimited_file_whose_last_row_is_cut_in_its_last_cells_is_flagged(shared_dir: Path) -> None:
    """WoS tab rows end with a tab, so a row cut in its last cell still has as many cells as the header (seed 3: 50
    records became 38). Every row before it has one more: the last row was cut."""
    path = "wos/tab_delimited/wosfile__wos_tab_delimited_win_utf8.txt"
    data = _corpus(shared_dir, path)
    row_39 = data.split(b"\n")[38]
    cut = data[: data.index(row_39) + row_39.rindex(b"\tWOS:") + 10]
    parsed = read_bytes(cut, "w.txt")
    assert parsed.records_read == 38
    assert any("w.txt:39: row 38, the last, has 59 cells where every row before it has 60" in w
               for w in damaged(parsed.warnings)), parsed.warnings
    assert not damaged(read_bytes(data, "w.txt").warnings)


CHATBOT_CSV = "pubmed/csv/colrev__pubmed-chatbot.csv"  # every value quoted, empty cells written as nothing


@pytest.mark.parametrize("cell", [1, 5, 10])
def test_a_csv_cut_right_after_a_delimiter_is_flagged(shared_dir: Path, cell: int) -> None:
    """Cut just after the delimiter before its last cell, the last row still holds the header's 11 cells (the last
    read as empty) and every row is whole, so no cell count tells it (the fuzz residual ``cut 1641640294``); the file
    ending in a bare delimiter does, read whole or block by block. Cut after an earlier delimiter it was flagged
    before (fewer cells), and now is twice over."""
    data = _corpus(shared_dir, CHATBOT_CSV)
    last = data.rstrip(b"\n").rsplit(b"\n", 1)[1]
    at = data.rindex(last)
    ends = [i + 1 for i, byte in enumerate(last) if byte == ord(",")]
    cut = data[: at + ends[cell - 1]]
    parsed = read_bytes(cut, "c.csv")
    assert parsed.records_read == 6 and not parsed.rejected
    assert any("c.csv:7: row 6, the last, ends in a delimiter with no line end after it" in w
               for w in damaged(parsed.warnings)), parsed.warnings
    text = cut.decode("utf-8")
    for ending, flagged in (("", True), ("\n", False)):
        warnings: list[str] = []
        whole = text + ending
        pieces = (whole[i:i + 7] for i in range(0, len(whole), 7))
        streamed = list(csv_format.stream(pieces, "c.csv", None, warnings))
        assert len(streamed) == 6
        assert any("ends in a delimiter" in w for w in damaged(warnings)) is flagged, warnings


def test_files_ending_without_a_line_end_are_quiet_when_they_end_in_a_value(shared_dir: Path) -> None:
    """The look-alikes: an export ending in its last value with no line end (Zotero and Springer write none), the
    same file ending in an empty last cell followed by a line end, a file whose every row ends in a delimiter (an
    exporter's trailing delimiter, read as a quirk), and a Web of Science tab file, whose rows end in a tab."""
    for path in ("zotero/csv/ASySD__zotero_export.csv", "springer/csv/litstudy__springer.csv"):
        data = _corpus(shared_dir, path)
        assert not data.endswith(b"\n") and not damaged(read_bytes(data, "z.csv").warnings), path
    data = _corpus(shared_dir, CHATBOT_CSV).rstrip(b"\n")
    emptied = data[: data.rindex(b",") + 1] + b"\n"
    assert not damaged(read_bytes(emptied, "e.csv").warnings)
    padded = b"\n".join(line + b"," for line in data.split(b"\n")[1:])
    padded = data.split(b"\n")[0] + b"\n" + padded
    parsed = read_bytes(padded, "p.csv")
    assert parsed.records_read == 6 and not damaged(parsed.warnings)
    assert any("quirk read" in w for w in parsed.warnings)
    tab = _corpus(shared_dir, "wos/tab_delimited/wosfile__wos_tab_delimited_win_utf8.txt").rstrip(b"\r\n")
    assert tab.endswith(b"\t") and not damaged(read_bytes(tab, "w.txt").warnings)
