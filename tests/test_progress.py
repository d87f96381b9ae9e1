"""Progress on long work: the library reports counts as it goes, the CLI draws them only for a person."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import harvester.cli.app as cli_app
from harvester import protocol as protocol_module
from harvester.cli.main import app
from harvester.dedup.runs import PREPARING, STORING
from harvester.importing import import_protocol_files
from harvester.ledger import Ledger
from harvester.progress import counted
from harvester.screening import apply_rules, export_sheet
from tests.conftest import example_protocol
from tests.fake_eutils import FakeEutils

runner = CliRunner()


def test_counted_passes_every_item_and_reports_the_end() -> None:
    heard: list[tuple[str, int, int | None]] = []
    items = list(counted(range(1234), lambda *report: heard.append(report), "items", 1234, every=500))
    assert items == list(range(1234))
    assert heard == [("items", 0, 1234), ("items", 500, 1234), ("items", 1000, 1234), ("items", 1234, 1234)]
    assert list(counted(iter("abc"), None, "silent")) == ["a", "b", "c"]


def test_import_rules_and_sheets_report_what_they_did(tmp_path: Path) -> None:
    protocol = protocol_module.load(example_protocol(tmp_path))
    heard: list[tuple[str, int, int | None]] = []
    with Ledger.open(protocol.ledger_path) as ledger:
        results = import_protocol_files(ledger, protocol, progress=lambda *report: heard.append(report))
        rules = apply_rules(ledger, protocol, lambda *report: heard.append(report))
        sheet = export_sheet(ledger, protocol, "title-abstract", progress=lambda *report: heard.append(report))
    last = {label: (done, total) for label, done, total in heard}
    for result in results:
        assert last[f"importing {Path(result.path).name}"] == (result.records_read, result.records_read)
    assert last["applying rules"] == (rules.records, rules.records)
    assert last["title-abstract sheet"] == (rules.records, rules.records) and sheet.records > 0


@pytest.mark.parametrize(("terminal", "json_output", "drawn"), [(True, False, True), (True, True, False),
                                                               (False, False, False)])
def test_a_bar_only_for_a_person_at_a_terminal(terminal: bool, json_output: bool, drawn: bool, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    protocol = example_protocol(tmp_path)
    assert runner.invoke(app, ["import", str(protocol)]).exit_code == 0
    monkeypatch.setattr(cli_app, "is_terminal", lambda: terminal)
    result = runner.invoke(app, ["rules", str(protocol), *(["--json"] if json_output else [])])
    assert result.exit_code == 0, result.output
    assert ("applying rules" in result.stderr) is drawn
    assert ("/s" in result.stderr) is drawn  # the rate


#: A finished bar as drawn: "156/156 1,901/s" (done of total, then the rate).
FINISHED = re.compile(r"([\d,]+)/([\d,]+)\s+([\d,.]+)/s")

LIVE_PROTOCOL = """[review]
id = "bars"
ledger = "ledger.sqlite"

[query]
text = '"peer supporter" AND health'

[[sources]]
name = "MEDLINE"
kind = "pubmed"
"""


def _finished_bars(stderr: str) -> dict[str, tuple[int, int]]:
    """Each bar's last line: label -> (done, total)."""
    bars = {}
    for line in stderr.splitlines():
        found = FINISHED.search(line)
        if found:
            label = line[:found.start()].replace("━", "").strip()
            bars[label] = (int(found[1].replace(",", "")), int(found[2].replace(",", "")))
    return bars


@pytest.mark.parametrize(("terminal", "json_output"), [(True, False), (True, True), (False, False)])
def test_every_long_command_draws_counts_and_rate_only_for_a_person(terminal: bool, json_output: bool,
                                                                    tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 7 of issue 12: import, search, dedupe, rules, screen export, refresh (and run) each draw, on a terminal,
    a bar with how many of how many and the rate; with --json, or off a terminal, stderr stays empty."""
    (tmp_path / "files").mkdir()
    protocol = str(example_protocol(tmp_path / "files"))
    live, living = tmp_path / "live" / "review.toml", tmp_path / "living" / "review.toml"
    for path in (live, living):  # one searched, one refreshed (its newcomers are then de-duplicated)
        path.parent.mkdir()
        path.write_text(LIVE_PROTOCOL, encoding="utf-8")
    monkeypatch.setattr(cli_app, "is_terminal", lambda: terminal)
    json_flag = ["--json"] if json_output else []
    commands = {
        "import": ["import", protocol], "dedupe": ["dedupe", protocol], "rules": ["rules", protocol],
        "screen export": ["screen", "export", protocol, "--stage", "title-abstract", "--out",
                          str(tmp_path / "sheet.csv")],
        "search": ["search", str(live)], "refresh": ["refresh", str(living)],
        "run": ["run", protocol, "--offline", "--out", str(tmp_path / "out")],
    }
    held = 156  # the example review's records
    expected = {"import": {"importing medline.nbib": 51}, "dedupe": {PREPARING: held, STORING: held},
                "rules": {"applying rules": held}, "screen export": {"title-abstract sheet": held},
                "search": {"MEDLINE": 120},
                "refresh": {"searching MEDLINE (full)": 120, "de-duplicating the new records": 120},
                "run": {PREPARING: held, STORING: held, "applying rules": held}}
    with FakeEutils(120, books_every=0, enforce_pace=False) as fake:
        for name, value in {"PRISMA_HARVEST_EUTILS_URL": fake.url, "PRISMA_HARVEST_EUTILS_RATE": "1000",
                            "PRISMA_HARVEST_EUTILS_BACKOFF": "0", "PRISMA_HARVEST_EUTILS_BATCH": "50"}.items():
            monkeypatch.setenv(name, value)
        for name, args in commands.items():
            result = runner.invoke(app, [*args, *json_flag])
            assert result.exit_code == 0, (name, result.output)
            if terminal and not json_output:
                bars = _finished_bars(result.stderr)
                assert {label: bars.get(label) for label in expected[name]} == {
                    label: (n, n) for label, n in expected[name].items()}, (name, result.stderr[-600:])
            else:  # no bar, no rate: at most the command's own one-line message
                assert "━" not in result.stderr and not FINISHED.search(result.stderr), (name, result.stderr[-600:])
                assert len(result.stderr.splitlines()) <= 1, (name, result.stderr[-600:])
