"""Stage 1, prepare: each record becomes the comparable keys the later stages read.

Everything here is computed once per record (linear in the number of records), so that comparing a
pair is only a few look-ups and string scores.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from harvester import normalise
from harvester.records import Record

#: Title openings that mark a notice about another article, not the article itself.
NOTICE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("erratum", r"^(erratum|errata|corrigendum|corrigenda|correction|correction to|notice of correction)\b"),
    ("retraction", r"^(retraction|notice of retraction|withdrawn|expression of concern)\b"),
    ("comment", r"^(comment on|comments on|commentary on|re |response to|reply to|in reply|reply|letter to|"
                r"author reply|authors reply|editorial comment)\b"),
)

#: Publication types (MEDLINE PT and the like) that mark a notice.
NOTICE_TYPES: dict[str, str] = {
    "erratum": "erratum", "published erratum": "erratum", "correction": "erratum",
    "retraction of publication": "retraction", "retraction notice": "retraction",
    "comment": "comment", "letter": "comment",
    "expression of concern": "retraction",
}

#: The mark a database puts on a retracted article's own title ("Retracted: <title>", "[Retracted] <title>",
#: "RETRACTED ARTICLE: <title>", "<title> (Retracted article)"), read on the normalised title. The record is the
#: article (retracted), not a notice about it: the mark is taken off for comparing, and it is no notice.
#: A retraction *notice* opens with "Retraction: ", "Retraction notice to: " or "Notice of retraction". Only the
#: mark as databases write it (a colon or dash after it, or brackets around it) is read: a title that opens
#: with the word ("Retracted science and the retraction index") keeps it.
_RETRACTED_MARK = re.compile(
    r"^\s*(?:[\[(]\s*retracted(?: article)?\s*[\])]\s*[.:\-\u2013]?|retracted(?: article)?\s*[:\-\u2013])\s*"
    r"|\s*[\[(]\s*retracted(?: article)?\s*[\])]\s*\.?\s*$", re.IGNORECASE)


def without_retracted_mark(title: str) -> str:
    """A retracted article's title without the mark a database put on it (:data:`_RETRACTED_MARK`)."""
    return _RETRACTED_MARK.sub("", title) if "etract" in title or "ETRACT" in title else title

#: Words in a journal or entry type that mark a conference abstract or proceedings paper.
CONFERENCE_PATTERN = re.compile(
    r"(?<!dissertation )\b(conference|congress|proceedings|symposium|meeting|abstracts?|annual scientific|"
    r"colloquium|workshop|convention|summit)\b|\bconf\b|\bproc\b"
)

#: Entry types (BibTeX ENTRYTYPE, RIS TY) that are conference papers or abstracts.
CONFERENCE_TYPES: frozenset[str] = frozenset({"inproceedings", "conference", "proceedings", "conf", "cpaper",
                                              "abst", "congresses", "conference abstract", "conference paper",
                                              "meeting abstract", "conference review", "proceedings paper"})

#: Words that name a kind of item, not which item: a title made only of these (with numbers, dates and the
#: journal's own name) recurs in every issue ("Editor's comments", "In this issue", "Erratum", "Letters",
#: "Conference programme"), so it says nothing about which printed item a record is.
_GENERIC_TEXT = """
editorial editorials editor editors editorial comment comments commentary commentaries letter letters reply replies
response responses erratum errata correction corrections corrigendum corrigenda retraction retractions retracted
notice notices expression concern withdrawn withdrawal in this issue issues contents content table index indexes
indices author authors subject keyword keywords conference congress programme programmes program programs meeting
meetings abstracts abstract poster posters session sessions oral presentations proceedings news book books
reviews review year introduction preface foreword announcement announcements acknowledgement acknowledgment
acknowledgements acknowledgments reviewers referees obituary obituaries calendar events highlights message
president presidents chair chairs guest note notes correspondence board masthead cover front matter back error
errors information instructions for to the a an of on from and with by at our new month week column update
updates corner perspective perspectives viewpoint forum brief briefs digest summary summaries supplement volume
readers reader welcome farewell thanks thank you your journal annual report list selected recent
january february march april may june july august september october november december spring summer autumn
winter fall"""
GENERIC_WORDS: frozenset[str] = frozenset(_GENERIC_TEXT.split())

#: Roman numerals that number parts and phases in titles ("i" is left out: it is also a word).
ROMAN: frozenset[str] = frozenset({"ii", "iii", "iv", "vi", "vii", "viii", "ix", "xi", "xii"})

