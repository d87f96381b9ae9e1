"""Stage 3, compare: field-by-field scores for one candidate pair.

Each score is a number a reviewer can read: text similarity from 0 to 1 (rapidfuzz), or for
identifiers and numbers one of ``same``, ``different`` or ``missing`` (at least one side empty).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rapidfuzz.distance import Indel
from rapidfuzz.fuzz import token_sort_ratio

from harvester import normalise
from harvester.dedup.prepare import Keys

SAME, DIFFERENT, MISSING = "same", "different", "missing"


@dataclass(frozen=True, slots=True)
class Scores:
    """What the decision rules read about one pair."""

    title: float          # normalised Indel similarity of the titles, 0..1
    title_words: float    # the same with words sorted (reordered subtitles), 0..1
    title_length: int     # words in the shorter title (a short title says less)
    authors: float        # similarity of "surname initials; ..." strings, 0..1
    first_author: str     # same | different | missing
    year_gap: int | None  # absolute difference in years
    journal: float        # 0..1; 1.0 when one name abbreviates the other
    doi: str
    pmid: str
    volume: str
    issue: str
    pages: str            # first page
    last_page: str        # last page (missing for a one-page item or an e-locator)
    title_numbers: str    # same | different: the numbers in the titles (part 2, phase III)
    notice: str           # same | different (erratum/comment/retraction on one side only)
    conference: str       # same | different

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, rounded for people to read."""
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


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


def _is_locator(page: str) -> bool:
    """An article number such as ``e0141122`` (PLoS) or ``a1754`` (BMJ): a letter and four digits or more."""
    return len(page) >= 5 and page[0].isalpha() and page[1:].isdigit()


def _pages(a: str, b: str) -> str:
    """Like :func:`_field`, but an article number and a page number are not comparable."""
    if a and b and _is_locator(a) != _is_locator(b):
        return MISSING
    return _field(a, b)


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


def compare(a: Keys, b: Keys) -> Scores:
    """Scores for the pair (a, b)."""
    title = _text(a.title, b.title)
    title_words = title if title >= 0.99 or not a.title or not b.title else token_sort_ratio(a.title, b.title) / 100
    first = first_author(a, b)
    return Scores(
        title=title,
        title_words=max(title, title_words),
        title_length=min(a.title.count(" ") + 1 if a.title else 0, b.title.count(" ") + 1 if b.title else 0),
        authors=max(_text(a.authors, b.authors), author_overlap(a.author_tokens, b.author_tokens)),
        first_author=first,
        year_gap=abs(a.year - b.year) if a.year is not None and b.year is not None else None,
        journal=journal_score(a.journal, b.journal),
        doi={True: SAME, False: DIFFERENT, None: MISSING}[normalise.same_doi(a.doi, b.doi)],
        pmid=_field(a.pmid, b.pmid),
        volume=_volume(a, b),
        issue=_issue(a, b),
        pages=_first_pages(a, b),
        last_page=_pages(a.page_last, b.page_last),
        title_numbers=SAME if a.title_numbers == b.title_numbers else DIFFERENT,
        notice=SAME if a.notice == b.notice else DIFFERENT,
        conference=SAME if a.conference == b.conference else DIFFERENT,
    )
