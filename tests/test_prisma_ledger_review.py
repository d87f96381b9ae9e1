"""Every layout drawn from a real ledger with every box non-zero, each printed number checked against the ledger.

The review is built through the commands (``tests/prisma_review.py``: database and register exports, three kinds
of other methods, duplicates, automation at two stages, a withdrawn import and one never identified, dual screening
with conflicts resolved and open, reports not retrieved, full-text exclusions with reasons, one study with two
reports twice). What each box must print is counted from the ledger's tables with SQL
(:func:`tests.prisma_review.ledger_flow`), not by the functions that fed the diagram; each figure (SVG, the
PRISMA2020 CSV, the counts JSON, the HTML report) is then read back box by box and every number compared.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester.cli.main import app
from tests.prisma_figures import (
    ASSESSED,
    REMOVED,
    RETRIEVAL,
    _reasons,
    assert_figure,
    dbr,
    expected_2020,
    numbers,
    svg_boxes,
)
from tests.prisma_review import ARMS, FILES, METHODS, Flow, build_review, ledger_flow, variant

runner = CliRunner()
PREVIOUS = (6, 8)


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The review's protocol variants: name -> protocol file."""
    protocol = build_review(tmp_path_factory.mktemp("ledger-review"))
    return {
        "new": protocol,
        "previous": variant(protocol, "previous", previous=PREVIOUS),
        "reasons": variant(protocol, "reasons", screening_reasons=True),
        "databases": variant(protocol, "databases", without_other_methods=True),
        "databases-previous": variant(protocol, "databases-previous", previous=PREVIOUS, without_other_methods=True),
    }


def flow_of(protocol: Path) -> Flow:
    ledger = re.search(r'ledger = "([^"]+)"', protocol.read_text(encoding="utf-8"))
    assert ledger is not None
    return ledger_flow(protocol.parent / ledger.group(1))


# -- the tests ----------------------------------------------------------------------------------------------------


def test_the_generated_ledger_has_every_box_non_zero(review: dict[str, Path]) -> None:
    flow = flow_of(review["new"])
    for arm in ("databases", "registers", "other"):
        assert flow.count(arm=arm), arm
    for end in ("duplicate", "ineligible-automation", "removed-other", "awaiting-screening", "excluded-screening",
                "awaiting-retrieval", "not-retrieved", "awaiting-assessment", "excluded-full-text", "included"):
        assert dbr(flow, end), end
    for end in ("duplicate", "awaiting-retrieval", "not-retrieved", "awaiting-assessment", "excluded-full-text",
                "included"):
        assert flow.count(end, arm="other"), end
    assert flow.by_automation and dbr(flow, "excluded-screening") > len(flow.by_automation)
    assert len(flow.reasons("excluded-full-text", "dbr")) >= 2 and len(flow.reasons("excluded-full-text", "other")) >= 2
    assert all(flow.count(source=name) for name in METHODS) and flow.count(source="WHO ICTRP")
    studies = list(flow.studies.values())
    assert sum(1 for s in set(studies) if studies.count(s) == 2) == 2  # two studies with two reports each
    # the mistaken import withdrawn as never identified is in no box; the one withdrawn as removed is
    assert flow.count(source="CINAHL") == 5 + 2 and flow.count("removed-other", source="CINAHL") == 2


LAYOUTS = ("new", "new-other", "updated", "updated-other", "2009")
FITS = {"new": {"new-other", "2009"}, "previous": {"updated-other"}, "databases": {"new", "2009"},
        "databases-previous": {"updated"}, "reasons": {"new-other", "2009"}}


