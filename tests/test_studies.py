"""Studies and reports: the example review's conference abstract is linked (in the full-text sheets) to the
article of the same study, so the diagram, the CSV and the HTML report say 34 studies in 35 reports; the
link-study command links and unlinks, and audit shows it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from harvester.cli.main import app
from tests.test_withdraw import _counts, _run, example  # noqa: F401 - the example review fixture

runner = CliRunner()
STUDY = "Paul 2013 (diabetes peer support, Ireland)"


def test_the_example_has_one_study_with_two_reports_everywhere(example: Path, tmp_path: Path) -> None:  # noqa: F811
    counts = _counts(example)
    assert (counts["new_studies"], counts["new_reports"]) == (34, 35)
    studies = counts["studies"]
    assert isinstance(studies, dict) and studies[STUDY] == [14, 153]
    audit = _run("audit", str(example))
    assert f"study {STUDY}: 2 reports (records 14, 153)" in audit
    history = _run("audit", str(example), "153")
    assert f"report of study {STUDY}" in history and "full-text-JM.csv" in history
    csv_text = runner.invoke(app, ["counts", str(example), "--format", "prisma2020-csv"]).stdout
    assert "new_studies,node15,box10,New studies included in review" in csv_text
    rows = {line.split(",")[0]: line.rsplit(",", 1)[-1] for line in csv_text.splitlines()}
    assert (rows["new_studies"], rows["new_reports"]) == ("34", "35")
    _run("report", str(example), "--out", str(tmp_path / "r.html"))
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Studies with more than one report" in page and f"{STUDY} (2 reports)" in page
    assert "34 studies included, in 35 reports" in page


def test_link_study_links_and_unlinks_and_the_counts_follow(example: Path) -> None:  # noqa: F811
    said = _run("link-study", str(example), "ignored", "153", "--unlink", "--by", "JM")
    assert "each is its own study again" in said
    counts = _counts(example)
    assert (counts["new_studies"], counts["new_reports"]) == (35, 35)
    assert "ok: the diagram adds up" in _run("check", str(example))
    said = _run("link-study", str(example), "Paul 2013", "14", "153", "--why", "same interviews", "--by", "JS")
    assert "study 'Paul 2013': reports 14, 153" in said
    counts = _counts(example)
    assert (counts["new_studies"], counts["new_reports"]) == (34, 35)
    history = _run("audit", str(example), "14")
    assert "study JS: report of study Paul 2013" in history and "same interviews" in history
    missing = runner.invoke(app, ["link-study", str(example), "X", "99999"])
    assert missing.exit_code == 1 and "no record 99999" in missing.output
    data = json.loads(_run("link-study", str(example), "Paul 2013", "153", "--json"))
    assert data["reports"] == [14, 153]
