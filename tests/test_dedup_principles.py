"""The principles of de-duplication as properties over generated records (docs/dedup.md, "The principles").

Each property states why two records are different works, and is checked over look-alike records that
share everything else a rule could be tempted by: authors, journal, volume, pages, year, identifiers.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester.dedup import dedupe
from harvester.dedup.compare import DISAGREE_BELOW, title_overlap
from harvester.dedup.prepare import GENERIC_WORDS, RECURS_IN, prepare, recurring_titles, title_key
from harvester.records import Record

#: Two vocabularies without a word in common: a title from each disagree by construction.
_LEFT_TEXT = ("stroke rehabilitation robotic arm training motor recovery upper limb hemiparesis therapy outcome"
              " randomised patients chronic function")
_RIGHT_TEXT = ("cervical cytology screening papillomavirus testing women colposcopy triage lesions smear"
               " accuracy primary care programme")
LEFT, RIGHT = _LEFT_TEXT.split(), _RIGHT_TEXT.split()

GENERIC_TITLES = ("Editor's comments", "Editorial", "In this issue", "Letters to the editor", "Erratum",
                  "Correction", "Reply", "Contents", "Author index", "Conference programme", "News",
                  "Retraction notice", "From the editor", "Table of contents", "Book reviews")

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def title_from(vocabulary: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(vocabulary), min_size=4, max_size=9, unique=True).map(
        lambda words: " ".join(words).capitalize())


def spelt(title: str) -> st.SearchStrategy[str]:
    """The same title as another database prints it."""
    return st.sampled_from([title, title.upper(), title + ".", title.lower(), f"[{title}]."])


@st.composite
def shared_citation(draw: st.DrawFn) -> dict[str, object]:
    """Fields two different works may share: authors, journal, volume, issue, pages, year, identifiers."""
    return {
        "authors": draw(st.sampled_from([("Smith, J. A.", "Doe, B."), ("Smith JA", "Doe B"), ("J.A. Smith",)])),
        "year": draw(st.sampled_from([2012, 2013])),
        "journal": draw(st.sampled_from(["Clinical Rehabilitation", "Clin Rehabil", ""])),
        "volume": draw(st.sampled_from(["26", "26", ""])),
        "issue": draw(st.sampled_from(["3", "4", ""])),
        "pages": draw(st.sampled_from(["101-109", "101-9", "e101-e109", ""])),
        "doi": draw(st.sampled_from(["", "", "10.1177/0269215511", "https://doi.org/10.1177/0269215511"])),
        "pmid": draw(st.sampled_from(["", "", "22052947"])),
    }


def _together(result: object, a: int, b: int) -> bool:
    return any(a in c.members and b in c.members for c in result.clusters)  # type: ignore[attr-defined]


@SETTINGS
@given(st.data())
def test_titles_that_disagree_are_never_merged(data: st.DataObject) -> None:
    """Principle 1: two titles that disagree are never merged on citation or author evidence, not even
    through a chain of other records; a shared identifier with disagreeing titles goes to people."""
    left, right = data.draw(title_from(LEFT)), data.draw(title_from(RIGHT))
    assert title_overlap(left.lower(), right.lower()) < DISAGREE_BELOW
    records = []
    for i in range(data.draw(st.integers(min_value=2, max_value=6))):
        title = data.draw(spelt(left if i % 2 == 0 else right))
        records.append((i + 1, Record(title=title, **data.draw(shared_citation()))))  # type: ignore[arg-type]
    result = dedupe(records)
    for a, _ in records:
        for b, _ in records:
            if a < b and (a % 2) != (b % 2):  # one title from each vocabulary
                assert not _together(result, a, b), (a, b)
    first, second = Record(title=left, doi="10.1/x", pmid="1"), Record(title=right, doi="10.1/x", pmid="1")
    pair = dedupe([(1, first), (2, second)])
    assert not pair.clusters and [p.rule for p in pair.uncertain] == ["titles-disagree-same-identifier"]


@st.composite
def issue_look_alikes(draw: st.DrawFn) -> list[tuple[int, Record]]:
    """Records of one journal volume in several issues: recurring or specific titles, one author."""
    title = draw(st.sampled_from([*GENERIC_TITLES, "Robotic arm training after stroke: a randomised trial"]))
    out = []
    for i in range(draw(st.integers(min_value=2, max_value=5))):
        out.append((i + 1, Record(
            title=draw(spelt(title)), authors=draw(st.sampled_from([("Smith, J.",), ("Smith J",), ()])),
            year=2014, journal=draw(st.sampled_from(["Stroke", "Stroke."])), volume="45",
            issue=str(draw(st.integers(min_value=1, max_value=4))),
            pages=draw(st.sampled_from(["1", "1-2", "233-234", ""])))))
    return out


@SETTINGS
@given(issue_look_alikes())
def test_different_issues_of_one_volume_are_different_items(records: list[tuple[int, Record]]) -> None:
    """Principle 2: the same journal and volume with different issue numbers are different items, unless
    a long specific title is the same word for word and the page range is the same."""
    by_id = dict(records)
    result = dedupe(records)
    for cluster in result.clusters:
        issues = {by_id[m].issue for m in cluster.members}
        if len(issues) > 1:
            keys = [prepare(m, by_id[m]) for m in cluster.members]
            assert all(not k.generic and k.title.count(" ") >= 5 for k in keys), cluster
            assert len({(k.page_first, k.page_last) for k in keys}) == 1 and keys[0].page_last, cluster


@SETTINGS
@given(st.data())
def test_a_recurring_title_merges_only_in_its_place(data: st.DataObject) -> None:
    """Principle 3: a generic title merges only on the same volume, issue and first page."""
    title = data.draw(st.sampled_from(GENERIC_TITLES))
    records = []
    for i in range(data.draw(st.integers(min_value=2, max_value=6))):
        records.append((i + 1, Record(
            title=data.draw(spelt(title)), authors=data.draw(st.sampled_from([("Smith, J.",), ()])),
            year=data.draw(st.sampled_from([2014, 2015])), journal="Stroke",
            volume=data.draw(st.sampled_from(["45", "46", ""])), issue=data.draw(st.sampled_from(["1", "2", ""])),
            pages=data.draw(st.sampled_from(["1", "5", ""])))))
    by_id = dict(records)
    for cluster in dedupe(records).clusters:
        places = {(by_id[m].volume, by_id[m].issue, by_id[m].pages) for m in cluster.members}
        assert len(places) == 1 and all(places.pop()), cluster


@SETTINGS
@given(title_from(LEFT), st.sampled_from(["Erratum: ", "Erratum to: ", "Correction to ", "Comment on: ",
                                          "Re: ", "Reply to ", "Retraction notice: ", "Retraction: "]),
       shared_citation())
def test_a_notice_is_linked_to_its_work_never_merged(title: str, opening: str, citation: dict[str, object]) -> None:
    """Principle 4: an erratum, correction, retraction, comment or reply is linked to the work it concerns,
    with the reason, and never merged with it."""
    work = Record(title=title, **citation)  # type: ignore[arg-type]
    notice = Record(title=opening + title, **{**citation, "doi": "", "pmid": ""})  # type: ignore[arg-type]
    copy = Record(title=title.upper(), **{**citation, "doi": ""})  # type: ignore[arg-type]
    result = dedupe([(1, work), (2, notice), (3, copy)])
    assert not any(2 in c.members for c in result.clusters)
    links = result.links()
    assert {(p.scores["notice"], p.scores["work"]) for p in links} == {(2, 1), (2, 3)}
    assert all(p.rule in ("erratum-of", "comment-on", "retraction-of") and p.scores["reason"] for p in links)


def test_generic_words_are_words_not_phrases() -> None:
    assert all(" " not in w and w == w.lower() for w in GENERIC_WORDS)
    assert prepare(1, Record(title="Editor's comments", journal="Stroke")).generic
    assert prepare(1, Record(title="Stroke: editorial", journal="Stroke")).generic  # the journal's own name
    assert not prepare(1, Record(title="Abstracts of the 79th EAS Congress", journal="Atherosclerosis")).generic


MESSY = ("first-page-typo", "e-prefix", "year-apart", "no-citation", "journal-full-stop", "journal-conference",
         "abbreviated-journal", "short-range")


def messy_copy(record: Record, change: str) -> Record:
    """The same article as another database printed it, with one of the slips seen in real exports."""
    if not record.pages:
        return record
    first, last = record.pages.split("-")
    if change == "first-page-typo":  # one digit typed wrong
        return replace(record, pages=f"{first[:-1]}{(int(first[-1]) + 1) % 10}-{last}")
    if change == "e-prefix":
        return replace(record, pages=f"e{first}-e{last}")
    if change == "year-apart":
        return replace(record, year=(record.year or 2012) + 1)
    if change == "no-citation":
        return replace(record, volume="", issue="", pages="")
    if change == "journal-full-stop":
        return replace(record, journal=record.journal + ".")
    if change == "journal-conference":
        return replace(record, journal=record.journal + ". Conference: Annual Meeting")
    if change == "abbreviated-journal":
        return replace(record, journal="Clin Rehabil")
    same = 0  # "1006-1016" -> "1006-16": the last page without the digits it shares with the first
    while same < len(first) - 1 and len(first) == len(last) and first[same] == last[same]:
        same += 1
    return replace(record, pages=f"{first}-{last[same:]}")


@SETTINGS
@given(title_from(LEFT), st.lists(st.sampled_from(MESSY), min_size=1, max_size=2, unique=True),
       st.sampled_from(["101-109", "12-19", "1006-1016"]))
def test_messy_citations_merge_when_title_and_authors_agree(title: str, changes: list[str], pages: str) -> None:
    """Issue 11, item 4: a page typo, an electronic prefix, a year apart, a missing citation or a journal
    variant does not hide a duplicate whose title and authors agree strongly; the group's next article, a
    word of the title apart and on other pages, is never merged (a person decides, or it stays apart)."""
    if {"no-citation", "first-page-typo"} <= set(changes) or {"no-citation", "e-prefix"} <= set(changes):
        changes = changes[:1]
    if "journal-conference" in changes:  # a conference record is its journal's item only on the same page
        changes = ["journal-conference"]
    article = Record(title=title, authors=("Smith, J. A.", "Doe, B."), year=2012, journal="Clinical Rehabilitation",
                     volume="26", issue="3", pages=pages)
    copy = article
    for change in changes:
        copy = messy_copy(copy, change)
    assert len(dedupe([(1, article), (2, copy)]).clusters) == 1, (changes, copy)
    words = title.split()
    other = next(w for w in LEFT if w not in title.lower().split())
    reworded = replace(copy, title=" ".join([*words[:-1], other]),  # the group's next article, a word apart
                       pages=f"{int(copy.pages.split('-')[0].lstrip('e')) + 50}-999" if copy.pages else "")
    assert not dedupe([(1, article), (2, reworded)]).clusters


def test_a_copy_that_matches_two_different_items_merges_with_neither() -> None:
    """The ambiguity principle: a column printed in three issues, one copy without issue and pages, matches
    every issue's record; those records must stay apart, so it cannot tell which it duplicates: no merge,
    and the question goes to people."""
    column = Record(title="Clinical pearls: managing the acute stroke unit", authors=("Smith, J.",), year=2014,
                    journal="Stroke", volume="45")
    records = [(i, replace(column, issue=str(i), pages=f"{100 * i}-{100 * i + 1}")) for i in (1, 2, 3)]
    records.append((4, column))  # the thin copy
    result = dedupe(records)
    assert not result.clusters
    assert {(p.a, p.b) for p in result.uncertain} >= {(1, 4), (2, 4), (3, 4)}
    # with a single issue the thin copy is that issue's record: merged (issue 11, item 4)
    assert [c.members for c in dedupe([records[0], records[3]]).clusters] == [(1, 4)]


def test_a_notice_naming_a_bracketed_translated_title_is_linked() -> None:
    work = Record(title="[Efficacy of batroxobin for vascular cognitive impairment].", year=2010, journal="Chin J",
                  volume="7", pages="73-76")
    notice = Record(title="Correction to: [Efficacy of batroxobin for vascular cognitive impairment].", year=2011,
                    journal="Chin J", volume="8", pages="12")
    result = dedupe([(1, work), (2, notice)])
    assert not result.clusters
    assert [(p.rule, p.scores["notice"], p.scores["work"]) for p in result.links()] == [("erratum-of", 2, 1)]


def test_a_column_on_the_same_pages_of_several_issues_is_not_one_item() -> None:
    """Principles 2 and 5: a specific title on the same pages of four issues (a journal paginated by issue)
    is a column, not one item with its issue typed wrong: no merge. Two issues alone, with nothing else of
    the volume in the run, go to people (nothing shows the volume paginated continuously); a third copy of
    one of them merges with its own issue only."""
    column = Record(title="Clinical pearls: managing the acute stroke unit well", authors=("Smith, J.",),
                    year=2014, journal="Stroke", volume="45", pages="1-2")
    issues = [(i, replace(column, issue=str(i))) for i in (1, 2, 3, 4)]
    assert not dedupe(issues).clusters
    assert not dedupe(issues[:3]).clusters
    two = dedupe(issues[:2])
    assert not two.clusters
    assert [(p.rule, p.scores["pagination"]) for p in two.uncertain] == [("same-item-other-issue-unproven", "unknown")]
    copy = (9, replace(column, issue="1", journal="Stroke."))
    assert [c.members for c in dedupe([issues[0], copy, issues[1]]).clusters] == [(1, 9)]


def _volume_items(issue_pages: list[tuple[int, int]],
                  journal: str = "Clinical Rehabilitation") -> list[tuple[int, Record]]:
    """Other items of one journal volume, one per (issue, first page), ids from 100, each with its own title."""
    return [(100 + n, Record(title=f"{LEFT[n]} and {RIGHT[n]} in a cohort of {10 + n} wards",
                             authors=(f"{_OTHERS[n]}, A.",), year=2014, journal=journal, volume="45", issue=str(issue),
                             pages=f"{first}-{first + 7}"))
            for n, (issue, first) in enumerate(issue_pages)]


_OTHERS = ("Abara", "Boateng", "Cardenas", "Dvorak", "Eriksen", "Fofanah", "Grunwald", "Hakimi", "Iwu", "Jovanovic",
           "Kaminski", "Lindgren")


ITEM = Record(title="Memory rehabilitation: integrating theory and practice in the clinic",
              authors=("Wilson, B. A.",), year=2014, journal="Clinical Rehabilitation", volume="45", pages="139-140")


def test_one_item_with_its_issue_typed_wrong_merges_in_a_continuous_volume() -> None:
    """Principle 2: the same item in issues 2 and 3 (one typed wrong) merges when other records of the run show
    the volume paginated continuously and its pages sit in one of the two issues' places; to people otherwise."""
    pair = [(1, replace(ITEM, issue="2")), (2, replace(ITEM, issue="3", journal="Clin Rehabil"))]
    continuous = _volume_items([(1, 10), (1, 60), (2, 110), (3, 200), (4, 300)])
    merged = dedupe(pair + continuous)
    assert [c.members for c in merged.clusters] == [(1, 2)]
    assert merged.clusters[0].duplicates[0].rule == "same-item-other-issue"
    # the pages fit neither issue's place (issue 2's items above them, issue 3's below): to people
    misplaced = _volume_items([(1, 10), (2, 150), (3, 120), (4, 300)])
    assert not dedupe(pair + misplaced).clusters
    # other items that overlap across issues (each issue starts at page 1): paginated by issue, to people
    by_issue = _volume_items([(1, 1), (2, 3), (3, 1), (3, 40)])
    result = dedupe(pair + by_issue)
    assert not result.clusters
    assert [(p.rule, p.scores["pagination"]) for p in result.uncertain] == [("same-item-other-issue-unproven",
                                                                             "per-issue")]
    # one item per issue is no evidence (in issue order by chance half the time): to people
    assert not dedupe(pair + _volume_items([(1, 10), (4, 300)])).clusters