@pytest.mark.parametrize("name", sorted(FITS))
def test_every_layout_prints_the_ledgers_numbers_or_refuses_naming_one_that_fits(
        review: dict[str, Path], name: str, tmp_path: Path) -> None:
    protocol = review[name]
    flow = flow_of(protocol)
    previous = PREVIOUS if "previous" in name else None
    pending = flow.count("awaiting-screening", "awaiting-retrieval", "awaiting-assessment")
    drawn: set[str] = set()
    for layout in LAYOUTS:
        out = tmp_path / f"{layout}.svg"
        made = runner.invoke(app, ["diagram", str(protocol), "--template", layout, "--footnotes", "--out", str(out)])
        checked = runner.invoke(app, ["check", str(protocol), "--template", layout, "--json"])
        assert f"provisional: {pending} record(s) still await a decision" in made.output, made.output
        assert any(f"provisional: {pending} record(s)" in w for w in json.loads(checked.stdout)["warnings"])
        if made.exit_code != 0:
            assert made.exit_code == 1 and checked.exit_code == 1 and not out.exists(), made.output
            named = set(re.findall(r"--template ([\w-]+)", made.output))
            assert named and named <= FITS[name], (layout, made.output)
            assert not json.loads(checked.stdout)["ok"]
            stamped = runner.invoke(app, ["diagram", str(protocol), "--template", layout, "--draft", "--out", str(out)])
            assert stamped.exit_code == 0 and "DRAFT: the numbers do not add up" in out.read_text(encoding="utf-8")
            continue
        drawn.add(layout)
        draft = tmp_path / f"{layout}-draft.svg"
        assert runner.invoke(app, ["diagram", str(protocol), "--template", layout, "--draft", "--out", str(draft)]
                             ).exit_code == 0
        assert "DRAFT" not in draft.read_text(encoding="utf-8")  # the stamp says "do not add up": only when true
        assert checked.exit_code == 0 and json.loads(checked.stdout)["ok"], checked.output
        boxes = svg_boxes(out.read_text(encoding="utf-8"))
        assert assert_figure(boxes, flow, layout, previous, True, name == "reasons") >= (12 if layout == "2009" else 30)
        want = {box: lines for box, lines in boxes.items() if box != "footnotes"}
        assert all(n > 0 for lines in want.values() for n in numbers(lines).values()), "every drawn line non-zero"
    assert drawn == FITS[name]


def test_the_prisma2020_csv_holds_the_ledgers_numbers(review: dict[str, Path]) -> None:
    protocol = review["previous"]
    flow = flow_of(protocol)
    result = runner.invoke(app, ["counts", str(protocol), "--format", "prisma2020-csv"])
    assert result.exit_code == 0, result.output
    rows = {row["data"]: row["n"] for row in csv.DictReader(io.StringIO(result.stdout)) if row["data"] != "NA"}
    studies = len(set(flow.studies.values()))

    def listed(values: dict[str, int]) -> str:
        return "; ".join(f"{name}, {n}" for name, n in values.items())

    by_source = {kind: {name: flow.count(source=name) for name in sorted(ARMS) if ARMS[name] == kind}
                 for kind in ("databases", "registers")}
    want = {
        "previous_studies": PREVIOUS[0], "previous_reports": PREVIOUS[1],
        "database_results": flow.count(arm="databases"), "database_specific_results": listed(by_source["databases"]),
        "register_results": flow.count(arm="registers"), "register_specific_results": listed(by_source["registers"]),
        "website_results": flow.count(source="Charity websites"),
        "organisation_results": flow.count(source="Organisations contacted"),
        "citations_results": flow.count(source="Reference lists"),
        "duplicates": dbr(flow, "duplicate"), "excluded_automatic": dbr(flow, "ineligible-automation"),
        "excluded_other": dbr(flow, "removed-other"),
        "records_screened": sum(1 for s, e, _ in flow.ends.values() if ARMS[s] != "other" and e not in REMOVED),
        "records_excluded": dbr(flow, "excluded-screening"),
        "dbr_sought_reports": dbr(flow, *RETRIEVAL), "dbr_notretrieved_reports": dbr(flow, "not-retrieved"),
        "other_sought_reports": flow.count(*RETRIEVAL, arm="other"),
        "other_notretrieved_reports": flow.count("not-retrieved", arm="other"),
        "dbr_assessed": dbr(flow, *ASSESSED),
        "dbr_excluded": listed({k.removeprefix("Reports excluded: "): v for k, v in
                                _reasons("Reports excluded: ", flow.reasons("excluded-full-text", "dbr")).items()}),
        "other_assessed": flow.count(*ASSESSED, arm="other"),
        "other_excluded": listed({k.removeprefix("Reports excluded: "): v for k, v in
                                  _reasons("Reports excluded: ", flow.reasons("excluded-full-text", "other")).items()}),
        "new_studies": studies, "new_reports": flow.count("included"),
        "total_studies": PREVIOUS[0] + studies, "total_reports": PREVIOUS[1] + flow.count("included"),
        "x_ta_excl_automation": len(flow.by_automation),
        "x_ta_excl_reviewers": dbr(flow, "excluded-screening") - len(flow.by_automation),
        "x_ta_awaiting": dbr(flow, "awaiting-screening"), "x_dbr_retrieval_awaiting": dbr(flow, "awaiting-retrieval"),
        "x_dbr_assessment_awaiting": dbr(flow, "awaiting-assessment"),
        "x_oth_retrieval_awaiting": flow.count("awaiting-retrieval", arm="other"),
        "x_oth_assessment_awaiting": flow.count("awaiting-assessment", arm="other"),
        "x_oth_removed": listed({"Duplicate records": flow.count("duplicate", arm="other")}),
    }
    for key, value in want.items():
        assert rows.get(key) == str(value), (key, rows.get(key), value)


