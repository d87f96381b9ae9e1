"""CSV exports of every vendor, WoS tab-delimited, generic CSV with a mapping: on the real corpus files."""

from __future__ import annotations

import contextlib
import csv
import io
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester.errors import FormatError
from harvester.formats import read_bytes, read_file
from harvester.formats._fields import author, find_doi, split_cell, strip_markup
from harvester.formats.csv import neutralise, read_csv, restore

MY_FORMATS = {"csv", "tab_delimited"}


def manifest_rows(shared_dir: Path, formats: set[str], prefix: str = "") -> list[dict[str, str]]:
    with (shared_dir / "corpus" / "MANIFEST.csv").open(encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle)
                if row["scope"] == "import" and row["format"] in formats and row["path"].startswith(prefix)]


def check_manifest_file(shared_dir: Path, row: dict[str, str]) -> None:
    """Record count as in MANIFEST, no rejection, a title wherever the raw has one, a DOI wherever it holds one."""
    parsed = read_file(shared_dir / "corpus" / row["path"])
    assert len(parsed.records) == int(row["records"]), (row["path"], parsed.rejected[:3])
    assert not parsed.rejected, parsed.rejected[:3]
    for record in parsed.records:
        assert record.title, (row["path"], record.position)
        assert record.raw and record.line >= 1 and record.tags
        doi_tags = [value for tag, value in record.tags
                    if tag.lower() in ("doi", "di", "item doi", "electronic-resource-num") and value.strip()]
        if doi_tags:
            assert record.doi and record.doi.startswith("10."), (row["path"], record.position, doi_tags)


def test_every_corpus_csv_and_wos_tab_file_imports(shared_dir: Path) -> None:
    rows = manifest_rows(shared_dir, MY_FORMATS)
    assert len(rows) >= 12  # 10 vendor CSVs + 2 WoS tab-delimited at the time of writing
    for row in rows:
        check_manifest_file(shared_dir, row)


@pytest.mark.parametrize(("path", "database", "source_id"), [
    ("pubmed/csv/colrev__pubmed-chatbot.csv", "PubMed", "35227408"),
    ("scopus/csv/bibliometrix__scopus_sample.csv", "Scopus", "2-s2.0-105030721984"),
    ("lens/csv/bibliometrix__lens_sample.csv", "Lens", "000-360-106-493-122"),
    ("openalex/csv/bibliometrix__openalex_sample.csv", "OpenAlex", "W2755950973"),
    ("zotero/csv/ASySD__zotero_export.csv", "Zotero", "ACSRAG7N"),
    ("wos/tab_delimited/wosfile__wos_tab_delimited_win_utf8.txt", "Web of Science", "WOS:000220015600001"),
    ("ieee/csv/litstudy__ieee.csv", "IEEE Xplore", ""),
    ("springer/csv/litstudy__springer.csv", "SpringerLink", "10.1007/978-3-030-92127-9_33"),
    ("embase/csv/asreview__embase.csv", "Embase", ""),
])
def test_vendor_is_detected_from_the_header(shared_dir: Path, path: str, database: str, source_id: str) -> None:
    parsed = read_file(shared_dir / "corpus" / path)
    assert parsed.database == database
    assert parsed.detection is not None and parsed.detection.database == database
    assert parsed.records[0].source_id == source_id
    assert parsed.records[0].database == database


def test_pubmed_csv_citation_gives_volume_issue_pages(shared_dir: Path) -> None:
    record = read_file(shared_dir / "corpus/pubmed/csv/colrev__pubmed-chatbot.csv").records[0]
    assert (record.volume, record.issue, record.pages) == ("53", "2", "334-347")
    assert record.authors == ("Lim, SM", "Shiau, CWC", "Cheng, LJ", "Lau, Y")
    assert record.pmid == "35227408" and record.doi == "10.1016/j.beth.2021.09.007" and record.year == 2022


def test_embase_csv_composite_source_and_link(shared_dir: Path) -> None:
    parsed = read_file(shared_dir / "corpus/embase/csv/asreview__embase.csv")
    first = parsed.records[0]
    assert first.journal == "Endoscopic Ultrasound"
    assert (first.year, first.volume, first.issue, first.pages) == (2014, "3", "3", "152-160")
    assert first.doi == "10.4103/2303-9027.138783"
    assert first.issn == ("2226-7190",)
    assert first.authors == ("Liu, R.", "Adler, D.G.")
    # "54 (83-86)": a volume with no issue
    third = parsed.records[2]
    assert (third.volume, third.issue, third.pages) == ("54", "", "83-86")
    # Emtree terms hold commas inside parentheses: never split there
    assert "bronchogenic duplication cyst (diagnosis, surgery)" in first.keywords