@st.composite
def per_issue_volume(draw: st.DrawFn) -> list[tuple[int, Record]]:
    """A journal volume paginated by issue: every issue starts again at page 1 (two issues each print an item
    on the first pages), other items anywhere on the issue's pages, and a column with a specific title by
    one author on the same pages of two issues."""
    issues = draw(st.lists(st.integers(min_value=1, max_value=12), min_size=2, max_size=4, unique=True))
    items = [(issue, draw(st.integers(min_value=1, max_value=3))) for issue in issues[:2]]
    items += draw(st.lists(st.tuples(st.sampled_from(issues), st.integers(min_value=1, max_value=90)), max_size=6))
    first = draw(st.integers(min_value=1, max_value=90))
    column = replace(ITEM, pages=f"{first}-{first + 1}")
    labels = draw(st.lists(st.sampled_from(issues), min_size=2, max_size=2, unique=True))
    return [(1, replace(column, issue=str(labels[0]))),
            (2, replace(column, issue=str(labels[1]), journal="Clin Rehabil")), *_volume_items(items)]


@SETTINGS
@given(per_issue_volume())
def test_a_column_of_a_volume_paginated_by_issue_is_never_merged(records: list[tuple[int, Record]]) -> None:
    """Principle 2: where the run's other records show the volume paginated by issue (two issues each with an
    item on their first pages), a column on the same pages of two issues is never merged: a person decides."""
    result = dedupe(records)
    assert not _together(result, 1, 2)
    assert any({p.a, p.b} == {1, 2} for p in result.uncertain)


