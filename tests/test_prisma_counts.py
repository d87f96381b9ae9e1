"""The counts model and the arithmetic: hand-made outcomes, every path, and a property over random flows."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harvester.errors import HarvestError, InputError
from prisma.check import END_BOXES, check_counts, check_records, require_consistent
from prisma.counts import Line, counts_from_outcomes
from prisma.flow import END_STATES, Outcome


def _outcome(rid: int, end: str, *, arm: str = "databases", database: str = "MEDLINE", source: str = "MEDLINE",
             reason: str | None = None, by: str | None = None, study: str | None = None) -> Outcome:
    return Outcome(record_id=rid, source=source, database=database, arm=arm, end=end,  # type: ignore[arg-type]
                   reason=reason, by=by, study_id=study)  # type: ignore[arg-type]


FLOW = [
    _outcome(1, "duplicate"),
    _outcome(2, "ineligible-automation", database="CINAHL", source="CINAHL", reason="Not in English",
             by="automation"),
    _outcome(3, "removed-other", database="CINAHL", source="CINAHL"),
    _outcome(4, "excluded-screening", by="reviewer"),
    _outcome(5, "excluded-screening", by="automation", reason="Adolescents in schools"),
    _outcome(6, "awaiting-screening"),
    _outcome(7, "not-retrieved"),
    _outcome(8, "excluded-full-text", reason="No peer perspective"),
    _outcome(9, "excluded-full-text", reason="Client outcomes only", database="Scopus", source="Scopus"),
    _outcome(10, "included", study="S1"),
    _outcome(11, "included", study="S1", database="Scopus", source="Scopus"),  # a second report of study S1
    _outcome(12, "included", arm="other", source="Hand", database="Hand"),
    _outcome(13, "duplicate", arm="other", source="Hand", database="Hand"),
    _outcome(14, "excluded-full-text", arm="other", source="Web", database="Web", reason="No peer perspective"),
    _outcome(15, "included", arm="registers", database="ClinicalTrials.gov", source="CT"),
]
METHODS = {"Hand": "citation searching", "Web": "websites"}


def test_every_path_lands_in_its_boxes_and_the_flow_adds_up() -> None:
    counts = counts_from_outcomes(FLOW, other_methods=METHODS, reasons_order=["No peer perspective"])
    assert counts.database_results == 11 and counts.register_results == 1
    assert counts.database_specific_results == (Line("CINAHL", 2), Line("MEDLINE", 7), Line("Scopus", 2))
    assert counts.register_specific_results == (Line("ClinicalTrials.gov", 1),)
    assert (counts.duplicates, counts.excluded_automatic, counts.excluded_other) == (1, 1, 1)
    assert counts.records_screened == 9
    assert (counts.records_excluded, counts.records_excluded_automation, counts.records_excluded_reviewers) == (2, 1, 1)
    assert counts.records_awaiting_screening == 1
    assert (counts.dbr_sought_reports, counts.dbr_notretrieved_reports, counts.dbr_assessed) == (6, 1, 5)
    assert counts.dbr_excluded == (Line("No peer perspective", 1), Line("Client outcomes only", 1))
    assert (counts.citations_results, counts.website_results, counts.organisation_results) == (2, 1, None)
    assert counts.other_removed == (Line("Duplicate records", 1),)
    assert (counts.other_sought_reports, counts.other_assessed) == (2, 2)
    assert counts.other_excluded == (Line("No peer perspective", 1),)
    assert counts.new_reports == 4 and counts.new_studies == 3  # S1 has two reports
    assert check_counts(counts) == []
    assert check_records(counts) == []
    assert counts.records["dbr_excluded/No peer perspective"] == (8,)
    assert counts.records["database_specific_results/CINAHL"] == (2, 3)
    assert counts.awaiting == 1


def test_a_record_with_two_outcomes_is_refused() -> None:
    with pytest.raises(HarvestError, match="record 4 has two outcomes"):
        counts_from_outcomes([_outcome(4, "included"), _outcome(4, "duplicate")])


def test_previous_studies_give_the_totals() -> None:
    counts = counts_from_outcomes(FLOW, other_methods=METHODS, previous_studies=10, previous_reports=12)
    assert (counts.total_studies, counts.total_reports) == (13, 16)
    assert check_counts(counts) == []
    wrong = replace(counts, total_studies=14)
    assert [m.box for m in check_counts(wrong)] == ["total_studies"]


def test_a_box_that_disagrees_is_named_with_both_numbers() -> None:
    counts = counts_from_outcomes(FLOW, other_methods=METHODS)
    wrong = replace(counts, records_screened=10)
    problems = check_counts(wrong)
    assert problems[0].box == "records_screened" and problems[0].actual == 10 and problems[0].expected == 9
    assert "Records screened [records_screened] holds 10" in str(problems[0])
    # the ids no longer match the number shown either
    assert any(m.box == "records_screened" and m.rule == "ids" for m in check_records(wrong))
    with pytest.raises(InputError, match="records_screened"):
        require_consistent(wrong, "ledger.sqlite")


def test_a_record_counted_twice_breaks_the_one_path_rule() -> None:
    counts = counts_from_outcomes(FLOW, other_methods=METHODS)
    records = dict(counts.records)
    records["duplicates"] = (1, 4)  # record 4 was also excluded at screening
    problems = check_records(replace(counts, records=records, duplicates=2, records_screened=8))
    assert any("record 4" in m.message and "2 box(es)" in m.message for m in problems)


def test_reasons_that_outnumber_the_assessed_reports_are_refused() -> None:
    counts = counts_from_outcomes(FLOW, other_methods=METHODS)
    wrong = replace(counts, dbr_excluded=(Line("No peer perspective", 9),), records={})
    assert any(m.box == "dbr_excluded" for m in check_counts(wrong))


_END = st.sampled_from([end for end in END_STATES])
_ARM = st.sampled_from(["databases", "registers", "other"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_ARM, _END, st.sampled_from(["A", "B", "C"]), st.sampled_from(["r1", "r2"]),
                          st.sampled_from([None, "s1", "s2"])), max_size=60))
def test_any_set_of_outcomes_adds_up_and_each_record_ends_once(items: list[tuple[str, str, str, str, str]]) -> None:
    outcomes = [
        _outcome(i + 1, end, arm=arm, database=db, source=db, reason=reason, study=study,
                 by="automation" if i % 3 == 0 else "reviewer")
        for i, (arm, end, db, reason, study) in enumerate(items)
    ]
    counts = counts_from_outcomes(outcomes, other_methods={"A": "websites", "B": "grey literature"})
    assert check_counts(counts) == []
    assert check_records(counts) == []
    ended = sum(len(ids) for key, ids in counts.records.items()
                if key in END_BOXES or key.split("/")[0] in ("dbr_excluded", "other_excluded", "other_removed"))
    assert ended == len(outcomes)
    assert (counts.new_studies or 0) <= (counts.new_reports or 0)
