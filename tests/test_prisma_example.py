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

REPO = Path(__file__).resolve().parent.parent
DECISIONS = REPO / "examples" / "peer-support" / "decisions"
runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = (REPO / "queries" / "example-peer-support.toml").read_text(encoding="utf-8")
    folder = tmp_path_factory.mktemp("prisma-example")
    text = text.replace('ledger = "../cache/example-peer-support.sqlite"', 'ledger = "ledger.sqlite"')
    text = text.replace('"../examples/', f'"{(REPO / "examples").as_posix()}/')
    path = folder / "example.toml"
    path.write_text(text, encoding="utf-8")
    for command in (("import",), ("dedupe",), ("rules",)):
        _run(*command, str(path))
    for stage in ("title-abstract", "full-text"):
        for who in ("JM", "JS"):
            _run("screen", "import", str(path), str(DECISIONS / f"{stage}-{who}.csv"))
        _run("screen", "import", str(path), str(DECISIONS / f"{stage}-HS.csv"), "--role", "resolver")
    return path


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
    # the seed review's end of the flow: 39 full texts, 5 excluded for no peer perspective, 34 included
    assert len(traced["dbr_assessed"]["records"]) + len(traced["other_assessed"]["records"]) == 39
    assert len(traced["new_reports"]["records"]) == 34


def test_outputs_folder_holds_diagram_search_report_and_html(example: Path, tmp_path: Path) -> None:
    written = write_outputs(example, tmp_path / "out")
    assert {path.suffix for path in written} == {".svg", ".png", ".csv", ".json", ".md", ".html"}
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Every box equals the boxes feeding it" in page and "MEDLINE" in page
