"""The arithmetic between boxes (identities A1-A15 of the research notes), and the record-level check.

A diagram whose numbers do not add up ends up in a published paper; the R package draws whatever it
is given (PRISMA2020#77). Here every identity names the box it checks, the number the box holds and the
number the boxes feeding it imply, so a reviewer can see which line of their CSV is wrong.

Two levels: :func:`check_counts` works on numbers alone (a CSV from elsewhere); :func:`check_records`
also checks, for counts from the ledger, that each box's number is the number of record ids behind it
and that every identified record ends in exactly one place.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from harvester.errors import InputError
from prisma.counts import Line, PrismaCounts
from prisma.templates import TEMPLATES, Count, Lines, Template, Value, choose_template

#: Box key -> the wording reviewers know it by (for messages).
BOX_NAMES: dict[str, str] = {
    "database_results": "Records identified from: Databases",
    "register_results": "Records identified from: Registers",
    "duplicates": "Duplicate records removed",
    "records_screened": "Records screened",
    "records_excluded": "Records excluded",
    "dbr_sought_reports": "Reports sought for retrieval (databases and registers)",
    "dbr_notretrieved_reports": "Reports not retrieved (databases and registers)",
    "dbr_assessed": "Reports assessed for eligibility (databases and registers)",
    "dbr_excluded": "Reports excluded (databases and registers)",
    "other_sought_reports": "Reports sought for retrieval (other methods)",
    "other_notretrieved_reports": "Reports not retrieved (other methods)",
    "other_assessed": "Reports assessed for eligibility (other methods)",
    "other_excluded": "Reports excluded (other methods)",
    "new_reports": "Reports of included studies",
    "new_studies": "Studies included in review",
    "total_studies": "Total studies included in review",
    "total_reports": "Reports of total included studies",
    "previous_studies": "Studies included in previous version of review",
    "previous_reports": "Reports of studies included in previous version of review",
    "other_methods": "Records identified from other methods",
    "other_removed": "Other-method records removed before retrieval",
    "excluded_automatic": "Records marked as ineligible by automation tools",
    "excluded_other": "Records removed for other reasons",
}


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One identity that does not hold: the box, what it holds, what its feeding boxes imply."""

    rule: str
    box: str
    actual: int | None
    expected: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.rule} {self.box}: {self.message}"


def _name(key: str) -> str:
    return f"{BOX_NAMES.get(key, key)} [{key}]"


def _equal(found: list[Mismatch], rule: str, key: str, actual: int | None, expected: int, how: str) -> None:
    if actual is not None and actual != expected:
        found.append(Mismatch(rule, key, actual, expected,
                              f"{_name(key)} holds {actual:,} but {how} = {expected:,}"))


def _lines(found: list[Mismatch], key: str, lines: tuple[Line, ...]) -> None:
    names = Counter(line.name for line in lines)
    for name, times in sorted(names.items()):
        if times > 1:
            found.append(Mismatch("names", key, None, None, f"{_name(key)} lists {name!r} {times} times"))
    for line in lines:
        if line.n < 0:
            found.append(Mismatch("sign", key, line.n, 0, f"{_name(key)}: {line.name!r} is negative ({line.n})"))


