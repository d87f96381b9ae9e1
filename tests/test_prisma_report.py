"""The ledger side: check, counts, diagram and report through the CLI on a temporary ledger.

Screening's ``record_outcomes`` is replaced by a fixed list here, so these tests pin the aggregation and
the reports, not the screening stage (which has its own tests).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

import harvester.screening.outcomes as outcomes_module
from harvester.cli.main import app
from harvester.ledger import Ledger
from harvester.ledger.records import add_file, add_records
from harvester.ledger.runs import finish_run, start_run, update_run
from harvester.records import Record
from prisma.flow import Outcome
from prisma.prisma2020_csv import read_counts
from tests.conftest import missing_tool

runner = CliRunner()
DATA = Path(__file__).parent / "data"
QUERY = '"peer supporter" AND health'

PROTOCOL = f"""
[review]
id = "tiny"
title = "A tiny review"
ledger = "tiny.sqlite"

[query]
text = '''{QUERY}'''

[[sources]]
name = "MEDLINE"
kind = "pubmed"
maxdate = "2014/06/30"

[[sources]]
name = "CINAHL"
kind = "file"
platform = "EBSCOhost"
files = ["cinahl.ris"]
searched = "2014/06/15"

[[sources]]
name = "Reference lists"
kind = "other"
method = "citation searching"
files = ["hand.ris"]

