"""Stage 4, decide: the rules that turn a pair's scores into a verdict, kept as data.

Rules are tried in order; the first that holds gives the verdict and its name is stored as the
evidence of a merge. Guards come first and never merge: a false merge removes a study from a review,
a missed one only costs a reviewer a second look. Pairs that look alike but are not confirmed go to
people as ``uncertain`` instead of being merged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harvester.dedup.compare import DIFFERENT, MISSING, SAME, Scores
from harvester.dedup.prepare import CONTINUOUS

MATCH, UNCERTAIN, DISTINCT = "match", "uncertain", "distinct"

#: The verdict of a notice (erratum, retraction, comment, reply) and the work it concerns: linked, never merged.
LINK = "link"

#: Notice kind -> the name of its link, stored with the link as its rule.
LINK_RULES: dict[str, str] = {"erratum": "erratum-of", "retraction": "retraction-of", "comment": "comment-on"}


def _year_ok(s: Scores) -> bool:
    return s.year_gap is None or s.year_gap <= 1


def _authors_agree(s: Scores) -> bool:
    """Same first author and most of the author list, or names missing on one side."""
    if s.first_author == MISSING:
        return True
    return s.first_author == SAME and s.authors >= 0.6


def _confirmed(s: Scores) -> bool:
    """At least one citation field agrees beyond the title: volume, first page, or the journal."""
    return s.volume == SAME or s.pages == SAME or s.journal >= 0.8


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: its name (stored with each merge), verdict, what it means to a reviewer, and its test."""

    name: str
    verdict: str
    means: str
    holds: Callable[[Scores], bool]


#: A conference abstract or paper is not the journal article: unless both are the same printed item.
CONFERENCE_GUARD = Rule(
    "conference-vs-article", DISTINCT,
    "one is a conference abstract or paper, the other a journal article, not in the same volume and"
    " on the same page (or, without pages, in the same journal, volume and year: the journal's abstract issue;"
    " or on the same page range in the same year: a proceedings paper one database files as a series)",
    lambda s: s.conference == DIFFERENT and not (
        (s.volume == SAME and (s.pages == SAME or (s.pages == MISSING and s.issue != DIFFERENT
                                                    and s.year_gap == 0 and s.journal >= 0.8)))
        or (s.volume != DIFFERENT and s.pages == SAME and s.last_page == SAME and s.year_gap == 0)))

#: Guards on citation details: they never merge, but a pair alike in all else goes to people.
SOFT_GUARDS: tuple[Rule, ...] = (
    Rule("different-volume", DISTINCT, "both give a volume and the volumes differ", lambda s: s.volume == DIFFERENT),
    Rule("different-pages", DISTINCT, "both give a first page and the pages differ", lambda s: s.pages == DIFFERENT),
    CONFERENCE_GUARD,
    Rule("years-apart", DISTINCT, "published more than a year apart",
         lambda s: s.year_gap is not None and s.year_gap > 1),
    Rule("different-numbers-in-title", DISTINCT,
         "the titles hold different numbers (part 2, phase III, a 12-month follow-up, 2015 update), unless volume"
         " and page range are the same (then the number is a typing error: two parts never share their pages)",
         lambda s: s.title_numbers == DIFFERENT
         and not (s.volume == SAME and s.pages == SAME and s.last_page == SAME)),
)

#: Guards that never merge and are never asked about: identifiers and notices.
HARD_GUARDS: tuple[Rule, ...] = (
    Rule("different-doi", DISTINCT, "both have a DOI and the DOIs differ", lambda s: s.doi == DIFFERENT),
    Rule("different-pmid", DISTINCT, "both have a PMID and the PMIDs differ", lambda s: s.pmid == DIFFERENT),
    Rule("notice-vs-article", DISTINCT, "one is an erratum, comment, reply or retraction and the other is not",
         lambda s: s.notice == DIFFERENT),
)

def _same_place(s: Scores) -> bool:
    """The same volume, issue and first page: the one place an item is printed."""
    return s.volume == SAME and SAME in (s.issue, s.issues) and s.pages == SAME


