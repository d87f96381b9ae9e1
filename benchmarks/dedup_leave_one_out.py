"""Leave one set out: each labelled set judged by the rules without what was designed while looking at it.

    .venv/bin/python benchmarks/dedup_leave_one_out.py [--sets stroke,diabetes] [--each]

The rules were written over several rounds with the four labelled sets in view. This script takes out, for
one set at a time, every rule and normalisation step whose design the project history (commit messages,
docs/dedup.md) ties to that set's records, and measures the set with what is left: the figure of the rules
built without looking at it, as near as the history allows. ``FEATURES`` lists each step with the set it
was built on and how it is taken out (a rule that never holds, or the plain form of a normalisation).
Steps designed on all sets at once (the principles' thresholds, checked on every set's true pairs) cannot
be left out for one set; docs/dedup.md says which.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.dedup_sets import SETS, load_set, score  # noqa: E402
from harvester import normalise  # noqa: E402
from harvester.dedup import compare, decide, prepare  # noqa: E402
from harvester.dedup.pipeline import dedupe  # noqa: E402


@contextmanager
def _setattr(owner: object, name: str, value: Any):  # type: ignore[no-untyped-def]
    old = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, old)


def _without_rule(name: str) -> Callable[[ExitStack], None]:
    """Take a rule out: it never holds (everywhere it is read: the rules, the overrides, the cluster guards)."""
    def apply(stack: ExitStack) -> None:
        for group in ("RULES", "OVERRIDES", "ISSUE_RULES", "ISSUE_OVERRIDES"):
            rules = getattr(decide, group)
            stack.enter_context(_setattr(decide, group, tuple(
                replace(r, holds=lambda s: False) if r.name == name else r for r in rules)))
        if decide.SAME_ITEM_OTHER_ISSUE.name == name:
            stack.enter_context(_setattr(decide, "SAME_ITEM_OTHER_ISSUE", replace(
                decide.SAME_ITEM_OTHER_ISSUE, holds=lambda s: False)))
    return apply


def _plain_doi(stack: ExitStack) -> None:
    """Two different DOIs always differ (no reading of a DOI's journal code)."""
    def doi(a: prepare.Keys, b: prepare.Keys) -> str:
        found = normalise.same_doi(a.doi, b.doi)
        return compare.MISSING if found is None else compare.SAME if found else compare.DIFFERENT
    stack.enter_context(_setattr(compare, "_doi", doi))


def _keep_leading_article(stack: ExitStack) -> None:
    stack.enter_context(_setattr(prepare, "_LEADING_ARTICLE", re.compile(r"(?!)")))


def _keep_apostrophes(stack: ExitStack) -> None:
    stack.enter_context(_setattr(normalise, "_APOSTROPHES", re.compile(r"(?!)")))


def _abstract_number_pages(stack: ExitStack) -> None:
    """``A175.E1638`` read as a page of its own, not as page A175."""
    pages = normalise.pages

    def plain(value: str | None) -> normalise.Pages:
        if value and re.fullmatch(r"[A-Za-z]{0,2}\d+\.[Ee]\d+", value.strip()):
            return normalise.Pages(value.strip().lower(), "")
        return pages(value)
    stack.enter_context(_setattr(normalise, "pages", plain))


def _plain_issue_numbers(stack: ExitStack) -> None:
    """Every number of the issue field is an issue number (no reading of article numbers: the record's first
    page, the other copy's page, '(no pagination)'; no reading of years)."""
    def issues(issue: str | None, volume: str | None, *_: object) -> frozenset[str]:
        return frozenset(str(int(n)) for n in re.findall(r"\d+", issue or "") if len(n) < 9)
    stack.enter_context(_setattr(prepare, "issue_set", issues))
    stack.enter_context(_setattr(compare, "_article_number", lambda a, b: False))


def _numbers_with_spaces(stack: ExitStack) -> None:
    """Numbers of a title read as written ("CO 2" is 2, "HPV 16" is 16)."""
    def numbers(title: str) -> frozenset[str]:
        found = set(re.findall(r"\d+", title))
        found.update(w for w in title.split() if w in prepare.ROMAN)
        return frozenset(found)
    stack.enter_context(_setattr(prepare, "title_numbers", numbers))


def _numbers_always_differ(stack: ExitStack) -> None:
    """Different numbers in the titles keep two records apart even in the same volume and page range."""
    rules = tuple(replace(r, holds=lambda s: s.title_numbers == compare.DIFFERENT)
                  if r.name == "different-numbers-in-title" else r for r in decide.RULES)
    stack.enter_context(_setattr(decide, "RULES", rules))
    stack.enter_context(_setattr(decide, "SOFT_GUARDS", tuple(r for r in rules if r.name in {
        g.name for g in decide.SOFT_GUARDS})))


@dataclass(frozen=True)
class Feature:
    name: str
    built_on: str
    evidence: str
    take_out: Callable[[ExitStack], None]


#: Each step designed while looking at one set's records, from the project history.
FEATURES: tuple[Feature, ...] = (
    Feature("same-title-authors-issue", "diabetes", "commit b070a71: diabetes' abstracts on pages 51/52, i428/1428",
            _without_rule("same-title-authors-issue")),
    Feature("abstract-issue", "diabetes", "commit b070a71: conference record beside the journal's abstract issue",
            _without_rule("abstract-issue")),
    Feature("same-title-issue", "diabetes", "commit c235707/b070a71: abstract books, 'ESICON 2017 Abstracts'",
            _without_rule("same-title-issue")),
    Feature("DOI journal code", "diabetes", "commit b070a71: a j.regpep DOI on an Appetite record", _plain_doi),
    Feature("leading article dropped", "diabetes", "commit b070a71: 'The effects of' / 'Effects of'",
            _keep_leading_article),
    Feature("abstract-number pages", "diabetes", "commit 6777845: A175.E1638 (diabetes FN 8 -> 6)",
            _abstract_number_pages),
    Feature("issue numbers read (article numbers, years, no pagination)", "diabetes",
            "issue 11: Embase article numbers in diabetes' issue fields (93 / page 93; 791 / issue 3, page 791)",
            _plain_issue_numbers),
    Feature("apostrophes inside words", "stroke", "docs: symptom's / symptoms found stroke (14, 15)",
            _keep_apostrophes),
    Feature("same-item-other-issue", "stroke", "issue 11: stroke (477, 478), issue 2 and 3, pages 139-140 (since"
            " the owner's decision it needs a volume shown continuous, which that pair's is not)",
            _without_rule("same-item-other-issue")),
    Feature("title numbers without spaces", "cytology_screening", "commit c235707: 'HPV 16' / 'HPV16', 'CO 2'",
            _numbers_with_spaces),
    Feature("number typo in the same page range", "cytology_screening",
            "commit cc2eef5: 'p6INK4a' / 'p16INK4a' (cytology FN 4 -> 3)", _numbers_always_differ),
)


def measure(name: str, data: Path, leave_out: bool, only: str = "") -> tuple[Any, int, list[str]]:
    """The set's figures (score, pairs for people, steps left out): as built, or without the steps built on
    it (``only``: just that one step)."""
    labelled = load_set(data, name)
    removed = [f.name for f in FEATURES if leave_out and f.built_on == name and only in ("", f.name)]
    with ExitStack() as stack:
        for feature in FEATURES:
            if feature.name in removed:
                feature.take_out(stack)
        result = dedupe(labelled.records)
    return score(labelled.clusters, [list(c.members) for c in result.clusters]), len(result.uncertain), removed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--each", action="store_true", help="also leave out each step alone")
    args = parser.parse_args()
    shared = Path(os.environ.get("PRISMA_HARVEST_SHARED", REPO.parent / "shared"))
    data = shared / "benchmarks" / "dedup"
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"{'set':<20}{'as built TP/FP/FN maybe':>26}{'left out TP/FP/FN maybe':>26}  steps left out")
    for name in args.sets.split(","):
        full, full_maybe, _ = measure(name, data, leave_out=False)
        out, out_maybe, removed = measure(name, data, leave_out=True)
        built, left = f"{full.tp}/{full.fp}/{full.fn} {full_maybe}", f"{out.tp}/{out.fp}/{out.fn} {out_maybe}"
        print(f"{name:<20}{built:>26}{left:>26}  {', '.join(removed) or '(none)'}")
        if args.each and len(removed) > 1:
            for step in removed:
                one, one_maybe, _ = measure(name, data, leave_out=True, only=step)
                print(f"{'':<20}{'':>26}{f'{one.tp}/{one.fp}/{one.fn} {one_maybe}':>26}  only {step}")


if __name__ == "__main__":
    main()