[screening]
full_text_reasons = ["No peer perspective", "Online or telephone peer support"]
"""

# record id -> (end, reason); ids 1-5 MEDLINE, 6-9 CINAHL, 10-11 reference lists
ENDS = {1: ("included", None), 2: ("excluded-screening", None), 3: ("excluded-full-text", "No peer perspective"),
        4: ("not-retrieved", None), 5: ("excluded-screening", None), 6: ("duplicate", None),
        7: ("included", None), 8: ("excluded-full-text", "Online or telephone peer support"),
        9: ("ineligible-automation", "Not in English"), 10: ("included", None), 11: ("duplicate", None)}


@pytest.fixture
def review(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    protocol = tmp_path / "tiny.toml"
    protocol.write_text(PROTOCOL, encoding="utf-8")
    with Ledger.open(tmp_path / "tiny.sqlite") as ledger:
        run = start_run(ledger, "search", source="MEDLINE", database="MEDLINE", platform="PubMed (E-utilities)",
                        query=QUERY, parameters={"maxdate": "2014/06/30", "datetype": "pdat", "api_key": "SECRET"})
        update_run(ledger, run, query_translation='"peer supporter"[All Fields] AND "health"[MeSH Terms]',
                   count_reported=5)
        add_records(ledger, [Record(title=f"Medline paper {i} <b>", source_id=str(100 + i), pmid=str(100 + i),
                                    year=2010 + i, database="MEDLINE") for i in range(1, 6)],
                    run_id=run, source="MEDLINE")
        finish_run(ledger, run, count_retrieved=5)
        imported = start_run(ledger, "import", source="CINAHL", database="CINAHL")
        file_id = add_file(ledger, run_id=imported, sha256="ab" * 32, path="cinahl.ris", size=100, format="ris",
                           database="CINAHL", source="CINAHL", records_read=4, export_date="2014-06-15")
        add_records(ledger, [Record(title=f"CINAHL paper {i}", position=i, database="CINAHL") for i in range(1, 5)],
                    run_id=imported, source="CINAHL", file_id=file_id)
        finish_run(ledger, imported)
        hand = start_run(ledger, "import", source="Reference lists", database="Reference lists")
        hand_file = add_file(ledger, run_id=hand, sha256="cd" * 32, path="hand.ris", size=50, format="ris",
                             database="Reference lists", source="Reference lists", records_read=2)
        add_records(ledger, [Record(title=f"Hand-searched {i}", position=i) for i in range(1, 3)],
                    run_id=hand, source="Reference lists", file_id=hand_file)
        finish_run(ledger, hand)
        dedupe = start_run(ledger, "dedupe", parameters={"method": "DOI, PMID, then fuzzy title+year+author"})
        with ledger.transaction() as connection:
            for removed, kept, rule in ((6, 1, "doi"), (11, 7, "title-year")):
                connection.execute("INSERT INTO duplicates (run_id, record_id, duplicate_of, rule, decided_at)"
                                   " VALUES (?, ?, ?, ?, '2026-01-01')", (dedupe, removed, kept, rule))
        finish_run(ledger, dedupe)

    def fake(ledger: Ledger, protocol: object) -> list[Outcome]:
        found = []
        for rid, (end, reason) in ENDS.items():
            source = "MEDLINE" if rid <= 5 else "CINAHL" if rid <= 9 else "Reference lists"
            found.append(Outcome(rid, source, source, "other" if rid >= 10 else "databases", end, reason,
                                 "automation" if end == "ineligible-automation" else "reviewer"))
        return found

    monkeypatch.setattr(outcomes_module, "record_outcomes", fake, raising=False)
    return protocol


def test_check_lists_the_records_behind_every_box_and_each_count_equals_them(review: Path) -> None:
    result = runner.invoke(app, ["check", str(review), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True
    boxes = {box["box"]: box for box in report["boxes"]}
    assert boxes["database_results"]["n"] == 9 and boxes["duplicates"]["records"] == [6]
    assert boxes["records_screened"]["records"] == [1, 2, 3, 4, 5, 7, 8]
    assert boxes["dbr_excluded/No peer perspective"]["records"] == [3]
    assert boxes["other_removed/Duplicate records"]["records"] == [11]
    for box in report["boxes"]:
        if box["records"]:
            assert box["n"] == len(box["records"]), box
    text = runner.invoke(app, ["check", str(review), "--records"])
    assert text.exit_code == 0 and "ok: the diagram adds up" in text.output
    assert re.search(r"records_excluded\s+2\s+\[2 records\]\n\s+2 5\n", text.output)


def test_counts_as_prisma2020_csv_reads_back_and_as_json(review: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["counts", str(review), "--format", "prisma2020-csv", "--out",
                                 str(tmp_path / "c.csv")])
    assert result.exit_code == 0, result.output
    back = read_counts(tmp_path / "c.csv").counts
    assert back.database_specific_results[0].name == "CINAHL" and back.citations_results == 2
    assert back.dbr_excluded[0].name == "No peer perspective"  # the protocol's reason order
    as_json = json.loads(runner.invoke(app, ["counts", str(review)]).output)
    assert as_json["new_reports"] == 3 and as_json["records"]["new_reports"] == [1, 7, 10]


def test_diagram_from_the_ledger_and_the_template_choice(review: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["diagram", str(review), "--out", str(tmp_path / "d.svg")])
    assert result.exit_code == 0, result.output
    assert "new-other layout" in result.output
    svg = (tmp_path / "d.svg").read_text(encoding="utf-8")
    assert "Databases (n = 9)" in svg and "Citation searching (n = 2)" in svg
    dot = runner.invoke(app, ["diagram", str(review), "--template", "2009", "--format", "dot", "--out",
                              str(tmp_path / "d.dot")])
    assert dot.exit_code == 0, dot.output
    assert "(n = 9)" in (tmp_path / "d.dot").read_text(encoding="utf-8")  # 9 + 2 - 1 - 1 after duplicates
    bad = runner.invoke(app, ["diagram", str(review), "--template", "2021"])
    assert bad.exit_code == 2 and "unknown template" in bad.output


def test_diagram_from_csv_refuses_a_mismatch_naming_the_box_unless_allowed(tmp_path: Path) -> None:
    good = runner.invoke(app, ["diagram", "--counts", str(DATA / "seed_flow_2009.csv"), "--out",
                               str(tmp_path / "seed.svg")])
    assert good.exit_code == 0, good.output
    assert "2009 layout" in good.output and "(n = 1,528)" in (tmp_path / "seed.svg").read_text(encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text((DATA / "seed_flow_2020.csv").read_text(encoding="utf-8").replace(
        "dbr_sought_reports.html,31", "dbr_sought_reports.html,35"), encoding="utf-8")
    refused = runner.invoke(app, ["diagram", "--counts", str(bad), "--out", str(tmp_path / "bad.svg")])
    assert refused.exit_code == 1
    assert "dbr_sought_reports" in refused.output and "holds 35 but screened 1,520 - excluded 1,489 = 31" in \
        refused.output
    assert not (tmp_path / "bad.svg").exists()
    for flag in ("--draft", "--allow-mismatch"):  # the old name still works, and stamps the figure too
        allowed = runner.invoke(app, ["diagram", "--counts", str(bad), flag, "--out", str(tmp_path / "bad.svg")])
        assert allowed.exit_code == 0 and "drawn as a DRAFT although it does not add up" in allowed.output
        assert "DRAFT: the numbers do not add up" in (tmp_path / "bad.svg").read_text(encoding="utf-8")
    checked = runner.invoke(app, ["check", "--counts", str(bad)])
    assert checked.exit_code == 1 and "dbr_sought_reports" in checked.output


def test_report_is_one_self_contained_file_with_links_to_records(review: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(review), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 1 and "<?xml" not in page
    assert not re.search(r'(src|href)="(?!#)', page)  # nothing fetched: every link is inside the page
    for link in set(re.findall(r'href="#(box-[^"]+)"', page)):
        assert f'id="{link}"' in page, link
    assert 'id="box-dbr_excluded"' in page and "Medline paper 3 &lt;b&gt;" in page
    assert "peer supporter&quot;[All Fields]" in page and "EBSCOhost" in page
    assert "SECRET" not in page
    assert "ok" in page and "Every box equals the boxes feeding it" in page
    md = runner.invoke(app, ["report", str(review), "--search-markdown", "--out", str(tmp_path / "s.md")])
    assert md.exit_code == 0
    text = (tmp_path / "s.md").read_text(encoding="utf-8")
    assert "### MEDLINE via PubMed (E-utilities)" in text and "pdat from the start to 2014/06/30" in text
    assert "| CINAHL | EBSCOhost | 2014/06/15 | 2014-06-15 | `cinahl.ris` | ris | 4 |" in text
    # both arms' duplicates (record 6 of MEDLINE's 1, record 11 of the hand-searched 7), each under its rule
    assert "Records removed as duplicates: 2\n  - by rule doi: 1\n  - by rule title-year: 1\n" in text


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_report_renders_in_headless_chromium(review: Path, tmp_path: Path) -> None:
    if CHROMIUM is None:
        missing_tool("headless Chromium is not installed (apt-get install chromium; .ci/run installs it)",
                     "PRISMA_HARVEST_REQUIRE_CHROMIUM")
    page = tmp_path / "r.html"
    assert runner.invoke(app, ["report", str(review), "--out", str(page)]).exit_code == 0
    assert CHROMIUM is not None
    common = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--no-first-run", "--disable-sync", f"--user-data-dir={tmp_path / 'p'}"]
    shot = tmp_path / "shot.png"
    subprocess.run([*common, f"--screenshot={shot}", "--window-size=1400,2000", page.as_uri()], check=True,
                   capture_output=True, timeout=120)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(data[16:20], "big") == 1400
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], check=True, capture_output=True, timeout=120)
    rendered = dom.stdout.decode("utf-8")
    assert "<svg" in rendered and "Databases (n = 9)" in rendered and "A tiny review" in rendered


def test_write_outputs_leaves_every_artefact_in_one_folder(review: Path, tmp_path: Path) -> None:
    from harvester.outputs import write_outputs

    written = write_outputs(review, tmp_path / "out")
    names = sorted(path.name for path in written)
    assert names == ["prisma-counts.csv", "prisma-counts.json", "prisma-new-other.png", "prisma-new-other.svg",
                     "report.html", "search-report.md"]
    assert all(path.stat().st_size > 0 for path in written)
    assert read_counts(tmp_path / "out" / "prisma-counts.csv").counts.database_results == 9
