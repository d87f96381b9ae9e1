"""Every layout, checked: each template draws every non-zero box or refuses naming the layout that fits, and
every number a drawn figure prints is the number of records behind it.

The "ledger" here is a generated review (one outcome per record, every end state in every arm, two reports
of one study, automation at two stages, registers, previous studies), so every box of every layout is non-zero;
``tests/test_prisma_example.py`` runs the same check on the bundled example review's real ledger.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harvester.errors import InputError
from harvester.outputs import LoadedCounts, draw_diagram
from prisma.check import check_layout, layouts_that_fit, provisional
from prisma.counts import PrismaCounts, counts_from_outcomes
from prisma.diagram import DiagramOptions, to_dot
from prisma.flow import END_STATES, Outcome
from prisma.templates import TEMPLATES, Count, Lines

METHODS = {"Hand": "citation searching", "Web": "websites", "Grey": "grey literature"}


def _outcome(rid: int, end: str, arm: str = "databases", database: str = "MEDLINE", reason: str | None = None,
             by: str | None = None, study: str | None = None) -> Outcome:
    source = {"databases": database, "registers": database, "other": database}[arm]
    return Outcome(record_id=rid, source=source, database=database, arm=arm, end=end,  # type: ignore[arg-type]
                   reason=reason, by=by, study_id=study)  # type: ignore[arg-type]


def generated_review(awaiting: bool = False) -> list[Outcome]:
    """Every path of every arm, each more than once, so no box is zero (``awaiting`` adds undecided records)."""
    flow: list[Outcome] = []

    def add(n: int, end: str, **kw: object) -> None:
        for _ in range(n):
            flow.append(_outcome(len(flow) + 1, end, **kw))  # type: ignore[arg-type]

    for database in ("MEDLINE", "Scopus"):
        add(3, "duplicate", database=database)
        add(2, "ineligible-automation", database=database, reason="Not in English", by="automation")
        add(1, "removed-other", database=database, reason="Withdrawn import")
        add(4, "excluded-screening", database=database, by="reviewer")
        add(2, "excluded-screening", database=database, by="automation", reason="Animal study")
        add(1, "not-retrieved", database=database)
        add(2, "excluded-full-text", database=database, reason="No peer perspective")
        add(1, "excluded-full-text", database=database, reason="Client outcomes only")
        add(3, "included", database=database)
    add(1, "duplicate", arm="registers", database="ClinicalTrials.gov")
    add(2, "excluded-screening", arm="registers", database="ClinicalTrials.gov", by="reviewer")
    add(1, "included", arm="registers", database="ClinicalTrials.gov", study="S-trial")
    add(1, "included", database="MEDLINE", study="S-trial")  # the trial's results paper: one study, two reports
    for method in ("Hand", "Web", "Grey"):
        add(1, "duplicate", arm="other", database=method)
        add(1, "not-retrieved", arm="other", database=method)
        add(1, "excluded-full-text", arm="other", database=method, reason="No peer perspective")
        add(2, "included", arm="other", database=method)
    if awaiting:
        add(2, "awaiting-screening")
        add(1, "awaiting-retrieval")
        add(1, "awaiting-assessment", arm="other", database="Hand")
    return flow


def counts_of(outcomes: list[Outcome], previous: bool = True) -> PrismaCounts:
    return counts_from_outcomes(outcomes, other_methods=METHODS, previous_studies=5 if previous else None,
                                previous_reports=7 if previous else None,
                                reasons_order=["No peer perspective", "Client outcomes only"])


def node_texts(dot: str) -> dict[str, list[str]]:
    """Node id -> the lines of its label, read back from the DOT text."""
    texts: dict[str, list[str]] = {}
    for match in re.finditer(r'^\s*"?([\w-]+)"? \[label=<(.*?)>\s+\w+=', dot, re.M):
        lines = [line.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
                 for line in match.group(2).split("<BR/>")]
        texts[match.group(1)] = lines
    return texts


def expected_from_records(counts: PrismaCounts, outcomes: list[Outcome], previous: tuple[int, int] | None
                          ) -> dict[str, int | dict[str, int]]:
    """What each box must print, counted from the records (the ledger's rows) rather than from the counts'
    fields: the 2020 keys by their record ids, studies by distinct study, and the 2009 mapping of docs/prisma.md
    applied to the records' end states."""
    ids = counts.records
    expected: dict[str, int | dict[str, int]] = {key: len(value) for key, value in ids.items() if "/" not in key}
    for prefix in ("database_specific_results", "register_specific_results", "dbr_excluded", "other_excluded",
                   "other_removed"):
        expected[prefix] = {key.split("/", 1)[1]: len(value) for key, value in ids.items()
                            if key.startswith(prefix + "/")}
    expected["other_methods"] = {key.split("/", 1)[1]: len(value) for key, value in ids.items()
                                 if key.startswith("other_method_results/")}
    included = [o for o in outcomes if o.end == "included"]
    studies = len({o.study_id or f"record:{o.record_id}" for o in included})
    expected["new_studies"] = studies
    expected["new_reports"] = len(included)
    if previous is not None:
        expected["previous_studies"], expected["previous_reports"] = previous
        expected["total_studies"] = previous[0] + studies
        expected["total_reports"] = previous[1] + len(included)
    # 2009: databases and registers identified; other methods; after duplicates (either arm) = screened; excluded =
    # every record removed or excluded before full text other than duplicates; assessed = reports sought in
    # both arms; excluded with reasons = full-text exclusions plus not retrieved; studies included
    ends = [o.end for o in outcomes]
    other = [o for o in outcomes if o.arm == "other"]
    after = len(outcomes) - ends.count("duplicate")
    before = sum(1 for o in outcomes if o.end in ("ineligible-automation", "removed-other")
                 or (o.end == "excluded-screening"))
    expected["found"] = len(outcomes) - len(other)
    expected["found_other"] = len(other)
    expected["after_duplicates"] = expected["screened"] = after
    expected["excluded"] = before
    expected["excluded_before_screening"] = before - sum(1 for o in outcomes if o.end == "excluded-screening"
                                                         and o.arm != "other")
    expected["awaiting_screening"] = sum(1 for o in outcomes if o.end == "awaiting-screening" and o.arm != "other")
    sought = after - before - expected["awaiting_screening"]
    expected["fulltext"] = sought
    expected["awaiting_fulltext"] = sum(1 for o in outcomes if o.end in ("awaiting-retrieval", "awaiting-assessment")
                                        or (o.end == "awaiting-screening" and o.arm == "other"))
    expected["fulltext_excluded"] = ends.count("excluded-full-text") + ends.count("not-retrieved")
    expected["qualitative"] = studies
    expected["qualitative_reports"] = len(included)
    return expected


def check_drawn_numbers(counts: PrismaCounts, template_name: str, expected: dict[str, int | dict[str, int]]) -> int:
    """Every count line of every drawn box prints the number counted from the records; returns how many."""
    template = TEMPLATES[template_name]
    texts = node_texts(to_dot(counts, template, DiagramOptions(box_width=6.0)))  # wide: one line per count
    values = template.values(counts)
    checked = 0
    for box in template.boxes:
        if box.id not in texts:
            continue
        text = texts[box.id]
        for part in box.parts:
            if isinstance(part, Count):
                value = values.get(part.key)
                if not isinstance(value, int) or (part.hide_zero and value == 0):
                    continue
                if part.show_if is not None and not values.get(part.show_if):
                    continue
                want = expected.get(part.key, 0)  # no record behind a box: 0
                assert isinstance(want, int)
                line = f"{part.label} (n = {want:,})" if part.label else f"(n = {want:,})"
                assert line in text, (template_name, box.id, part.key, line, text)
                checked += 1
            elif isinstance(part, Lines) and part.key == "records_excluded_reasons":
                continue  # an extension, off unless the protocol asks (tests/test_prisma_example.py)
            elif isinstance(part, Lines):
                want_lines = expected[{"fulltext_reasons": "fulltext_excluded"}.get(part.key, part.key)]
                if isinstance(want_lines, int):  # 2009: the reasons add up to the excluded total
                    drawn = [int(m.group(1).replace(",", "")) for line in text
                             for m in [re.search(r"\(n = ([\d,]+)\)$", line)] if m]
                    assert sum(drawn[1:]) == want_lines, (template_name, box.id, text)
                    continue
                for name, n in want_lines.items():
                    assert f"{name} (n = {n:,})" in text, (template_name, box.id, name, n, text)
                    checked += 1
    return checked


@pytest.mark.parametrize("previous", [True, False])
@pytest.mark.parametrize("awaiting", [False, True])
@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_layout_draws_every_number_from_the_records_or_refuses_naming_one_that_fits(
        template: str, previous: bool, awaiting: bool, tmp_path: Path) -> None:
    outcomes = generated_review(awaiting)
    counts = counts_of(outcomes, previous)
    loaded = LoadedCounts(counts, "generated.sqlite", "generated", "2020")
    problems = check_layout(counts, TEMPLATES[template])
    fits = layouts_that_fit(counts)
    assert fits == (["updated-other"] if previous else ["new-other", "2009"])
    if template not in fits:
        assert problems, template
        with pytest.raises(InputError) as refused:
            draw_diagram(loaded, template, "dot", tmp_path / "d.dot")
        message = str(refused.value)
        assert not (tmp_path / "d.dot").exists()
        assert any(f"--template {name}" in message or f"--template {fits[0]}" in message for name in fits), message
        if template.startswith("updated") and not previous:
            assert "set previous_studies and previous_reports in the protocol's [review] table" in message
        return
    assert problems == []
    every_box = [box.id for box in TEMPLATES[template].boxes if not box.optional or template == "2009"]
    drawn = node_texts(draw_diagram(loaded, template, "dot", tmp_path / "d.dot").data.decode("utf-8"))
    assert set(every_box) - {"quantitative"} <= set(drawn), "a layout that fits draws every box"
    expected = expected_from_records(counts, outcomes, (5, 7) if previous else None)
    assert check_drawn_numbers(counts, template, expected) >= (10 if template == "2009" else 25)
    assert (provisional(counts) is not None) == awaiting


def test_the_generated_review_has_every_box_non_zero() -> None:
    counts = counts_of(generated_review(awaiting=True))
    for key in ("database_results", "register_results", "duplicates", "excluded_automatic", "excluded_other",
                "records_screened", "records_excluded", "records_excluded_automation", "records_excluded_reviewers",
                "dbr_sought_reports", "dbr_notretrieved_reports", "dbr_assessed", "other_sought_reports",
                "other_notretrieved_reports", "other_assessed", "website_results", "citations_results",
                "new_studies", "new_reports", "previous_studies", "total_studies", "records_awaiting_screening",
                "dbr_awaiting_retrieval", "other_awaiting_assessment"):
        assert getattr(counts, key), key
    assert counts.new_studies == counts.new_reports - 1  # one study, two reports
    assert counts.other_method_results and counts.other_removed and counts.dbr_excluded and counts.other_excluded


def test_draft_draws_a_layout_that_does_not_fit_stamped_and_says_why(tmp_path: Path) -> None:
    counts = counts_of(generated_review(), previous=False)
    loaded = LoadedCounts(counts, "generated.sqlite", "generated", "2020")
    drawn = draw_diagram(loaded, "new", "dot", tmp_path / "d.dot", draft=True)
    assert "DRAFT: the numbers do not add up" in drawn.data.decode("utf-8")
    assert any("drawn as a DRAFT" in w and "new-other" in w for w in drawn.warnings)
    fine = draw_diagram(loaded, "new-other", "dot", tmp_path / "e.dot")
    assert "DRAFT" not in fine.data.decode("utf-8")


def test_strict_refuses_provisional_counts_and_names_the_stages(tmp_path: Path) -> None:
    counts = counts_of(generated_review(awaiting=True), previous=False)
    loaded = LoadedCounts(counts, "generated.sqlite", "generated", "2020")
    drawn = draw_diagram(loaded, None, "dot", tmp_path / "d.dot")
    assert any(w.startswith("provisional: 4 record(s) still await a decision (2 screening, 1 retrieval, "
                            "1 full-text assessment)") for w in drawn.warnings)
    with pytest.raises(InputError, match="--strict refuses provisional numbers"):
        draw_diagram(loaded, None, "dot", tmp_path / "e.dot", strict=True)
    assert not (tmp_path / "e.dot").exists()


_ARM = st.sampled_from(["databases", "registers", "other"])


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(_ARM, st.sampled_from(END_STATES), st.sampled_from(["Hand", "Web", "X"]),
                          st.sampled_from([None, "s1"])), max_size=40),
       st.booleans(), st.sampled_from(sorted(TEMPLATES)))
def test_no_layout_is_ever_drawn_with_numbers_that_do_not_add_up(
        items: list[tuple[str, str, str, str | None]], previous: bool, template: str) -> None:
    outcomes = [_outcome(i + 1, end, arm=arm, database=db, reason="Reason" if "excluded" in end else None,
                         by="automation" if i % 2 else "reviewer", study=study)
                for i, (arm, end, db, study) in enumerate(items)]
    counts = counts_of(outcomes, previous)
    problems = check_layout(counts, TEMPLATES[template])
    if problems:  # the layout leaves out a non-zero box or lacks its numbers: refused, and another one fits
        assert all(p.rule == "layout" for p in problems), problems
        assert layouts_that_fit(counts)
        return
    expected = expected_from_records(counts, outcomes, (5, 7) if previous else None)
    check_drawn_numbers(counts, template, expected)