def check_counts(counts: PrismaCounts) -> list[Mismatch]:
    """Every identity between boxes that does not hold (empty when the diagram adds up)."""
    found: list[Mismatch] = []
    c = counts
    for key in ("previous_studies", "previous_reports", "database_results", "register_results", "website_results",
                "organisation_results", "citations_results", "duplicates", "excluded_automatic", "excluded_other",
                "records_screened", "records_excluded", "dbr_sought_reports", "dbr_notretrieved_reports",
                "dbr_assessed", "other_sought_reports", "other_notretrieved_reports", "other_assessed",
                "new_studies", "new_reports", "total_studies", "total_reports"):
        value = getattr(c, key)
        if value is not None and value < 0:
            found.append(Mismatch("sign", key, value, 0, f"{_name(key)} is negative ({value})"))
    for key in ("database_specific_results", "register_specific_results", "other_method_results", "dbr_excluded",
                "other_excluded", "other_removed", "records_excluded_reasons"):
        _lines(found, key, getattr(c, key))

    if c.database_specific_results:
        _equal(found, "A1", "database_results", c.database_results,
               sum(line.n for line in c.database_specific_results), "the sum of the per-database lines")
    if c.register_specific_results:
        _equal(found, "A2", "register_results", c.register_results,
               sum(line.n for line in c.register_specific_results), "the sum of the per-register lines")
    if c.database_results is not None or c.register_results is not None:
        _equal(found, "A5", "records_screened", c.records_screened, c.identified_dbr - c.removed_before_screening,
               f"identified {c.identified_dbr:,} - removed before screening {c.removed_before_screening:,}")
    screened = c.records_screened
    if screened is not None and c.records_excluded is not None:
        _equal(found, "A6", "dbr_sought_reports", c.dbr_sought_reports,
               screened - c.records_excluded - c.records_awaiting_screening,
               f"screened {screened:,} - excluded {c.records_excluded:,}"
               + (f" - awaiting screening {c.records_awaiting_screening:,}" if c.records_awaiting_screening else ""))
    if c.records_excluded_automation is not None and c.records_excluded_reviewers is not None:
        _equal(found, "A6", "records_excluded", c.records_excluded,
               c.records_excluded_automation + c.records_excluded_reviewers,
               "excluded by automation tools + excluded by reviewers")
    if c.records_excluded_reasons and c.records_excluded is not None:
        _equal(found, "A6", "records_excluded", c.records_excluded, sum(line.n for line in c.records_excluded_reasons),
               "the sum of its title/abstract reasons")
    dbr_included = _arm(found, "dbr", c.dbr_sought_reports, c.dbr_notretrieved_reports, c.dbr_assessed,
                        c.dbr_excluded, c.dbr_awaiting_retrieval, c.dbr_awaiting_assessment)
    other_included = 0
    if c.has_other_arm:
        if c.other_sought_reports is not None:
            removed = c.other_removed_total
            _equal(found, "A10", "other_sought_reports", c.other_sought_reports, c.identified_other - removed,
                   f"identified by other methods {c.identified_other:,}"
                   + (f" - removed {removed:,}" if removed else ""))
        other_included = _arm(found, "other", c.other_sought_reports, c.other_notretrieved_reports,
                              c.other_assessed, c.other_excluded, c.other_awaiting_retrieval,
                              c.other_awaiting_assessment)
    if c.dbr_assessed is not None or c.other_assessed is not None:
        _equal(found, "A13", "new_reports", c.new_reports, dbr_included + other_included,
               f"reports included from databases and registers {dbr_included:,}"
               + (f" + from other methods {other_included:,}" if c.has_other_arm else ""))
    if c.new_studies is not None and c.new_reports is not None and c.new_studies > c.new_reports:
        found.append(Mismatch("A14", "new_studies", c.new_studies, c.new_reports,
                              f"{_name('new_studies')} holds {c.new_studies:,}, more than the "
                              f"{c.new_reports:,} reports of included studies"))
    if c.previous_studies is not None and c.new_studies is not None:
        _equal(found, "A15", "total_studies", c.total_studies, c.previous_studies + c.new_studies,
               f"previous {c.previous_studies:,} + new {c.new_studies:,}")
    if c.previous_reports is not None and c.new_reports is not None:
        _equal(found, "A15", "total_reports", c.total_reports, c.previous_reports + c.new_reports,
               f"previous {c.previous_reports:,} + new {c.new_reports:,}")
    return found


def _arm(found: list[Mismatch], arm: str, sought: int | None, not_retrieved: int | None, assessed: int | None,
         excluded: tuple[Line, ...], awaiting_retrieval: int, awaiting_assessment: int) -> int:
    """Retrieval and eligibility of one arm (A7/A8 or A11/A12); returns the reports it includes."""
    if sought is not None and assessed is not None:
        _equal(found, "A7" if arm == "dbr" else "A11", f"{arm}_assessed", assessed,
               sought - (not_retrieved or 0) - awaiting_retrieval,
               f"sought {sought:,} - not retrieved {not_retrieved or 0:,}"
               + (f" - awaiting retrieval {awaiting_retrieval:,}" if awaiting_retrieval else ""))
    if assessed is None:
        return 0
    included = assessed - sum(line.n for line in excluded) - awaiting_assessment
    if included < 0:
        found.append(Mismatch("A8" if arm == "dbr" else "A12", f"{arm}_excluded", sum(line.n for line in excluded),
                              assessed, f"{_name(arm + '_excluded')} lists {sum(line.n for line in excluded):,} "
                              f"reports, more than the {assessed:,} assessed"))
        return 0
    return included