def _same_issue(s: Scores) -> bool:
    """The same volume and issue, and no first page that differs: one issue prints one item of a column."""
    return s.volume == SAME and SAME in (s.issue, s.issues) and s.pages != DIFFERENT


def _same_identifier(s: Scores) -> bool:
    return s.doi == SAME or s.pmid == SAME


#: The principles: why two records are different works, whatever else agrees. Tried after the hard guards;
#: each sends the pairs a careful reader could still take for one item to people, and keeps the rest apart.
#: All three also hold across clusters (:func:`never_together`): no chain of matches joins what they separate.
PRINCIPLES: tuple[Rule, ...] = (
    Rule("titles-disagree-same-identifier", UNCERTAIN,
         "the same DOI or PMID, but titles that disagree (fewer than half the shorter title's words in the"
         " other) and no page or volume that differs: an identifier typed into the wrong record, or a"
         " translation: a person decides (on other pages the shared DOI is a supplement's, not an item's)",
         lambda s: s.titles_disagree and _same_identifier(s) and DIFFERENT not in (s.volume, s.pages)),
    Rule("titles-disagree-same-citation", UNCERTAIN,
         "titles that disagree, but the same first author and most others, volume and first page (and no other"
         " issue): a translated title, or two items of one issue: a person decides",
         lambda s: s.titles_disagree and s.first_author == SAME and s.authors >= 0.8 and s.volume == SAME
         and s.pages == SAME and s.issues != DIFFERENT and _year_ok(s)),
    Rule("titles-disagree", DISTINCT,
         "titles that disagree (fewer than half the shorter title's words in the other) name different works:"
         " no citation or author evidence outweighs them",
         lambda s: s.titles_disagree),
    Rule("maybe-generic-title", UNCERTAIN,
         "a title that names a kind of item (editorial, letter, erratum, contents...), the same in both, in the"
         " same volume and issue, but without pages on one side to tell two such items apart",
         lambda s: s.generic and not _same_identifier(s) and s.title >= 0.99 and s.volume == SAME
         and SAME in (s.issue, s.issues) and s.pages == MISSING and _year_ok(s)),
    Rule("maybe-recurring-title", UNCERTAIN,
         "a title the run shows in three issues or more of its journal (a column, a series), the same in both,"
         " by the same authors, but without issue and pages on one side to tell which issue's item it is",
         lambda s: s.recurring and not s.generic and not _same_identifier(s) and s.title >= 0.99
         and _authors_agree(s) and _year_ok(s) and s.conference == SAME and s.title_numbers == SAME
         and s.volume != DIFFERENT and s.pages == MISSING and s.issues == MISSING and s.issue != DIFFERENT),
    Rule("generic-title", DISTINCT,
         "a title that names a kind of item (editor's comments, in this issue, letters, erratum, contents,"
         " index, conference programme) recurs in every issue: it merges only in the same volume, issue and"
         " first page (or with the same DOI or PMID); a title the run shows in three issues or more of its"
         " journal (a column, a series) merges only in the same volume and issue, no page that differs",
         lambda s: not _same_identifier(s) and ((s.generic and not _same_place(s))
                                                or (s.recurring and not _same_issue(s)))),
)

def _other_issue(s: Scores) -> bool:
    """Another issue number of the same journal and volume (a volume or journal that differs is another
    guard's business: issue numbers of two volumes say nothing of each other)."""
    return s.issues == DIFFERENT and s.volume != DIFFERENT and (s.journal >= 0.8 or s.journal == 0.0)


def _same_item_other_issue(s: Scores) -> bool:
    """Another issue number, but everything else the same, word for word and page for page."""
    return (_other_issue(s) and s.title >= 0.99 and s.title_length >= 6 and not s.generic
            and s.first_author == SAME and s.authors >= 0.9 and s.year_gap == 0 and s.journal >= 0.8
            and s.volume == SAME and s.pages == SAME and s.last_page == SAME and s.conference == SAME
            and s.title_numbers == SAME and s.doi != DIFFERENT)


