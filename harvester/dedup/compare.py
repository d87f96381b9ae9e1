"""Stage 3, compare: field-by-field scores for one candidate pair.

Each score is a number a reviewer can read: text similarity from 0 to 1 (rapidfuzz), or for
identifiers and numbers one of ``same``, ``different`` or ``missing`` (at least one side empty).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields
from typing import Any

from rapidfuzz.distance import OSA, Indel
from rapidfuzz.fuzz import token_sort_ratio
from rapidfuzz.process import extractOne

from harvester import normalise
from harvester.dedup.prepare import (
    CONTINUOUS,
    PER_ISSUE,
    UNKNOWN,
    WEEKS,
    Facts,
    Keys,
    notice_subject,
    page_span,
    title_key,
    volume_key,
)

SAME, DIFFERENT, MISSING = "same", "different", "missing"


@dataclass(frozen=True, slots=True)
class Scores:
    """What the decision rules read about one pair."""

    title: float          # normalised Indel similarity of the titles, 0..1
    title_words: float    # the same with words sorted (reordered subtitles), 0..1
    title_length: int     # words in the shorter title (a short title says less)
    title_reworded: bool  # a word of one title is not in the other, not even spelt another way (mice / rats)
    authors: float        # similarity of "surname initials; ..." strings, 0..1
    first_author: str     # same | different | missing
    author_list: str      # same (every name, in order) | different | missing
    author_count: int     # names in the shorter author list
    year_gap: int | None  # absolute difference in years
    journal: float        # 0..1; 1.0 when one name abbreviates the other
    journals_differ: bool  # journals not alike (< 0.8) where they tell the printing apart: two journal records, or
    #                        a conference record that names the journal printing it ("Diabetes. Conference: ...")
    #                        beside a record that does not name that journal (another journal or proceedings);
    #                        not two conference records that only name their meeting (named many ways)
    doi: str
    pmid: str
    volume: str
    issue: str
    pages: str            # first page
    last_page: str        # last page (missing for a one-page item or an e-locator)
    title_numbers: str    # same | different: the numbers in the titles (part 2, phase III)
    title_has_number: bool  # both titles hold a number (a year, an edition: "ESICON 2017 Abstracts")
    short_items: bool     # both records fill one or two pages, as abstracts and letters do
    no_citation: bool     # neither record gives a volume or pages
    notice: str           # same | different (erratum/comment/retraction on one side only)
    conference: str       # same | different
    title_overlap: float  # share of the shorter title's words found in the other (spelt alike counts), 0..1
    titles_disagree: bool  # both titles given and fewer than half the shorter title's words in the other
    issues: str           # same | different | missing: issue numbers (article numbers in the issue set aside)
    generic: bool         # either title only names a kind of item ("Editor's comments", "Erratum", "Letters")
    pages_typo: bool      # page ranges with the same last page and first pages one keystroke apart (1006 / 1060)
    single_pages: bool    # both records give one page only (abstracts are printed several to a page)
    pagination: str = ""  # with other issue numbers: continuous | per-issue | unknown, what the other records
    #                       of the run show of the volume's pagination (prepare.pagination); "" otherwise
    recurring: bool = False  # either title recurs in three issues or more of its journal in the run

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, rounded for people to read (every field is a plain number, string or flag)."""
        values = ((name, getattr(self, name)) for name in _SCORE_FIELDS)
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in values}


_SCORE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Scores))


def _field(a: str, b: str) -> str:
    if not a or not b:
        return MISSING
    return SAME if a == b else DIFFERENT


def _volume(a: Keys, b: Keys) -> str:
    """Like :func:`_field`; a volume equal to the other record's issue or supplement number is a field
    put in the wrong place, not a disagreement."""
    found = _field(a.volume, b.volume)
    if found == DIFFERENT and (a.volume in b.issue_numbers or b.volume in a.issue_numbers):
        return MISSING
    return found


def _issue(a: Keys, b: Keys) -> str:
    """Like :func:`_field`; ``22`` and ``22 SUPPL. 1`` or ``2`` and ``S2`` agree (one's numbers within the other's)."""
    found = _field(a.issue, b.issue)
    if found == DIFFERENT and a.issue_numbers and b.issue_numbers and (
            a.issue_numbers <= b.issue_numbers or b.issue_numbers <= a.issue_numbers):
        return SAME
    return found


