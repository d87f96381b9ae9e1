"""query check: the query evaluated on each source's records as its database reads it; known studies."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester.cli.main import app
from harvester.errors import FormatError
from harvester.pipeline import run_review
from harvester.strategy.commands import check_protocol
from harvester.strategy.known import read_known
from tests.conftest import example_protocol

runner = CliRunner()


def ris(*records: dict[str, str | list[str]]) -> str:
    lines = []
    for record in records:
        lines += ["TY  - JOUR", "AU  - Smith, Jane", "JO  - Journal of Peer Work"]
        for tag, value in record.items():
            for item in [value] if isinstance(value, str) else value:
                lines.append(f"{tag}  - {item}")
        lines.append("ER  - ")
        lines.append("")
    return "\n".join(lines)


@pytest.fixture
def review(tmp_path: Path) -> Path:
    (tmp_path / "cinahl.ris").write_text(ris(
        {"TI": "Peer support in health care", "PY": "2012", "DO": "10.1000/a1", "AB": "A study."},
        {"TI": "Peer supporters in the community", "PY": "2012", "DO": "10.1000/a2", "AB": "Health of carers."},
        {"TI": "Mentoring schemes for nurses", "PY": "2012", "DO": "10.1000/a3", "AB": "Schemes.", "KW": ["health"]},
        {"TI": "Peer work", "PY": "2012", "DO": "10.1000/a4"},
        {"TI": "Peer support in healthcare", "PY": "2012", "DO": "10.1000/a5", "AB": "Roles."},
    ), encoding="utf-8")
    (tmp_path / "scopus.ris").write_text(ris(
        {"TI": "Peer support in health care", "PY": "2012", "DO": "10.1000/a1", "AB": "A study."},
        {"TI": "Mentoring schemes for nurses", "PY": "2012", "DO": "10.1000/a3", "AB": "Schemes.", "KW": ["health"]},
        {"TI": "Mentor programmes in health services", "PY": "2011", "DO": "10.1000/b2", "AB": "Programmes."},
        {"TI": "Mentor programmes for health visitors", "PY": "2015", "DO": "10.1000/b3", "AB": "Later."},
    ), encoding="utf-8")
    protocol = tmp_path / "review.toml"
    protocol.write_text("""