#: An article at the start of a title, which databases keep or drop ("The effects of ..." / "Effects of ...").
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an) (?=\S+ \S)")

_NOTICE_RES = tuple((kind, re.compile(pattern)) for kind, pattern in NOTICE_PATTERNS)


@dataclass(frozen=True, slots=True)
class Keys:
    """The comparable form of one record."""

    id: int
    doi: str
    pmid: str
    title: str          # normalised words
    title_compact: str  # letters and digits only, for blocking
    title_numbers: frozenset[str]  # numbers and roman numerals in the title
    authors: str        # "smith ja; doe j"
    first_author: str   # surname of the first author
    author_tokens: tuple[frozenset[str], ...]  # words of each of the first ten names
    author_count: int
    year: int | None
    journal: str
    volume: str
    issue: str
    issue_numbers: frozenset[str]
    page_first: str
    page_last: str
    notice: str         # "" or erratum / retraction / comment
    conference: bool
    generic: bool       # a title that names a kind of item, not an item (GENERIC_WORDS): recurs in every issue
    issues: frozenset[str]  # issue numbers (from the issue field and "31 (2)" in the volume), not article numbers
    printed_in: bool    # a conference record that names the journal printing it ("Stroke. Conference: ...")
    filled: int         # how many bibliographic fields are non-empty (completeness)


_DIGITS = re.compile(r"\d+")


def title_numbers(title: str) -> frozenset[str]:
    """The numbers of a title, read with spaces removed ("10 000" = "10000", "HPV 16" = "HPV16", "CO 2" =
    "CO2"), plus roman numerals standing as words (phase II, part III)."""
    found = set(_DIGITS.findall(title.replace(" ", "")))
    found.update(ROMAN.intersection(title.split()))
    return frozenset(found)


def is_generic(title: str, journal: str) -> bool:
    """Whether a normalised title is only words that name a kind of item (:data:`GENERIC_WORDS`), numbers,
    roman numerals and the journal's own name: such a title recurs in every issue of its journal."""
    if not title:
        return False
    own: set[str] | None = None  # the journal's words, looked at only for a word of no other kind
    for w in title.split():
        if w in GENERIC_WORDS or w.isdigit() or w in ROMAN or w == "i":
            continue
        if own is None:
            own = set(journal.split())
        if w not in own:
            return False
    return True


#: Above this, a number in the issue field is an article number, not an issue: running issue counts reach
#: five digits (The Lancet passed 10,000 in 2015 after 190 years of weekly issues; BMJ is near 8,000),
#: article numbers of online journals six or seven (Hindawi's ``6305735``, PLoS's ``e0168396``).
MAX_ISSUE = 99_999

#: Issues of a weekly journal in one year: an issue number up to this may equal the first page by chance
#: (issue 1 opening on page 1); a larger one equal to the first page is an article number in both fields.
WEEKS = 53


def issue_set(issue: str | None, volume: str | None, first_page: str = "",
              year: int | None = None) -> frozenset[str]:
    """The issue numbers a record gives: the numbers of its issue field and a number in brackets in its
    volume field (``31 (2)``: the issue written into the volume). Not issue numbers: in a record marked
    ``(no pagination)`` (Embase's article-number journals) the issue field's numbers (only the bracket
    counts); a number above :data:`WEEKS` equal to the record's first page (an article number written into
    both fields); a four-digit number within a year of the record's year (the year written into the issue
    field); a number above :data:`MAX_ISSUE` or written with a letter (``e0168396``: an article number). A
    journal's running issue count (The Lancet's ``9778``, Nature's ``7342``) is an issue number like any other."""
    page = first_page[1:] if first_page[:1] == "e" else first_page
    kept = set()
    for n, value in _issue_candidates(issue, volume):
        if value > MAX_ISSUE or (page.isdigit() and int(page) == value and value > WEEKS):
            continue
        if len(n) == 4 and year is not None and abs(value - year) <= 1:
            continue
        kept.add(str(value))
    return frozenset(kept)


_ISSUE_NUMBER, _BRACKETED, _LETTERS = re.compile(r"[a-z]?\d+"), re.compile(r"\(([^)]*)\)"), "abcdefghijklmnopqrstuvwxyz"


