"""Screening on a small ledger: rules runs, sheets, decisions (ours, Rayyan, ASReview), dual screening and
record outcomes. Records are stored through the ledger API; a dedupe run's rows are written as the dedupe
stage writes them (its own helper is not ours to call)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from harvester import protocol as protocol_module
from harvester.cli.main import app
from harvester.errors import InputError
from harvester.ledger import Ledger, utc_now
from harvester.ledger.decisions import list_decisions
from harvester.ledger.records import add_records
from harvester.ledger.runs import finish_run, list_runs, start_run
from harvester.protocol import Protocol
from harvester.records import Record
from harvester.screening import apply_rules, conflicts, export_sheet, import_decisions
from harvester.screening.decisions import read_sheet, write_sheet
from harvester.screening.outcomes import record_outcomes
from prisma.flow import END_STATES

PROTOCOL = '''
[review]
id = "mini"
ledger = "ledger.sqlite"

[query]
text = '"peer supporter" OR "peer mentor"'
default_field = "tiab"

[[sources]]
name = "MEDLINE"
kind = "pubmed"

[[sources]]
name = "CINAHL"
kind = "file"
files = ["cinahl.ris"]

[[sources]]
name = "Reference lists"
kind = "other"
method = "citation searching"
files = ["hand.ris"]

[[rules]]
id = "english-only"
kind = "language"
languages = ["eng"]
stage = "automation"
action = "exclude"
reason = "Not in English"

[[rules]]
id = "editorials"
kind = "publication-type"
types = ["Editorial"]
stage = "title-abstract"
action = "exclude"
reason = "Not primary research"

[[rules]]
id = "online-or-telephone"
kind = "query"
query = 'online OR telephone OR "web-based"'
stage = "title-abstract"
action = "flag"
reason = "Online or telephone peer support"

[screening]
reviewers = ["JM", "JS"]
full_text_reasons = ["No peer perspective", "Client outcomes only"]
'''

#: (source, record). Ledger ids follow this order: 1..9.
RECORDS: list[tuple[str, Record]] = [
    ("MEDLINE", Record(title="Peer supporters' experiences in HIV care", language=("eng",), year=2012,
                       authors=("Surey, J",), source_id="100", pmid="100")),
    ("MEDLINE", Record(title="Les pairs aidants en santé mentale", language=("fre",), year=2010, source_id="101")),
    ("CINAHL", Record(title="Peer supporters' experiences in HIV care", language=("eng",), year=2012,
                      source_id="C1")),  # duplicate of 1
    ("MEDLINE", Record(title="Telephone peer support for diabetes", language=("eng",), year=2011, source_id="102")),
    ("MEDLINE", Record(title="Peer mentors: an editorial", language=("eng",), publication_types=("Editorial",),
                       source_id="103")),
    ("CINAHL", Record(title="Peer mentors in mental health services", language=("English",), year=2013,
                      source_id="C2", doi="10.5555/peer.2013.6")),
    ("Reference lists", Record(title="Grey literature report on peer advocates", year=2009, source_id="H1")),
    ("MEDLINE", Record(title="Client outcomes of peer educators", language=("eng",), year=2014, source_id="104")),
    ("CINAHL", Record(title="Lay health workers and peers", language=("eng",), year=2008, source_id="C3")),
]


def build_review(tmp_path: Path, dedupe: bool = True) -> Protocol:
    """A tmp protocol and its ledger holding RECORDS, with record 3 a duplicate of record 1."""
    path = tmp_path / "mini.toml"
    path.write_text(PROTOCOL, encoding="utf-8")
    loaded = protocol_module.load(path)
    with Ledger.open(loaded.ledger_path) as ledger:
        for source, record in RECORDS:
            run_id = start_run(ledger, "search" if source == "MEDLINE" else "import", source=source)
            add_records(ledger, [record], run_id=run_id, source=source)
            finish_run(ledger, run_id)
        if dedupe:
            run_id = start_run(ledger, "dedupe")
            with ledger.transaction() as connection:
                connection.execute(
                    "INSERT INTO duplicates (run_id, record_id, duplicate_of, rule, scores, decided_at)"
                    " VALUES (?, 3, 1, 'title+year', '{\"title\": 1.0}', ?)", (run_id, utc_now()))
            finish_run(ledger, run_id)
    return loaded


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def ends(ledger: Ledger, protocol: Protocol) -> dict[int, str]:
    return {o.record_id: o.end for o in record_outcomes(ledger, protocol)}


@pytest.fixture
def review(tmp_path: Path) -> Protocol:
    return build_review(tmp_path)


def test_before_any_screening_every_record_has_one_outcome(review: Protocol) -> None:
    with Ledger.open(review.ledger_path) as ledger:
        outcomes = record_outcomes(ledger, review)
    assert [o.record_id for o in outcomes] == list(range(1, 10))
    assert all(o.end in END_STATES for o in outcomes)
    by_id = {o.record_id: o for o in outcomes}
    assert by_id[3].end == "duplicate" and by_id[3].duplicate_of == 1
    assert by_id[7].arm == "other" and by_id[7].end == "awaiting-retrieval"  # O1 -> O2, no title/abstract
    assert {o.end for o in outcomes if o.arm == "databases" and o.record_id != 3} == {"awaiting-screening"}


def test_rules_run_stores_every_result_and_drives_outcomes(review: Protocol) -> None:
    with Ledger.open(review.ledger_path) as ledger:
        summary = apply_rules(ledger, review)
        assert summary.records == 9
        assert summary.fired == {"english-only": 1, "editorials": 1, "online-or-telephone": 1}
        rows = ledger.connection.execute("SELECT COUNT(*) AS n FROM rule_results WHERE run_id = ?", (summary.run_id,))
        assert rows.fetchone()["n"] == 9 * 3
        outcomes = {o.record_id: o for o in record_outcomes(ledger, review)}
    assert outcomes[2].end == "ineligible-automation"
    assert (outcomes[2].by, outcomes[2].rule, outcomes[2].reason) == ("automation", "english-only", "Not in English")
    assert outcomes[5].end == "excluded-screening" and outcomes[5].by == "automation"
    assert outcomes[4].end == "awaiting-screening" and outcomes[4].flags == ("online-or-telephone",)
    assert outcomes[7].end == "awaiting-retrieval"  # other methods skip automation and title/abstract


def test_export_lists_records_awaiting_title_abstract_with_what_a_person_needs(review: Protocol) -> None:
    with Ledger.open(review.ledger_path) as ledger:
        apply_rules(ledger, review)
        sheet = export_sheet(ledger, review, "title-abstract")
        ris = export_sheet(ledger, review, "title-abstract", "ris")
    rows = list(csv.DictReader(io.StringIO(sheet.text)))
    assert [int(r["record_id"]) for r in rows] == [1, 4, 6, 8, 9]
    assert sheet.records == 5 and ris.records == 5
    first = rows[0]
    assert (first["title"], first["year"], first["authors"], first["source"], first["source_id"]) == (
        "Peer supporters' experiences in HIV care", "2012", "Surey, J", "MEDLINE", "100")
    assert rows[1]["flags"] == "Online or telephone peer support"
    assert first["key"] == "1"  # Rayyan keeps a 'key' column
    assert ris.text.count("TY  - JOUR") == 5 and "ID  - 4\n" in ris.text


def _sheet(rows: list[tuple[object, ...]], header: str = "record_id,stage,decision,reason") -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header.split(","))
    writer.writerows(rows)
    return out.getvalue()


def _screen_title_abstract(ledger: Ledger, review: Protocol, tmp_path: Path) -> None:
    jm = write(tmp_path / "jm.csv", _sheet([
        (1, "title-abstract", "include", ""), (4, "title-abstract", "exclude", "Online or telephone peer support"),
        (6, "title-abstract", "include", ""), (8, "title-abstract", "include", ""),
        (9, "title-abstract", "exclude", "")]))
    js = write(tmp_path / "js.csv", _sheet([(1, "ta", "Included", ""), (4, "ta", "excluded", ""),
                                            (6, "ta", "exclude", ""), (8, "ta", "include", ""),
                                            (9, "ta", "exclude", "")]))
    import_decisions(ledger, review, jm, reviewer="JM")
    import_decisions(ledger, review, js, reviewer="JS")


def test_dual_screening_conflict_is_not_decided_until_resolved(review: Protocol, tmp_path: Path) -> None:
    with Ledger.open(review.ledger_path) as ledger:
        apply_rules(ledger, review)
        _screen_title_abstract(ledger, review, tmp_path)
        state = ends(ledger, review)
        assert state[1] == "awaiting-retrieval" and state[8] == "awaiting-retrieval"
        assert state[4] == "excluded-screening" and state[9] == "excluded-screening"
        assert state[6] == "awaiting-screening"  # JM include, JS exclude: a conflict
        report = conflicts(ledger, review, "title-abstract")
        assert report.screeners == ("JM", "JS")
        pair = report.agreements[0]
        # 5 records decided by both, 4 agree; JM include 3/5, JS include 2/5:
        # p_e = 0.6*0.4 + 0.4*0.6 = 0.48; kappa = (0.8 - 0.48) / 0.52
        assert (pair.both_decided, pair.agreed) == (5, 4)
        assert pair.kappa == pytest.approx(0.32 / 0.52)
        assert [c.record_id for c in report.open] == [6] and not report.resolved

        resolution = write(tmp_path / "third.csv", _sheet([(6, "title-abstract", "include", "")]))
        with pytest.raises(InputError, match="not one of the protocol's screeners"):
            import_decisions(ledger, review, resolution, reviewer="HS")
        import_decisions(ledger, review, resolution, reviewer="HS", role="resolver")
        assert ends(ledger, review)[6] == "awaiting-retrieval"
        report = conflicts(ledger, review, "title-abstract")
        assert not report.open and report.resolved[0].resolved_by == "HS"
        assert report.resolved[0].resolution == "include"


def test_full_text_reasons_retrieval_and_inclusion(review: Protocol, tmp_path: Path) -> None:
    with Ledger.open(review.ledger_path) as ledger:
        apply_rules(ledger, review)
        _screen_title_abstract(ledger, review, tmp_path)
        retrieval = write(tmp_path / "retrieval.csv", _sheet([(8, "retrieval", "not retrieved", "")]))
        import_decisions(ledger, review, retrieval, reviewer="JM")
        sheet = export_sheet(ledger, review, "full-text")
        assert [r["record_id"] for r in csv.DictReader(io.StringIO(sheet.text))] == ["1", "7"]
        for name in ("JM", "JS"):
            full = write(tmp_path / f"ft-{name}.csv", _sheet([(1, "full-text", "include", ""),
                                                              (7, "full-text", "exclude", "No peer perspective")]))
            import_decisions(ledger, review, full, reviewer=name)
        outcomes = {o.record_id: o for o in record_outcomes(ledger, review)}
    assert outcomes[8].end == "not-retrieved"
    assert outcomes[1].end == "included" and outcomes[1].reviewers == ("JM", "JS")
    assert outcomes[7].end == "excluded-full-text" and outcomes[7].reason == "No peer perspective"
    assert outcomes[7].arm == "other"
    counts = Counter(o.end for o in outcomes.values())
    assert sum(counts.values()) == 9


def test_different_full_text_reasons_are_a_conflict(review: Protocol, tmp_path: Path) -> None:
    with Ledger.open(review.ledger_path) as ledger:
        import_decisions(ledger, review, write(tmp_path / "a.csv", _sheet(
            [(7, "full-text", "exclude", "No peer perspective")])), reviewer="JM")
        import_decisions(ledger, review, write(tmp_path / "b.csv", _sheet(
            [(7, "full-text", "exclude", "Client outcomes only")])), reviewer="JS")
        assert ends(ledger, review)[7] == "awaiting-assessment"
        assert [c.record_id for c in conflicts(ledger, review, "full-text").open] == [7]


def test_a_changed_decision_is_a_new_row_and_the_old_one_stays(review: Protocol, tmp_path: Path) -> None:
    with Ledger.open(review.ledger_path) as ledger:
        import_decisions(ledger, review, write(tmp_path / "a.csv", _sheet([(6, "ta", "exclude", "")])),
                         reviewer="JM")
        import_decisions(ledger, review, write(tmp_path / "b.csv", _sheet([(6, "ta", "include", "")])),
                         reviewer="JM")
        history = list_decisions(ledger, record_id=6)
        assert [d.decision for d in history] == ["exclude", "include"]
        assert history[0].file.endswith("a.csv") and history[0].line == 2
        with pytest.raises(InputError, match="already imported"):
            import_decisions(ledger, review, tmp_path / "b.csv", reviewer="JM")


def test_five_kinds_of_errors_are_listed_together_and_nothing_is_stored(review: Protocol, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.csv", _sheet([
        (1, "title-abstract", "include", ""),  # fine
        (999, "title-abstract", "include", ""),  # unknown record id
        (6, "full-text", "exclude", ""),  # missing mandatory reason at full text
        (8, "title-abstract", "include", ""),
        (8, "title-abstract", "exclude", ""),  # two different decisions, one reviewer, one record
        (9, "title-abstract", "perhaps", ""),  # unknown decision word
        (4, "abstract-ish", "include", ""),  # unknown stage
    ]))
    with Ledger.open(review.ledger_path) as ledger:
        with pytest.raises(InputError) as caught:
            import_decisions(ledger, review, bad, reviewer="JM")
        assert list_decisions(ledger) == []
        failed = [r for r in list_runs(ledger, kind="screen")]
        assert failed[-1].status == "failed"
    problems = caught.value.problems
    assert len(problems) == 5
    text = "\n".join(problems)
    assert f"{bad}:3: record 999: unknown record id 999" in text
    assert f"{bad}:4: record 6: a full-text exclusion needs a reason" in text
    assert f"{bad}:6: record 8: JM gave two different title-abstract decisions" in text and "line 5" in text
    assert f"{bad}:7: record 9: unknown decision 'perhaps'" in text
    assert f"{bad}:8: record 4: unknown stage 'abstract-ish'" in text


def test_more_refusals_duplicates_other_methods_and_reasons(review: Protocol, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.csv", _sheet([
        (3, "title-abstract", "include", ""),  # a duplicate
        (7, "title-abstract", "include", ""),  # other methods skip title/abstract
        (1, "full-text", "exclude", "Too short"),  # not one of the protocol's reasons
        (1, "retrieval", "include", ""),  # not a retrieval decision
        ("abc", "title-abstract", "include", ""),
    ]))
    with Ledger.open(review.ledger_path) as ledger, pytest.raises(InputError) as caught:
        import_decisions(ledger, review, bad, reviewer="JM")
    text = "\n".join(caught.value.problems)
    assert "duplicate of record 1" in text
    assert "other methods" in text
    assert "'Too short' is not one of the protocol's full_text_reasons" in text
    assert "'include' is not a retrieval decision" in text
    assert "'abc' is not a ledger record id" in text


def test_sheet_keyed_by_source_and_source_id(review: Protocol, tmp_path: Path) -> None:
    sheet = write(tmp_path / "keyed.csv", _sheet([("MEDLINE", "100", "include"), ("CINAHL", "C2", "exclude"),
                                                  ("CINAHL", "nope", "include")], "source,source_id,decision"))
    with Ledger.open(review.ledger_path) as ledger:
        with pytest.raises(InputError, match="no record of source 'CINAHL' with id 'nope'"):
            import_decisions(ledger, review, sheet, reviewer="JM", stage="title-abstract")
        write(sheet, _sheet([("MEDLINE", "100", "include"), ("CINAHL", "C2", "exclude")],
                            "source,source_id,decision"))
        result = import_decisions(ledger, review, sheet, reviewer="JM", stage="title-abstract")
    assert result.stored == 2 and result.by_stage == {"title-abstract": {"include": 1, "exclude": 1}}


RAYYAN = "\n".join([
    "key,title,authors,journal,issn,volume,issue,pages,year,publisher,url,abstract,notes,doi,keywords",
    '1,"Peer supporters\' experiences in HIV care",Surey J,,,,,,2012,,,,'
    '"RAYYAN-INCLUSION: {""JM""=>""Included"", ""JS""=>""Included""}",,',
    '4,Telephone peer support for diabetes,,,,,,,2011,,,,"RAYYAN-INCLUSION: {""JM""=>""Excluded"", '
    '""JS""=>""Excluded""} | RAYYAN-LABELS: phone | RAYYAN-EXCLUSION-REASONS: Online or telephone peer support,'
    'wrong setting",,',
    '6,Peer mentors in mental health services,,,,,,,2013,,,"An abstract',
    'over two lines","RAYYAN-INCLUSION: {""JM""=>""Maybe"", ""JS""=>""Excluded""} '
    '| USER-NOTES: {""JM""=>[""check""]}",,',
    "8,Client outcomes of peer educators,,,,,,,2014,,,,,,",
    "",
])


def test_rayyan_csv_export(review: Protocol, tmp_path: Path) -> None:
    path = write(tmp_path / "articles.csv", RAYYAN)
    with Ledger.open(review.ledger_path) as ledger:
        result = import_decisions(ledger, review, path, format="rayyan", stage="title-abstract")
        assert result.reviewers == ("JM", "JS") and result.stored == 6
        decisions = list_decisions(ledger)
        state = ends(ledger, review)
    four = [d for d in decisions if d.record_id == 4]
    assert {d.reason for d in four} == {"Online or telephone peer support"}
    assert four[0].note == "Rayyan reasons: Online or telephone peer support, wrong setting"
    six = [d for d in decisions if d.record_id == 6]
    assert [(d.reviewer, d.decision, d.line) for d in six] == [("JM", "maybe", 4), ("JS", "exclude", 4)]
    assert state[1] == "awaiting-retrieval" and state[4] == "excluded-screening" and state[6] == "awaiting-screening"
    assert state[8] == "awaiting-screening"  # no label in Rayyan yet


def test_rayyan_one_reviewer_only(review: Protocol, tmp_path: Path) -> None:
    path = write(tmp_path / "articles.csv", RAYYAN)
    with Ledger.open(review.ledger_path) as ledger:
        result = import_decisions(ledger, review, path, format="rayyan", stage="ta", reviewer="JS")
    assert result.reviewers == ("JS",) and result.stored == 3


ASREVIEW = '''record_id,title,abstract,authors,year,included,asreview_ranking
4,Telephone peer support for diabetes,,,2011,0,1
1,Peer supporters' experiences in HIV care,,,2012,1,2
6,Peer mentors in mental health services,,,2013,-1,3
8,Client outcomes of peer educators,,,2014,,4
9,Lay health workers and peers,,,2008,1.0,5
'''


def test_asreview_export(review: Protocol, tmp_path: Path) -> None:
    path = write(tmp_path / "asreview.csv", ASREVIEW)
    with Ledger.open(review.ledger_path) as ledger:
        with pytest.raises(InputError, match="no reviewer"):
            import_decisions(ledger, review, path, format="asreview")
        result = import_decisions(ledger, review, path, format="asreview", reviewer="JS")
        decisions = list_decisions(ledger)
    assert result.stored == 3
    assert [(d.record_id, d.decision, d.stage, d.line) for d in decisions] == [
        (4, "exclude", "title-abstract", 2), (1, "include", "title-abstract", 3), (9, "include", "title-abstract", 6)]


def test_wrong_shape_is_refused(review: Protocol, tmp_path: Path) -> None:
    with Ledger.open(review.ledger_path) as ledger:
        with pytest.raises(InputError, match="not a Rayyan CSV export"):
            import_decisions(ledger, review, write(tmp_path / "x.csv", ASREVIEW), format="rayyan", reviewer="JM")
        with pytest.raises(InputError, match="no decision column"):
            import_decisions(ledger, review, write(tmp_path / "y.csv", "record_id,title\n1,x\n"), reviewer="JM")
        with pytest.raises(InputError, match="no decisions in this file"):
            import_decisions(ledger, review, write(tmp_path / "z.csv", "record_id,decision\n1,\n"), reviewer="JM",
                             stage="ta")


# --- the commands -----------------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_rules_export_import_conflicts(review: Protocol, tmp_path: Path) -> None:
    protocol = str(review.path)
    result = runner.invoke(app, ["rules", protocol])
    assert result.exit_code == 0, result.output
    assert "english-only (automation, exclude): fired on 1" in result.output

    out = tmp_path / "sheet.csv"
    result = runner.invoke(app, ["screen", "export", protocol, "--stage", "title-abstract", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 5

    for name, words in (("JM", ["include", "exclude", "include", "include", "exclude"]),
                        ("JS", ["include", "exclude", "exclude", "include", "exclude"])):
        filled = io.StringIO()
        writer = csv.DictWriter(filled, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row, word in zip(rows, words, strict=True):
            writer.writerow({**row, "decision": word})
        path = write(tmp_path / f"{name}.csv", filled.getvalue())
        result = runner.invoke(app, ["screen", "import", protocol, str(path), "--reviewer", name])
        assert result.exit_code == 0, result.output
        assert "stored 5 decision(s)" in result.output

    result = runner.invoke(app, ["screen", "conflicts", protocol, "--stage", "title-abstract"])
    assert result.exit_code == 0, result.output
    assert "JM vs JS: 5 record(s) decided by both, agreement 4/5 = 80.0%, Cohen's kappa 0.615" in result.output
    assert "record 6: JM include, JS exclude" in result.output

    result = runner.invoke(app, ["screen", "conflicts", protocol, "--stage", "title-abstract", "--json"])
    assert result.exit_code == 0 and '"kappa": 0.615' in result.output


def test_cli_import_refusal_is_one_message_and_exit_code(review: Protocol, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.csv", _sheet([(999, "title-abstract", "include", ""), (6, "full-text", "exclude", "")]))
    result = runner.invoke(app, ["screen", "import", str(review.path), str(bad), "--reviewer", "JM"])
    assert result.exit_code == 1
    assert "refused, nothing stored (2 problem(s))" in result.output
    assert "unknown record id 999" in result.output and "needs a reason" in result.output


# --- the sheet reader, as a property --------------------------------------------------------------------------

cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=30)


@given(st.lists(st.tuples(st.integers(min_value=1, max_value=10**6), cell, cell), min_size=1, max_size=12))
def test_a_written_sheet_reads_back_with_its_lines(rows: list[tuple[int, str, str]]) -> None:
    """Titles with commas, quotes and line breaks survive; each row's line is where it starts in the file."""
    entries = [{"record_id": str(i), "title": title, "abstract": abstract, "decision": "include"}
               for i, title, abstract in rows]
    text = write_sheet(entries)
    read, problems = read_sheet(text, "ours", "sheet.csv")
    assert not problems
    assert [r.key for r in read] == [str(i) for i, _, _ in rows]
    lines = text.split("\n")
    for row in read:
        assert lines[row.line - 1].startswith(row.key + ",")