#: The boxes where a record's path ends: every identified record must be in exactly one.
END_BOXES = ("duplicates", "excluded_automatic", "excluded_other", "records_awaiting_screening",
             "records_excluded", "dbr_awaiting_retrieval", "dbr_notretrieved_reports", "dbr_awaiting_assessment",
             "dbr_included", "other_awaiting_retrieval", "other_notretrieved_reports", "other_awaiting_assessment",
             "other_included")
END_PREFIXES = ("dbr_excluded/", "other_excluded/", "other_removed/")
START_BOXES = ("database_results", "register_results")
START_PREFIXES = ("other_method_results/",)


def box_count(counts: PrismaCounts, key: str) -> int | None:
    """The number a box (or a ``key/name`` line) shows, looked up by the same keys as ``records``."""
    if "/" in key:
        prefix, name = key.split("/", 1)
        source = counts.other_methods if prefix == "other_method_results" else getattr(counts, prefix, ())
        return next((line.n for line in source if line.name == name), None)
    if key in ("dbr_included", "other_included"):
        arm = key.split("_")[0]
        assessed = getattr(counts, f"{arm}_assessed")
        if assessed is None:
            return None
        return (assessed - sum(line.n for line in getattr(counts, f"{arm}_excluded"))
                - getattr(counts, f"{arm}_awaiting_assessment"))
    value = getattr(counts, key, None)
    return value if isinstance(value, int) else None


def check_records(counts: PrismaCounts) -> list[Mismatch]:
    """For ledger counts: each box equals its ids, and every identified record ends in exactly one box."""
    found: list[Mismatch] = []
    for key, ids in sorted(counts.records.items()):
        shown = box_count(counts, key)
        if shown is not None and shown != len(ids):
            found.append(Mismatch("ids", key, shown, len(ids),
                                  f"{_name(key)} shows {shown:,} but {len(ids):,} ledger records are behind it"))
    identified: Counter[int] = Counter()
    ended: Counter[int] = Counter()
    for key, ids in counts.records.items():
        if key in START_BOXES or key.startswith(START_PREFIXES):
            identified.update(ids)
        if key in END_BOXES or key.startswith(END_PREFIXES):
            ended.update(ids)
    for rid in sorted(set(identified) | set(ended)):
        if identified[rid] != 1 or ended[rid] != 1:
            found.append(Mismatch("path", "records", None, None,
                                  f"record {rid} is identified {identified[rid]} time(s) and ends in "
                                  f"{ended[rid]} box(es); each record must follow exactly one path"))
    return found


# -- the layout actually drawn -----------------------------------------------------------------------------

#: Count fields that are no box of their own: shown through another key (the other-method lines are
#: gathered into ``other_methods``), or an extension no 2020 template draws (the meta-analysis box).
_NOT_BOXES = frozenset({"records", "studies", "records_excluded_reasons", "website_results", "organisation_results",
                        "citations_results", "other_method_results", "meta_analysis_studies",
                        "meta_analysis_reports"})


def shown_keys(template: Template) -> frozenset[str]:
    """Every value key some box of the template prints."""
    return frozenset(part.key for box in template.boxes for part in box.parts if isinstance(part, Count | Lines))


def _nonzero(value: Value) -> bool:
    if isinstance(value, tuple):
        return any(line.n for line in value)
    return bool(value)


def hidden(counts: PrismaCounts, template: Template) -> list[str]:
    """The keys whose count is not zero but which the template has no line for: drawn in it, they would vanish
    and the boxes around them would no longer add up (the ``new`` layout of a review with other methods)."""
    shown = shown_keys(template)
    values = template.values(counts)
    return [key for key, value in values.items()
            if key not in _NOT_BOXES and key not in shown and _nonzero(value)]


