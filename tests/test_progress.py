"""Progress on long work: the library reports counts as it goes, the CLI draws them only for a person."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import harvester.cli.app as cli_app
from harvester import protocol as protocol_module
from harvester.cli.main import app
from harvester.importing import import_protocol_files
from harvester.ledger import Ledger
from harvester.progress import counted
from harvester.screening import apply_rules, export_sheet
from tests.conftest import example_protocol

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