def test_decided_at_must_be_a_date(review: Protocol, tmp_path: Path) -> None:
    sheet = write(tmp_path / "dated.csv", "record_id,stage,decision,decided_at\n1,ta,include,2014-06-20\n"
                                          "4,ta,exclude,20/06/2014\n")
    with Ledger.open(review.ledger_path) as ledger:
        with pytest.raises(InputError, match=r"dated.csv:3: record 4: decided_at '20/06/2014' is not a date"):
            import_decisions(ledger, review, sheet, reviewer="JM")
        write(sheet, "record_id,stage,decision,decided_at\n1,ta,include,2014-06-20\n")
        import_decisions(ledger, review, sheet, reviewer="JM")
        assert [d.decided_at for d in list_decisions(ledger)] == ["2014-06-20"]


def test_ris_sheet_reads_back_through_the_ris_importer(review: Protocol) -> None:
    """What Rayyan, ASReview or Covidence receive is RIS our own reader accepts, ids and authors intact."""
    from harvester.formats import read_bytes

    with Ledger.open(review.ledger_path) as ledger:
        apply_rules(ledger, review)
        sheet = export_sheet(ledger, review, "title-abstract", "ris")
    parsed = read_bytes(sheet.text.encode("utf-8"), "sheet.ris", format="ris")
    assert not parsed.rejected
    assert [r.title for r in parsed.records][:2] == ["Peer supporters' experiences in HIV care",
                                                      "Telephone peer support for diabetes"]
    assert parsed.records[0].authors == ("Surey, J",)
    assert [r.tag_values("ID") for r in parsed.records] == [["1"], ["4"], ["6"], ["8"], ["9"]]