@st.composite
def continuous_volume(draw: st.DrawFn) -> list[tuple[int, Record]]:
    """A continuously paginated volume (each issue 100 pages on from the last) with items of three issues or
    more, and one item given twice, once with the issue of its neighbour: an issue typed wrong."""
    issues = sorted(draw(st.lists(st.integers(min_value=1, max_value=12), min_size=2, max_size=5, unique=True)))
    items = [(issue, 100 * issue + draw(st.integers(min_value=0, max_value=80))) for issue in issues]
    items += [(issue, 100 * issue + draw(st.integers(min_value=0, max_value=80)))
              for issue in draw(st.lists(st.sampled_from(issues), min_size=1, max_size=3))]
    home = draw(st.integers(min_value=1, max_value=12))
    start = 100 * home + 90
    item = replace(ITEM, pages=f"{start}-{start + 1}")
    wrong = home + draw(st.sampled_from([-1, 1])) if home > 1 else home + 1
    return [(1, replace(item, issue=str(home))), (2, replace(item, issue=str(wrong), journal="Clin Rehabil")),
            *_volume_items(items)]


@SETTINGS
@given(continuous_volume())
def test_an_issue_typo_in_a_continuous_volume_merges(records: list[tuple[int, Record]]) -> None:
    """Principle 2's one exception: in a volume the run shows paginated continuously (three items or more in
    two issues or more, each issue's pages above the earlier issues'), the same item in two issues is one
    item with its issue typed wrong; with fewer items, a person decides. Never with another record."""
    result = dedupe(records)
    items = {(r.issue, r.pages) for i, r in records if i >= 100}
    if len(items) >= 3:
        assert [c.members for c in result.clusters] == [(1, 2)]
    else:
        assert not result.clusters