def test_multiline_quoted_cells_stay_one_record_with_their_lines(shared_dir: Path) -> None:
    parsed = read_file(shared_dir / "corpus/embase/csv/asreview__embase_newpage.csv")
    assert len(parsed.records) == 6
    first, second = parsed.records[:2]
    assert first.line == 2 and first.abstract.startswith("TEST")
    assert "\n" in first.raw  # the row as written, over several physical lines
    assert second.line == 2 + first.raw.count("\n") + 1
    text = (shared_dir / "corpus/embase/csv/asreview__embase_newpage.csv").read_text(encoding="utf-8")
    assert text.split("\n")[second.line - 1].startswith(second.raw.split("\n")[0])


def test_scopus_full_names_win_and_na_cells_are_empty(shared_dir: Path) -> None:
    record = read_file(shared_dir / "corpus/scopus/csv/bibliometrix__scopus_sample.csv").records[0]
    assert record.authors[0] == "Liu, Fengyuan"  # "(60410297700)" Scopus author id dropped
    assert record.issn == ("2055-2076",)
    assert record.pmid == ""  # the cell says NA
    assert ("PubMed ID", "NA") in record.tags  # ...which the tags keep verbatim
    assert record.journal_abbrev == "Digit. Health"


def test_wos_tab_utf16_and_utf8_give_the_same_records(shared_dir: Path) -> None:
    utf8 = read_file(shared_dir / "corpus/wos/tab_delimited/wosfile__wos_tab_delimited_win_utf8.txt")
    utf16 = read_file(shared_dir / "corpus/wos/tab_delimited/wosfile__wos_tab_delimited_win_utf16.txt")
    assert utf16.encoding.startswith("utf-16") and utf16.format == "wos-tab"
    assert [r.bibliographic() for r in utf8.records] == [r.bibliographic() for r in utf16.records]
    first = utf8.records[0]
    assert first.authors == ("Owen-Smith, J", "Powell, WW")
    assert first.pages == "5-21" and first.journal_abbrev == "Organ Sci."
    assert "STRATEGIC ALLIANCE FORMATION" in first.keywords


def test_given_first_names_and_springer_concatenation() -> None:
    assert author("David De Roure", "given-first") == "De Roure, David"
    assert author("Jason R. C. Nurse", "given-first") == "Nurse, Jason R. C."
    assert author("P. Kogge", "given-first") == "Kogge, P."
    assert author("Prof. Witold Pedrycz", "given-first") == "Pedrycz, Witold"
    assert author("Liu F.", "surname-initials") == "Liu, F."
    assert author("World Health Organization", "surname-initials") == "World Health Organization"
    assert split_cell("Araz R. AlievNigar T. Ismayilova", "concatenated") == ["Araz R. Aliev", "Nigar T. Ismayilova"]
    assert split_cell("a (b, c), d", ", ") == ["a (b, c)", "d"]


def test_doi_forms() -> None:
    assert find_doi("https://doi.org/10.1016/j.joi.2017.08.007") == "10.1016/j.joi.2017.08.007"
    assert find_doi("doi:10.4103%2F2303-9027.138783") == "10.4103/2303-9027.138783"
    assert find_doi("no doi here") == ""


def test_unknown_header_says_which_headers_and_asks_for_a_mapping() -> None:
    text = "Article Title,Writers,Yr\nA study,Smith J,2020\n"
    with pytest.raises(FormatError) as caught:
        read_bytes(text.encode(), "sheet.csv")
    message = str(caught.value)
    assert "'Article Title'" in message and "'Writers'" in message and "mapping" in message