@lru_cache(maxsize=1 << 14)  # pure, and a review repeats its volume and issue values
def _issue_candidates(issue: str | None, volume: str | None) -> tuple[tuple[str, int], ...]:
    """The numbers :func:`issue_set` reads in the issue and volume fields, as written and as a number, before
    it leaves out the article numbers and years that the record's page and year show."""
    text = volume or ""
    found = [] if "no pagination" in text.lower() else _ISSUE_NUMBER.findall((issue or "").lower())
    numbers = [n for n in found if n[0].isdigit() or len(n) < 5]  # e0168396, a1754: article numbers
    numbers = [n.lstrip(_LETTERS) for n in numbers]
    for inner in _BRACKETED.findall(text):
        numbers += _DIGITS.findall(inner)
    return tuple((n, int(n)) for n in numbers)


#: How a journal volume is paginated, as the records of one run show it (principle 2).
CONTINUOUS, PER_ISSUE, UNKNOWN = "continuous", "per-issue", "unknown"

#: The fewest items (in two issues or more; copies of one item from several databases count once) whose pages
#: can show a volume paginated continuously: with one item per issue, two items of a journal paginated by issue
#: fall in issue order half the time by chance.
MIN_EVIDENCE = 3


@dataclass(frozen=True, slots=True)
class Pagination:
    """What the records of one journal volume show about its pagination: ``continuous`` (each issue's pages
    above the pages of the issues before it), ``per-issue`` (two issues' page ranges overlap, or a later issue
    below an earlier one: each issue starts again at page 1, or an issue is written wrong), ``unknown`` (fewer
    than :data:`MIN_EVIDENCE` records, or one issue). ``spans``: (issue, lowest first page, highest last
    page) of each issue, in issue order."""

    kind: str
    spans: tuple[tuple[int, int, int], ...]


@lru_cache(maxsize=1 << 14)  # pure, asked about four times per record, and journals recur
def journal_key(journal: str) -> str:
    """A journal's key, the same for its name and its abbreviation (the initials of the words an abbreviation
    keeps and the start of the last: ``j am coll cardiol`` and ``journal of the american college of
    cardiology`` give ``jacc card``); ``""`` without a journal."""
    tokens = normalise.journal_tokens(journal)
    return f"{''.join(t[0] for t in tokens)} {tokens[-1][:4]}" if tokens else ""


def volume_key(journal: str, volume: str) -> str:
    """A journal volume's key (:func:`journal_key` and the volume: ``jacc card 55``); ``""`` without a journal
    or a volume."""
    key = journal_key(journal)
    return f"{key} {volume}" if key and volume else ""


def title_key(k: Keys) -> str:
    """A title within its journal (:func:`journal_key` and the title); ``""`` without either, or for a title
    that names a kind of item already (:data:`GENERIC_WORDS`)."""
    key = journal_key(k.journal)
    return f"{key}|{k.title}" if key and k.title and not k.generic else ""


#: In how many issues of one journal a title must be printed, within the run, to be a recurring title (a
#: column, a series' name) whatever its words: two issues may be one item with its issue typed wrong.
RECURS_IN = 3


def recurring_titles(keys: Iterable[Keys]) -> frozenset[str]:
    """The titles (:func:`title_key`) the run shows in :data:`RECURS_IN` issues or more of one journal:
    different places (volume and issue, over the records that give a volume and one issue number), so a
    title the databases give with its volume or issue written several ways is not counted twice."""
    places: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for k in keys:
        key = title_key(k)
        if key and k.volume and len(k.issues) == 1:
            places[key].add((k.volume, next(iter(k.issues))))
    return frozenset(key for key, found in places.items() if len(found) >= RECURS_IN)


@dataclass(frozen=True, slots=True)
class Facts:
    """The facts of the whole run that a pair's scores read, computed once (:func:`set_facts`): each journal
    volume's pagination, and the titles that recur in three issues or more of their journal."""

    pagination: Mapping[str, Pagination]
    recurring: Container[str]


#: The indexes of the records that the run's facts read (stored beside the blocking keys for the incremental
#: run; never blocks): a journal volume's records (pagination), a title's records within its journal (recurring).
VOLUME_INDEX, TITLE_INDEX = "volume", "title"


def index_keys(k: Keys) -> list[tuple[str, str]]:
    """The record's entries in the fact indexes, as ``(index, value)``."""
    found = [(VOLUME_INDEX, volume_key(k.journal, k.volume)), (TITLE_INDEX, title_key(k))]
    return [(name, value) for name, value in found if value]


def set_facts(keys: Iterable[Keys]) -> Facts:
    """:class:`Facts` of a whole run (two linear passes over the records)."""
    keys = list(keys)
    return Facts(pagination(keys), recurring_titles(keys))