def test_running_issue_numbers_keep_the_different_issue_guard() -> None:
    """Principle 2 for journals that number issues from their first year (The Lancet 9778, BMJ 7342): two
    items with one specific title in two such issues are two items; an article number or a year in the issue
    field is not an issue number."""
    column = Record(title="Department of error: corrections to the trial of early mobilisation", year=2011,
                    authors=("Horton, R.",), journal="Lancet", volume="377", pages="1693-1694")
    one, two = replace(column, issue="9778"), replace(column, issue="9779")
    assert prepare(1, one).issues == {"9778"}
    assert not dedupe([(1, one), (2, two)]).clusters
    assert [c.members for c in dedupe([(1, one), (2, replace(column, issue="9778"))]).clusters] == [(1, 2)]
    # an article number in the issue field: the record's first page, or the other copy's
    assert prepare(1, replace(column, issue="1693")).issues == frozenset()
    article = Record(title="Drugs that reverse disease transcriptomic signatures are more effective",
                     authors=("Wagner, A.",), year=2015, journal="Molecular Systems Biology", volume="11")
    thin = dedupe([(1, replace(article, issue="3", pages="791")), (2, replace(article, issue="791"))])
    assert [c.members for c in thin.clusters] == [(1, 2)]
    # a year in the issue field, or a number too large for an issue
    assert prepare(1, replace(column, issue="2011")).issues == frozenset()
    assert prepare(1, replace(column, issue="6305735")).issues == frozenset()
    assert prepare(1, replace(column, issue="e0168396")).issues == frozenset()
    assert prepare(1, replace(column, issue="10233", year=2020)).issues == {"10233"}


