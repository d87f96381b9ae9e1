"""Withdraw, never delete: a mistaken import leaves the counts (as removed for other reasons, or as never
identified), logged with who, when and why, shown by audit, and undone exactly; on the bundled example review."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester.cli.main import app
from tests.conftest import screened_example

REPO = Path(__file__).resolve().parent.parent
DECISIONS = REPO / "examples" / "peer-support" / "decisions"
runner = CliRunner()

MISTAKE = """TY  - JOUR
AU  - Smith J
T1  - Peer mentors in a hospital kitchen: an unrelated review's record.
JO  - Journal of Unrelated Things
Y1  - 2013//
ER  -

TY  - JOUR
AU  - Jones K
T1  - Peer educators teaching food hygiene: another unrelated record.
JO  - Journal of Unrelated Things
Y1  - 2012//
ER  -

TY  - JOUR
AU  - Brown L
T1  - Peer listeners on a cruise ship: a third unrelated record.
JO  - Journal of Unrelated Things
Y1  - 2011//
ER  -
"""


def _run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def _counts(protocol: Path) -> dict[str, object]:
    data = json.loads(runner.invoke(app, ["counts", str(protocol)]).stdout)
    data.pop("records")
    return data


@pytest.fixture()
def example(tmp_path: Path) -> Path:
    """The bundled example review, imported, de-duplicated, ruled and screened into its own ledger."""
    return screened_example(tmp_path)


def test_a_mistaken_file_is_withdrawn_logged_shown_and_undone(example: Path, tmp_path: Path) -> None:
    before = _counts(example)
    mistake = tmp_path / "another-review.ris"
    mistake.write_text(MISTAKE, encoding="utf-8")
    _run("import", str(example), str(mistake), "--source", "CINAHL")
    _run("dedupe", str(example))
    imported = _counts(example)
    assert imported["database_results"] == before["database_results"] + 3  # type: ignore[operator]
    assert imported["records_awaiting_screening"] == 3  # now provisional: nobody screened them

    said = _run("withdraw", str(example), str(mistake), "--reason", "another review's export", "--by", "JM")
    assert "withdrew file #" in said and "3 record(s) now count as removed for other reasons" in said
    removed = _counts(example)
    assert removed["database_results"] == imported["database_results"]  # identified, then removed
    assert removed["excluded_other"] == 3 and removed["records_screened"] == before["records_screened"]
    assert removed["records_awaiting_screening"] == 0
    assert "ok: the diagram adds up" in _run("check", str(example))
    audit = _run("audit", str(example))
    assert "JM: file #" in audit and "another-review.ris withdrawn (removed for other reasons), 3 record(s): " \
        "another review's export" in audit
    assert "removed:" in audit and "reason Withdrawn: another review's export: 3" in audit

    # the same again is refused; undo restores exactly what was there
    refused = runner.invoke(app, ["withdraw", str(example), str(mistake), "--reason", "again"])
    assert refused.exit_code == 1 and "already withdrawn" in refused.output
    assert "restored file #" in _run("withdraw", str(example), str(mistake), "--undo", "--reason", "wrong file")
    assert _counts(example) == imported

    # a file imported by mistake: never identified, so the counts are exactly those before the import
    _run("withdraw", str(example), str(mistake), "--exclude-from-counts", "--reason", "imported by mistake")
    assert _counts(example) == before
    assert "ok: the diagram adds up" in _run("check", str(example))
    report = tmp_path / "search.md"
    _run("report", str(example), "--search-markdown", "--out", str(report))
    text = report.read_text(encoding="utf-8")
    assert "another-review.ris` | ris | 3 (withdrawn: never identified, imported by mistake" in text
    assert "- Reference lists and grey literature: citation searching, 9 records" in text
    history = _run("audit", str(example), "157")  # the example holds records 1-156: 157 is the mistake's first
    assert "another-review.ris" in history and "not counted" in history
    steps = [line.split(" JM: " if " JM: " in line else ": ", 1)[-1] for line in history.splitlines()
             if " withdrawn withdrawn " in line or " restored withdrawn " in line]
    assert [step.split(": ")[-1] for step in steps] == ["remove", "undo", "exclude-from-counts"], history
    assert len(_run("audit", str(example)).splitlines()) > 3  # withdrawn, restored, withdrawn: all kept


def test_withdrawing_the_file_that_holds_the_kept_records_keeps_every_cluster_and_its_decisions(
        example: Path) -> None:
    before = _counts(example)
    medline = REPO / "examples" / "peer-support" / "medline.nbib"
    _run("withdraw", str(example), str(medline), "--exclude-from-counts", "--reason", "test: MEDLINE withdrawn")
    after = _counts(example)
    checked = json.loads(runner.invoke(app, ["check", str(example), "--json"]).stdout)
    assert checked["ok"], checked["problems"]  # every remaining record on exactly one path, every box its ids
    assert after["database_results"] == before["database_results"] - 51  # type: ignore[operator]
    # MEDLINE was the preferred copy of most clusters: another copy now stands for each, with its decisions, so
    # only articles found in MEDLINE alone can leave the included studies
    assert after["new_reports"] >= before["new_reports"] - 3  # type: ignore[operator]
    assert after["records_awaiting_screening"] == 0
    _run("withdraw", str(example), str(medline), "--undo", "--reason", "test over")
    assert _counts(example) == before


def test_withdraw_refuses_what_it_cannot_name(example: Path, tmp_path: Path) -> None:
    nothing = runner.invoke(app, ["withdraw", str(example), "--reason", "x"])
    assert nothing.exit_code == 2 and "give the imported FILE or --run N" in nothing.output
    unknown = tmp_path / "never.ris"
    unknown.write_text(MISTAKE, encoding="utf-8")
    missing = runner.invoke(app, ["withdraw", str(example), str(unknown), "--reason", "x"])
    assert missing.exit_code == 1 and "no import of this file in the ledger" in missing.output
    no_reason = runner.invoke(app, ["withdraw", str(example), "--run", "1"])
    assert no_reason.exit_code == 2 and "--reason is required" in no_reason.output
    undo = runner.invoke(app, ["withdraw", str(example), "--run", "1", "--undo", "--reason", "x"])
    assert undo.exit_code == 1 and "nothing to undo" in undo.output
    # a whole import run, by id: the same as its file
    said = _run("withdraw", str(example), "--run", "1", "--reason", "wrong run", "--json")
    assert json.loads(said)["records"] == 51 and json.loads(said)["action"] == "remove"