def test_the_prisma2020_csv_has_the_r_packages_rows_in_its_order(review: dict[str, Path], shared_dir: Path) -> None:
    template = (shared_dir / "prisma" / "PRISMA2020_template.csv").read_text(encoding="utf-8")
    ours = runner.invoke(app, ["counts", str(review["previous"]), "--format", "prisma2020-csv"]).stdout
    theirs = list(csv.DictReader(io.StringIO(template)))
    written = list(csv.DictReader(io.StringIO(ours)))
    assert list(written[0]) == list(theirs[0])  # the same eight columns
    package = [(row["data"], row["node"] or "NA", row["box"]) for row in theirs]
    assert [(row["data"], row["node"], row["box"]) for row in written[:len(package)]] == package
    assert all(row["data"].startswith("x_") for row in written[len(package):])  # ours after theirs, named apart


def test_the_counts_json_and_the_html_report_hold_the_ledgers_numbers(review: dict[str, Path], tmp_path: Path
                                                                      ) -> None:
    protocol = review["new"]
    flow = flow_of(protocol)
    counts = json.loads(runner.invoke(app, ["counts", str(protocol)]).stdout)
    assert counts["records_screened"] == len(counts["records"]["records_screened"])
    for key, ends, arm in (("duplicates", ("duplicate",), "dbr"), ("excluded_other", ("removed-other",), "dbr"),
                           ("dbr_sought_reports", RETRIEVAL, "dbr"), ("other_assessed", ASSESSED, "other"),
                           ("new_reports", ("included",), None)):
        want = dbr(flow, *ends) if arm == "dbr" else flow.count(*ends, arm=arm)
        assert counts[key] == want, key
    assert counts["new_studies"] == len(set(flow.studies.values()))
    assert sorted(rid for ids in counts["records"].values() for rid in ids) != []
    assert set(counts["records"]["records_excluded"]) == {rid for rid, (s, e, _) in flow.ends.items()
                                                          if e == "excluded-screening" and ARMS[s] != "other"}

    out = tmp_path / "report.html"
    made = runner.invoke(app, ["report", str(protocol), "--out", str(out)])
    assert made.exit_code == 0, made.output
    page = out.read_text(encoding="utf-8")
    diagram = page[page.index("<svg"):page.index("</svg>")]
    boxes = svg_boxes(diagram)
    for box, lines in expected_2020(flow, "new-other", None).items():
        assert numbers(boxes[box]) == lines, (box, boxes[box])
    text = html.unescape(re.sub(r"<[^>]+>", " ", page[page.index("</svg>"):]))
    text = " ".join(text.split())
    duplicates, identified = dbr(flow, "duplicate"), dbr(flow)
    assert f"{duplicates} duplicate records removed from {identified} records identified in databases and registers" \
        in text
    studies = len(set(flow.studies.values()))
    assert f"{studies} studies included, in {flow.count('included')} reports" in text
    for name, n in flow.reasons("excluded-full-text", "dbr").items():
        assert f"Full text (databases and registers) {name} {n}" in text, name
    for name, n in flow.reasons("excluded-full-text", "other").items():
        assert f"Full text (other methods) {name} {n}" in text, name
    assert f"Before screening Removed for other reasons {dbr(flow, 'removed-other')}" in text
    sections = {key: int(n.replace(",", "")) for key, n in re.findall(
        r'<section class="box" id="box-([a-z_]+)"><h3>[^<:]+(?:: [^<:]+)?: ([\d,]+) record\(s\)</h3>', page)}
    other = {end: flow.count(end, arm="other") for end in (*RETRIEVAL, "duplicate")}
    assert sections == {  # each box's list of records: as many as the ledger puts there
        "database_results": flow.count(arm="databases"), "database_specific_results": flow.count(arm="databases"),
        "register_results": flow.count(arm="registers"), "register_specific_results": flow.count(arm="registers"),
        "website_results": flow.count(source="Charity websites"),
        "organisation_results": flow.count(source="Organisations contacted"),
        "citations_results": flow.count(source="Reference lists"), "other_method_results": flow.count(arm="other"),
        "duplicates": dbr(flow, "duplicate"), "excluded_automatic": dbr(flow, "ineligible-automation"),
        "excluded_other": dbr(flow, "removed-other"),
        "records_screened": sum(1 for s, e, _ in flow.ends.values() if ARMS[s] != "other" and e not in REMOVED),
        "records_awaiting_screening": dbr(flow, "awaiting-screening"),
        "records_excluded": dbr(flow, "excluded-screening"),
        "records_excluded_reasons": dbr(flow, "excluded-screening"),
        "records_excluded_automation": len(flow.by_automation),
        "records_excluded_reviewers": dbr(flow, "excluded-screening") - len(flow.by_automation),
        "dbr_sought_reports": dbr(flow, *RETRIEVAL), "dbr_awaiting_retrieval": dbr(flow, "awaiting-retrieval"),
        "dbr_notretrieved_reports": dbr(flow, "not-retrieved"), "dbr_assessed": dbr(flow, *ASSESSED),
        "dbr_awaiting_assessment": dbr(flow, "awaiting-assessment"), "dbr_excluded": dbr(flow, "excluded-full-text"),
        "dbr_included": dbr(flow, "included"),
        "other_removed": other["duplicate"], "other_sought_reports": sum(other[end] for end in RETRIEVAL),
        "other_awaiting_retrieval": other["awaiting-retrieval"], "other_notretrieved_reports": other["not-retrieved"],
        "other_assessed": sum(other[end] for end in ASSESSED),
        "other_awaiting_assessment": other["awaiting-assessment"],
        "other_excluded": other["excluded-full-text"], "other_included": other["included"],
        "new_reports": flow.count("included"),
    }
    headings = dict(re.findall(r'<h4 id="box-[^"]*">([^<]*) \((\d+)\)</h4>', page))
    for source in ARMS:
        if flow.count(source=source) and ARMS[source] != "other":
            assert int(headings[source]) == flow.count(source=source), source
    pending = flow.count("awaiting-screening", "awaiting-retrieval", "awaiting-assessment")
    assert f"provisional: {pending} record(s) still await a decision" in text.lower()