RETRACTED_MARKS = ("Retracted: {}", "RETRACTED: {}", "[Retracted] {}", "RETRACTED ARTICLE: {}",
                   "{} (Retracted article)",
                   "{} [RETRACTED].", "Retracted - {}")
RETRACTION_NOTICES = ("Retraction: {}", "Retraction notice to: {}", "Notice of retraction: {}", "Retraction note: {}")


@SETTINGS
@given(title_from(LEFT), st.sampled_from(RETRACTED_MARKS), st.sampled_from(RETRACTION_NOTICES), st.booleans())
def test_a_retracted_article_is_the_article_and_its_retraction_notice_is_linked(
        title: str, mark: str, notice: str, typed: bool) -> None:
    """Principle 4: "Retracted: <title>", "[Retracted] ..." or a "Retracted Publication" type mark the
    article itself (retracted), not a notice: it merges with its unmarked copy from another database. A
    retraction notice ("Retraction: <title>", "Notice of retraction") is linked to the article, never merged,
    marked or not."""
    article = Record(title=title, authors=("Smith, J. A.", "Doe, B."), year=2014, journal="Clinical Rehabilitation",
                     volume="28", issue="3", pages="201-209")
    retracted = replace(article, title=mark.format(title), journal="Clin Rehabil",
                        publication_types=("Journal Article", "Retracted Publication") if typed else ())
    assert prepare(2, retracted).notice == ""
    assert [c.members for c in dedupe([(1, article), (2, retracted)]).clusters] == [(1, 2)]
    withdrawal = Record(title=notice.format(title), year=2016, journal="Clinical Rehabilitation", volume="30",
                        pages="99", publication_types=("Retraction of Publication",) if typed else ())
    assert prepare(3, withdrawal).notice == "retraction"
    for work in (article, retracted):
        result = dedupe([(1, work), (3, withdrawal)])
        assert not result.clusters
        assert [(p.rule, p.scores["notice"], p.scores["work"]) for p in result.links()] == [("retraction-of", 3, 1)]


