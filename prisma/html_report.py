"""``prisma-harvest report``: one self-contained HTML file a co-author or an editor can open anywhere.

It holds the flow diagram (SVG inline, each box a link), the arithmetic check, the exclusion reasons
with counts, the de-duplication summary, the PRISMA-S search report, and for every box the list of
ledger records behind its count (id, source, year, title), so any number on the diagram can be traced
to records by clicking it. No scripts, fonts or images are fetched: everything is in the one file.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import replace

from prisma.check import BOX_NAMES, box_count, check_layout, provisional
from prisma.counts import PrismaCounts
from prisma.diagram import DiagramOptions, draw
from prisma.search_report import SearchReport, to_html
from prisma.since import UpdatedCounts, check_since
from prisma.templates import TEMPLATES, Template, choose_template

#: Record id -> (source, title, year): what the lists of records behind each box show.
Titles = Mapping[int, tuple[str, str, int | None]]

STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 75em; color: #111; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #999; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: .5em 0; } td, th { border: 1px solid #bbb; padding: .2em .5em;
text-align: left; vertical-align: top; } th { background: #eee; } pre { white-space: pre-wrap; background: #f6f6f6;
padding: .5em; } .diagram svg { max-width: 100%; height: auto; } .ok { color: #060; } .problem { color: #a00; }
section.box { margin: 1em 0; } section.box:target { background: #fff8d0; } td.n { text-align: right; }
"""

EXTRA_NAMES = {
    "database_specific_results": "Records identified per database",
    "register_specific_results": "Records identified per register",
    "other_method_results": "Records identified via other methods",
    "website_results": "Records identified from websites",
    "organisation_results": "Records identified from organisations",
    "citations_results": "Records identified by citation searching",
    "other_removed": "Other-method records removed before retrieval",
    "excluded_automatic": "Records marked as ineligible by automation tools",
    "excluded_other": "Records removed for other reasons",
    "records_excluded_automation": "Records excluded by automation tools",
    "records_excluded_reasons": "Records excluded at title/abstract screening, per reason",
    "records_excluded_reviewers": "Records excluded by reviewers",
    "records_awaiting_screening": "Records awaiting screening",
    "dbr_awaiting_retrieval": "Reports awaiting retrieval (databases and registers)",
    "dbr_awaiting_assessment": "Reports awaiting assessment (databases and registers)",
    "dbr_included": "Reports included (databases and registers)",
    "other_awaiting_retrieval": "Reports awaiting retrieval (other methods)",
    "other_awaiting_assessment": "Reports awaiting assessment (other methods)",
    "other_included": "Reports included (other methods)",
    "previous_identified": "Records identified for the previous version of the review",
    "previous_reports": "Reports of studies included in previous version of review",
}


def _anchor(key: str) -> str:
    """An HTML id for a box key (``dbr_excluded/No peer perspective`` -> ``box-dbr_excluded-no-peer-...``)."""
    return "box-" + re.sub(r"[^A-Za-z0-9_]+", "-", key).strip("-").lower()


def _name(key: str) -> str:
    return BOX_NAMES.get(key) or EXTRA_NAMES.get(key) or key


def _record_table(ids: tuple[int, ...], titles: Titles) -> str:
    e = html.escape
    rows = []
    for rid in ids:
        source, title, year = titles.get(rid, ("?", "(not in the ledger)", None))
        rows.append(f"<tr><td class=n>{rid}</td><td>{e(source)}</td><td>{year or ''}</td><td>{e(title)}</td></tr>")
    return ("<table><tr><th>Record</th><th>Source</th><th>Year</th><th>Title</th></tr>" + "".join(rows)
            + "</table>")


def _studies(counts: PrismaCounts, titles: Titles) -> str:
    """The included studies with more than one report: why "Studies included" is below "Reports of included
    studies"."""
    several = {study: ids for study, ids in counts.studies.items() if len(ids) > 1}
    if not several:
        return ""
    e = html.escape
    parts = [f'<section id="studies"><h2>Studies with more than one report</h2><p>{counts.new_studies or 0:,} '
             f"studies included, in {counts.new_reports or 0:,} reports: reviewers linked these reports to one study "
             "each.</p>"]
    for study, ids in several.items():
        parts.append(f"<h3>{e(study)} ({len(ids)} reports)</h3>" + _record_table(ids, titles))
    return "".join(parts) + "</section>"


def _box_sections(counts: PrismaCounts, titles: Titles,
                  linked: tuple[str, ...] = ()) -> str:
    """One section per box (and per named line), including the boxes the diagram links to that are empty."""
    groups: dict[str, list[str]] = {key: [] for key in linked}
    for key in counts.records:
        groups.setdefault(key.split("/", 1)[0], []).append(key)
    out = ['<section id="records"><h2>Records behind each box</h2>']
    for prefix in sorted(groups):
        keys = sorted(groups[prefix])
        total = len({rid for key in keys for rid in counts.records[key]})
        shown = box_count(counts, prefix)
        differs = shown is not None and prefix in counts.records and shown != total
        untraced = not keys and prefix in ("previous_reports", "total_reports") and shown
        plus = " plus the new ones" if prefix == "total_reports" else ""
        out.append(f'<section class="box" id="{_anchor(prefix)}"><h3>{html.escape(_name(prefix))}: '
                   + (f"{shown:,}, from the protocol's previous_reports{plus} (not traced to ledger records: "
                      "--since derives them from the ledger)" if untraced else f"{total:,} record(s)")
                   + (f" (box shows {shown:,})" if differs else "") + "</h3>")
        for key in keys:
            ids = counts.records[key]
            if "/" in key:
                out.append(f'<h4 id="{_anchor(key)}">{html.escape(key.split("/", 1)[1])} ({len(ids):,})</h4>')
            out.append(f"<details><summary>{len(ids):,} record(s)</summary>{_record_table(ids, titles)}</details>")
        out.append("</section>")
    out.append("</section>")
    return "\n".join(out)