def test_generic_csv_with_a_mapping() -> None:
    text = "Article Title,Writers,Yr,Ident\nA study,\"Smith, J; Doe, A\",2020,https://doi.org/10.1234/x\n"
    parsed = read_csv(text, "sheet.csv", "Rayyan",
                      mapping={"title": "Article Title", "authors": "Writers", "year": "Yr", "doi": "Ident"})
    record = parsed.records[0]
    assert (record.title, record.authors, record.year) == ("A study", ("Smith, J", "Doe, A"), 2020)
    assert record.doi == "10.1234/x"
    assert record.database == "Rayyan" and record.tags[0] == ("Article Title", "A study")
    with pytest.raises(FormatError, match="'Missing'"):
        read_csv(text, "sheet.csv", None, mapping={"title": "Missing"})
    with pytest.raises(FormatError, match="unknown field"):
        read_csv(text, "sheet.csv", None, mapping={"titel": "Article Title"})


def test_headers_named_like_our_fields_need_no_mapping() -> None:
    text = "title,authors,year,doi\nA study,\"Smith, J; Doe, A\",2020,10.1/x\n"
    record = read_bytes(text.encode(), "x.csv").records[0]
    assert record.authors == ("Smith, J", "Doe, A") and record.year == 2020


def test_bad_rows_are_rejected_with_line_and_position_and_reading_goes_on() -> None:
    header = '"PMID","Title","Authors","Citation","First Author","Journal/Book","Publication Year"\n'
    good = '"1","First","Smith A","J. 2020;1(1):1-2.","Smith A","J","2020"\n'
    extra = '"2","Second","Smith A","J","Smith A","J","2020","stray","cells"\n'
    empty = ',,,,,,\n'
    third = '"3","Third","Smith A","J","Smith A","J","2021"\n'
    truncated = '"4","Fourth, cut off in the mid'
    parsed = read_bytes((header + good + extra + empty + third + truncated).encode(), "p.csv")
    assert [r.title for r in parsed.records] == ["First", "Third"]
    # a row of empty cells (a spreadsheet's blank row) is no record: it is neither counted nor rejected
    assert [(r.position, r.line) for r in parsed.records] == [(1, 2), (3, 5)]
    reasons = {(j.position, j.line): j.reason for j in parsed.rejected}
    assert set(reasons) == {(2, 3), (4, 6)}
    assert "9 cells" in reasons[(2, 3)] and "truncated" in reasons[(4, 6)]
    assert parsed.records_read == 4


def test_spreadsheet_neutralising_is_undone_exactly() -> None:
    for value in ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "'quoted", "''", "plain", "", "'", "\tx"]:
        assert restore(neutralise(value)) == value
        assert not neutralise(value).startswith(("=", "+", "-", "@", "\t"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_arbitrary_bytes_never_crash_the_csv_readers(data: bytes) -> None:
    for name in ("csv", "wos-tab"):
        with contextlib.suppress(FormatError):
            read_bytes(data, "fuzz.csv", format=name)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.text(max_size=12), min_size=1, max_size=6), min_size=1, max_size=6))
def test_arbitrary_csv_text_never_crashes(rows: list[list[str]]) -> None:
    header = "PMID,Title,Authors,Citation,Journal/Book,Publication Year\n"
    body = "\n".join(",".join(cells) for cells in rows)
    try:
        parsed = read_bytes((header + body).encode(), "fuzz.csv", format="csv")
    except FormatError:
        return
    assert all(re.fullmatch(r"\d*", r.pmid) for r in parsed.records)
    assert all(j.line >= 2 for j in parsed.rejected)


def test_a_vendor_csv_resaved_with_semicolons_reads_the_same(shared_dir: Path) -> None:
    path = shared_dir / "corpus/scopus/csv/bibliometrix__scopus_sample.csv"
    original = read_file(path)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    resaved = read_bytes(out.getvalue().encode("cp1252", errors="replace"), "resaved.csv")
    assert resaved.database == "Scopus" and len(resaved.records) == len(original.records)
    assert [r.doi for r in resaved.records] == [r.doi for r in original.records]
    assert [r.authors for r in resaved.records][0] == original.records[0].authors


def test_markup_is_dropped_from_titles_and_abstracts_but_kept_in_raw(shared_dir: Path) -> None:
    parsed = read_file(shared_dir / "corpus/lens/csv/bibliometrix__lens_sample.csv")
    marked = [r for r in parsed.records if "<jats:p>" in r.raw]
    assert marked and all("<jats:" not in r.abstract and r.abstract for r in marked)
    assert strip_markup("H<sub>2</sub>O, p <0.05, a <b and c> d") == "H2O, p <0.05, a <b and c> d"