@st.composite
def recurring_specific_title(draw: st.DrawFn) -> list[tuple[int, Record]]:
    """A column with a specific title (no word of GENERIC_WORDS) by one author in several issues of one
    journal volume, copies from several databases (the same issue, or without issue and pages)."""
    title = draw(title_from(LEFT))
    column = Record(title=title, authors=("Smith, J. A.",), year=2014, journal="Clinical Rehabilitation", volume="28")
    out = []
    for n in range(draw(st.integers(min_value=3, max_value=8))):
        issue = draw(st.integers(min_value=1, max_value=6))
        thin = draw(st.integers(min_value=0, max_value=3)) == 0
        pages = draw(st.sampled_from([f"{100 * issue}-{100 * issue + 1}", f"{10 + issue}", "5-6"]))
        out.append((n + 1, replace(column, title=draw(spelt(title)), issue="" if thin else str(issue),
                                   pages="" if thin else pages,
                                   journal=draw(st.sampled_from(["Clinical Rehabilitation", "Clin Rehabil"])))))
    return out


@SETTINGS
@given(recurring_specific_title())
def test_a_title_the_run_shows_in_three_issues_merges_only_within_one_issue(records: list[tuple[int, Record]]) -> None:
    """Principle 3 by the data: a title printed in three issues or more of one journal in the run is a
    recurring title whatever its words: copies merge only within one issue; a copy without issue and pages
    merges with nothing (it cannot tell which issue's item it is)."""
    by_id = dict(records)
    keys = [prepare(i, r) for i, r in records]
    places = {(k.volume, k.issue) for k in keys if k.issue}
    assert (title_key(keys[0]) in recurring_titles(keys)) == (len(places) >= RECURS_IN)
    result = dedupe(records)
    for cluster in result.clusters:
        issues = {by_id[m].issue for m in cluster.members}
        if len(places) >= RECURS_IN:
            assert len(issues) == 1 and "" not in issues, cluster
        else:  # two issues or fewer: the rules as for any title (principle 2 still keeps issues apart)
            assert len(issues - {""}) <= 1, cluster