def test_a_title_that_does_not_match_the_id_is_refused(review: Protocol, tmp_path: Path) -> None:
    sheet = write(tmp_path / "wrong.csv", "record_id,title,stage,decision\n"
                  "4,Telephone peer support for diabetes.,ta,exclude\n"  # case and a period: the same title
                  "6,Client outcomes of peer educators,ta,include\n")  # record 8's title under record 6's id
    with Ledger.open(review.ledger_path) as ledger, pytest.raises(InputError) as caught:
        import_decisions(ledger, review, sheet, reviewer="JM")
    assert caught.value.problems == [f"{sheet}:3: record 6: record 6 is 'Peer mentors in mental health services' "
                                     "in the ledger, not 'Client outcomes of peer educators': wrong id?"]


def test_rayyan_keys_of_its_own_fall_back_to_doi_and_pubmed_id(review: Protocol, tmp_path: Path) -> None:
    export = "\n".join([
        "key,title,authors,year,notes,doi,pubmed_id",
        '987654,Peer mentors in mental health services,,2013,"RAYYAN-INCLUSION: {""JM""=>""Included""}",'
        "10.5555/PEER.2013.6,",
        "6,Peer supporters’ experiences in HIV care,,2012,\"RAYYAN-INCLUSION: {\"\"JM\"\"=>\"\"Excluded\"\"}\",,100",
        '987656,Something else entirely,,2012,"RAYYAN-INCLUSION: {""JM""=>""Excluded""}",,',
        "",
    ])
    path = write(tmp_path / "rayyan.csv", export)
    with Ledger.open(review.ledger_path) as ledger:
        with pytest.raises(InputError) as caught:
            import_decisions(ledger, review, path, format="rayyan", stage="title-abstract")
        assert len(caught.value.problems) == 1 and "unknown record id 987656" in caught.value.problems[0]
        write(path, "\n".join(export.splitlines()[:3]) + "\n")
        import_decisions(ledger, review, path, format="rayyan", stage="title-abstract")
        decided = {(d.record_id, d.decision) for d in list_decisions(ledger)}
    # by DOI (case-insensitive); Rayyan's key 6 names another record, so its PubMed id decides
    assert decided == {(6, "include"), (1, "exclude")}