#: The one match on citation evidence that outweighs a different issue number: everything else the same,
#: in a volume the run's other records show paginated continuously.
SAME_ITEM_OTHER_ISSUE = Rule(
    "same-item-other-issue", MATCH,
    "another issue number, but everything else the same: a specific title word for word (6 words or more, not"
    " a recurring kind of title), the same authors, year, journal, volume and page range (first and last page),"
    " in a volume that other records of the run show paginated continuously (each issue's pages above the"
    " earlier issues'), the page range in one of the two issues' places: two items of such a volume cannot"
    " share a page range, so one database wrote the issue wrong",
    lambda s: _same_item_other_issue(s) and s.pagination == CONTINUOUS)

#: The same, where nothing shows the volume paginated continuously: a journal paginated by issue (magazines,
#: bulletins) can print a column with a specific title on the same pages of two issues.
SAME_ITEM_OTHER_ISSUE_UNPROVEN = Rule(
    "same-item-other-issue-unproven", UNCERTAIN,
    "another issue number, everything else the same (title word for word, authors, year, journal, volume and"
    " page range), but no other records of the run show the volume paginated continuously (or they show it"
    " paginated by issue): a column printed on the same pages of two issues reads the same; a person decides",
    lambda s: _same_item_other_issue(s) and s.pagination != CONTINUOUS)

#: A DOI or PMID names one item: with titles alike, another issue number is one database's error.
SAME_IDENTIFIER_OTHER_ISSUE = Rule(
    "same-identifier-other-issue", MATCH,
    "another issue number, but the same DOI or PMID and titles alike (>= 0.97, not a recurring title), no page"
    " that differs: an identifier names one item (a supplement's DOI shared by many abstracts comes with other"
    " titles), so one database wrote the issue wrong (Embase puts article numbers there)",
    lambda s: _other_issue(s) and _same_identifier(s) and s.title_words >= 0.97 and not s.generic
    and s.pages != DIFFERENT and s.title_numbers == SAME)

#: The matches that outweigh another issue number (for that very pair, also across clusters).
ISSUE_OVERRIDES: tuple[Rule, ...] = (SAME_ITEM_OTHER_ISSUE, SAME_IDENTIFIER_OTHER_ISSUE)

#: The rules whose choice reads the run's pagination of a volume (:attr:`Scores.pagination`): a pair decided by
#: one of them may be decided by another when new records show the volume otherwise (never distinct).
PAGINATION_RULES: frozenset[str] = frozenset({"same-item-other-issue", "same-identifier-other-issue",
                                              "same-item-other-issue-unproven"})

#: Different issue numbers of one volume are different items; only the look-alikes go to people.
ISSUE_RULES: tuple[Rule, ...] = (
    SAME_ITEM_OTHER_ISSUE,
    SAME_IDENTIFIER_OTHER_ISSUE,
    SAME_ITEM_OTHER_ISSUE_UNPROVEN,
    Rule("maybe-other-issue", UNCERTAIN,
         "another issue number, but a specific title alike (>= 0.97, not generic) and the same first page (or the"
         " same DOI or PMID): an issue typed wrong, or a month in the issue field; a person decides",
         lambda s: _other_issue(s) and ((s.title_words >= 0.97 and not s.generic and s.pages == SAME)
                                        or _same_identifier(s))),
    Rule("different-issue", DISTINCT,
         "the same journal and volume (or no volume on one side) and issue numbers that differ (an article"
         " number in the issue field set aside): different issues of one volume print different items",
         lambda s: _other_issue(s)),
)


