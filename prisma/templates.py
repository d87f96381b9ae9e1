"""The box layouts, as data: which box sits where, what it says, which count it shows, what feeds it.

Five layouts: the four PRISMA 2020 templates (new review with databases and registers only, ``new``;
with other methods, ``new-other``; the two updated-review variants, ``updated`` and ``updated-other``)
and the PRISMA 2009 layout (``2009``) older reviews, such as the seed review, were published with.
Box wording is the official templates' (research notes, sections 1 and 1f); every count line can be
hidden by leaving its count unset, as a blank ``n`` does in the PRISMA2020 R package.

Positions are in grid units (columns, rows); :mod:`prisma.diagram` turns them into inches. Values are
looked up by key in a flat mapping built from :class:`~prisma.counts.PrismaCounts` by the template's
``values`` function, so the 2009 layout can show numbers the 2020 model derives (see docs/prisma.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from prisma.counts import Line, PrismaCounts

Value = int | None | tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class Text:
    """A fixed line of box wording; ``mark`` (``*``, ``**``) is a footnote mark inside it, printed only when the
    figure prints the footnotes (a mark without its footnote sends the reader nowhere)."""

    text: str
    mark: str = ""

    def shown(self, marks: bool) -> str:
        return self.text if marks or not self.mark else self.text.replace(self.mark, "", 1)


@dataclass(frozen=True, slots=True)
class Count:
    """``label (n = x)`` (or ``label`` then ``(n = x)`` on its own line when ``inline`` is false).

    Hidden when the count is unset; with ``hide_zero`` also when it is 0 (optional detail lines);
    with ``show_if`` only when that other count is above 0 (the ``**`` automation/reviewer split).
    """

    label: str
    key: str
    inline: bool = True
    hide_zero: bool = False
    show_if: str | None = None


@dataclass(frozen=True, slots=True)
class Lines:
    """One ``name (n = x)`` line per entry of a list count, after an optional heading."""

    key: str
    heading: str | None = None


Part = Text | Count | Lines
Style = Literal["main", "grey", "header", "grey-header"]


@dataclass(frozen=True, slots=True)
class Box:
    """One box: its id, its place, its wording, and the records key it links to in the HTML report."""

    id: str
    column: float
    row: int
    parts: tuple[Part, ...]
    style: Style = "main"
    link: str | None = None  # the key in PrismaCounts.records whose ids are behind the box
    span: int = 1  # columns covered (title bars)
    optional: bool = False  # hide the whole box when none of its counts is set


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    title: str
    boxes: tuple[Box, ...]
    edges: tuple[tuple[str, str], ...]  # (from, to); a "to" of "bend:<col>,<row>:<target>" routes via a corner
    phases: tuple[tuple[str, int, int], ...]  # (label, first row, last row)
    values: Callable[[PrismaCounts], Mapping[str, Value]] = field(default=lambda counts: values_2020(counts))
    #: the footnotes, written from the counts (never the template's instructions to authors)
    footnotes: Callable[[PrismaCounts], tuple[str, ...]] | None = None


def values_2020(counts: PrismaCounts) -> dict[str, Value]:
    """The 2020 boxes read the counts directly (plus the other-methods lines gathered into one list)."""
    values: dict[str, Value] = {name: getattr(counts, name) for name in counts.__dataclass_fields__
                                if name not in ("records", "studies")}
    values["other_methods"] = counts.other_methods
    return values


def values_2009(counts: PrismaCounts) -> dict[str, Value]:
    """The 2009 boxes derived from the 2020 model (mapping stated in docs/prisma.md).

    Other-method records, which the 2020 template sends straight to retrieval, join the database
    records after de-duplication and count as screened, as in the 2009 diagram. Removals before
    screening other than duplicates are shown as lines of "Records excluded"; reports not retrieved
    as a reason among "Full-text articles excluded, with reasons".
    """
    removed_other = {line.name: line.n for line in counts.other_removed}
    other_duplicates = removed_other.pop("Duplicate records", 0)
    found_other = counts.identified_other if counts.has_other_arm else None
    after = counts.identified_dbr + (found_other or 0) - (counts.duplicates or 0) - other_duplicates
    before_screening = (counts.excluded_automatic or 0) + (counts.excluded_other or 0) + sum(removed_other.values())
    excluded = (counts.records_excluded or 0) + before_screening
    reasons: dict[str, int] = {}
    for line in (*counts.dbr_excluded, *counts.other_excluded):
        reasons[line.name] = reasons.get(line.name, 0) + line.n
    not_retrieved = (counts.dbr_notretrieved_reports or 0) + (counts.other_notretrieved_reports or 0)
    if not_retrieved:
        reasons["Full text not retrieved"] = reasons.get("Full text not retrieved", 0) + not_retrieved
    awaiting_fulltext = (counts.dbr_awaiting_retrieval + counts.dbr_awaiting_assessment
                         + counts.other_awaiting_retrieval + counts.other_awaiting_assessment)
    return {
        "previous_studies": counts.previous_studies,  # no 2009 box: a review with them needs an updated layout
        "previous_reports": counts.previous_reports,
        "awaiting_screening": counts.records_awaiting_screening,
        "awaiting_fulltext": awaiting_fulltext,
        "qualitative_reports": counts.new_reports if counts.new_reports != counts.new_studies else None,
        "found": counts.identified_dbr,
        "found_other": found_other,
        "after_duplicates": after,
        "screened": after,
        "excluded": excluded,
        "excluded_before_screening": before_screening,
        "fulltext": (counts.dbr_sought_reports or 0) + (counts.other_sought_reports or 0),
        "fulltext_excluded": sum(reasons.values()),
        "fulltext_reasons": tuple(Line(name, n) for name, n in reasons.items()),
        "qualitative": counts.new_studies,
        "quantitative": counts.meta_analysis_studies,
    }


# -- PRISMA 2020 -----------------------------------------------------------------------------------------


def _identification(updated: bool) -> tuple[Box, ...]:
    new = "new " if updated else ""
    return (
        Box("header_dbr", 0, 0, (Text(f"Identification of {new}studies via databases and registers"),),
            style="header", span=2),
        Box("records_identified", 0, 1, (
            Text("Records identified from*:", mark="*"),
            Count("Databases", "database_results"),
            Lines("database_specific_results"),
            Count("Registers", "register_results"),
            Lines("register_specific_results"),
        ), link="database_results"),
        Box("records_removed", 1, 1, (
            Text("Records removed before screening:"),
            Count("Duplicate records removed", "duplicates"),
            Count("Records marked as ineligible by automation tools", "excluded_automatic"),
            Count("Records removed for other reasons", "excluded_other"),
        ), link="duplicates"),
        Box("records_screened", 0, 2, (Text("Records screened"), Count("", "records_screened"),
                                       Count("Awaiting screening", "records_awaiting_screening", hide_zero=True)),
            link="records_screened"),
        Box("records_excluded", 1, 2, (
            Text("Records excluded**", mark="**"), Count("", "records_excluded"),
            Count("By automation tools", "records_excluded_automation", show_if="records_excluded_automation"),
            Count("By reviewers", "records_excluded_reviewers", show_if="records_excluded_automation"),
            Lines("records_excluded_reasons", heading="Reasons:"),
        ), link="records_excluded"),
        Box("dbr_sought", 0, 3, (Text("Reports sought for retrieval"), Count("", "dbr_sought_reports"),
                                 Count("Awaiting retrieval", "dbr_awaiting_retrieval", hide_zero=True)),
            link="dbr_sought_reports"),
        Box("dbr_notretrieved", 1, 3, (Text("Reports not retrieved"), Count("", "dbr_notretrieved_reports")),
            link="dbr_notretrieved_reports"),
        Box("dbr_assessed", 0, 4, (Text("Reports assessed for eligibility"), Count("", "dbr_assessed"),
                                   Count("Awaiting assessment", "dbr_awaiting_assessment", hide_zero=True)),
            link="dbr_assessed"),
        Box("dbr_excluded", 1, 4, (Text("Reports excluded:"), Lines("dbr_excluded")), link="dbr_excluded"),
    )


def _other_methods(updated: bool) -> tuple[Box, ...]:
    new = "new " if updated else ""
    return (
        Box("header_other", 2, 0, (Text(f"Identification of {new}studies via other methods"),),
            style="grey-header", span=2),
        Box("other_identified", 2, 1, (
            Text("Records identified from:"), Lines("other_methods"),
            Lines("other_removed", heading="Removed before retrieval:"),
        ), style="grey", link="other_method_results"),
        Box("other_sought", 2, 3, (Text("Reports sought for retrieval"), Count("", "other_sought_reports"),
                                   Count("Awaiting retrieval", "other_awaiting_retrieval", hide_zero=True)),
            style="grey", link="other_sought_reports"),
        Box("other_notretrieved", 3, 3, (Text("Reports not retrieved"), Count("", "other_notretrieved_reports")),
            style="grey", link="other_notretrieved_reports"),
        Box("other_assessed", 2, 4, (Text("Reports assessed for eligibility"), Count("", "other_assessed"),
                                     Count("Awaiting assessment", "other_awaiting_assessment", hide_zero=True)),
            style="grey", link="other_assessed"),
        Box("other_excluded", 3, 4, (Text("Reports excluded:"), Lines("other_excluded")), style="grey",
            link="other_excluded"),
    )


_DBR_EDGES = (("records_identified", "records_removed"), ("records_identified", "records_screened"),
              ("records_screened", "records_excluded"), ("records_screened", "dbr_sought"),
              ("dbr_sought", "dbr_notretrieved"), ("dbr_sought", "dbr_assessed"),
              ("dbr_assessed", "dbr_excluded"), ("dbr_assessed", "included"))
_OTHER_EDGES = (("other_identified", "other_sought"), ("other_sought", "other_notretrieved"),
                ("other_sought", "other_assessed"), ("other_assessed", "other_excluded"),
                ("other_assessed", "bend:2,5:included"))
def footnotes_2020(counts: PrismaCounts) -> tuple[str, ...]:
    """The ``*`` and ``**`` footnotes with the review's own numbers: the records from each database and register
    (PRISMA-S item 15), and how many records automation tools and reviewers excluded (PRISMA 2020 item 8)."""

    def listed(lines: tuple[Line, ...]) -> str:
        return ", ".join(f"{line.name} (n = {line.n:,})" for line in lines)

    sources = []
    if counts.database_specific_results:
        sources.append(f"per database: {listed(counts.database_specific_results)}")
    elif counts.database_results:  # a count from a CSV without its per-database lines (none from no database)
        sources.append(f"from databases (n = {counts.database_results:,}), not reported per database")
    if counts.register_specific_results:
        sources.append(f"per register: {listed(counts.register_specific_results)}")
    elif counts.register_results:
        sources.append(f"from registers (n = {counts.register_results:,}), not reported per register")
    star = "*Records identified " + ("; ".join(sources) or "from no database or register") + "."
    automation, reviewers = counts.records_excluded_automation, counts.records_excluded_reviewers
    if automation is None or reviewers is None:
        split = (f"**Records excluded at title/abstract screening (n = {counts.records_excluded or 0:,}): the "
                 "split between reviewers and automation tools was not reported.")
    else:
        split = (f"**Records excluded at title/abstract screening: {reviewers:,} by reviewers, {automation:,} by "
                 "automation tools.")
    if counts.excluded_automatic:
        split += (f" Before screening, {counts.excluded_automatic:,} record(s) were marked as ineligible by "
                  "automation tools.")
    return star, split


def _new(other: bool) -> Template:
    included = Box("included", 0, 5, (Text("Studies included in review"), Count("", "new_studies"),
                                      Text("Reports of included studies"), Count("", "new_reports")),
                   link="new_reports")
    boxes = (*_identification(False), included, *(_other_methods(False) if other else ()))
    what = "databases, registers and other sources" if other else "databases and registers only"
    return Template(
        name="new-other" if other else "new",
        title=f"PRISMA 2020 flow diagram for new systematic reviews which included searches of {what}",
        boxes=boxes, edges=_DBR_EDGES + (_OTHER_EDGES if other else ()),
        phases=(("Identification", 1, 1), ("Screening", 2, 4), ("Included", 5, 5)),
        footnotes=footnotes_2020,
    )


def _updated(other: bool) -> Template:
    boxes = (
        Box("header_previous", -1, 0, (Text("Previous studies"),), style="grey-header"),
        Box("previous", -1, 1, (Text("Studies included in previous version of review"), Count("", "previous_studies"),
                                Text("Reports of studies included in previous version of review"),
                                Count("", "previous_reports")), style="grey", link="previous_reports"),
        *_identification(True),
        Box("included", 0, 5, (Text("New studies included in review"), Count("", "new_studies"),
                               Text("Reports of new included studies"), Count("", "new_reports")),
            link="new_reports"),
        Box("total", 0, 6, (Text("Total studies included in review"), Count("", "total_studies"),
                            Text("Reports of total included studies"), Count("", "total_reports")),
            link="total_reports"),
        *(_other_methods(True) if other else ()),
    )
    what = "databases, registers and other sources" if other else "databases and registers only"
    return Template(
        name="updated-other" if other else "updated",
        title=f"PRISMA 2020 flow diagram for updated systematic reviews which included searches of {what}",
        boxes=boxes,
        edges=_DBR_EDGES + (_OTHER_EDGES if other else ()) + (("included", "total"), ("previous", "bend:-1,6:total")),
        phases=(("Identification", 1, 1), ("Screening", 2, 4), ("Included", 5, 6)),
        footnotes=footnotes_2020,
    )


# -- PRISMA 2009 -----------------------------------------------------------------------------------------

PRISMA_2009 = Template(
    name="2009",
    title="PRISMA 2009 flow diagram",
    boxes=(
        Box("found", 0, 1, (Text("Records identified through database searching"), Count("", "found")),
            link="database_results"),
        Box("found_other", 1, 1, (Text("Additional records identified through other sources"),
                                  Count("", "found_other")), link="other_method_results", optional=True),
        Box("after_duplicates", 0.5, 2, (Text("Records after duplicates removed"), Count("", "after_duplicates"))),
        Box("screened", 0.5, 3, (Text("Records screened"), Count("", "screened"),
                                 Count("Awaiting screening", "awaiting_screening", hide_zero=True))),
        Box("excluded", 1.5, 3, (Text("Records excluded"), Count("", "excluded"),
                                 Count("Removed before screening", "excluded_before_screening", hide_zero=True)),
            link="records_excluded"),
        Box("fulltext", 0.5, 4, (Text("Full-text articles assessed for eligibility"), Count("", "fulltext"),
                                 Count("Awaiting retrieval or assessment", "awaiting_fulltext", hide_zero=True))),
        Box("fulltext_excluded", 1.5, 4, (Text("Full-text articles excluded, with reasons"),
                                          Count("", "fulltext_excluded"), Lines("fulltext_reasons")),
            link="dbr_excluded"),
        Box("qualitative", 0.5, 5, (Text("Studies included in qualitative synthesis"), Count("", "qualitative"),
                                    Count("Reports of included studies", "qualitative_reports")),
            link="new_reports"),
        Box("quantitative", 0.5, 6, (Text("Studies included in quantitative synthesis (meta-analysis)"),
                                     Count("", "quantitative")), optional=True),
    ),
    edges=(("found", "after_duplicates"), ("found_other", "after_duplicates"), ("after_duplicates", "screened"),
           ("screened", "excluded"), ("screened", "fulltext"), ("fulltext", "fulltext_excluded"),
           ("fulltext", "qualitative"), ("qualitative", "quantitative")),
    phases=(("Identification", 1, 2), ("Screening", 3, 3), ("Eligibility", 4, 4), ("Included", 5, 6)),
    values=values_2009,
)

TEMPLATES: dict[str, Template] = {
    "new": _new(False),
    "new-other": _new(True),
    "updated": _updated(False),
    "updated-other": _updated(True),
    "2009": PRISMA_2009,
}


def choose_template(counts: PrismaCounts) -> str:
    """The 2020 template that fits the counts: other methods and previous studies decide (notes, section 8)."""
    base = "updated" if counts.has_previous else "new"
    return f"{base}-other" if counts.has_other_arm else base