def _doi(a: Keys, b: Keys) -> str:
    """same | different | missing for the DOIs. Two different DOIs are ``missing`` (no evidence either
    way) when one record's DOI names its own journal and the other's names another journal than its
    record's, the same journal: a database gave that record a DOI that is not its own
    (``10.1016/j.regpep...`` on an *Appetite* record beside ``10.1016/j.appet...``)."""
    found = normalise.same_doi(a.doi, b.doi)
    if found is None:
        return MISSING
    if found:
        return SAME
    if a.journal and journal_score(a.journal, b.journal) >= 0.8:
        code_a, code_b = normalise.doi_journal_code(a.doi), normalise.doi_journal_code(b.doi)
        for fits, foreign in (((code_a, a.journal), (code_b, b.journal)), ((code_b, b.journal), (code_a, a.journal))):
            if fits[0] and normalise.code_fits_journal(*fits) and normalise.code_foreign_to_journal(*foreign):
                return MISSING
    return DIFFERENT


def _page_count(k: Keys) -> int | None:
    """How many pages the record fills (``e8-e9`` is 2, ``S42`` is 1); ``None`` when unknown."""
    first = k.page_first.lstrip("abcdefghijklmnopqrstuvwxyz")
    if not first.isdigit():
        return None
    if not k.page_last:
        return 1
    last = k.page_last.lstrip("abcdefghijklmnopqrstuvwxyz")
    return int(last) - int(first) + 1 if last.isdigit() and int(last) >= int(first) else None


def _short(k: Keys) -> bool:
    count = _page_count(k)
    return count is not None and count <= 2


def _is_locator(page: str) -> bool:
    """An article number such as ``e0141122`` (PLoS) or ``a1754`` (BMJ): a letter and four digits or more."""
    return len(page) >= 5 and page[0].isalpha() and page[1:].isdigit()


def _pages(a: str, b: str) -> str:
    """Like :func:`_field`, but an article number and a page number are not comparable, and ``e12`` is ``12``."""
    if a and b and _is_locator(a) != _is_locator(b):
        return MISSING
    if a and b and a != b and _unprefixed(a) == _unprefixed(b):
        return SAME
    return _field(a, b)


def _unprefixed(page: str) -> str:
    """A page without the ``e`` that marks online pagination (``e12`` and ``12`` are one page number written
    two ways); other letters (``S12``: a supplement's page) stay: they name another sequence of pages."""
    return page[1:] if page[:1] == "e" and page[1:].isdigit() else page


def _first_pages(a: Keys, b: Keys) -> str:
    """First pages compared; a one-page record on a page of the other's range (``569`` and ``567-569``)
    is not a disagreement: databases differ in which page of a short item they give."""
    found = _pages(a.page_first, b.page_first)
    if found == DIFFERENT:
        for one, other in ((a, b), (b, a)):
            if not one.page_last and other.page_last and _within(one.page_first, other.page_first, other.page_last):
                return MISSING
    return found


def _within(page: str, first: str, last: str) -> bool:
    return page.isdigit() and first.isdigit() and last.isdigit() and int(first) <= int(page) <= int(last)


def _unshared(words: list[str], other: list[str]) -> list[str]:
    """The words of ``words`` left once each word of ``other`` has taken away one copy of itself."""
    pool = Counter(other)
    rest = []
    for word in words:
        if pool[word] > 0:
            pool[word] -= 1
        else:
            rest.append(word)
    return rest


def reworded(a: str, b: str) -> bool:
    """Whether two normalised titles differ by a word, not by spelling: once the words they share are set
    aside, what is left must pair up, in order, as the same word typed or spelt another way (``randomised``
    / ``randomized``, ``tumour`` / ``tumor``, ``followup`` / ``follow up``); ``mice`` / ``rats`` does not."""
    if a == b:
        return False
    left, right = a.split(), b.split()
    rest_a, rest_b = _unshared(left, right), _unshared(right, left)
    if not rest_a and not rest_b:
        return False
    if "".join(rest_a) == "".join(rest_b):
        return False
    if len(rest_a) != len(rest_b):
        return True
    return any(Indel.normalized_similarity(x, y) < 0.75 for x, y in zip(rest_a, rest_b, strict=True))