def layouts_that_fit(counts: PrismaCounts) -> list[str]:
    """The templates that draw every non-zero count (and, for updated layouts, have the previous numbers)."""
    return [name for name, template in TEMPLATES.items() if not check_fit(counts, template)]


def default_layout(counts: PrismaCounts, layout: str = "2020") -> str:
    """The layout drawn when none is asked for: the 2020 template that fits, or 2009 for a 2009 counts file."""
    return "2009" if layout == "2009" else choose_template(counts)


def check_fit(counts: PrismaCounts, template: Template) -> list[Mismatch]:
    """Whether the template can show these counts: no non-zero box left out, no box left without its number."""
    found: list[Mismatch] = []
    left_out = hidden(counts, template)
    if left_out:
        fits = [name for name, other in TEMPLATES.items()
                if other is not template and not hidden(counts, other) and not _missing(counts, other)]
        what = "; ".join(_what(counts, template, left_out))
        found.append(Mismatch("layout", template.name, None, None,
                              f"the {template.name} layout has no box for {what}: drawn in it they would vanish and "
                              "the boxes would not add up"
                              + (f"; use --template {' or '.join(fits)}" if fits else "")))
    found.extend(_missing(counts, template))
    return found


def _missing(counts: PrismaCounts, template: Template) -> list[Mismatch]:
    """The boxes a template would draw without a number: an updated layout without the previous version's numbers,
    an other-methods layout for a review with no record (and no count) from other methods."""
    found: list[Mismatch] = []
    if template.name.startswith("updated") and (counts.previous_studies is None or counts.previous_reports is None):
        other = "-other" if counts.has_other_arm else ""
        found.append(Mismatch("layout", template.name, None, None,
                              f"the {template.name} layout needs the previous version's numbers, which are not given: "
                              "set previous_studies and previous_reports in the protocol's [review] table (or the "
                              "CSV's rows of those names), or give --since REF to split the ledger; for a new review "
                              f"use --template new{other}"))
    if template.name.endswith("-other") and not counts.has_other_arm:
        base = "updated" if counts.has_previous else "new"
        fits = " or ".join(name for name in (base, "2009" if base == "new" else "")
                           if name and not hidden(counts, TEMPLATES[name]))
        found.append(Mismatch("layout", template.name, None, None,
                              f"the {template.name} layout draws the other-methods column, but no record was "
                              "identified by other methods (and no count of them is given): its boxes would have no "
                              "numbers" + (f"; use --template {fits}" if fits else "")))
    return found


def _what(counts: PrismaCounts, template: Template, keys: list[str]) -> list[str]:
    """The left-out keys in the reviewer's words, a whole column as one phrase."""
    values = template.values(counts)
    said: list[str] = []
    if any(key.startswith("other_") for key in keys):
        said.append(f"the other-methods column ({counts.identified_other:,} record(s) identified by other methods: "
                    + ", ".join(f"{line.name} {line.n:,}" for line in counts.other_methods) + ")")
    if any(key.startswith(("previous_", "total_")) for key in keys):
        said.append(f"the previous version's studies (n = {counts.previous_studies or 0:,}) and reports "
                    f"(n = {counts.previous_reports or 0:,})")
    said.extend(f"{_name(key)} {_shown_value(values[key])}" for key in keys
                if not key.startswith(("other_", "previous_", "total_")))
    return said


def _shown_value(value: Value) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(f"{line.name} {line.n:,}" for line in value if line.n) + ")"
    return f"(n = {value:,})" if isinstance(value, int) else ""


