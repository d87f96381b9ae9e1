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
                "other_excluded", "other_removed"):
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


def require_consistent(counts: PrismaCounts, where: str) -> None:
    """Refuse counts that do not add up, naming every box that fails (``--allow-mismatch`` skips this)."""
    problems = check_counts(counts) + check_records(counts)
    if problems:
        raise InputError(where, [str(problem) for problem in problems]
                         + ["the numbers do not add up; fix them or pass --allow-mismatch to draw them as given"])