def page_span(k: Keys) -> tuple[int, int] | None:
    """The record's first and last page as numbers (one page: both the same); ``None`` for none, an
    e-locator or a lettered page (``S12``: a supplement's own sequence)."""
    if not k.page_first.isdigit():
        return None
    first = int(k.page_first)
    last = int(k.page_last) if k.page_last.isdigit() and int(k.page_last) >= first else first
    return first, last


def pagination(keys: Iterable[Keys]) -> dict[str, Pagination]:
    """Each journal volume's pagination as the whole set shows it (:class:`Pagination`), computed once per
    run from every record with one issue number and numeric pages, by :func:`volume_key`. Not evidence: the
    records of one title on one first page in two issues (the pairs principle 2 asks about: one item with an
    issue typed wrong, or a column paginated by issue, which is the question). Volumes seen in one issue
    only are left out (``unknown``)."""
    groups: dict[str, list[tuple[int, int, int, str]]] = defaultdict(list)
    for k in keys:
        if len(k.issues) != 1:
            continue
        key = volume_key(k.journal, k.volume)
        span = page_span(k)
        if key and span is not None:
            groups[key].append((int(next(iter(k.issues))), span[0], span[1], k.title))
    facts: dict[str, Pagination] = {}
    for key, rows in groups.items():
        if len({row[0] for row in rows}) < 2:
            continue
        issues_of: dict[tuple[int, str], set[int]] = defaultdict(set)
        for issue, first, _, title in rows:
            issues_of[(first, title)].add(issue)
        spans: dict[int, tuple[int, int]] = {}
        items = set()  # (issue, first page): copies of one item from several databases are one piece of evidence
        for issue, first, last, title in rows:
            if len(issues_of[(first, title)]) > 1:
                continue
            items.add((issue, first))
            low, high = spans.get(issue, (first, last))
            spans[issue] = (min(low, first), max(high, last))
        ordered = tuple((issue, low, high) for issue, (low, high) in sorted(spans.items()))
        if len(items) < MIN_EVIDENCE or len(ordered) < 2:
            facts[key] = Pagination(UNKNOWN, ordered)
        elif all(before[2] < after[1] for before, after in itertools.pairwise(ordered)):
            facts[key] = Pagination(CONTINUOUS, ordered)
        else:
            facts[key] = Pagination(PER_ISSUE, ordered)
    return facts


#: The opening words of a notice's title, before the title of the work it concerns ("Erratum to: ...",
#: "Comment on ...", "Retraction notice: ...", "Re: ...", "Reply to ...").
_NOTICE_OPENING = re.compile(
    r"^(?:notice of |expression of concern (?:for |about |regarding )?)?(?:published )?"
    r"(?:erratum|errata|corrigendum|corrigenda|correction|retraction|retracted|withdrawn|comment|comments|commentary|"
    r"response|reply|re|in reply|author reply|authors reply|letter|editorial comment|notice)"
    r"(?: notice| note)?(?: (?:to|on|of|in|for|regarding|about|re|the article))* ")

def notice_subject(title: str) -> str:
    """A notice's normalised title without its opening words: the title of the work it concerns
    (the title itself when it opens with no notice words)."""
    return _NOTICE_OPENING.sub("", title, count=1)


def notice_kind(record: Record, title: str) -> str:
    """"erratum", "retraction", "comment" or "" from the title's opening words and publication types."""
    for kind, pattern in _NOTICE_RES:
        if pattern.search(title):
            return kind
    for value in record.publication_types:
        found = NOTICE_TYPES.get(value.strip().lower())
        if found:
            return found
    return ""


#: The tags whose values :func:`is_conference` reads as the record's type.
TYPE_TAGS: frozenset[str] = frozenset({"ENTRYTYPE", "TY", "PT", "DT"})


def is_conference(record: Record, journal: str) -> bool:
    """Whether the record is a conference abstract or proceedings paper rather than a journal article."""
    return _conference_type(record) or bool(CONFERENCE_PATTERN.search(journal))


def _conference_type(record: Record) -> bool:
    """Whether a publication type or type tag of the record names a conference paper or abstract."""
    types = {t.strip().lower() for t in record.publication_types}
    types.update(value.strip().lower() for name, value in record.tags if name in TYPE_TAGS)
    return not types.isdisjoint(CONFERENCE_TYPES)


