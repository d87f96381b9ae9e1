"""The audit: exclusions per stage by reason, rule and reviewer; one record's whole history."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from typer.testing import CliRunner

from harvester.cli.main import app
from harvester.ledger import Ledger
from harvester.screening import apply_rules, import_decisions
from harvester.screening.audit import excluded_records, history, history_csv, summary
from harvester.screening.outcomes import record_outcomes
from tests.test_screening import build_review, write

runner = CliRunner()


def _screen(tmp_path: Path) -> Path:
    review = build_review(tmp_path)
    with Ledger.open(review.ledger_path) as ledger:
        apply_rules(ledger, review)
        header = "record_id,stage,decision,reason\n"
        import_decisions(ledger, review, write(tmp_path / "jm.csv", header + "1,ta,include,\n4,ta,exclude,Online\n"
                                               "6,ta,include,\n8,ta,exclude,Client outcomes\n9,ta,exclude,\n"),
                         reviewer="JM")
        import_decisions(ledger, review, write(tmp_path / "js.csv", header + "1,ta,include,\n4,ta,exclude,Online\n"
                                               "6,ta,exclude,\n8,ta,exclude,Client outcomes\n9,ta,exclude,\n"),
                         reviewer="JS")
        import_decisions(ledger, review, write(tmp_path / "hs.csv", header + "6,ta,include,\n"), reviewer="HS",
                         role="resolver")
        # JM changes their mind on record 1 later: a new row; the old one stays visible
        import_decisions(ledger, review, write(tmp_path / "jm2.csv", header + "1,ta,maybe,\n"), reviewer="JM")
        import_decisions(ledger, review, write(tmp_path / "ft.csv", header + "1,ft,include,\n"
                                               "6,ft,exclude,No peer perspective\n7,ft,exclude,No peer perspective\n"),
                         reviewer="JM")
        import_decisions(ledger, review, write(tmp_path / "ft2.csv", header + "1,ft,include,\n"
                                               "6,ft,exclude,No peer perspective\n7,ft,exclude,No peer perspective\n"),
                         reviewer="JS")
    return review.path


def test_summary_per_stage_reason_rule_reviewer(tmp_path: Path) -> None:
    protocol_path = _screen(tmp_path)
    from harvester import protocol as protocol_module

    review = protocol_module.load(protocol_path)
    with Ledger.open(review.ledger_path) as ledger:
        tallies = summary(ledger, review)
        outcomes = record_outcomes(ledger, review)
        excluded = excluded_records(ledger, review)
    got = {(t.stage, t.group, t.key): t.n for t in tallies}
    assert got[("dedupe", "total", "")] == 1
    assert got[("automation", "rule", "english-only")] == 1
    assert got[("automation", "reason", "Not in English")] == 1
    assert got[("title-abstract", "total", "")] == 4  # editorial by rule; 4, 8, 9 by both screeners
    assert got[("title-abstract", "rule", "editorials")] == 1
    assert got[("title-abstract", "reviewer", "automation")] == 1
    assert got[("title-abstract", "reviewer", "JM")] == 3 and got[("title-abstract", "reviewer", "JS")] == 3
    assert got[("title-abstract", "reason", "Client outcomes")] == 1
    assert got[("title-abstract", "reason", "(no reason given)")] == 1
    assert got[("full-text", "reason", "No peer perspective")] == 2
    assert got[("title-abstract", "flag", "online-or-telephone")] == 1
    # every excluded record is explained: the summary's totals equal the excluded outcomes, one each
    total = sum(n for (stage, group, _), n in got.items() if group == "total")
    assert total == len(excluded) == sum(1 for o in outcomes if o.end in (
        "duplicate", "ineligible-automation", "excluded-screening", "not-retrieved", "excluded-full-text"))
    assert all(o.reason or o.end == "duplicate" or o.end == "excluded-screening" for o in excluded)


def test_history_of_one_record(tmp_path: Path) -> None:
    protocol_path = _screen(tmp_path)
    from harvester import protocol as protocol_module

    review = protocol_module.load(protocol_path)
    with Ledger.open(review.ledger_path) as ledger:
        one = history(ledger, review, 1)
        three = history(ledger, review, 3)
        six = history(ledger, review, 6)
    kinds = [e.event for e in one]
    assert kinds[0] == "identified" and kinds[-1] == "outcome"
    assert one[0].who == "MEDLINE" and "live search run" in one[0].what
    assert any(e.event == "kept" and "record 3" in e.what for e in one)
    assert sum(1 for e in one if e.event == "rule") == 3
    ta = [e for e in one if e.event == "decision" and e.stage == "title-abstract" and e.who == "JM (screener)"]
    assert [(e.what, e.current) for e in ta] == [("include", False), ("maybe", True)]  # old decision visible
    assert ta[0].file.endswith("jm.csv") and ta[0].line == 2
    assert one[-1].what == "included"

    assert any(e.event == "duplicate" and e.what == "duplicate of record 1" and "title 1.0" in e.detail
               for e in three)
    assert three[-1].what == "duplicate"

    resolver = [e for e in six if e.who == "HS (resolver)"]
    assert resolver and resolver[0].what == "include"
    assert six[-1].what == "excluded-full-text" and "No peer perspective" in six[-1].detail

    rows = list(csv.DictReader(io.StringIO(history_csv(one))))
    assert rows[0]["event"] == "identified" and rows[-1]["event"] == "outcome"
    assert any(r["current"] == "no (superseded)" for r in rows)


def test_audit_commands(tmp_path: Path) -> None:
    protocol = str(_screen(tmp_path))
    result = runner.invoke(app, ["audit", protocol])
    assert result.exit_code == 0, result.output
    assert "automation:\n  excluded: 1\n    reason Not in English: 1\n    rule english-only: 1" in result.output
    result = runner.invoke(app, ["audit", protocol, "--format", "csv"])
    assert result.exit_code == 0 and result.output.startswith("stage,group,key,n\n")
    assert "full-text,reason,No peer perspective,2" in result.output
    result = runner.invoke(app, ["audit", protocol, "--records"])
    assert result.exit_code == 0 and "record 2 [MEDLINE] ineligible-automation at automation: Not in English " \
                                     "(english-only)" in result.output
    result = runner.invoke(app, ["audit", protocol, "1"])
    assert result.exit_code == 0 and "(superseded)" in result.output and "jm.csv:2" in result.output
    result = runner.invoke(app, ["audit", protocol, "1", "--format", "csv"])
    assert result.exit_code == 0 and result.output.startswith("time,event,stage,who,what,detail,run,file,line")
    result = runner.invoke(app, ["audit", protocol, "999"])
    assert result.exit_code == 1 and "no record 999" in result.output
