"""The PRISMA2020 package's CSV: its own template, list syntax, blanks, round trips, and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from harvester.errors import InputError
from prisma.check import check_counts
from prisma.counts import Line, PrismaCounts
from prisma.prisma2020_csv import parse_list, read_counts, write_counts

DATA = Path(__file__).parent / "data"


def test_the_r_packages_own_template_reads_without_error(shared_dir: Path) -> None:
    read = read_counts(shared_dir / "prisma" / "PRISMA2020_template.csv")
    assert read.layout == "2020"
    assert read.counts.database_results == 0 and read.counts.new_studies == 0
    assert read.counts.database_specific_results == ()  # "Database 1, xxx" placeholders are hidden...
    assert any("Database 1, xxx" in warning for warning in read.warnings)  # ...and said so
    assert read.labels["records_screened"] == "Records screened"
    assert check_counts(read.counts) == []


def test_list_syntax_names_counts_separators_and_bare_numbers() -> None:
    problems: list[str] = []
    warnings: list[str] = []
    assert parse_list("MEDLINE, 1,234; CINAHL,56 ;Scopus, 7", "x", problems, warnings) == (
        Line("MEDLINE", 1234), Line("CINAHL", 56), Line("Scopus", 7))
    assert parse_list("12", "x", problems, warnings) == (Line("", 12),)
    assert parse_list("", "x", problems, warnings) == ()
    assert parse_list("NA", "x", problems, warnings) == ()
    assert problems == [] and warnings == []
    parse_list("MEDLINE, 12a", "line 3 (dbr_excluded)", problems, warnings)
    assert problems == ["line 3 (dbr_excluded): MEDLINE: expected a whole number, got '12a'"]


def test_blank_hides_a_line_and_zero_shows_it(tmp_path: Path) -> None:
    text = (DATA / "seed_flow_2020.csv").read_text(encoding="utf-8")
    assert "\nwebsite_results,node17,box11,Websites,Websites,Websites,website_results.html,\n" in text
    counts = read_counts(DATA / "seed_flow_2020.csv").counts
    assert counts.website_results is None and counts.citations_results == 8
    assert counts.dbr_notretrieved_reports == 0


def test_seed_csvs_hold_the_published_flow_and_add_up() -> None:
    old = read_counts(DATA / "seed_flow_2009.csv")
    new = read_counts(DATA / "seed_flow_2020.csv")
    assert old.layout == "2009" and new.layout == "2020"
    for counts in (old.counts, new.counts):
        assert check_counts(counts) == []
        assert counts.database_results == 1520 and counts.identified_other == 8
        assert counts.records_excluded == 1489 and counts.new_studies == 34
        assert (counts.dbr_assessed or 0) + (counts.other_assessed or 0) == 39
        assert counts.dbr_excluded == (Line("No peer perspective", 5),)


def test_a_2009_file_that_does_not_add_up_names_the_2009_box(tmp_path: Path) -> None:
    bad = tmp_path / "bad2009.csv"
    bad.write_text((DATA / "seed_flow_2009.csv").read_text(encoding="utf-8").replace(
        'fulltext_assessed,Full-text articles assessed for eligibility,39',
        'fulltext_assessed,Full-text articles assessed for eligibility,40'), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_counts(bad)
    message = str(caught.value)
    assert "Full-text articles assessed for eligibility [fulltext_assessed] holds 40" in message
    assert "1,528 - excluded 1,489 = 39" in message


def test_malformed_numbers_are_refused_with_their_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text((DATA / "seed_flow_2020.csv").read_text(encoding="utf-8").replace(
        "records_screened.html,1520", "records_screened.html,about 1500"), encoding="utf-8")
    with pytest.raises(InputError, match=r"line 17 \(records_screened\): expected a whole number"):
        read_counts(bad)


def test_not_a_counts_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="columns 'data' and 'n'"):
        read_counts(bad)


_count = st.one_of(st.none(), st.integers(0, 100_000))
_name = st.text(st.characters(blacklist_characters=",;\n\r\"", blacklist_categories=("Cs", "Cc")), min_size=1,
                max_size=20).map(str.strip).filter(lambda s: bool(s) and s != "NA")
_lines = st.lists(st.builds(Line, _name, st.integers(0, 5000)), max_size=4, unique_by=lambda line: line.name)


@settings(max_examples=60, deadline=None)
@example(database=10, screened=10, excluded=3, dbr=[], reasons=[], websites=None, other_methods=[], automation=0)
@given(database=_count, screened=_count, excluded=_count, dbr=_lines, reasons=_lines, websites=_count,
       other_methods=_lines, automation=_count)
def test_write_then_read_gives_the_same_counts(database: int | None, screened: int | None, excluded: int | None,
                                               dbr: list[Line], reasons: list[Line], websites: int | None,
                                               other_methods: list[Line], automation: int | None) -> None:
    counts = PrismaCounts(database_results=database, records_screened=screened, records_excluded=excluded,
                          database_specific_results=tuple(dbr), dbr_excluded=tuple(reasons),
                          website_results=websites, other_method_results=tuple(other_methods),
                          records_excluded_automation=automation)  # 0 too: "0 by automation tools"
    assert read_counts("round-trip.csv", text=write_counts(counts)).counts == counts


def test_box_wording_changed_in_the_csv_is_drawn(tmp_path: Path) -> None:
    from harvester.outputs import make_diagram

    translated = tmp_path / "pt.csv"
    translated.write_text((DATA / "seed_flow_2020.csv").read_text(encoding="utf-8")
                          .replace("Records screened,Records screened", "Registros triados,Registros triados")
                          .replace("box2,Databases,Databases", "box2,Bases de dados,Bases de dados"),
                          encoding="utf-8")
    read = read_counts(translated)
    assert read.renamed_boxes() == {"records_screened": "Registros triados", "database_results": "Bases de dados"}
    assert read_counts(DATA / "seed_flow_2020.csv").renamed_boxes() == {}  # the package's defaults: our wording
    result = make_diagram(None, translated, fmt="dot", out=tmp_path / "d.dot")
    dot = result.data.decode("utf-8")
    assert "Registros triados<BR/>(n = 1,520)" in dot and "Bases de dados (n = 1,520)" in dot
    assert "Records screened" not in dot
