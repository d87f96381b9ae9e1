"""``prisma-harvest run`` on the bundled example review: end to end, and a second run changes nothing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from harvester.cli.main import app
from tests.conftest import example_protocol

runner = CliRunner()


def _table_counts(ledger: Path) -> dict[str, int]:
    with sqlite3.connect(ledger) as connection:
        tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: connection.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_run_writes_diagrams_and_reports_and_a_second_run_changes_only_the_run_log(tmp_path: Path) -> None:
    protocol = example_protocol(tmp_path)
    out = tmp_path / "out"
    first = runner.invoke(app, ["run", str(protocol), "--out", str(out), "--json"])
    assert first.exit_code == 0, first.output
    result = json.loads(first.output)
    names = {Path(p).name for p in result["files"]}
    assert {"prisma-new-other.svg", "prisma-new-other.png", "prisma-2009.svg", "prisma-counts.csv",
            "search-report.md", "report.html"} <= names
    assert result["warnings"] == []  # everything decided, and the check finds nothing
    svg = (out / "prisma-new-other.svg").read_text(encoding="utf-8")
    assert "Records screened" in svg
    assert "n = 34" in svg  # the 34 studies the example review includes, as in the seed review
    before = _table_counts(tmp_path / "ledger.sqlite")

    second = runner.invoke(app, ["run", str(protocol), "--out", str(out), "--json"])
    assert second.exit_code == 0, second.output
    steps = json.loads(second.output)["steps"]
    assert sum("already" in s for s in steps) == 5 + 6  # five export files (one a register's), six decision sheets
    after = _table_counts(tmp_path / "ledger.sqlite")
    changed = {t for t in after if after[t] != before.get(t)}
    # dedupe and rules are re-run (new run rows with their derived rows); nothing is imported twice
    assert after["records"] == before["records"]
    assert after["files"] == before["files"]
    assert after["decisions"] == before["decisions"]
    assert "runs" in changed


def test_run_exits_1_when_an_export_file_cannot_be_imported_and_keeps_the_rest(tmp_path: Path) -> None:
    """A file source that failed (its export file is missing) fails the run, exit 1, naming the file; the other
    files are imported and the outputs written all the same."""
    protocol = example_protocol(tmp_path)
    text = protocol.read_text(encoding="utf-8").replace('cinahl.ris"]', 'cinahl.ris", "cinahl-missing.ris"]')
    assert "cinahl-missing.ris" in text
    protocol.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["run", str(protocol), "--out", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert [failure for failure in report["failed"] if "cinahl-missing.ris" in failure] == report["failed"] != []
    assert "error: import" in result.stderr and "cinahl-missing.ris" in result.stderr
    counts = _table_counts(tmp_path / "ledger.sqlite")
    assert counts["files"] == 5 and counts["records"] > 0  # every file the protocol names but the missing one
    assert (tmp_path / "out" / "report.html").is_file()


def test_run_on_an_updated_review_leaves_out_the_2009_layout_that_cannot_show_it(tmp_path: Path) -> None:
    """The 2009 layout has no box for a previous review's studies: `run` names why and draws no stale or DRAFT
    figure (a figure left by an earlier run goes, as its numbers are no longer the ledger's)."""
    protocol = example_protocol(tmp_path)
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(protocol), "--out", str(out), "--json"]).exit_code == 0
    assert (out / "prisma-2009.svg").is_file()
    text = protocol.read_text(encoding="utf-8").replace("[review]\n", "[review]\nprevious_studies = 5\n"
                                                        "previous_reports = 6\n", 1)
    protocol.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["run", str(protocol), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert not (out / "prisma-2009.svg").exists()
    assert any(w.startswith("prisma-2009.svg not written: the 2009 layout does not fit")
               and w.endswith("the one an earlier run wrote there is removed") for w in report["warnings"])
    assert "prisma-2009.svg" not in {Path(p).name for p in report["files"]}