def check_2009(values: dict[str, Value]) -> list[Mismatch]:
    """The 2009 diagram's identities on the numbers it prints (docs/prisma.md: the mapping from 2020)."""
    found: list[Mismatch] = []

    def n(key: str) -> int:
        value = values.get(key)
        return value if isinstance(value, int) else 0

    def box(key: str) -> str:
        return {"after_duplicates": "Records after duplicates removed", "screened": "Records screened",
                "fulltext": "Full-text articles assessed for eligibility",
                "fulltext_excluded": "Full-text articles excluded, with reasons",
                "qualitative": "Studies included in qualitative synthesis",
                "qualitative_reports": "Reports of included studies (qualitative synthesis)",
                "quantitative": "Studies included in quantitative synthesis (meta-analysis)"}[key] + f" [2009 {key}]"

    def equal(rule: str, key: str, expected: int, how: str) -> None:
        if n(key) != expected:
            found.append(Mismatch(rule, key, n(key), expected, f"{box(key)} holds {n(key):,} but {how} = {expected:,}"))

    identified = n("found") + n("found_other")
    if n("after_duplicates") > identified:
        found.append(Mismatch("B1", "after_duplicates", n("after_duplicates"), identified,
                              f"{box('after_duplicates')} holds {n('after_duplicates'):,}, more than the "
                              f"{identified:,} identified"))
    equal("B2", "screened", n("after_duplicates"), "records after duplicates removed")
    awaiting = n("awaiting_screening")
    equal("B3", "fulltext", n("screened") - n("excluded") - awaiting,
          f"screened {n('screened'):,} - excluded {n('excluded'):,}"
          + (f" - awaiting screening {awaiting:,}" if awaiting else ""))
    reasons = values.get("fulltext_reasons") or ()
    assert isinstance(reasons, tuple)
    if reasons:
        equal("B4", "fulltext_excluded", sum(line.n for line in reasons), "the sum of the reasons")
    reports_key = "qualitative_reports" if isinstance(values.get("qualitative_reports"), int) else "qualitative"
    waiting = n("awaiting_fulltext")
    equal("B5", reports_key, n("fulltext") - n("fulltext_excluded") - waiting,
          f"assessed {n('fulltext'):,} - excluded with reasons {n('fulltext_excluded'):,}"
          + (f" - awaiting retrieval or assessment {waiting:,}" if waiting else ""))
    if reports_key == "qualitative_reports" and n("qualitative") > n("qualitative_reports"):
        found.append(Mismatch("B6", "qualitative", n("qualitative"), n("qualitative_reports"),
                              f"{box('qualitative')} holds {n('qualitative'):,}, more than its "
                              f"{n('qualitative_reports'):,} reports"))
    if isinstance(values.get("quantitative"), int) and n("quantitative") > n("qualitative"):
        found.append(Mismatch("B7", "quantitative", n("quantitative"), n("qualitative"),
                              f"{box('quantitative')} holds {n('quantitative'):,}, more than the "
                              f"{n('qualitative'):,} in the qualitative synthesis"))
    return found


def check_layout(counts: PrismaCounts, template: Template) -> list[Mismatch]:
    """The identities of the layout actually drawn: every identity of the counts, that the template shows every
    non-zero box (and has its numbers), and, for 2009, the 2009 identities on the numbers it prints."""
    found = check_counts(counts) + check_records(counts) + check_fit(counts, template)
    if template.name == "2009":
        found += check_2009(dict(template.values(counts)))
    return found


def provisional(counts: PrismaCounts) -> str | None:
    """The one "provisional" notice: records still awaiting a decision, stage by stage (None when all decided)."""
    if not counts.awaiting:
        return None
    stages = [(counts.records_awaiting_screening, "screening"),
              (counts.dbr_awaiting_retrieval + counts.other_awaiting_retrieval, "retrieval"),
              (counts.dbr_awaiting_assessment + counts.other_awaiting_assessment, "full-text assessment")]
    detail = ", ".join(f"{n:,} {stage}" for n, stage in stages if n)
    return f"provisional: {counts.awaiting:,} record(s) still await a decision ({detail})"


def require_consistent(counts: PrismaCounts, where: str, template: Template | None = None) -> None:
    """Refuse counts that do not add up in the layout drawn, naming every box that fails (``--draft`` skips
    this and stamps the figure)."""
    template = template or TEMPLATES[choose_template(counts)]
    problems = check_layout(counts, template)
    if problems:
        raise InputError(where, [str(problem) for problem in problems]
                         + [f"the {template.name} diagram does not add up; fix the numbers, choose the layout "
                            "that fits, or pass --draft to draw it stamped DRAFT"])
