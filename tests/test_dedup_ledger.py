"""De-duplication on a ledger, through the library and the CLI: runs, evidence, people's decisions,
splits, the incremental path, and the PRISMA figure per database."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.dedup_sets import load_set
from harvester import protocol as protocol_module
from harvester.cli.main import app
from harvester.dedup import dedupe_ledger, dedupe_new, kept_views
from harvester.ledger import Ledger
from harvester.ledger.duplicates import (
    current_duplicates,
    decision_rows,
    duplicate_rows,
    duplicates_removed_by_database,
)
from harvester.ledger.records import add_records, count_records
from harvester.ledger.runs import finish_run, start_run
from harvester.records import Record

runner = CliRunner()

PROTOCOL = '''[review]
id = "dedup-test"
ledger = "{ledger}"

[query]
text = "peer support"

[[sources]]
name = "MEDLINE"
kind = "pubmed"

[[sources]]
name = "CINAHL"
kind = "other"
method = "other"
files = ["cinahl.ris"]

[dedup]
source_preference = ["MEDLINE", "CINAHL"]
'''

ARTICLE = Record(title="Peer support workers in mental health: a qualitative study", authors=("Smith, J. A.",
                 "Jones, B."), year=2012, journal="Health and Social Care in the Community", volume="20",
                 pages="101-109", doi="10.1111/j.1365-2524.2012.01001.x")


def _protocol(tmp_path: Path) -> Path:
    path = tmp_path / "review.toml"
    path.write_text(PROTOCOL.format(ledger=(tmp_path / "ledger.sqlite").as_posix()), encoding="utf-8")
    return path


def _add(ledger: Ledger, source: str, records: list[Record]) -> list[int]:
    run_id = start_run(ledger, "import", source=source)
    ids = add_records(ledger, records, run_id=run_id, source=source)
    finish_run(ledger, run_id)
    return ids


@pytest.fixture
def review(tmp_path: Path) -> tuple[Path, list[int], list[int]]:
    """CINAHL first (lower ids), then MEDLINE: the kept record must still come from MEDLINE."""
    path = _protocol(tmp_path)
    loaded = protocol_module.load(path)
    with Ledger.open(loaded.ledger_path) as ledger:
        cinahl = _add(ledger, "CINAHL", [
            Record(title="Peer support workers in mental health: a qualitative study.", authors=("Smith JA", "Jones B"),
                   year=2012, journal="Health Soc Care Community", volume="20", pages="101-9", source_id="c1"),
            Record(title="Peer mentors for people with diabetes", authors=("Doe, A",), year=2010,
                   journal="Diabetes Care", volume="33", pages="5-9", source_id="c2"),
            # alike in title and authors but other pages: an uncertain pair for people
            Record(title="Peer mentors for people with diabetes", authors=("Doe, A",), year=2010,
                   journal="Diabetes Care", volume="33", pages="50-59", source_id="c3"),
        ])
        medline = _add(ledger, "MEDLINE", [
            ARTICLE,
            Record(title="Lay health workers in primary care", authors=("Brown, C",), year=2011, source_id="m2"),
        ])
    return path, cinahl, medline


def test_dedupe_command_writes_a_run_with_evidence(review: tuple[Path, list[int], list[int]]) -> None:
    path, cinahl, medline = review
    result = runner.invoke(app, ["dedupe", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 duplicates removed in 1 clusters" in result.output
    assert "1 uncertain pairs" in result.output
    loaded = protocol_module.load(path)
    with Ledger.open(loaded.ledger_path) as ledger:
        assert current_duplicates(ledger) == {cinahl[0]: medline[0]}  # MEDLINE kept: source preference
        row = duplicate_rows(ledger)[0]
        assert row.rule == "title-authors-citation" and row.scores["title"] == 1.0 and row.matched_with == medline[0]
        assert duplicates_removed_by_database(ledger) == {"CINAHL": 1}
        assert count_records(ledger) == 5  # nothing deleted
        view = kept_views(ledger)[medline[0]]
        assert view.doi == ARTICLE.doi and view.title == ARTICLE.title  # the kept record's own fields stay
    listing = runner.invoke(app, ["duplicates", str(path)])
    assert listing.exit_code == 0
    assert f"cluster kept #{medline[0]} [MEDLINE]" in listing.output
    assert f"duplicate #{cinahl[0]} [CINAHL]" in listing.output and "rule title-authors-citation" in listing.output
    as_json = runner.invoke(app, ["dedupe", str(path), "--json"])
    assert as_json.exit_code == 0 and '"duplicates": 1' in as_json.output


def _uncertain_csv(path: Path, tmp_path: Path) -> list[dict[str, str]]:
    out = tmp_path / "pairs.csv"
    result = runner.invoke(app, ["duplicates", str(path), "--uncertain", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))


def _write(rows: list[dict[str, str]], target: Path) -> None:
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_people_decide_uncertain_pairs(review: tuple[Path, list[int], list[int]], tmp_path: Path) -> None:
    path, cinahl, _ = review
    assert runner.invoke(app, ["dedupe", str(path)]).exit_code == 0
    rows = _uncertain_csv(path, tmp_path)
    assert len(rows) == 1
    row = rows[0]
    assert {row["a_id"], row["b_id"]} == {str(cinahl[1]), str(cinahl[2])}
    assert row["a_pages"] and row["b_pages"] and row["decision"] == ""  # side by side, decision to fill
    row["decision"] = "same"
    filled = tmp_path / "decided.csv"
    _write(rows, filled)
    result = runner.invoke(app, ["duplicates", str(path), "--decisions", str(filled), "--reviewer", "JM"])
    assert result.exit_code == 0, result.output
    assert "1 decisions stored" in result.output
    loaded = protocol_module.load(path)
    with Ledger.open(loaded.ledger_path) as ledger:
        assert current_duplicates(ledger)[cinahl[2]] == cinahl[1]
        assert [r.rule for r in duplicate_rows(ledger) if r.record_id == cinahl[2]] == ["reviewer"]
        assert decision_rows(ledger)[0].reviewer == "JM" and decision_rows(ledger)[0].file == str(filled)
    # a later run respects the decision and no longer asks
    assert runner.invoke(app, ["dedupe", str(path)]).exit_code == 0
    with Ledger.open(loaded.ledger_path) as ledger:
        assert current_duplicates(ledger)[cinahl[2]] == cinahl[1]
    assert _uncertain_csv(path, tmp_path) == []


def test_a_bad_decisions_file_is_refused_whole(review: tuple[Path, list[int], list[int]], tmp_path: Path) -> None:
    path, cinahl, _ = review
    assert runner.invoke(app, ["dedupe", str(path)]).exit_code == 0
    rows = _uncertain_csv(path, tmp_path)
    good = dict(rows[0], decision="different", reviewer="JS")
    bad_value = dict(rows[0], decision="maybe", reviewer="JS")
    unknown = dict(rows[0], a_id="99999", decision="same", reviewer="JS")
    nobody = dict(rows[0], decision="same", reviewer="")
    target = tmp_path / "bad.csv"
    _write([good, bad_value, unknown, nobody], target)
    result = runner.invoke(app, ["duplicates", str(path), "--decisions", str(target)])
    assert result.exit_code == 1
    assert "refused, nothing stored (3 problem(s))" in result.output
    assert "line 3: decision 'maybe'" in result.output
    assert "line 4: a_id 99999 is not a record in this ledger" in result.output
    assert "line 5: no reviewer" in result.output
    loaded = protocol_module.load(path)
    with Ledger.open(loaded.ledger_path) as ledger:
        assert decision_rows(ledger) == []  # the good row was not stored either


def test_a_person_splits_a_cluster(review: tuple[Path, list[int], list[int]]) -> None:
    path, cinahl, medline = review
    assert runner.invoke(app, ["dedupe", str(path)]).exit_code == 0
    result = runner.invoke(app, ["split", str(path), str(cinahl[0]), "--reviewer", "JM", "--note", "two reports"])
    assert result.exit_code == 0, result.output
    loaded = protocol_module.load(path)
    with Ledger.open(loaded.ledger_path) as ledger:
        assert cinahl[0] not in current_duplicates(ledger)
        decision = decision_rows(ledger)[0]
        assert (decision.decision, decision.how, decision.note) == ("different", "split", "two reports")
    assert runner.invoke(app, ["dedupe", str(path)]).exit_code == 0  # and it stays split
    with Ledger.open(loaded.ledger_path) as ledger:
        assert current_duplicates(ledger) == {}
    again = runner.invoke(app, ["split", str(path), str(medline[1]), "--reviewer", "JM"])
    assert again.exit_code == 1 and "in no cluster" in again.output


def test_bad_format_is_a_usage_error(review: tuple[Path, list[int], list[int]]) -> None:
    path, _, _ = review
    result = runner.invoke(app, ["duplicates", str(path), "--format", "xml"])
    assert result.exit_code == 2


def test_incremental_run_equals_full_run(tmp_path: Path, shared_dir: Path) -> None:
    labelled = load_set(shared_dir / "benchmarks" / "dedup", "stroke")
    records = [r for _, r in labelled.records]
    path = _protocol(tmp_path)
    loaded = protocol_module.load(path)
    with Ledger.open(loaded.ledger_path) as ledger:
        _add(ledger, "CINAHL", records[:900])
        first = dedupe_ledger(ledger, loaded)
        assert first.mode == "full"
        new_ids = _add(ledger, "MEDLINE", records[900:])
        incremental = dedupe_new(ledger, loaded, new_ids)
        assert incremental.mode == "incremental" and incremental.new_records == len(new_ids)
        assert incremental.candidate_pairs < first.candidate_pairs + 10_000
        after_incremental = current_duplicates(ledger)
        full = dedupe_ledger(ledger, loaded)
        assert current_duplicates(ledger) == after_incremental
        assert (full.clusters, full.duplicates, full.uncertain) == (
            incremental.clusters, incremental.duplicates, incremental.uncertain)
        assert full.candidate_pairs > incremental.candidate_pairs  # the incremental run compared less


def test_an_erratum_is_linked_to_its_article_and_audit_shows_it(tmp_path: Path) -> None:
    """Principle 4 on a ledger: the erratum stays a record of its own, linked to the article with a reason,
    and the audit history of both records shows the link; an incremental run keeps the link."""
    from harvester.ledger.duplicates import link_rows
    from harvester.screening.audit import history

    path = _protocol(tmp_path)
    loaded = protocol_module.load(path)
    with Ledger.open(loaded.ledger_path) as ledger:
        article, = _add(ledger, "MEDLINE", [ARTICLE])
        erratum, = _add(ledger, "CINAHL", [Record(title="Erratum to: " + ARTICLE.title, year=2013,
                                                  journal=ARTICLE.journal, volume="21", pages="77")])
        dedupe_ledger(ledger, loaded)
        assert current_duplicates(ledger) == {}
        links = link_rows(ledger)
        assert [(k.notice_id, k.work_id, k.rule) for k in links] == [(erratum, article, "erratum-of")]
        assert "erratum" in links[0].reason
        for record_id, words in ((erratum, f"erratum of record {article}"), (article, f"record {erratum} is its")):
            linked = [e for e in history(ledger, loaded, record_id) if e.event == "linked"]
            assert len(linked) == 1 and words in linked[0].what and linked[0].detail == links[0].reason
        other, = _add(ledger, "MEDLINE", [Record(title="Lay health workers in primary care", year=2011)])
        assert dedupe_new(ledger, loaded, [other]).mode == "incremental"
        assert [(k.notice_id, k.work_id) for k in link_rows(ledger)] == [(erratum, article)]


def test_a_rules_change_decides_stored_merges_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11, item 5: when the rules version changes, the next dedupe (or refresh) decides every stored
    merge again and reports the merges it undid and made with their evidence; people's decisions stand."""
    from harvester.dedup import decide as decide_module
    from harvester.dedup import runs as runs_module
    from harvester.ledger.duplicates import add_decisions, change_rows

    real_rules = decide_module.RULES
    older = tuple(r for r in real_rules if r.verdict != "match")  # rules that merged nothing

    def use(rules: tuple, version: str) -> None:
        monkeypatch.setattr(decide_module, "RULES", rules)
        monkeypatch.setattr(runs_module, "RULES_VERSION", version)

    path = _protocol(tmp_path)
    loaded = protocol_module.load(path)
    with Ledger.open(loaded.ledger_path) as ledger:
        a, = _add(ledger, "MEDLINE", [ARTICLE])
        b, c, d = _add(ledger, "CINAHL", [
            Record(title=ARTICLE.title, authors=("Smith JA", "Jones B"), year=2012, journal="Health Soc Care Community",
                   volume="20", pages="101-9"),
            Record(title="Peer mentors for people with diabetes", authors=("Doe, A",), year=2010,
                   journal="Diabetes Care", volume="33", pages="5-9"),
            Record(title="Peer mentors for people with diabetes: a trial", authors=("Doe, A",), year=2010,
                   journal="Diabetes Care", volume="33", pages="5-9")])
        add_decisions(ledger, [(c, d, "same", "JM", "file", None, None, "one article")])

        use(older, "older")
        first = dedupe_ledger(ledger, loaded)
        assert current_duplicates(ledger) == {d: c} and not first.rules_changed  # the person's same holds

        use(real_rules, "newer")
        second = dedupe_new(ledger, loaded, [])  # refresh: falls back to a full run, reports the change
        assert second.mode == "full" and second.rules_changed
        assert current_duplicates(ledger) == {b: a, d: c}
        assert [(m["record"], m["other"], m["rule"]) for m in second.made] == [(b, a, "title-authors-citation")]
        assert second.made[0]["scores"]["title"] == 1.0 and not second.undone

        use(older, "older")
        result = runner.invoke(app, ["dedupe", str(path)])
        assert result.exit_code == 0, result.output
        assert "rules changed" in result.output and f"undone: record {b} with record {a}" in result.output
        assert current_duplicates(ledger) == {d: c}  # the person's decision was kept through both changes
        undone = change_rows(ledger)
        assert [(u.record_id, u.other_id, u.change, u.rule) for u in undone] == [(b, a, "undone",
                                                                                 "title-authors-citation")]
        assert undone[0].now.startswith(("distinct", "uncertain")) and undone[0].scores["title"] == 1.0

        third = dedupe_ledger(ledger, loaded)  # same rules again: nothing to report
        assert not third.rules_changed and not third.undone and not third.made
