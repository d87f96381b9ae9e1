"""The updated-review diagram from the ledger (``--since REF``), on a ledger built through the real commands.

The previous version is the bundled example review (import, dedupe, rules, dual screening with a resolver:
34 reports included). The update adds an Embase export to the protocol, made preferred in de-duplication,
imported by ``prisma-harvest refresh``: ten records, of which one is a second copy of another newcomer and
three are copies of records held before (one of them included in the previous version: the
de-duplication now keeps the Embase copy, yet the previous version must still count that study). The new
records are then screened through ``screen import``.
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from harvester import protocol as protocol_module
from harvester.cli.main import app
from harvester.formats import ris
from harvester.ledger import Ledger
from harvester.ledger.duplicates import current_duplicates
from harvester.ledger.records import get_record
from harvester.ledger.runs import get_run, max_run_id, refresh_runs
from harvester.records import Record
from harvester.review import counts_since
from prisma.since import check_since, parse_since, split_clusters
from tests.conftest import example_protocol

REPO = Path(__file__).resolve().parent.parent
DECISIONS = REPO / "examples" / "peer-support" / "decisions"
GOLDEN = Path(__file__).parent / "golden"
runner = CliRunner()

EMBASE_SOURCE = """
[[sources]]
name = "Embase"
kind = "file"
database = "Embase"
platform = "Ovid"
files = ["{path}"]
searched = "2026/11/20"
"""

#: Six articles the previous version never saw (titles unlike any of the example's).
NEW_TITLES = (
    "Peer mentors for kidney transplant recipients: lived experience of the mentor role",
    "Peer supporters in perinatal mental health services: a qualitative interview study",
    "Role boundaries of peer educators in prison health programmes",
    "Peer advocates in sickle cell disease clinics: burnout and support needs",
    "Becoming a peer listener on a stroke ward: an ethnographic account",
    "Peer supporters in cystic fibrosis care: identity and disclosure",
)


def _run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def _new_article(n: int, title: str) -> Record:
    return Record(title=title, authors=(f"Okonkwo, A{n}", "Lindqvist, M"), year=2026, journal="Health Expectations",
                  volume="29", issue=str(n), pages=f"{100 * n}-{100 * n + 9}", doi=f"10.1111/hex.2026{n:03d}",
                  database="Embase", source_id=f"EMB{n}", language=("English",))


def _ids(output: str, key: str) -> list[int]:
    return json.loads(output)["records"].get(key, [])


class Update:
    """The review after the update, with the ids the assertions need."""

    def __init__(self, protocol: Path, ref: int, old: dict[str, int], new: dict[str, int]) -> None:
        self.protocol = protocol
        self.ref = ref  # the last run of the previous version
        self.old = old  # role -> id of the record held before the update that an Embase record copies
        self.new = new  # name -> id of an Embase record


@pytest.fixture(scope="module")
def update(tmp_path_factory: pytest.TempPathFactory) -> Update:
    folder = tmp_path_factory.mktemp("since")
    path = example_protocol(folder)
    for command in (("import",), ("dedupe",), ("rules",)):
        _run(*command, str(path))
    for stage in ("title-abstract", "full-text"):
        for who in ("JM", "JS"):
            _run("screen", "import", str(path), str(DECISIONS / f"{stage}-{who}.csv"))
        _run("screen", "import", str(path), str(DECISIONS / f"{stage}-HS.csv"), "--role", "resolver")
    before = json.loads(_run("counts", str(path)))
    loaded = protocol_module.load(path)
    with Ledger.open(loaded.ledger_path) as ledger:
        ref = max_run_id(ledger)
        duplicates = current_duplicates(ledger)
        medline = {rid for rid in before["records"]["database_specific_results/MEDLINE"]}
        old = {
            "included": min(set(before["records"]["new_reports"]) & medline),
            "excluded": min(set(before["records"]["records_excluded_reviewers"]) & medline),
            "duplicate": min(duplicates),
        }
        copies = [replace(get_record(ledger, rid).record, database="Embase", source_id=f"EMB-OLD{i}", pmid="")
                  for i, rid in enumerate(old.values())]
    articles = [_new_article(n, title) for n, title in enumerate(NEW_TITLES, start=1)]
    again = replace(articles[5], source_id="EMB6b", title=articles[5].title.upper())  # the same article twice
    export = folder / "embase.ris"
    export.write_text(ris.dumps([*articles, again, *copies]), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    text = text.replace('source_preference = ["MEDLINE", "Scopus", "CINAHL"]',
                        'source_preference = ["Embase", "MEDLINE", "Scopus", "CINAHL"]')
    assert "Embase" in text
    text = text.replace("\n[dedup]", EMBASE_SOURCE.format(path=export.as_posix()) + "\n[dedup]", 1)
    path.write_text(text, encoding="utf-8")

    _run("refresh", str(path))
    _run("rules", str(path))
    with Ledger.open(loaded.ledger_path) as ledger:
        rows = ledger.connection.execute("SELECT id, title, source_id FROM records WHERE source = 'Embase'").fetchall()
        new = {row["source_id"]: int(row["id"]) for row in rows}
        (refresh,) = refresh_runs(ledger)
        assert refresh.id > ref
        kept_now = current_duplicates(ledger)
    # the de-duplication keeps the preferred Embase copy of the included record: the old one is now "removed"
    assert kept_now.get(old["included"]) == new["EMB-OLD0"]
    assert kept_now.get(new["EMB6b"]) == new["EMB6"]  # the second copy of article 6 is the duplicate
    ids = {n: new[f"EMB{n}"] for n in range(1, 7)}
    sheet = folder / "update-ta.csv"
    fulltext = folder / "update-ft.csv"
    ta = {1: "exclude", 2: "exclude", 3: "include", 4: "include", 5: "include", 6: "include"}
    with sheet.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["record_id", "stage", "reviewer", "decision", "reason"])
        for who in ("JM", "JS"):
            for n, decision in ta.items():
                writer.writerow([ids[n], "title-abstract", who, decision, "Not peer support work in health"
                                 if decision == "exclude" else ""])
    with fulltext.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["record_id", "stage", "reviewer", "decision", "reason"])
        writer.writerow([ids[4], "retrieval", "JM", "not retrieved", ""])
        for who in ("JM", "JS"):
            writer.writerow([ids[3], "full-text", who, "exclude", "No peer perspective"])
            writer.writerow([ids[5], "full-text", who, "include", ""])
            writer.writerow([ids[6], "full-text", who, "include", ""])
    _run("screen", "import", str(path), str(sheet))
    _run("screen", "import", str(path), str(fulltext))
    return Update(path, ref, old, {**{f"N{n}": i for n, i in ids.items()}, "N6b": new["EMB6b"],
                                   **{f"copy-{role}": new[f"EMB-OLD{i}"] for i, role in enumerate(old)}})


def test_the_updated_counts_split_previous_and_new(update: Update) -> None:
    data = json.loads(_run("counts", str(update.protocol), "--since", str(update.ref)))
    assert (data["previous_studies"], data["previous_reports"]) == (34, 34)  # the example's, kept after the update
    assert data["database_specific_results"] == [{"name": "Embase", "n": 10}]
    assert data["website_results"] is None and data["citations_results"] is None  # no other method in the update
    expected = {"database_results": 10, "duplicates": 4, "records_screened": 6, "records_excluded": 2,
                "dbr_sought_reports": 4, "dbr_notretrieved_reports": 1, "dbr_assessed": 3, "new_studies": 2,
                "new_reports": 2, "total_studies": 36, "total_reports": 36}
    assert {key: data[key] for key in expected} == expected
    assert data["dbr_excluded"] == [{"name": "No peer perspective", "n": 1}]
    records = data["records"]
    # a new record that duplicates one held before counts in the new identification's duplicates removed
    copies = {update.new[f"copy-{role}"] for role in update.old}
    assert set(records["duplicates"]) == copies | {update.new["N6b"]}
    assert update.old["included"] in records["previous_reports"]
    assert set(records["new_reports"]) == {update.new["N5"], update.new["N6"]}
    assert set(records["total_reports"]) == set(records["previous_reports"]) | set(records["new_reports"])
    assert data["since"]["run_id"] == update.ref and data["since"]["new_records"] == 10


def test_check_since_adds_up_and_lists_the_records_behind_each_box(update: Update) -> None:
    checked = json.loads(_run("check", str(update.protocol), "--since", str(update.ref), "--json"))
    assert checked["ok"], checked["problems"]
    assert checked["since"]["previous_records"] + checked["since"]["new_records"] == _records_in_ledger(update)
    boxes = {box["box"]: box for box in checked["boxes"]}
    for box in boxes.values():
        if box["records"] is not None and box["n"] is not None:
            assert box["n"] == len(box["records"]), box
    assert boxes["total_reports"]["n"] == boxes["previous_reports"]["n"] + boxes["new_reports"]["n"] == 36
    assert len(boxes["previous_identified"]["records"]) == checked["since"]["previous_records"]
    text = _run("check", str(update.protocol), "--since", f"#{update.ref}", "--records")
    assert "ok: the diagram adds up" in text
    assert "after it" in text and f"run #{update.ref}" in text


def _records_in_ledger(update: Update) -> int:
    loaded = protocol_module.load(update.protocol)
    with Ledger.open(loaded.ledger_path) as ledger:
        return int(ledger.connection.execute("SELECT COUNT(*) AS n FROM records").fetchone()["n"])


def test_the_diagram_uses_the_updated_template_and_matches_the_golden_file(update: Update, tmp_path: Path) -> None:
    out = tmp_path / "since.dot"
    said = _run("diagram", str(update.protocol), "--since", str(update.ref), "--format", "dot", "--out", str(out))
    assert "(updated layout, dot)" in said
    dot = out.read_text(encoding="utf-8")
    golden = GOLDEN / "since_updated.dot"
    if os.environ.get("PRISMA_HARVEST_UPDATE_GOLDEN") == "1":
        golden.write_text(dot, encoding="utf-8")
    assert dot == golden.read_text(encoding="utf-8")
    svg = tmp_path / "since.svg"
    _run("diagram", str(update.protocol), "--since", str(update.ref), "--out", str(svg))
    texts = " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg.read_text(encoding="utf-8")))
    for line in ("Studies included in previous version of review", "Embase (n = 10)",
                 "Duplicate records removed (n = 4)", "Total studies included in review"):
        assert line in texts, line
    assert "(n = 36)" in texts and "(n = 34)" in texts


def test_a_time_boundary_gives_the_same_split_as_the_run(update: Update) -> None:
    loaded = protocol_module.load(update.protocol)
    with Ledger.open(loaded.ledger_path) as ledger:
        ended = get_run(ledger, update.ref).ended_at
        by_run = counts_since(ledger, loaded, str(update.ref))
        assert ended is not None
        by_time = counts_since(ledger, loaded, ended)
    assert by_time.counts == by_run.counts
    assert (by_time.previous_ids, by_time.new_ids) == (by_run.previous_ids, by_run.new_ids)
    assert by_time.boundary.moment == ended and not check_since(by_time)


def test_previous_studies_in_the_protocol_that_differ_are_reported(update: Update, tmp_path: Path) -> None:
    text = update.protocol.read_text(encoding="utf-8").replace('[review]\n', '[review]\nprevious_studies = 30\n', 1)
    path = tmp_path / "with-previous.toml"
    path.write_text(text.replace('ledger = "ledger.sqlite"',
                                 f'ledger = "{(update.protocol.parent / "ledger.sqlite").as_posix()}"'),
                    encoding="utf-8")
    result = runner.invoke(app, ["diagram", str(path), "--since", str(update.ref), "--out", str(tmp_path / "d.svg")])
    assert result.exit_code == 0, result.output
    assert "previous_studies = 30, but the ledger holds 34" in result.output
    assert "the diagram shows the ledger's 34" in result.output


def test_bad_boundaries_are_refused(update: Update, tmp_path: Path) -> None:
    assert runner.invoke(app, ["diagram", str(update.protocol), "--since", "last tuesday"]).exit_code == 2
    unknown = runner.invoke(app, ["check", str(update.protocol), "--since", "99999"])
    assert unknown.exit_code == 1 and "no run #99999" in unknown.output
    csv_file = REPO / "tests" / "data" / "seed_flow_2020.csv"
    both = runner.invoke(app, ["counts", "--counts", str(csv_file), "--since", "3"])
    assert both.exit_code == 2 and "--since" in both.output  # usage: two options that do not fit (issue 12)
    future = json.loads(_run("counts", str(update.protocol), "--since", "2999-01-01"))
    assert future["database_results"] == 0 and future["previous_reports"] == future["total_reports"]
    assert any("new identification is empty" in w for w in future["since"]["warnings"])


def test_the_html_report_says_where_the_previous_version_ends(update: Update, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    _run("report", str(update.protocol), "--since", str(update.ref), "--out", str(out))
    page = out.read_text(encoding="utf-8")
    assert "Updated review. Previous version:" in page and f"--since {update.ref}" in page
    assert 'id="box-previous_reports"' in page and 'href="#box-previous_reports"' in page
    assert "Every box equals the boxes feeding it" in page


def test_a_split_that_does_not_add_up_is_named(update: Update) -> None:
    loaded = protocol_module.load(update.protocol)
    with Ledger.open(loaded.ledger_path) as ledger:
        split = counts_since(ledger, loaded, str(update.ref))
    records = dict(split.counts.records)
    records["total_reports"] = records["total_reports"][1:]
    broken = replace(split, counts=replace(split.counts, records=records))
    (problem,) = check_since(broken)
    assert problem.rule == "A15" and "previous + 2 new" in str(problem)
    moved = replace(split, new_ids=split.new_ids[1:])
    assert any(p.rule == "since" for p in check_since(moved))


def test_parse_since() -> None:
    assert parse_since("12") == 12 and parse_since("#7") == 7
    assert parse_since("2026-03-01") == parse_since("2026/03/01") == "2026-03-01T00:00:00.000000Z"
    assert parse_since("2026-03-01T10:00:00+01:00") == "2026-03-01T09:00:00.000000Z"
    with pytest.raises(ValueError, match="give a run id"):
        parse_since("yesterday")


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.integers(1, 30), st.integers(1, 30)), st.sets(st.integers(1, 30)),
       st.dictionaries(st.integers(1, 30), st.integers(1, 30)))
def test_split_clusters_keeps_each_spanning_cluster_by_an_old_record(raw: dict[int, int], new: set[int],
                                                                     before: dict[int, int]) -> None:
    duplicates = {removed: kept for removed, kept in raw.items() if removed != kept and kept not in raw}
    result = split_clusters(duplicates, new, before)
    # a star: nothing kept is itself removed, and the same records are grouped together
    assert not set(result) & set(result.values())

    def clusters(mapping: dict[int, int]) -> set[frozenset[int]]:
        groups: dict[int, set[int]] = {}
        for removed, kept in mapping.items():
            groups.setdefault(kept, {kept}).add(removed)
        return {frozenset(group) for group in groups.values()}

    assert clusters(result) == clusters(duplicates)
    for group in clusters(result):
        kept = next(m for m in group if m not in result)
        if group - new:
            assert kept not in new  # a cluster holding a record from before is kept by one of those
        else:
            assert kept == next(m for m in group if m not in duplicates)  # new-only clusters are as they were


def test_without_since_the_protocols_previous_numbers_are_marked_untraced(update: Update, tmp_path: Path) -> None:
    text = update.protocol.read_text(encoding="utf-8").replace(
        "[review]\n", "[review]\nprevious_studies = 30\nprevious_reports = 31\n", 1)
    path = tmp_path / "keys.toml"
    path.write_text(text.replace('ledger = "ledger.sqlite"',
                                 f'ledger = "{(update.protocol.parent / "ledger.sqlite").as_posix()}"'),
                    encoding="utf-8")
    out = tmp_path / "report.html"
    _run("report", str(path), "--out", str(out))
    page = out.read_text(encoding="utf-8")
    assert "31, from the protocol's previous_reports (not traced to ledger records" in page
    assert "from the protocol's previous_reports plus the new ones" in page
    assert "Updated review. Previous version:" not in page