def test_the_search_report_counts_each_source_and_every_duplicate_once(review: dict[str, Path], tmp_path: Path
                                                                        ) -> None:
    protocol = review["new"]
    flow = flow_of(protocol)
    out = tmp_path / "search.md"
    assert runner.invoke(app, ["report", str(protocol), "--search-markdown", "--out", str(out)]).exit_code == 0
    markdown = out.read_text(encoding="utf-8")
    for filename, _ in FILES.values():
        assert f"`{filename}`" in markdown, filename
    assert re.search(r"`another-review.ris` \| ris \| 2 \(withdrawn: never identified", markdown)
    held = markdown[markdown.index("## Records held per source"):markdown.index("## Declared by the authors")]
    shown = {name: int(n.replace(",", "")) for name, n in re.findall(r"^- (.+): ([\d,]+)$", held, re.M)}
    assert shown == {source: flow.count(source=source) for source in ARMS}  # never-identified records not held
    duplicates = flow.count("duplicate")
    assert f"- Records removed as duplicates: {duplicates}\n" in markdown
    rules = [int(n) for n in re.findall(r"^  - by rule [\w-]+: (\d+)$", markdown, re.M)]
    assert rules and sum(rules) == duplicates  # the rules add up to the duplicates counted, withdrawn ones not