#: Matches strong enough to outweigh one citation guard: the same words, the same people, the same year,
#: and where it was printed told twice. Tried after the hard guards and before the soft ones.
OVERRIDES: tuple[Rule, ...] = (
    Rule("same-title-authors-issue", MATCH,
         "the same title word for word (6 words or more), the same first author and most of the others, the same"
         " year and journal, and the same issue (volume and issue, or the DOI) but another page, each on one or"
         " two pages: one abstract printed or indexed on two pages of one issue (longer articles go to people)",
         lambda s: s.title >= 0.99 and s.title_length >= 6 and not s.generic and s.first_author == SAME
         and s.authors >= 0.8
         and s.year_gap == 0 and s.journal >= 0.8 and s.conference == SAME and s.title_numbers == SAME
         and s.pages == DIFFERENT and s.short_items and DIFFERENT not in (s.volume, s.issue)
         and (s.doi == SAME or (s.volume == SAME and s.issue == SAME))),
    Rule("abstract-issue", MATCH,
         "a conference abstract and a record of the journal that printed the meeting's abstracts: the same"
         " title word for word (6 words or more), the same list of two or more authors, the same journal and"
         " year, and no volume, pages or DOI on either to tell a later article by",
         lambda s: s.conference == DIFFERENT and s.title >= 0.99 and s.title_length >= 6 and not s.generic
         and s.author_list == SAME and s.author_count >= 2 and s.year_gap == 0 and s.journal >= 0.8
         and s.no_citation and s.doi == MISSING and s.title_numbers == SAME),
    Rule("title-authors-page-typo", MATCH,
         "the same page range typed twice, once with a typing error in the first page (same last page, first"
         " pages one keystroke apart: 1006-1016 / 1060-1016), and titles alike (>= 0.97, no word changed, not"
         " a recurring title), the same first author and most others (>= 0.9), the same journal and volume, no"
         " other issue, year within one: two items of one volume cannot end on the same page",
         lambda s: s.pages_typo and s.title_words >= 0.97 and not s.title_reworded and not s.generic
         and s.title_numbers == SAME and s.first_author == SAME and s.authors >= 0.9 and s.volume == SAME
         and s.issues != DIFFERENT and s.journal >= 0.8 and _year_ok(s) and s.conference == SAME),
)

#: The rules, in the order they are tried. Guards (DISTINCT) first.
RULES: tuple[Rule, ...] = (
    *HARD_GUARDS,
    *PRINCIPLES,
    *ISSUE_RULES,
    *OVERRIDES,
    Rule("alike-despite-citation", UNCERTAIN,
         "titles (>= 0.97) and authors alike, but volume, pages or year disagree (a conference abstract and"
         " its journal article are not asked about: they are different records)",
         lambda s: s.title_words >= 0.97 and s.first_author == SAME and s.authors >= 0.8
         and not CONFERENCE_GUARD.holds(s) and any(guard.holds(s) for guard in SOFT_GUARDS)),
    Rule("maybe-abstract-issue", UNCERTAIN,
         "a conference abstract and a journal record alike in title (>= 0.97), authors, journal and year, with"
         " no volume or pages to tell the journal's abstract issue from a later article",
         lambda s: CONFERENCE_GUARD.holds(s) and s.title_words >= 0.97 and _authors_agree(s) and s.year_gap == 0
         and s.journal >= 0.8 and DIFFERENT not in (s.volume, s.issue, s.pages)),
    *SOFT_GUARDS,
    Rule("same-doi", MATCH, "same DOI, titles alike (>= 0.85)",
         lambda s: s.doi == SAME and s.title_words >= 0.85),
    Rule("same-pmid", MATCH, "same PMID, titles alike (>= 0.85)",
         lambda s: s.pmid == SAME and s.title_words >= 0.85),
    Rule("title-authors-citation", MATCH,
         "titles alike (>= 0.93; when a word differs, not only its spelling, on the same first page, one of"
         " them a range: two one-page abstracts of one group, a word apart, can share a page), same first"
         " author, year within one, and volume, first page or journal agree",
         lambda s: s.title_words >= 0.93 and (not s.title_reworded or (s.pages == SAME and not s.single_pages))
         and s.first_author == SAME
         and s.authors >= 0.6 and _year_ok(s) and _confirmed(s)),
    Rule("title-full-citation", MATCH,
         "titles alike (>= 0.95), same volume and first page, journal alike, year within one (authors garbled"
         " or a group name: two articles cannot share title, volume and page; two one-page abstracts a word"
         " apart can)",
         lambda s: s.title_words >= 0.95 and s.volume == SAME and s.pages == SAME and s.journal >= 0.8
         and _year_ok(s) and not (s.title_reworded and s.single_pages)),
    Rule("title-citation", MATCH,
         "titles alike (>= 0.93), no authors on one side, same volume and first page, year within one (not two"
         " one-page items a word apart)",
         lambda s: s.title_words >= 0.93 and s.first_author == MISSING and s.volume == SAME and s.pages == SAME
         and _year_ok(s) and not (s.title_reworded and s.single_pages)),
    Rule("same-title-issue", MATCH,
         "the same title word for word (4 words or more, or 3 with a number: 'ESICON 2017 Abstracts'), no"
         " authors on either side, the same journal, volume, issue and year (an abstract book or editorial"
         " indexed twice)",
         lambda s: s.title >= 0.99 and (s.title_length >= 4 or (s.title_length == 3 and s.title_has_number))
         and s.first_author == MISSING and s.authors == 0.0
         and s.volume == SAME and s.issue == SAME and s.year_gap == 0 and s.journal >= 0.8),
    Rule("same-title-authors-year", MATCH,
         "the same title word for word, the same authors and the same year, and nothing else given disagrees"
         " (not even the journal: one abstract can be printed by two journals' supplements and be two records)",
         lambda s: s.title >= 0.99 and s.first_author == SAME and s.authors >= 0.85 and s.year_gap == 0
         and not s.journals_differ),
    Rule("same-citation-authors", MATCH,
         "the title with or without its subtitle (most of the shorter title's words in the other, 3 words or"
         " more), and the same authors, year, journal, volume and page range (a range: several abstracts can"
         " share one page)",
         lambda s: s.title_overlap >= 0.8 and s.title_length >= 3 and s.first_author == SAME and s.authors >= 0.8
         and s.year_gap == 0 and s.volume == SAME
         and s.pages == SAME and s.last_page == SAME and s.journal >= 0.8 and s.conference == SAME),
    Rule("maybe-same-identifier", UNCERTAIN, "same DOI or PMID but the titles differ",
         lambda s: s.doi == SAME or s.pmid == SAME),
    Rule("maybe-title-authors", UNCERTAIN, "titles alike (>= 0.9) and authors agree, nothing else confirms",
         lambda s: s.title_words >= 0.9 and _authors_agree(s) and _year_ok(s)),
    Rule("maybe-citation", UNCERTAIN, "same first author, volume and first page; titles differ",
         lambda s: s.first_author == SAME and s.volume == SAME and s.pages == SAME and _year_ok(s)),
)