#: Below this share of the shorter title's words found in the other title, two titles disagree: they name
#: different works, whatever their citations say (every true pair of the labelled sets shares 0.75 or more).
DISAGREE_BELOW = 0.5


def title_overlap(a: str, b: str) -> float:
    """Share of the shorter title's words that the other title holds, the same, spelt alike (words of four
    letters or more at Indel >= 0.8: ``tumour`` / ``tumor``) or written with spaces (``p16ink4a`` in ``p16
    ink4a``); 1.0 for a title that is the other without its subtitle. 0.0 when a title is missing."""
    left, right = a.split(), b.split()
    if not left or not right:
        return 0.0
    shorter, longer = (left, right) if len(left) <= len(right) else (right, left)
    pool = set(longer)
    missing = [w for w in shorter if w not in pool]
    hits = len(shorter) - len(missing)
    if missing:
        near = [w for w in pool.difference(shorter) if len(w) >= 4]
        joined = "".join(longer)
        hits += sum(1 for w in missing if len(w) >= 4 and (w in joined or (near and extractOne(
            w, near, scorer=Indel.normalized_similarity, score_cutoff=0.8) is not None)))
    return hits / len(shorter)


def _issues(a: Keys, b: Keys) -> str:
    """same | different | missing for the issue numbers (:func:`~harvester.dedup.prepare.issue_set`):
    different when both give issue numbers and none is in common."""
    if not a.issues or not b.issues:
        return MISSING
    if a.issues & b.issues:
        return SAME
    if _article_number(a, b) or _article_number(b, a):
        return MISSING
    return DIFFERENT


def _article_number(a: Keys, b: Keys) -> bool:
    """Whether an issue number of ``a`` (above a year's weekly issues) is what the other copy gives as its
    first page, or writes in its issue field and is read there as an article number (``(no pagination)``):
    Embase's ``791`` beside issue 3, page 791. Then it is the article number, not an issue."""
    page = _unprefixed(b.page_first)
    return any(int(n) > WEEKS and (n == page or (n in b.issue_numbers and n not in b.issues)) for n in a.issues)


def pages_typo(a: Keys, b: Keys) -> bool:
    """Two page ranges with the same last page whose first pages differ by one keystroke (a digit typed
    wrong, dropped, added, or two digits swapped: ``1006-1016`` / ``1060-1016``): one range typed twice."""
    first_a, first_b = _unprefixed(a.page_first), _unprefixed(b.page_first)
    if not (a.page_last and _unprefixed(a.page_last) == _unprefixed(b.page_last) and first_a != first_b):
        return False
    return first_a.isdigit() and first_b.isdigit() and OSA.distance(first_a, first_b) <= 1


