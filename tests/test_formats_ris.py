"""RIS: real vendor files (each quirk from the corpus), malformed records, and the writer round trip."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester.formats import read_bytes, read_file
from harvester.formats.ris import dumps, read
from harvester.records import Record


def _corpus(shared_dir: Path, name: str) -> Path:
    return shared_dir / "corpus" / name


def test_scopus_ris_fields_and_eid(shared_dir: Path) -> None:
    parsed = read_file(_corpus(shared_dir, "scopus/ris/asreview__scopus.ris"))
    assert parsed.format == "ris" and parsed.database == "Scopus"
    assert parsed.detection is not None and "database Scopus" in parsed.detection.evidence
    first = parsed.records[0]
    assert first.source_id.startswith("2-s2.0-")
    assert first.title and first.year and first.doi.startswith("10.")
    assert all("," in name for name in first.authors)
    assert first.raw.startswith("TY  - ") and first.raw.rstrip().endswith("ER  -")
    assert first.position == 1 and first.line == 1


def test_ebsco_copyright_abstract_is_not_the_abstract(shared_dir: Path) -> None:
    parsed = read_file(_corpus(shared_dir, "ebsco/ris/CiteSource__20221207_gambling-harms_crimjust_41.ris"))
    first = parsed.records[0]
    assert first.abstract.startswith("Within a neo-liberal")
    assert len(first.tag_values("AB")) == 2  # both kept as read
    assert first.doi == "10.1080/16066359.2020.1867111"  # from L3
    assert first.source_id == "150283836"  # N1 "Accession Number: ..."
    assert first.issn == ("1606-6359",)
    assert first.year == 2021 and first.pages == "212-222"


def test_rayyan_keyword_continuation_lines(shared_dir: Path) -> None:
    parsed = read_file(_corpus(shared_dir, "rayyan/ris/asreview__ris_issue_992.txt"))
    first = parsed.records[0]
    assert parsed.database == "Rayyan"
    assert first.source_id == "rayyan-264552525"
    assert "Joint Commission" in first.keywords and "Patient Education" in first.keywords
    assert first.pages == "1-5"


def test_ovid_numbered_records_and_tags_after_er(shared_dir: Path) -> None:
    parsed = read_file(_corpus(shared_dir, "ovid/ris/asreview__ovid_psycinfo.ris"))
    assert len(parsed.records) == 6 and not parsed.rejected
    first = parsed.records[0]
    assert first.doi == "10.1002/cpp.2398"  # "http://dx.doi.org/" removed
    assert first.source_id == "2019-65183-001"
    assert ("NL", "Clin Psychol Psychother") in first.tags  # written after ER, kept with its record
    assert first.abstract  # from N2


def test_edge_cases(shared_dir: Path) -> None:
    extraneous = read_file(_corpus(shared_dir, "misc/ris_edge_cases/rispy__example_extraneous_data.ris"))
    assert [r.title for r in extraneous.records] == ["Title of reference", "The title of the reference"]
    multiline = read_file(_corpus(shared_dir, "misc/ris_edge_cases/rispy__example_multiline.ris"))
    assert len(multiline.records) == 3
    for record in multiline.records:  # "ER then second line" is text, not the end of the record
        assert "second line" in record.abstract and record.abstract.endswith("the last line")
    empty_er = read_file(_corpus(shared_dir, "misc/ris_edge_cases/jabref__RisImporterTestWithEmptyER.ris"))
    assert empty_er.records[0].line == 6 and empty_er.records[0].doi == "10.1063/1.4814070"
    assert empty_er.records[0].authors == ("Shi, Yu", "Beck, Thomas L.")
    bom = read_file(_corpus(shared_dir, "misc/ris_edge_cases/rispy__example_bom.ris"))
    assert bom.records[0].tags[0] == ("TY", "JOUR") and bom.encoding == "utf-8-sig"


def test_lone_cr_separators_split_tags(shared_dir: Path) -> None:
    parsed = read_file(_corpus(shared_dir, "wos/ris/ASySD__wos_test.ris"))
    assert len(parsed.records) == 50
    assert all(not value.count("AD  - ") for r in parsed.records for _, value in r.tags)


def test_headless_and_truncated_records_are_rejected_and_reading_goes_on() -> None:
    text = "TY  - JOUR\nTI  - One\nER  - \n\nTI  - No type\nAU  - Smith, J\nER  - \nTY  - JOUR\nTI  - Three\nER  - \n" \
           "TY  - JOUR\nTI  - Cut"
    parsed = read_bytes(text.encode(), "x.ris")
    assert [r.title for r in parsed.records] == ["One", "Three"]
    assert [(r.position, r.line) for r in parsed.rejected] == [(2, 5), (4, 11)]
    assert "no TY line" in parsed.rejected[0].reason and "x.ris:5" in parsed.rejected[0].reason
    assert "cut off" in parsed.rejected[1].reason
    assert parsed.records_read == 4
    assert [r.position for r in parsed.records] == [1, 3]


def test_missing_er_before_next_ty_reads_on_with_a_warning() -> None:
    parsed = read_bytes(b"TY  - JOUR\nTI  - One\nTY  - JOUR\nTI  - Two\nER  - \n", "x.ris")
    assert [r.title for r in parsed.records] == ["One", "Two"]
    assert any("no ER line" in w for w in parsed.warnings)


def test_writer_puts_mesh_in_keywords_and_pmid_in_a_note() -> None:
    record = Record(title="T", mesh=("Humans",), keywords=("peer",), pmid="123", doi="10.1/x")
    text = dumps([record])
    assert "KW  - peer\nKW  - Humans\n" in text and "N1  - PMID: 123\n" in text
    back = read(text, "x.ris", None).records[0]
    assert back.pmid == "123" and back.keywords == ("peer", "Humans")


_word = st.text(alphabet=st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FF), min_size=1,
                max_size=10)
_phrase = st.lists(_word, min_size=1, max_size=6).map(" ".join).filter(lambda s: s.lower() not in
                                                                         {"na", "n/a", "null", "none"})
_name = st.tuples(_word, _word).map(lambda p: f"{p[0]}, {p[1]}")
_records = st.builds(
    Record,
    title=_phrase,
    abstract=st.one_of(st.just(""), _phrase),
    authors=st.lists(_name, max_size=4, unique=True).map(tuple),
    year=st.one_of(st.none(), st.integers(1900, 2030)),
    journal=st.one_of(st.just(""), _phrase),
    journal_abbrev=st.one_of(st.just(""), _phrase),
    issn=st.lists(st.from_regex(r"\A[0-9]{4}-[0-9]{3}[0-9X]\Z"), max_size=2, unique=True).map(tuple),
    volume=st.one_of(st.just(""), st.from_regex(r"\A[1-9][0-9]{0,3}\Z")),
    issue=st.one_of(st.just(""), st.from_regex(r"\A[1-9][0-9]{0,2}\Z")),
    pages=st.one_of(st.just(""), st.just("e0815"), st.integers(1, 999).map(str),
                    st.tuples(st.integers(1, 999), st.integers(1, 99)).map(lambda p: f"{p[0]}-{p[0] + p[1]}")),
    doi=st.one_of(st.just(""), st.from_regex(r"\A10\.[0-9]{4,6}/[a-z0-9]{1,12}\Z")),
    pmid=st.one_of(st.just(""), st.from_regex(r"\A[1-9][0-9]{0,8}\Z")),
    language=st.lists(st.sampled_from(["eng", "English", "fre"]), max_size=2, unique=True).map(tuple),
    publication_types=st.lists(st.sampled_from(["Article", "Review", "Letter"]), max_size=2, unique=True).map(tuple),
    keywords=st.lists(_phrase, max_size=4, unique=True).map(tuple),
    url=st.one_of(st.just(""), st.from_regex(r"\Ahttps://example\.org/[a-z]{1,8}\Z")),
    publisher=st.one_of(st.just(""), _phrase),
    database=st.sampled_from(["Scopus", "CINAHL", "Embase"]),
    source_id=st.one_of(st.just(""), st.from_regex(r"\A[A-Z]{2}[0-9]{3,8}\Z")),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_records, min_size=1, max_size=4))
def test_export_then_import_gives_the_same_normalised_records(records: list[Record]) -> None:
    parsed = read(dumps(records), "export.ris", None)
    assert not parsed.rejected
    assert [r.bibliographic() for r in parsed.records] == [r.bibliographic() for r in records]
    assert [(r.database, r.source_id) for r in parsed.records] == [(r.database, r.source_id) for r in records]


def _same(items: Sequence[object]) -> list[tuple[str, object]]:
    return [(type(i).__name__, i) for i in items]


Tagged = list[tuple[str, object]]


def _three_ways(text: str, chunk: int) -> tuple[Tagged, Tagged, Tagged]:
    from harvester.formats.ris import iter_chunks, iter_records, iter_text

    by_lines = list(iter_records(text.split("\n"), "f.ris", None))
    by_text = list(iter_text(text, "f.ris", None))
    pieces = [text[i:i + chunk] for i in range(0, len(text), chunk)] or [""]
    by_chunks = list(iter_chunks(pieces, "f.ris", None))
    return _same(by_lines), _same(by_text), _same(by_chunks)


def test_fast_text_reader_and_chunked_reader_agree_with_the_line_reader(shared_dir: Path) -> None:
    import csv

    with (shared_dir / "corpus" / "MANIFEST.csv").open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["format"] in ("ris", "ris_edge_cases")]
    for row in rows:
        text = read_file(shared_dir / "corpus" / row["path"]).records  # decoded through the registry
        raw = (shared_dir / "corpus" / row["path"]).read_bytes()
        from harvester.formats.encoding import decode

        decoded = decode(raw, row["path"])[0]
        lines, whole, chunked = _three_ways(decoded, 997)
        assert lines == whole == chunked, row["path"]
        assert len(text) == sum(1 for kind, _ in whole if kind == "Record")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["TY  - JOUR", "ER  - ", "ER  -", "TI  - x", "AU  - a, b", "KW  - k", "cont",
                                 "", "1.", "PMID  - 12", "NL  - after", "Record #1 of 2", "N1  -\t",
                                 "KW  - \t", "TI  - x \t"]), max_size=40),
       st.integers(1, 40))
def test_readers_agree_on_any_tag_soup(lines: list[str], chunk: int) -> None:
    by_lines, by_text, by_chunks = _three_ways("\n".join(lines), chunk)
    assert by_lines == by_text == by_chunks


def test_one_space_before_the_dash_and_cochrane_ids() -> None:
    parsed = read_bytes(b"TY - JOUR\nID - CN-01234567\nTI - Peer support trial\nPY - 2012\nER - \n", "c.ris")
    assert parsed.format == "ris" and parsed.database == "Cochrane"
    record = parsed.records[0]
    assert (record.title, record.year, record.source_id) == ("Peer support trial", 2012, "CN-01234567")


def test_shared_normalisers() -> None:
    from harvester.formats import _fields as f

    assert f.pages("349-69") == f.pages("349", "69") == "349-369"  # EndNote/MEDLINE shortened end page
    assert f.pages("No", "Specified") == ""  # PsycINFO via Ovid
    assert f.pages("e0815") == "e0815" and f.pages("S12", "S15") == "S12-S15"
    assert f.author("A. Author-One") == "Author-One, A."  # IEEE
    assert f.author("Liu R.") == "Liu, R." and f.author("Shi,Yu ") == "Shi, Yu"
    assert f.author("World Health Organization") == "World Health Organization"
    assert f.find_doi("http://dx.doi.org/10.4236/ojf.2020.101008") == "10.4236/ojf.2020.101008"
    assert f.find_doi("id=doi:10.4103%2F2303-9027.138783&atitle=x") == "10.4103/2303-9027.138783"
    assert f.find_doi("10.1016/S0140-6736(20)30183-5.") == "10.1016/S0140-6736(20)30183-5"
    assert f.issns(["03064530 (ISSN)", "0894-9867, 0894-9867", "ISSN-1234-456x"]) == ("0306-4530", "0894-9867",
                                                                                     "1234-456X")
    assert f.year_of("2020//") == 2020 and f.year_of("Start date: 20170812") == 2017  # TRID
    assert f.year_of("SEP") is None  # WoS RIS DA: a month only
    assert f.clean("  NA ") == "" and f.clean("a\n  b") == "a b"


_NAMES = st.lists(st.text(alphabet="ab ,;.-J\t(1)\xa0", max_size=9)
                  | st.sampled_from(["NA", "Smith, J", "Smith,  J", "a, b, c", "Liu, F (604)", ";, J", "Lo , K"]),
                  max_size=6)


@settings(max_examples=300, deadline=None)
@given(_NAMES, _NAMES)
def test_authors_are_the_shared_author_cleaner_applied_to_every_name(au: list[str], a1: list[str]) -> None:
    """The reader keeps a name already written ``Surname, Given`` without calling ``_fields.author``: same result."""
    from harvester.formats import _fields as f
    from harvester.formats.ris import to_record

    tags = tuple(("AU", name) for name in au) + tuple(("A1", name) for name in a1)
    expected = [f.author(name) for name in au + a1 if name and not f.is_placeholder(name)]
    assert to_record((("TY", "JOUR"), *tags), database="RIS").authors == tuple(dict.fromkeys(n for n in expected if n))


def test_every_record_field_is_filled_in_its_own_place() -> None:
    """to_record passes the Record's fields by position: each value must land in its own field."""
    text = ("TY  - JOUR\nTI  - The title\nAB  - The abstract\nAU  - Smith, J\nPY  - 2019\nT2  - The Journal\n"
            "J2  - Jour\nSN  - 1234-5678\nVL  - 7\nIS  - 3\nSP  - 349\nEP  - 69\nDO  - 10.1000/x1\nPM  - 123\n"
            "LA  - English\nM3  - Article\nKW  - peer\nUR  - https://example.org/r\nPB  - Publisher\nAN  - acc-1\n"
            "ER  - \n")
    (record,) = read(text, "f.ris", "CINAHL").records
    assert (record.title, record.abstract, record.authors, record.year) == ("The title", "The abstract",
                                                                           ("Smith, J",), 2019)
    assert (record.journal, record.journal_abbrev, record.issn) == ("The Journal", "Jour", ("1234-5678",))
    assert (record.volume, record.issue, record.pages, record.doi) == ("7", "3", "349-369", "10.1000/x1")
    assert (record.pmid, record.language, record.publication_types, record.keywords, record.mesh) == (
        "123", ("English",), ("Article",), ("peer",), ())
    assert (record.url, record.publisher, record.database, record.source_id) == ("https://example.org/r",
                                                                                "Publisher", "CINAHL", "acc-1")
    assert record.raw == text.rstrip() and record.tags[1] == ("TI", "The title")
    assert (record.position, record.line) == (1, 1)


def test_page_numbers_in_digits() -> None:
    from harvester.formats import _fields as f

    assert f.pages("212", "222") == "212-222" and f.pages("12", "12") == "12" and f.pages("12", "034") == "12-034"
    assert f.pages("1199", "203") == "1199-1203" and f.pages("5", "") == "5" and f.pages("", "9") == "9"


def test_a_dash_followed_by_a_tab_is_no_tag_line_for_any_reader() -> None:
    """``N1  -<tab>`` is a continuation line to the line reader; the fast readers used to take it as a tag."""
    by_lines, by_text, by_chunks = _three_ways("TY  - JOUR\nTI  - a\nN1  -\t\nKW  - \t\nER  - \n", 7)
    assert by_lines == by_text == by_chunks
    record = by_text[0][1]
    assert isinstance(record, Record) and record.tags == (("TY", "JOUR"), ("TI", "a N1  -"), ("KW", ""))
