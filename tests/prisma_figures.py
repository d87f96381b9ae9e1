"""Reading a drawn PRISMA figure back, box by box, and what each box must print, counted from the ledger's flow
(:class:`tests.prisma_review.Flow`, read with SQL): shared by the tests of the generated review and the property
over random reviews."""

from __future__ import annotations

import html
import re

from tests.prisma_review import ARMS, METHODS, REASONS, Flow

RETRIEVAL = ("awaiting-retrieval", "not-retrieved", "awaiting-assessment", "excluded-full-text", "included")
ASSESSED = ("awaiting-assessment", "excluded-full-text", "included")
REMOVED = ("duplicate", "ineligible-automation", "removed-other")


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
    """Box id -> label -> n, counted from the ledger's flow, labels as the PRISMA 2020 template words them. The
    template's rules for what it shows: a database or register line only for one that has records ("Registers"
    only when some register has), the automation/reviewers split only when automation excluded any, "Awaiting"
    lines only when not zero, reasons only those given, an other method only when it has records."""
    mark = "*" if footnotes else ""
    identified = {f"Records identified from{mark}: Databases": flow.count(arm="databases")}
    identified.update({name: flow.count(source=name) for name in sorted(ARMS) if ARMS[name] == "databases"
                       and flow.count(source=name)})
    if flow.count(arm="registers"):
        identified["Registers"] = flow.count(arm="registers")
        identified.update({name: flow.count(source=name) for name in sorted(ARMS) if ARMS[name] == "registers"
                           and flow.count(source=name)})
    automation = len(flow.by_automation)
    excluded = {f"Records excluded{'**' if footnotes else ''}": dbr(flow, "excluded-screening")}
    if automation:
        excluded["By automation tools"] = automation
        excluded["By reviewers"] = dbr(flow, "excluded-screening") - automation
    if reasons:
        screening: dict[str, int] = {}
        for src, end, reason in flow.ends.values():
            if end == "excluded-screening" and ARMS[src] != "other":
                screening[reason or "No reason recorded"] = screening.get(reason or "No reason recorded", 0) + 1
        for i, (name, n) in enumerate(sorted(screening.items())):
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
        "included": {f"{'New studies' if new else 'Studies'} included in review": studies,
                     f"Reports of {new}included studies": flow.count("included")},
    }
    if template.endswith("-other"):
        methods = [name for name in METHODS if flow.count(source=name)]
        other = {f"Records identified from: {METHODS[name][1]}" if i == 0 else METHODS[name][1]:
                 flow.count(source=name) for i, name in enumerate(methods)}
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
    if previous is not None and template.startswith("updated"):
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
    """The 2009 boxes by the mapping of docs/prisma.md, counted from the records' ends ("Awaiting" and "Removed before
    screening" lines only when not zero, "Reports of included studies" only when reports outnumber studies)."""
    every = flow.ends.values()
    after = sum(1 for _, end, _ in every if end != "duplicate")
    excluded = sum(1 for _, end, _ in every if end in ("excluded-screening", "ineligible-automation", "removed-other"))
    reasons = flow.reasons("excluded-full-text")
    studies, reports = len(set(flow.studies.values())), flow.count("included")
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
                              **reasons, "Full text not retrieved": flow.count("not-retrieved")},
        "qualitative": {"Studies included in qualitative synthesis": studies,
                        **({"Reports of included studies": reports} if reports != studies else {})},
    }
    if flow.count(arm="other"):
        boxes["found_other"] = {"Additional records identified through other sources": flow.count(arm="other")}
    for box in boxes.values():
        for label in [label for label, n in box.items() if n == 0 and label.startswith(
                ("Awaiting", "Removed before screening", "Full text not retrieved"))]:
            del box[label]
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




def dot_boxes(dot: str) -> dict[str, list[str]]:
    """Node id -> the lines of its label, read back from the DOT text (the figure before rendering)."""
    boxes: dict[str, list[str]] = {}
    for match in re.finditer(r'^\s*"?([\w-]+)"? \[label=<(.*?)>\s+\w+=', dot, re.M):
        boxes[match.group(1)] = [html.unescape(line) for line in match.group(2).split("<BR/>")]
    return boxes


def assert_figure(boxes: dict[str, list[str]], flow: Flow, layout: str, previous: tuple[int, int] | None,
                  footnotes: bool, reasons: bool) -> int:
    """Every number the figure prints, box by box, is the one counted from the ledger's flow, and no box prints a
    number the flow does not account for; returns how many numbers were compared."""
    want = expected_2009(flow) if layout == "2009" else expected_2020(flow, layout, previous, footnotes, reasons)
    compared = 0
    for box, lines in want.items():
        assert numbers(boxes.get(box, [])) == lines, (layout, box, boxes.get(box), lines)
        compared += len(lines)
    counted = {box for box, lines in boxes.items() if _COUNT.search(" ".join(lines))}
    assert counted - {"footnotes"} == {box for box, lines in want.items() if lines}, (layout, counted)
    if footnotes and layout != "2009":
        notes = footnote_numbers(boxes["footnotes"])
        for source in ARMS:
            if ARMS[source] != "other" and flow.count(source=source):
                assert notes[source] == flow.count(source=source), source
                compared += 1
        assert notes["by automation"] == len(flow.by_automation)
        assert notes["by reviewers"] == dbr(flow, "excluded-screening") - len(flow.by_automation)
        assert notes["before screening"] == dbr(flow, "ineligible-automation")
        compared += 3
    else:
        assert "footnotes" not in boxes
    return compared
