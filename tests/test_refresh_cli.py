"""``prisma-harvest refresh`` through the CLI: exit codes 0/1/2/3, --json, --out, quiet output, and two
refreshes started together (one runs, one exits with the lock message). The stages are the stand-ins of
tests/test_refresh.py, put in place of the project's own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import date
from functools import partial
from pathlib import Path

import pytest
from typer.testing import CliRunner

import harvester.cli.refresh as refresh_cli
from harvester.cli.main import app
from harvester.ledger import Ledger
from harvester.ledger.runs import refresh_runs
from harvester.refresh import Steps
from tests.test_refresh import TODAY, FakePubMed, article, title_dedupe, write_protocol

runner = CliRunner()
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def pubmed(monkeypatch: pytest.MonkeyPatch) -> FakePubMed:
    fake = FakePubMed()
    fake.add([article(n) for n in range(1, 51)], date(2024, 3, 1))
    monkeypatch.setattr(refresh_cli, "Steps", partial(Steps, search=fake.search, count=fake.count,
                                                      import_files=lambda ledger, protocol: [], dedupe=title_dedupe))
    return fake


def test_exit_codes_json_and_out(tmp_path: Path, pubmed: FakePubMed) -> None:
    protocol = write_protocol(tmp_path)
    first = runner.invoke(app, ["refresh", str(protocol.path)])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "refresh #1 of living: 50 new unique, 0 known, 0 duplicates among new, 0 revised"
    nothing = runner.invoke(app, ["refresh", str(protocol.path), "--exit-code", "--json"])
    assert nothing.exit_code == 0, nothing.output
    assert json.loads(nothing.output)["counts"]["new_records"] == 0
    pubmed.add([article(n) for n in range(1001, 1004)], TODAY)
    found = runner.invoke(app, ["refresh", str(protocol.path), "--exit-code", "--out", str(tmp_path / "out")])
    assert found.exit_code == 3, found.output
    assert "3 new unique" in found.output
    (path,) = (tmp_path / "out").glob("living-refresh-*.md")
    report = path.read_text(encoding="utf-8")
    assert "## New unique records (3)" in report
    ris_text = path.with_name(path.stem + "-new.ris").read_text(encoding="utf-8")
    assert ris_text.count("\nER  -") == 3 and article(1002).title in ris_text
    csv_lines = path.with_name(path.stem + "-new.csv").read_text(encoding="utf-8").splitlines()
    assert len(csv_lines) == 4 and "record_id" in csv_lines[0].split(",")


def test_failure_and_bad_usage(tmp_path: Path, pubmed: FakePubMed) -> None:
    protocol = write_protocol(tmp_path)
    pubmed.fail_on = 1
    failed = runner.invoke(app, ["refresh", str(protocol.path)])
    assert failed.exit_code == 1
    assert "error: refresh #1: source 'MEDLINE'" in failed.stderr and "500 three times" in failed.stderr
    assert runner.invoke(app, ["refresh", str(protocol.path), "--overlap-days", "-1"]).exit_code == 2
    assert runner.invoke(app, ["refresh", str(tmp_path / "missing.toml")]).exit_code == 2
    with Ledger.open(protocol.ledger_path) as ledger:
        assert [r.status for r in refresh_runs(ledger)] == ["failed"]


def test_verbose_prints_the_report_without_progress_lines_off_a_terminal(tmp_path: Path, pubmed: FakePubMed) -> None:
    protocol = write_protocol(tmp_path)
    result = runner.invoke(app, ["refresh", str(protocol.path), "--verbose"])
    assert result.exit_code == 0
    assert result.output.startswith("# Refresh of living: run #1 (ok)")
    assert "searching MEDLINE" not in result.output  # the runner's stderr is no terminal


#: One of two refreshes raced on one review. No timing is assumed, so a loaded machine cannot make it flaky: both
#: processes first wait for each other (every module imported, a file each in the folder argv[2]), then race for
#: the lock; the one that gets it holds it, inside its search, until the other has finished (refused at once:
#: PRISMA_HARVEST_LOCK_WAIT=0). Before, the first slept 1.5 s and a second process slower than that to start
#: found the review free (seen once under load).
TOGETHER = textwrap.dedent("""
    import os, sys, time
    from datetime import date
    from functools import partial
    from pathlib import Path
    import harvester.cli.refresh as refresh_cli
    from harvester.cli.main import app
    from harvester.refresh import Steps
    from tests.test_refresh import FakePubMed, article, title_dedupe
    folder, me = Path(sys.argv[2]), str(os.getpid())
    fake = FakePubMed()
    fake.add([article(n) for n in range(1, 51)], date(2024, 3, 1))
    def others(kind):
        return [p for p in folder.glob(kind + "-*") if p.name != kind + "-" + me]
    def until(found):
        deadline = time.monotonic() + 100
        while not found() and time.monotonic() < deadline:
            time.sleep(0.02)
    def holding_the_lock(*args):
        until(lambda: others("done"))
        return fake.search(*args)
    refresh_cli.Steps = partial(Steps, search=holding_the_lock, count=fake.count,
                                import_files=lambda ledger, protocol: [], dedupe=title_dedupe)
    (folder / ("ready-" + me)).touch()
    until(lambda: others("ready"))
    try:
        app(["refresh", sys.argv[1]])
    finally:
        (folder / ("done-" + me)).touch()
""")


def test_two_refreshes_started_together_one_runs_one_reports_the_lock(tmp_path: Path) -> None:
    protocol = write_protocol(tmp_path)
    meeting = tmp_path / "meeting"
    meeting.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO), "PRISMA_HARVEST_LOCK_WAIT": "0"}  # refused, not waited for
    processes = [subprocess.Popen([sys.executable, "-c", TOGETHER, str(protocol.path), str(meeting)], cwd=REPO,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
    outcomes = sorted((p.wait(timeout=240), *p.communicate()) for p in processes)
    (ok_code, ok_out, ok_err), (busy_code, _, busy_err) = outcomes
    assert ok_code == 0 and "50 new unique" in ok_out, ok_err
    assert busy_code == 1, busy_err
    assert "review is busy: refresh since" in busy_err and "(refresh))" in busy_err
    assert "the refresh did nothing" in busy_err
    with Ledger.open(protocol.ledger_path) as ledger:
        assert [r.status for r in refresh_runs(ledger)] == ["ok"]
