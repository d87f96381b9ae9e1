"""The bundled example review end to end through the commands: every count on the diagram equals the
number of ledger records the check command lists behind it, and the outputs land in one folder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester.cli.main import app
from harvester.outputs import write_outputs
from tests.conftest import screened_example

REPO = Path(__file__).resolve().parent.parent
DECISIONS = REPO / "examples" / "peer-support" / "decisions"
runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screened_example(tmp_path_factory.mktemp("prisma-example"))


def test_every_count_on_the_diagram_equals_the_records_check_lists(example: Path, tmp_path: Path) -> None:
    checked = json.loads(_run("check", str(example), "--json"))
    assert checked["ok"], checked["problems"]
    traced = {box["box"]: box for box in checked["boxes"] if box["records"] is not None}
    for box in traced.values():
        assert box["n"] == len(box["records"]), box
    _run("diagram", str(example), "--out", str(tmp_path / "d.svg"))
    texts = " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", (tmp_path / "d.svg").read_text(encoding="utf-8")))
    lines = {
        "database_results": "Databases (n = {})", "duplicates": "Duplicate records removed (n = {})",
        "excluded_automatic": "automation tools (n = {})", "citations_results": "Citation searching (n = {})",
    }
    for key, pattern in lines.items():
        assert pattern.format(f"{len(traced[key]['records']):,}") in texts, key
    for key in ("records_screened", "records_excluded", "dbr_sought_reports", "dbr_assessed", "other_sought_reports",
                "other_assessed", "new_reports"):
        assert f"(n = {len(traced[key]['records']):,})" in texts, key
    for key, box in traced.items():
        if key.startswith(("database_specific_results/", "dbr_excluded/", "other_excluded/")):
            assert f"{key.split('/', 1)[1]} (n = {len(box['records']):,})" in texts, key
    # the seed review's end of the flow: 39 full texts, 5 excluded for no peer perspective, 34 studies included;
    # plus the conference abstract of one of them (a second report of that study): 40 reports assessed, 35 included
    assert len(traced["dbr_assessed"]["records"]) + len(traced["other_assessed"]["records"]) == 40
    assert len(traced["new_reports"]["records"]) == 35 and traced.get("new_studies", {"n": None})["n"] in (34, None)
    assert "(n = 34)" in texts and "(n = 35)" in texts  # studies and reports, each its own number


def test_outputs_folder_holds_diagram_search_report_and_html(example: Path, tmp_path: Path) -> None:
    written = write_outputs(example, tmp_path / "out")
    assert {path.suffix for path in written} == {".svg", ".png", ".csv", ".json", ".md", ".html"}
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Every box equals the boxes feeding it" in page and "MEDLINE" in page


@pytest.mark.parametrize("template", ["new", "new-other", "updated", "updated-other", "2009"])
def test_every_layout_of_the_example_draws_the_ledgers_numbers_or_refuses_naming_the_one_that_fits(
        example: Path, template: str, tmp_path: Path) -> None:
    from harvester import protocol as protocol_module
    from harvester.ledger import Ledger
    from harvester.review import counts_from_ledger
    from harvester.screening.outcomes import record_outcomes
    from tests.test_prisma_layouts import check_drawn_numbers, expected_from_records

    loaded = protocol_module.load(example)
    with Ledger.open(loaded.ledger_path) as ledger:
        outcomes = record_outcomes(ledger, loaded)
        counts = counts_from_ledger(ledger, loaded)
    out = tmp_path / f"{template}.svg"
    drawn = runner.invoke(app, ["diagram", str(example), "--template", template, "--out", str(out)])
    checked = runner.invoke(app, ["check", str(example), "--template", template])
    if template in ("new-other", "2009"):  # the example has other methods and no previous version
        assert drawn.exit_code == 0 and checked.exit_code == 0, drawn.output + checked.output
        assert f"ok: the diagram adds up ({template} layout)" in checked.output
        assert check_drawn_numbers(counts, template, expected_from_records(counts, outcomes, None)) >= (
            9 if template == "2009" else 15)
        return
    assert drawn.exit_code == 1 and checked.exit_code == 1 and not out.exists()
    assert "--template new-other" in drawn.output and "--template new-other" in checked.output
    if template.startswith("updated"):
        assert "set previous_studies and previous_reports" in drawn.output
    assert runner.invoke(app, ["diagram", str(example), "--template", template, "--draft", "--out",
                               str(out)]).exit_code == 0
    assert "DRAFT" in out.read_text(encoding="utf-8")


def test_check_warns_provisional_like_every_command_and_strict_refuses(example: Path, tmp_path: Path) -> None:
    from harvester import protocol as protocol_module

    # a copy of the example without the resolver's sheets: the conflicts await a decision
    text = example.read_text(encoding="utf-8").replace('ledger = "ledger.sqlite"', 'ledger = "pending.sqlite"')
    pending = example.parent / "pending.toml"
    pending.write_text(text, encoding="utf-8")
    for command in (("import",), ("dedupe",), ("rules",)):
        _run(*command, str(pending))
    for who in ("JM", "JS"):
        _run("screen", "import", str(pending), str(DECISIONS / f"title-abstract-{who}.csv"))
    assert protocol_module.load(pending).id
    for command in (["check"], ["diagram", "--out", str(tmp_path / "p.svg")], ["counts"],
                    ["report", "--out", str(tmp_path / "p.html")]):
        result = runner.invoke(app, [command[0], str(pending), *command[1:]])
        assert result.exit_code == 0, result.output
        assert "warning: provisional: " in result.stderr and "still await a decision" in result.stderr, command
        strict = runner.invoke(app, [command[0], str(pending), *command[1:], "--strict"])
        assert strict.exit_code == 1 and "--strict refuses provisional numbers" in strict.output, command


def test_outputs_name_files_relative_to_the_protocol_even_through_a_symlink(example: Path, tmp_path: Path) -> None:
    link = tmp_path / "linked"
    link.symlink_to(example.parent, target_is_directory=True)
    texts = []
    for protocol in (example, link / example.name):
        folder = tmp_path / f"out-{len(texts)}"
        write_outputs(protocol, folder)
        markdown = (folder / "search-report.md").read_text(encoding="utf-8")
        page = (folder / "report.html").read_text(encoding="utf-8")
        for text in (markdown, page):  # the example's files lie outside the protocol's folder: ../ paths
            assert str(example.parent) not in text and str(tmp_path) not in text
            assert not re.search(r"(`|<code>)/", text)
        shown = re.findall(r"`([^`]*(?:\.nbib|\.ris|\.csv))`", markdown)
        assert len(shown) == 5  # three databases', the register's and the hand-searched file
        for path in shown:
            assert not Path(path).is_absolute()
            assert (example.parent / path).resolve() == (REPO / "examples" / "peer-support" / Path(path).name)
        texts.append(markdown)
    assert texts[0] == texts[1]  # the same review through a symlink reads the same


def test_title_abstract_reasons_are_drawn_only_when_the_protocol_asks(example: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain.dot"
    _run("diagram", str(example), "--format", "dot", "--out", str(plain))
    assert "Reasons:" not in plain.read_text(encoding="utf-8")  # off by default: PRISMA 2020 does not ask
    text = example.read_text(encoding="utf-8").replace("[screening]\n", "[screening]\nshow_screening_reasons = true\n")
    asking = example.parent / "with-reasons.toml"
    asking.write_text(text, encoding="utf-8")
    out = tmp_path / "reasons.dot"
    _run("diagram", str(asking), "--format", "dot", "--out", str(out), "--box-width", "6")
    dot = out.read_text(encoding="utf-8")
    box = next(line for line in dot.splitlines() if line.strip().startswith("records_excluded "))
    lines = re.findall(r"<BR/>([^<]+) \(n = ([\d,]+)\)", box[box.index("Reasons:"):])
    checked = json.loads(_run("check", str(asking), "--json"))
    excluded = next(b for b in checked["boxes"] if b["box"] == "records_excluded")
    assert lines and sum(int(n) for _, n in lines) == excluded["n"] == len(excluded["records"])
    for name, n in lines:  # each reason's number is the records the check lists behind it
        behind = next(b for b in checked["boxes"] if b["box"] == f"records_excluded_reasons/{name}")
        assert int(n) == len(behind["records"])
    assert checked["ok"]