def _reasons(counts: PrismaCounts) -> str:
    rows = []
    for stage, lines in (("Full text (databases and registers)", counts.dbr_excluded),
                         ("Full text (other methods)", counts.other_excluded),
                         ("Other methods, before retrieval", counts.other_removed)):
        for line in lines:
            rows.append(f"<tr><td>{html.escape(stage)}</td><td>{html.escape(line.name or '(no reason)')}</td>"
                        f"<td class=n>{line.n:,}</td></tr>")
    for stage, label, value in (
        ("Before screening", "Duplicate records", counts.duplicates),
        ("Before screening", "Marked as ineligible by automation tools", counts.excluded_automatic),
        ("Before screening", "Removed for other reasons", counts.excluded_other),
        ("Title/abstract", "Excluded by automation tools", counts.records_excluded_automation),
        ("Title/abstract", "Excluded by reviewers", counts.records_excluded_reviewers),
    ):
        if value:
            rows.append(f"<tr><td>{stage}</td><td>{label}</td><td class=n>{value:,}</td></tr>")
    return ('<section id="reasons"><h2>Exclusions and removals, with reasons</h2><table><tr><th>Stage</th>'
            "<th>Reason</th><th>Records</th></tr>" + "".join(rows) + "</table></section>")


def report_html(title: str, counts: PrismaCounts, search: SearchReport, titles: Titles,
                template: Template | None = None, options: DiagramOptions | None = None, *,
                updated: UpdatedCounts | None = None) -> str:
    """The whole report as one HTML document, from values the harvester computed once: the review's title,
    its counts, its search report and the records' titles; ``updated`` (``--since``) adds where the previous
    version ends, and the split's own check."""
    e = html.escape
    template = template or TEMPLATES[choose_template(counts)]
    problems = check_layout(counts, template)
    if updated is not None:
        problems += check_since(updated)
    options = replace(options or DiagramOptions(), links=True, draft=bool(problems) or bool(options and options.draft))
    svg = draw(counts, template, "svg", options).decode("utf-8")
    svg = svg[svg.index("<svg"):]  # inline: drop the XML declaration and DOCTYPE
    if problems:
        checked = ('<p class="problem">The numbers do not add up:</p><ul>'
                   + "".join(f"<li class=problem>{e(str(p))}</li>" for p in problems) + "</ul>")
    else:
        checked = ('<p class="ok">Every box equals the boxes feeding it, each count equals the records behind it, '
                   "and every identified record follows exactly one path.</p>")
    pending = provisional(counts)
    if pending is not None:
        checked += f"<p class=problem>{e(pending[0].upper() + pending[1:])}.</p>"
    dedup = search.deduplication
    dedup_html = (f'<section id="deduplication"><h2>De-duplication</h2><p>{counts.duplicates or 0:,} duplicate '
                  f"records removed from {counts.identified_dbr:,} records identified in databases and registers, "
                  f'<a href="#{_anchor("duplicates")}">listed below</a>; method: {e(dedup.method)}, prisma-harvester '
                  f"{e(dedup.tool_version)}.</p>"
                  + "".join(f"<p>{e(rule)}: {n:,}</p>" for rule, n in sorted(dedup.per_rule.items())) + "</section>")
    split = ""
    if updated is not None:
        split = (f'<p>Updated review. Previous version: the {len(updated.previous_ids):,} records first brought into '
                 f"the ledger up to {e(updated.boundary.description)} (<code>--since {e(updated.boundary.given)}"
                 f'</code>); <a href="#{_anchor("previous_reports")}">{counts.previous_reports or 0:,} report(s)</a>'
                 " of "
                 f"{counts.previous_studies or 0:,} studies included from them. New identification: the "
                 f"{len(updated.new_ids):,} records brought in after it; a new record that duplicates one held "
                 "before is counted in its duplicates removed.</p>"
                 + "".join(f"<p class=problem>{e(w)}</p>" for w in updated.warnings))
    body = "\n".join([
        f"<h1>{e(title)}</h1>",
        f"<p>{e(template.title)}. Click a box to see the records behind its count.</p>",
        split,
        f'<div class="diagram">{svg}</div>',
        f'<section id="check"><h2>Arithmetic check</h2>{checked}</section>',
        _reasons(counts),
        dedup_html,
        to_html(search),
        _studies(counts, titles),
        _box_sections(counts, titles, tuple(box.link for box in template.boxes if box.link)),
    ])
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{e(title)}: PRISMA '
            f"report</title><style>{STYLE}</style></head><body>\n{body}\n</body></html>\n")
