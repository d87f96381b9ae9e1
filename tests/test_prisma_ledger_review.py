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
from tests.prisma_review import ARMS, FILES, METHODS, REASONS, Flow, build_review, ledger_flow, variant

runner = CliRunner()
PREVIOUS = (6, 8)
RETRIEVAL = ("awaiting-retrieval", "not-retrieved", "awaiting-assessment", "excluded-full-text", "included")
ASSESSED = ("awaiting-assessment", "excluded-full-text", "included")
REMOVED = ("duplicate", "ineligible-automation", "removed-other")


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


# -- reading the figures back --------------------------------------------------------------------------------------

_NODE = re.compile(r'<g id="([^"]*)" class="node">')
_COUNT = re.compile(r"\(n = ([\d,]+)\)")


def svg_boxes(svg: str) -> dict[str, list[str]]:
    """Node (box id, or its Graphviz title for nodes without one) -> its text lines, in order."""
    starts = list(_NODE.finditer(svg))
    boxes: dict[str, list[str]] = {}
    for i, match in enumerate(starts):
        segment = svg[match.end():starts[i + 1].start() if i + 1 < len(starts) else len(svg)]
        name = html.unescape(match.group(1))
        if name.startswith("node-"):
            name = name[len("node-"):]
        else:
            title = re.search(r"<title>([^<]*)</title>", segment)
            name = html.unescape(title.group(1)) if title else name
        boxes[name] = [html.unescape(text) for text in re.findall(r"<text[^>]*>([^<]*)</text>", segment)]
    return boxes


def numbers(lines: list[str]) -> dict[str, int]:
    """A box's text read as ``label -> n``: each ``(n = x)`` with the words printed since the previous count (wrapped
    lines joined). Every number in the box is a count: a label seen twice, or a digit outside ``(n = x)``, fails."""
    text = " ".join(" ".join(lines).split())
    found: dict[str, int] = {}
    at = 0
    for match in _COUNT.finditer(text):
        label = text[at:match.start()].strip()
        assert label not in found, (label, text)
        found[label] = int(match.group(1).replace(",", ""))
        at = match.end()
    rest = _COUNT.sub("", text)
    assert not re.search(r"\d", rest), ("a number outside (n = x)", text)
    return found


# -- what each box must print, from the ledger --------------------------------------------------------------------


def dbr(flow: Flow, *ends: str) -> int:
    return flow.count(*ends, arm="databases") + flow.count(*ends, arm="registers")


def expected_2020(flow: Flow, template: str, previous: tuple[int, int] | None, footnotes: bool = True,
                  reasons: bool = False) -> dict[str, dict[str, int]]:
    """Box id -> label -> n, counted from the ledger's flow (labels as the PRISMA 2020 template words them)."""
    mark = "*" if footnotes else ""
    identified = {f"Records identified from{mark}: Databases": flow.count(arm="databases")}
    identified.update({name: flow.count(source=name) for name in sorted(ARMS) if ARMS[name] == "databases"
                       and flow.count(source=name)})
    identified["Registers"] = flow.count(arm="registers")
    identified.update({name: flow.count(source=name) for name in sorted(ARMS) if ARMS[name] == "registers"})
    automation = len(flow.by_automation)
    excluded = {f"Records excluded{'**' if footnotes else ''}": dbr(flow, "excluded-screening"),
                "By automation tools": automation, "By reviewers": dbr(flow, "excluded-screening") - automation}
    if reasons:
        for i, (name, n) in enumerate(sorted(flow.reasons("excluded-screening").items())):
            excluded[("Reasons: " if i == 0 else "") + name] = n
    new = "new " if template.startswith("updated") else ""
    studies = len(set(flow.studies.values()))
    boxes = {
        "records_identified": identified,
        "records_removed": {"Records removed before screening: Duplicate records removed": dbr(flow, "duplicate"),
                            "Records marked as ineligible by automation tools": dbr(flow, "ineligible-automation"),
                            "Records removed for other reasons": dbr(flow, "removed-other")},
        "records_screened": {"Records screened": sum(1 for s, e, _ in flow.ends.values()
                                                     if ARMS[s] != "other" and e not in REMOVED),
                             "Awaiting screening": dbr(flow, "awaiting-screening")},
        "records_excluded": excluded,
        "dbr_sought": {"Reports sought for retrieval": dbr(flow, *RETRIEVAL),
                       "Awaiting retrieval": dbr(flow, "awaiting-retrieval")},
        "dbr_notretrieved": {"Reports not retrieved": dbr(flow, "not-retrieved")},
        "dbr_assessed": {"Reports assessed for eligibility": dbr(flow, *ASSESSED),
                         "Awaiting assessment": dbr(flow, "awaiting-assessment")},
        "dbr_excluded": _reasons("Reports excluded: ", flow.reasons("excluded-full-text", "dbr")),
        "included": {f"{new.capitalize() or ''}{'studies' if new else 'Studies'} included in review": studies,
                     f"Reports of {new}included studies": flow.count("included")},
    }
    if template.endswith("-other"):
        other = {f"Records identified from: {METHODS[name][1]}" if i == 0 else METHODS[name][1]:
                 flow.count(source=name) for i, name in enumerate(METHODS)}
        removed = {"Duplicate records": flow.count("duplicate", arm="other"),
                   "Removed for other reasons": flow.count("removed-other", arm="other")}
        other.update(_reasons("Removed before retrieval: ", {k: v for k, v in removed.items() if v}))
        boxes.update({
            "other_identified": other,
            "other_sought": {"Reports sought for retrieval": flow.count(*RETRIEVAL, arm="other"),
                             "Awaiting retrieval": flow.count("awaiting-retrieval", arm="other")},
            "other_notretrieved": {"Reports not retrieved": flow.count("not-retrieved", arm="other")},
            "other_assessed": {"Reports assessed for eligibility": flow.count(*ASSESSED, arm="other"),
                               "Awaiting assessment": flow.count("awaiting-assessment", arm="other")},
            "other_excluded": _reasons("Reports excluded: ", flow.reasons("excluded-full-text", "other")),
        })
    if previous is not None:
        boxes["previous"] = {"Studies included in previous version of review": previous[0],
                             "Reports of studies included in previous version of review": previous[1]}
        boxes["total"] = {"Total studies included in review": previous[0] + studies,
                          "Reports of total included studies": previous[1] + flow.count("included")}
    for box in boxes.values():  # lines the template hides when zero ("Awaiting ...")
        for label in [label for label, n in box.items() if label.startswith("Awaiting") and n == 0]:
            del box[label]
    return boxes