def _text(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    return Indel.normalized_similarity(a, b)


def journal_score(a: str, b: str) -> float:
    """Similarity of two normalised journal names; an abbreviation of the other counts as the same."""
    if not a or not b:
        return 0.0
    if a == b or a.replace(" ", "") == b.replace(" ", ""):
        return 1.0
    if normalise.is_abbreviation(a, b):
        return 1.0
    shorter, longer = sorted((a, b), key=len)
    if len(shorter) >= 4 and longer.startswith(shorter):  # "stroke" vs "stroke conference ..."
        return 0.9
    return _text(a, b)


def first_author(a: Keys, b: Keys) -> str:
    """Same surname; or a name word in common (databases swap surname and given names, drop ``van``);
    or surnames a letter or two apart (a transliteration)."""
    if not a.first_author or not b.first_author:
        return MISSING
    if a.first_author == b.first_author:
        return SAME
    if a.author_tokens and b.author_tokens and a.author_tokens[0] & b.author_tokens[0]:
        return SAME
    if Indel.normalized_similarity(a.first_author, b.first_author) >= 0.85:
        return SAME
    return DIFFERENT


def author_overlap(a: tuple[frozenset[str], ...], b: tuple[frozenset[str], ...]) -> float:
    """Share of the shorter author list whose names have a word in the other list's names."""
    if not a or not b:
        return 0.0
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    pool = frozenset().union(*longer)
    return sum(1 for name in shorter if name & pool) / len(shorter)


def pagination_of(a: Keys, b: Keys, facts: Facts | None) -> str:
    """Whether the run's other records show the volume of two records given other issue numbers paginated
    continuously, and the pair's page range where such a volume allows it: in one of the two issues it
    names, above the pages of every earlier issue and below those of every later one (under an issue typed
    wrong, one of the two is right). ``per-issue`` when the volume's issues overlap, or the pair's pages fit
    neither issue; ``unknown`` without such records (:func:`~harvester.dedup.prepare.pagination`)."""
    key = volume_key(a.journal, a.volume)
    fact = facts.pagination.get(key) if facts is not None and key and key == volume_key(b.journal, b.volume) \
        else None
    if fact is None:
        return UNKNOWN
    if fact.kind != CONTINUOUS:
        return fact.kind
    span = page_span(a)
    if span is None or span != page_span(b):
        return UNKNOWN
    first, last = span
    for label in (int(n) for n in a.issues | b.issues):
        if all(high < first for issue, _, high in fact.spans if issue < label) \
                and all(low > last for issue, low, _ in fact.spans if issue > label):
            return CONTINUOUS
    return PER_ISSUE


def _recurring(a: Keys, b: Keys, facts: Facts | None) -> bool:
    """Whether either title recurs in three issues or more of its journal in the run (read only when the run
    has such titles: most have none)."""
    if facts is None or not facts.recurring:
        return False
    return any(key and key in facts.recurring for key in (title_key(a), title_key(b)))


def compare(a: Keys, b: Keys, facts: Facts | None = None) -> Scores:
    """Scores for the pair (a, b); ``facts``: the run's facts (:func:`~harvester.dedup.prepare.set_facts`):
    each journal volume's pagination, read only for two records of other issues, and the recurring titles."""
    title = _text(a.title, b.title)
    title_words = title if title >= 0.99 or not a.title or not b.title else token_sort_ratio(a.title, b.title) / 100
    first = first_author(a, b)
    journal = journal_score(a.journal, b.journal)
    overlap = 1.0 if a.title == b.title and a.title else title_overlap(a.title, b.title)
    issues = _issues(a, b)
    return Scores(
        title=title,
        title_words=max(title, title_words),
        title_reworded=reworded(a.title, b.title),
        title_length=min(a.title.count(" ") + 1 if a.title else 0, b.title.count(" ") + 1 if b.title else 0),
        authors=max(_text(a.authors, b.authors), author_overlap(a.author_tokens, b.author_tokens)),
        first_author=first,
        author_list=_field(a.authors, b.authors),
        author_count=min(a.author_count, b.author_count),
        year_gap=abs(a.year - b.year) if a.year is not None and b.year is not None else None,
        journal=journal,
        journals_differ=bool(a.journal and b.journal) and journal < 0.8 and (
            not (a.conference or b.conference) or a.printed_in or b.printed_in),
        doi=_doi(a, b),
        pmid=_field(a.pmid, b.pmid),
        volume=_volume(a, b),
        issue=_issue(a, b),
        pages=_first_pages(a, b),
        last_page=_pages(a.page_last, b.page_last),
        title_numbers=SAME if a.title_numbers == b.title_numbers else DIFFERENT,
        title_has_number=bool(a.title_numbers and b.title_numbers),
        short_items=_short(a) and _short(b),
        no_citation=not (a.volume or b.volume or a.page_first or b.page_first),
        notice=SAME if a.notice == b.notice else DIFFERENT,
        conference=SAME if a.conference == b.conference else DIFFERENT,
        title_overlap=overlap,
        titles_disagree=bool(a.title and b.title) and overlap < DISAGREE_BELOW,
        issues=issues,
        generic=a.generic or b.generic,
        pages_typo=pages_typo(a, b),
        single_pages=bool(a.page_first and b.page_first and not a.page_last and not b.page_last),
        pagination=pagination_of(a, b, facts) if issues == DIFFERENT else "",
        recurring=_recurring(a, b, facts),
    )


#: How alike a notice's title (its opening words removed) and a work's title must be to link them.
LINK_TITLE = 0.9


def concerns(notice: Keys, work: Keys) -> float:
    """How alike the title a notice names (its own title, opening words removed; 4 words or more) is to a
    work's title; 0.0 when the notice names no title. A notice whose subject reads as the work's title
    (>= :data:`LINK_TITLE`) concerns that work."""
    subject = notice_subject(notice.title)
    if subject == notice.title or subject.count(" ") < 3 or not work.title:
        return 0.0
    return _text(subject, work.title)