[review]
id = "check"
ledger = "ledger.sqlite"
[query]
text = '("peer support*" OR mentor*) AND health'
default_field = "tiab"
[[sources]]
name = "CINAHL"
kind = "file"
database = "CINAHL"
platform = "EBSCOhost"
files = ["cinahl.ris"]
searched = "2013/01/01"
[[sources]]
name = "Scopus"
kind = "file"
database = "Scopus"
files = ["scopus.ris"]
searched = "2013/01/01"
""", encoding="utf-8")
    run_review(protocol, tmp_path / "out", offline=True)
    return protocol


def test_records_the_query_would_not_select_are_named_with_why(review: Path) -> None:
    result = check_protocol(review)
    cinahl = next(s for s in result.sources if s.source == "CINAHL")
    assert cinahl.database == "cinahl" and cinahl.held == 5
    why = {item.title: item.reasons for item in cinahl.not_selected}
    assert set(why) == {"Mentoring schemes for nurses", "Peer work", "Peer support in healthcare"}
    assert "only in the keywords" in why["Mentoring schemes for nurses"][0]
    assert "no term of this clause" in why["Peer work"][0] and "no abstract" in why["Peer work"][1]
    assert "only a variant of a word" in why["Peer support in healthcare"][0]  # health, not healthcare
    assert {item.clause for item in cinahl.not_selected if item.title != "Peer work"} == {"health[tiab]"}
    assert cinahl.selected == 2  # "Peer supporters in the community" (health in the abstract) and a1


def test_the_same_record_is_selected_by_one_database_field_and_not_another(review: Path) -> None:
    result = check_protocol(review)
    scopus = next(s for s in result.sources if s.source == "Scopus")
    # TITLE-ABS-KEY searches keywords: "health" as a keyword is enough for Scopus, not for CINAHL's TI/AB
    assert "Mentoring schemes for nurses" not in {item.title for item in scopus.not_selected}
    assert scopus.query.startswith("TITLE-ABS-KEY(")


def test_coverage_gaps_use_deduplication_and_the_search_date(review: Path) -> None:
    result = check_protocol(review)
    cinahl = next(s for s in result.sources if s.source == "CINAHL")
    assert [gap.title for gap in cinahl.gaps] == ["Mentor programmes in health services"]
    assert cinahl.later_than_search == 1  # the 2015 record came after CINAHL was searched in 2013
    scopus = next(s for s in result.sources if s.source == "Scopus")
    assert {gap.title for gap in scopus.gaps} == {"Peer supporters in the community"}


def test_known_studies_from_csv_pmids_and_ris(review: Path, tmp_path: Path) -> None:
    known = tmp_path / "known.csv"
    known.write_text("doi,title,year\n10.1000/a1,,\n,Mentor programmes in health services,2011\n"
                     ",A study nobody holds,2010\n", encoding="utf-8")
    result = check_protocol(review, known)
    assert result.known is not None
    first, second, third = result.known.results
    assert first.matched_by == "doi" and set(first.sources) == {"CINAHL", "Scopus"}
    assert first.per_source["CINAHL"] == "returned; the query selects it"
    assert second.matched_by == "title" and second.sources == ("Scopus",)
    assert second.per_source["CINAHL"].startswith("not returned, though the query selects its record")
    assert third.matched_by == "" and third.per_source["Scopus"] == "not returned (not in the ledger)"
    recall = {r.source: (r.returned, r.known) for r in result.known.recall}
    assert recall == {"CINAHL": (1, 3), "Scopus": (2, 3)}
    pmids = tmp_path / "pmids.txt"
    pmids.write_text("12345\n678\n", encoding="utf-8")
    assert [s.pmid for s in read_known(pmids)] == ["12345", "678"]
    as_ris = tmp_path / "known.ris"
    as_ris.write_text(ris({"TI": "Peer work", "PY": "2012", "DO": "10.1000/a4"}), encoding="utf-8")
    assert [(s.doi, s.title) for s in read_known(as_ris)] == [("10.1000/a4", "Peer work")]


def test_a_known_row_with_nothing_to_match_on_names_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "known.csv"
    bad.write_text("doi,title\n10.1000/x,\n,\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"known\.csv:3"):
        read_known(bad)


def test_vancouver_citations_give_titles_even_with_dotted_initials(tmp_path: Path) -> None:
    known = tmp_path / "refs.csv"
    known.write_text('citation,year\n"Baumeister R.F. Leary MR. The need to belong: desire for interpersonal '
                     'attachments. Psychol Bull. 1995;117: 497-529.",1995\n', encoding="utf-8")
    assert read_known(known)[0].title == "The need to belong: desire for interpersonal attachments"


def test_check_cli_json_and_no_ledger_yet(review: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["query", "check", str(review), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [s["source"] for s in data["sources"]] == ["CINAHL", "Scopus"]
    fresh = tmp_path / "fresh.toml"
    fresh.write_text(review.read_text(encoding="utf-8").replace('ledger = "ledger.sqlite"', 'ledger = "none.sqlite"'),
                     encoding="utf-8")
    missing = runner.invoke(app, ["query", "check", str(fresh)])
    assert missing.exit_code == 1 and "no ledger yet" in missing.output


def test_example_review_known_studies_agree_with_the_truth_table(tmp_path: Path, shared_dir: Path, repo: Path) -> None:
    """Which seed references the ledger holds, per source, is computed here from truth.csv, not typed in."""
    protocol = example_protocol(tmp_path)
    run_review(protocol, tmp_path / "out", offline=True)
    files = {"medline.nbib": "MEDLINE", "cinahl.ris": "CINAHL", "scopus.csv": "Scopus",
             "hand-searched.ris": "Reference lists and grey literature"}
    expected: dict[int, set[str]] = defaultdict(set)
    with (repo / "examples" / "peer-support" / "truth.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for ref in filter(None, (row["refs"] or "").split(";")):
                expected[int(ref)].add(files[row["file"]])
    result = check_protocol(protocol, shared_dir / "seed" / "references.csv")
    assert result.known is not None
    held = {number: set(found.sources) for number, found in enumerate(result.known.results, start=1)}
    assert held == {number: expected.get(number, set()) for number in held}
    for recall in result.known.recall:
        assert recall.returned == sum(1 for sources in expected.values() if recall.source in sources)
    for source in result.sources:
        assert source.held == source.selected + len(source.not_selected)
        assert all(item.clause and item.reasons for item in source.not_selected)


def test_search_report_lists_each_database_string_warnings_lint_and_recall(review: Path, tmp_path: Path) -> None:
    from harvester import protocol as protocol_module
    from harvester.ledger import Ledger
    from harvester.review import search_report as build_search_report
    from prisma.search_report import to_html, to_markdown

    loaded = protocol_module.load(review)
    with Ledger.open(loaded.ledger_path) as ledger:
        before = build_search_report(ledger, loaded)
    assert [(q.source, q.database) for q in before.queries] == [("CINAHL", "cinahl"), ("Scopus", "scopus")]
    assert all(q.recall == "" for q in before.queries)
    known = tmp_path / "known.csv"
    known.write_text("doi\n10.1000/a1\n10.1000/b2\n", encoding="utf-8")
    check_protocol(review, known)
    with Ledger.open(loaded.ledger_path) as ledger:
        report = build_search_report(ledger, loaded)
    markdown = to_markdown(report)
    cinahl = '(TI ("peer support*" OR mentor*) OR AB ("peer support*" OR mentor*)) AND (TI health OR AB health)'
    assert cinahl in markdown
    assert "field-approximated: [tiab]: TI and AB do not search author keywords" in markdown
    assert "- Lint: no problems found" in markdown
    assert "1 of 2 known studies returned (50.0%)" in markdown  # CINAHL holds a1 only
    assert "2 of 2 known studies returned (100.0%)" in markdown  # Scopus holds both
    assert "TITLE-ABS-KEY(" in to_html(report)