def _reasons(heading: str, reasons: dict[str, int]) -> dict[str, int]:
    order = {name: i for i, name in enumerate(REASONS)}
    names = sorted(reasons, key=lambda name: (order.get(name, len(order)), name))
    return {(heading if i == 0 else "") + name: reasons[name] for i, name in enumerate(names)}


def expected_2009(flow: Flow) -> dict[str, dict[str, int]]:
    """The 2009 boxes by the mapping of docs/prisma.md, counted from the records' ends."""
    every = flow.ends.values()
    after = sum(1 for _, end, _ in every if end != "duplicate")
    excluded = sum(1 for _, end, _ in every if end in ("excluded-screening", "ineligible-automation", "removed-other"))
    reasons: dict[str, int] = {}
    for name, n in flow.reasons("excluded-full-text").items():
        reasons[name] = reasons.get(name, 0) + n
    boxes = {
        "found": {"Records identified through database searching": dbr(flow)},
        "after_duplicates": {"Records after duplicates removed": after},
        "screened": {"Records screened": after, "Awaiting screening": flow.count("awaiting-screening")},
        "excluded": {"Records excluded": excluded,
                     "Removed before screening": flow.count("ineligible-automation", "removed-other")},
        "fulltext": {"Full-text articles assessed for eligibility": flow.count(*RETRIEVAL),
                     "Awaiting retrieval or assessment": flow.count("awaiting-retrieval", "awaiting-assessment")},
        "fulltext_excluded": {"Full-text articles excluded, with reasons": flow.count("excluded-full-text",
                                                                                        "not-retrieved"),
                              **{name: n for name, n in sorted(reasons.items(), key=lambda item: (
                                  REASONS.index(item[0]), item[0]))},
                              "Full text not retrieved": flow.count("not-retrieved")},
        "qualitative": {"Studies included in qualitative synthesis": len(set(flow.studies.values())),
                        "Reports of included studies": flow.count("included")},
    }
    if flow.count(arm="other"):
        boxes["found_other"] = {"Additional records identified through other sources": flow.count(arm="other")}
    return boxes


def footnote_numbers(lines: list[str]) -> dict[str, int]:
    text = " ".join(" ".join(lines).split())
    found = {name: int(n.replace(",", "")) for name, n in re.findall(r"([\w.]+(?: [\w.]+)*) \(n = ([\d,]+)\)", text)}
    split = re.search(r"screening: ([\d,]+) by reviewers, ([\d,]+) by automation tools\.(?: Before screening, ([\d,]+) "
                      r"record\(s\) were marked as ineligible)?", text)
    assert split is not None, text
    found["by reviewers"], found["by automation"] = int(split.group(1)), int(split.group(2))
    found["before screening"] = int(split.group(3) or 0)
    return found


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
            continue
        drawn.add(layout)
        assert checked.exit_code == 0 and json.loads(checked.stdout)["ok"], checked.output
        boxes = svg_boxes(out.read_text(encoding="utf-8"))
        if layout == "2009":
            want = expected_2009(flow)
        else:
            want = expected_2020(flow, layout, previous, reasons=name == "reasons")
        for box, lines in want.items():
            assert numbers(boxes[box]) == lines, (layout, box, boxes[box])
        counted = {box for box, lines in boxes.items() if _COUNT.search(" ".join(lines))}
        assert counted - {"footnotes"} == set(want), (layout, "a box with numbers the test does not know")
        assert all(n > 0 for box in want.values() for n in box.values()), "every drawn line is non-zero here"
        if layout != "2009":
            notes = footnote_numbers(boxes["footnotes"])
            for source in ARMS:
                if ARMS[source] != "other" and flow.count(source=source):
                    assert notes[source] == flow.count(source=source), source
            assert notes["by automation"] == len(flow.by_automation)
            assert notes["by reviewers"] == dbr(flow, "excluded-screening") - len(flow.by_automation)
            assert notes["before screening"] == dbr(flow, "ineligible-automation")
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