#: The verdict when no rule holds.
DEFAULT = Rule("no-rule", DISTINCT, "no rule matched", lambda s: True)


#: Guards that also hold across a cluster: no chain of matches may join two records they keep apart.
#: Volume and page disagreements are left out here: inside a chain of otherwise confirmed matches they
#: are, on the labelled sets, typing errors of one database rather than two articles.
CLUSTER_GUARDS: tuple[str, ...] = ("different-doi", "different-pmid", "notice-vs-article", "conference-vs-article",
                                   "years-apart", "different-numbers-in-title")

#: The principles that hold across clusters: titles that disagree, a recurring title outside its place,
#: different issues (unless :data:`SAME_ITEM_OTHER_ISSUE` holds for that very pair).
PRINCIPLE_GUARDS: tuple[Rule, ...] = tuple(r for r in (*PRINCIPLES, *ISSUE_RULES) if r.verdict == DISTINCT)


def never_together(scores: Scores) -> bool:
    """Whether a cluster guard keeps these two records apart (checked across clusters before joining).
    A soft guard gives way when the pair itself is matched by a rule tried before it (:data:`OVERRIDES`)."""
    if any(guard.holds(scores) for guard in HARD_GUARDS if guard.name in CLUSTER_GUARDS):
        return True
    if any(guard.holds(scores) for guard in PRINCIPLE_GUARDS):
        return not any(rule.holds(scores) for rule in ISSUE_OVERRIDES)
    if not any(guard.holds(scores) for guard in SOFT_GUARDS if guard.name in CLUSTER_GUARDS):
        return False
    return not any(rule.holds(scores) for rule in OVERRIDES)


def decide(scores: Scores) -> Rule:
    """The first rule that holds for these scores."""
    for rule in RULES:
        if rule.holds(scores):
            return rule
    return DEFAULT