@lru_cache(maxsize=1 << 17)  # pure, and a review repeats its authors' names
def _person(name: str) -> tuple[str, str] | None:
    """One author's key (``smith ja``) and surname, or None when the name gives no surname."""
    found = normalise.author(name)
    return (found.key(), found.surname) if found is not None and found.surname else None


@lru_cache(maxsize=1 << 14)  # pure, and a review repeats its journals
def _journal_facts(value: str) -> tuple[str, bool, bool]:
    """What a journal field gives: the journal's words (:func:`~harvester.normalise.journal`), whether they
    name a conference (:data:`CONFERENCE_PATTERN`), and whether the field names a journal and, after it, a
    meeting (:func:`~harvester.normalise.names_journal_and_meeting`)."""
    return (normalise.journal(value), bool(CONFERENCE_PATTERN.search(normalise.words(value))),
            normalise.names_journal_and_meeting(value))


#: Every field of a record that :func:`prepare` reads (with the tags :data:`TYPE_TAGS`): a record holding only
#: these gives the same keys (tests/test_dedup_prepare_fields.py), so a full run reads no more of the ledger.
FIELDS_READ: tuple[str, ...] = ("title", "abstract", "authors", "year", "journal", "journal_abbrev", "issn",
                                "volume", "issue", "pages", "doi", "pmid", "publication_types")


def prepare(record_id: int, record: Record) -> Keys:
    """The keys of one record."""
    title = _LEADING_ARTICLE.sub("", normalise.title(without_retracted_mark(record.title)))
    names = normalise.author_names(record.authors)
    people = [p for p in map(_person, names) if p is not None]
    journal_field = record.journal or record.journal_abbrev
    journal, conference_journal, printed_in = _journal_facts(journal_field)
    pages = normalise.pages(record.pages)
    year = normalise.year(record.year)
    filled = (bool(record.title) + bool(record.abstract) + bool(record.authors) + bool(record.year)
              + bool(record.journal) + bool(record.volume) + bool(record.issue) + bool(record.pages)
              + bool(record.doi) + bool(record.pmid) + bool(record.issn))
    return Keys(
        id=record_id,
        doi=normalise.doi(record.doi),
        pmid=normalise.pmid(record.pmid),
        title=title,
        title_compact=title.replace(" ", ""),
        title_numbers=title_numbers(title),
        authors="; ".join([p[0] for p in people]),
        first_author=people[0][1] if people else "",
        author_tokens=tuple([normalise.name_tokens(n) for n in names[:10]]),
        author_count=len(people),
        year=year,
        journal=journal,
        volume=normalise.volume(record.volume),
        issue=normalise.issue(record.issue),
        issue_numbers=normalise.issue_numbers(record.issue),
        page_first=pages.first,
        page_last=pages.last,
        notice=notice_kind(record, title),
        conference=_conference_type(record) or conference_journal,
        filled=filled,
        generic=is_generic(title, journal),
        issues=issue_set(record.issue, record.volume, pages.first, year),
        printed_in=printed_in,
    )


def keys_to_json(k: Keys) -> str:
    """The keys as compact JSON (a list in field order, sets sorted, the compact title left out: it is the
    title without spaces), to store them in the ledger so an incremental run need not prepare held records
    again. :func:`keys_from_json` gives back equal keys."""
    return _compact_json([
        k.id, k.doi, k.pmid, k.title, sorted(k.title_numbers), k.authors, k.first_author,
        [sorted(t) for t in k.author_tokens], k.author_count, k.year, k.journal, k.volume, k.issue,
        sorted(k.issue_numbers), k.page_first, k.page_last, k.notice, k.conference, k.filled, k.generic,
        sorted(k.issues), k.printed_in,
    ])


#: ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, with the encoder made once (a full run
#: writes every record's keys).
_compact_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def keys_from_json(text: str) -> Keys:
    (record_id, doi, pmid, title, numbers, authors, first_author, tokens, author_count, year,
     journal, volume, issue, issue_numbers, page_first, page_last, notice, conference, filled, generic,
     issues, printed_in) = json.loads(text)
    return Keys(id=record_id, doi=doi, pmid=pmid, title=title, title_compact=title.replace(" ", ""),
                title_numbers=frozenset(numbers), authors=authors, first_author=first_author,
                author_tokens=tuple(frozenset(t) for t in tokens), author_count=author_count, year=year,
                journal=journal, volume=volume, issue=issue, issue_numbers=frozenset(issue_numbers),
                page_first=page_first, page_last=page_last, notice=notice, conference=conference, filled=filled,
                generic=generic, issues=frozenset(issues), printed_in=printed_in)
