"""Normalisation: the comparable form of each bibliographic field, as pure functions.

De-duplication compares records that three databases printed three ways. Each function here takes
one field as a database gave it and returns the form two records can be compared in: lower case,
no markup, no punctuation that a database adds or drops, numbers written out in full. None of them
changes a stored record; they feed :mod:`harvester.dedup.prepare`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

# --- tables (data first) --------------------------------------------------------------------------

#: Values that exports write for "nothing here".
EMPTY_VALUES: frozenset[str] = frozenset({"", "na", "n/a", "null", "nan", "none", "-", "[no title available]",
                                          "no title available", "[not available]"})

#: Prefixes of a DOI as databases print it, lower case, longest first.
DOI_PREFIXES: tuple[str, ...] = (
    "https://dx.doi.org/", "http://dx.doi.org/", "https://doi.org/", "http://doi.org/", "dx.doi.org/",
    "doi.org/", "doi:", "doi ", "doi",
)

#: Words that mark a collective author (a group, not a person).
COLLECTIVE_WORDS: frozenset[str] = frozenset({
    "group", "groups", "collaboration", "collaborators", "collaborative", "consortium", "committee", "investigators",
    "network", "society", "association", "team", "trialists", "council", "organization", "organisation",
    "institute", "working", "study", "program", "programme", "foundation", "department", "board", "agency",
    "office", "centre", "center", "panel", "task", "force", "alliance", "federation", "academy", "college",
})

#: Words a journal title loses when abbreviated (ISO 4 drops them).
JOURNAL_STOPWORDS: frozenset[str] = frozenset({"the", "of", "and", "in", "for", "on", "de", "la", "le", "des",
                                               "der", "und", "fur", "a", "an", "at", "to", "y", "et", "du"})

#: Month names that spreadsheets write into page ranges ("01-Jul" was "1-7").
MONTHS: dict[str, int] = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}

_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")  # a tag opens with a name: "p < 0.001 ... <sub>" is text
_NON_ALNUM = re.compile(r"[\W_]+")  # any script's letters and digits stay
_SPACES = re.compile(r"\s+")
_DATABASE_NOTE = re.compile(
    r"\s*\((?:structured abstract|provisional abstract|abstract|author'?s transl(?:ation)?|see comments?)\)\s*\.?\s*$",
    re.IGNORECASE)
_EDITORIAL_NOTE = re.compile(
    r"\s*\[(?:erratum|published erratum|corrected|comment|see |retract|review\]|update|reprint|"
    r"summary for patients|\d+ refs).*$", re.IGNORECASE | re.DOTALL)
_TRAILING_NOTE = re.compile(r"\s*\[[^\[\]]{1,300}\]\s*\.?\s*$")
_LANGUAGE_NOTE = re.compile(
    r"\s*[\[(]\s*(?:article in |in )?(?:chinese|japanese|german|french|spanish|russian|italian|portuguese|"
    r"polish|dutch|korean|czech|hungarian|turkish|swedish|danish|norwegian|finnish|hebrew|persian|croatian|"
    r"serbian|slovak|slovenian|greek|romanian|bulgarian|ukrainian|lithuanian|english abstract)"
    r"(?:\s*(?:,|and)\s*[a-z ]+)?\s*[\])]\s*\.?\s*$",
    re.IGNORECASE,
)
_DOI = re.compile(r"10\.\d{4,9}/\S+", re.IGNORECASE)
_DOI_JOURNAL_CODE = re.compile(r"^10\.\d{4,9}/(?:j\.|journal\.)?([a-z]{3,12})(?:[./]|\d)")
_APOSTROPHES = re.compile(r"(?<=\w)['\u2019\u02bc](?=\w)")
_ISSN = re.compile(r"\b(\d{4})-?(\d{3}[\dxX])\b")
_ET_AL = re.compile(r"\bet\.?\s*al\.?", re.IGNORECASE)
_DOTTED_JOIN = re.compile(r"(?<=\.)(?=[A-Z][a-z'\u00c0-\u024f])")
_NULL = re.compile(r"\bnull\b")
_CONFERENCE_PART = re.compile(r"[.:;,]?\s*conference\s*:.*$", re.IGNORECASE | re.DOTALL)
_ROMAN_PAGE = re.compile(r"[ivxlc]{1,6}")
_NOTICE_OF_BRACKETED = re.compile(
    r"((?:erratum|errata|corrigendum|correction|retraction(?: notice)?|comment|reply|response)(?: (?:to|on|of|in))?:?)"
    r"\s*\[([^\[\]]{12,})\]\s*\.?", re.IGNORECASE)
_ANONYMOUS: frozenset[str] = frozenset({"anonymous", "anon", "[anonymous]", "no authors listed",
                                        "[no authors listed]"})


# --- generic text ---------------------------------------------------------------------------------

def is_empty(value: str | None) -> bool:
    """True when an export wrote nothing, or a placeholder for nothing (``NA``, ``[No title available]``)."""
    return value is None or value.strip().lower() in EMPTY_VALUES


def fold(text: str) -> str:
    """Unicode NFKC, HTML entities and tags removed, accents dropped, lower case: the one fold of the project
    (titles, authors and journals for de-duplication, the words rules and decision sheets compare).

    Folding is stable (``fold(fold(t)) == fold(t)``, what rules and sheets rely on): one pass can make what
    another pass removes (a doubly escaped ``&amp;eacute;``, a full-width ``＆amp;`` that NFKC turns into an
    entity), so passes repeat until nothing changes (two in practice).
    """
    if text.isascii() and "&" not in text and "<" not in text:  # the common case: one pass, and the next
        return text.lower()  # would change nothing (lower case, still no entity, tag or accent)
    for _ in range(_MAX_FOLDS):
        folded = _fold_once(text)
        if folded == text:
            break
        text = folded
    return text


#: Passes of :func:`_fold_once` at most (each pass that changes something removes markup, accents or case).
_MAX_FOLDS = 4


def _fold_once(text: str) -> str:
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    if text.isascii():  # the common case: NFKC and accents change nothing
        return text.lower()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", text).casefold()


def words(text: str) -> str:
    """Folded text with every run of punctuation or space turned into one space."""
    return _NON_ALNUM.sub(" ", fold(text)).strip()


# --- DOI, PMID, ISSN ------------------------------------------------------------------------------

def doi(value: str | None) -> str:
    """The DOI in lower case without ``doi:`` or URL prefixes and trailing punctuation; ``""`` if none.

    DOIs are case-insensitive by definition, so ``10.1000/ABC`` and ``https://doi.org/10.1000/abc`` are
    one DOI. Only the first DOI of a field holding several is kept.
    """
    if is_empty(value):
        return ""
    assert value is not None
    text = unquote(html.unescape(value)).strip().lower()  # "%28" in DOI links is "("
    match = _DOI.search(text)
    if not match:
        return ""
    found = match.group(0)
    found = found.split("[")[0]
    return found.rstrip(".,;:)]}'\"")


def same_doi(a: str, b: str) -> bool | None:
    """True or False for two normalised DOIs; ``None`` when one is empty or cut short (a prefix of the
    other, as exports truncate long DOIs), which says nothing either way."""
    if not a or not b:
        return None
    if a == b:
        return True
    if a.startswith(b) or b.startswith(a):
        return None
    return False


def doi_journal_code(value: str) -> str:
    """The journal code many publishers write into their DOIs (``appet`` in ``10.1016/j.appet.2012.05.003``,
    ``ndt`` in ``10.1093/ndt/gfw188.21``, ``dmrr`` in ``10.1002/dmrr.2604``); ``""`` when the DOI has none."""
    match = _DOI_JOURNAL_CODE.match(value)
    return match.group(1) if match else ""


def code_fits_journal(code: str, journal_name: str) -> bool:
    """Whether a DOI's journal code abbreviates this normalised journal name: the code is spelt by the
    beginnings of the name's words, in order, words skipped allowed (``appet``: appetite; ``dmrr``: diabetes
    metabolism research reviews; ``eurheartj``: european heart journal)."""
    return _spells(code, journal_tokens(journal_name))


def code_foreign_to_journal(code: str, journal_name: str) -> bool:
    """Whether a DOI's journal code cannot belong to this journal: not even its first two letters start
    the name's words (``regpep`` for *Appetite*). A code that only partly fits (``strokeaha`` for *Stroke*,
    ``nejmoa`` for *The New England Journal of Medicine*) is not foreign."""
    return bool(code) and not _spells(code[:2], journal_tokens(journal_name))


@lru_cache(maxsize=1 << 12)
def _spells(code: str, name: tuple[str, ...]) -> bool:
    """Whether ``code`` is the concatenation of non-empty prefixes of words of ``name`` taken in order."""
    if not code:
        return True
    if not name:
        return False
    for index, word in enumerate(name):
        longest = 0
        while longest < min(len(word), len(code)) and word[longest] == code[longest]:
            longest += 1
        for cut in range(longest, 0, -1):
            if _spells(code[cut:], name[index + 1:]):
                return True
    return False


def pmid(value: str | None) -> str:
    """A PubMed id as digits without leading zeros; ``""`` when it is not one."""
    if is_empty(value):
        return ""
    assert value is not None
    digits = value.strip()
    if digits.lower().startswith("pmid:"):
        digits = digits[5:].strip()
    return digits.lstrip("0") if digits.isdigit() else ""


def issn(value: str | None) -> tuple[str, ...]:
    """Every ISSN in a field, as ``NNNN-NNNX`` (upper-case check digit)."""
    if is_empty(value):
        return ()
    assert value is not None
    return tuple(dict.fromkeys(f"{a}-{b.upper()}" for a, b in _ISSN.findall(value)))


# --- titles ---------------------------------------------------------------------------------------

def strip_translation_marks(title: str) -> str:
    """A title without MEDLINE's translation brackets: ``[Title in English].`` and trailing ``[Chinese]``."""
    text = title.strip()
    if "[" not in text and "(" not in text:  # every note below is in brackets: only the trailing period goes
        return text.rstrip(" .")
    for _ in range(2):
        text = _LANGUAGE_NOTE.sub("", text).strip()
    text = _DATABASE_NOTE.sub("", text).strip()
    wrapped = _NOTICE_OF_BRACKETED.fullmatch(text)
    if wrapped:  # "Correction to: [Translated title]." names a title; the brackets are not a database note
        text = f"{wrapped.group(1)} {wrapped.group(2)}"
    note = _EDITORIAL_NOTE.search(text)
    if note and note.start() >= 12:  # "[Erratum appears in ... [added]]", "[corrected][published erratum ...]"
        text = text[: note.start()]
    while True:  # trailing notes: "[Review] [33 refs]", "[Erratum appears in ...]"
        match = _TRAILING_NOTE.search(text)
        if not match or match.start() < 12:
            break
        text = text[: match.start()].rstrip(" .")
    if text.startswith("[") and (text.endswith("]") or text.endswith("].")):
        inner = text[1:text.rindex("]")]
        if "[" not in inner and "]" not in inner:
            text = inner.strip()
    return text.rstrip(" .")


def title(value: str | None) -> str:
    """The title as words: folded, translation brackets and trailing period removed, punctuation as spaces."""
    if is_empty(value):
        return ""
    assert value is not None
    text = value
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "'" in text or "\u2019" in text or "\u02bc" in text:
        text = _APOSTROPHES.sub("", text)  # "symptom's" and "symptoms" are one word typed two ways
    return words(strip_translation_marks(text))


# --- authors --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Author:
    """A person as ``surname`` and ``initials`` (``"smith"``, ``"ja"``), or a collective name."""

    surname: str
    initials: str = ""
    collective: bool = False

    def key(self) -> str:
        """``"smith ja"``: what two databases agree on when they agree on anything."""
        return f"{self.surname} {self.initials}".strip()


def _initials(given: str) -> str:
    parts = [p for p in re.split(r"[\s.\-]+", given) if p]
    out = []
    for part in parts:
        if part.isupper() and len(part) <= 3:  # "JA" is initials already
            out.append(part.lower())
        else:
            out.append(part[0].lower())
    return "".join(out)


def _is_initials(token: str) -> bool:
    bare = token.replace(".", "").replace("-", "")
    return bool(bare) and len(bare) <= 3 and bare.isalpha() and bare.isupper()


@lru_cache(maxsize=1 << 17)
def name_tokens(value: str) -> frozenset[str]:
    """The words of a name longer than an initial (``"Ching-yi, Wu"`` -> {ching, yi, wu}), for matching
    names whose surname and given name databases swapped."""
    return frozenset(w for w in words(_NULL.sub(" ", value)).split() if len(w) > 1)


@lru_cache(maxsize=1 << 17)
def author(value: str) -> Author | None:
    """One name in any shape the importers see: ``Smith, J. A.``, ``Smith, John A``, ``J.A. Smith``,
    ``Smith JA``, ``Smith J.A.``; a collective author (``WHO Study Group``) is kept whole."""
    text = _NULL.sub(" ", _ET_AL.sub("", value)).strip(" ,;.")
    if is_empty(text):
        return None
    folded_words = words(text).split()
    if any(word in COLLECTIVE_WORDS for word in folded_words) and len(folded_words) >= 2:
        return Author(surname=" ".join(folded_words), collective=True)
    if "," in text:
        surname, _, given = text.partition(",")
        return Author(words(surname).replace(" ", ""), _initials(_ascii(given)))
    tokens = text.split()
    if len(tokens) == 1:
        return Author(words(tokens[0]).replace(" ", ""))
    if _is_initials(tokens[-1]) or all(_is_initials(t) for t in tokens[1:]):
        # "Smith JA", "Smith J A", "van der Berg JA"
        split = len(tokens) - 1
        while split > 1 and _is_initials(tokens[split - 1]):
            split -= 1
        return Author(words(" ".join(tokens[:split])).replace(" ", ""),
                      "".join(t.replace(".", "").replace("-", "").lower() for t in tokens[split:]))
    # "J.A. Smith", "John A. Smith"
    return Author(words(tokens[-1]).replace(" ", ""), _initials(_ascii(" ".join(tokens[:-1]))))


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def split_authors(value: str) -> list[str]:
    """One field holding many names (``A and B``, ``A; B``, ``Adeli K.Lewis G. F.``) as separate names."""
    if is_empty(value):
        return []
    if " and " in value or ";" in value:
        parts = re.split(r"\s+and\s+|;", value)
    elif _DOTTED_JOIN.search(value):
        parts = _DOTTED_JOIN.split(value)
    else:
        parts = [value]
    return [p.strip() for p in parts if p.strip()]


def author_names(values: tuple[str, ...] | list[str]) -> list[str]:
    """Every name of a record, in order, from a list of names or a list holding one joined field."""
    # one field holding every name (CSV exports, BibTeX) is split; names already one per value are not
    # ("Society for Research and Education" stays whole)
    names = split_authors(values[0]) if len(values) == 1 else [value.strip() for value in values]
    return [name for name in names if _is_name(name)]


@lru_cache(maxsize=1 << 17)  # pure, and a review repeats its authors' names
def _is_name(name: str) -> bool:
    """Whether a value of an author field names someone: not empty without ``et al.``, not ``Anonymous``."""
    return not is_empty(_ET_AL.sub("", name).strip(" ,;.")) and name.strip(" .").lower() not in _ANONYMOUS


def authors(values: tuple[str, ...] | list[str]) -> tuple[Author, ...]:
    """Every author of a record, in order, as surname and initials."""
    found = (author(name) for name in author_names(values))
    return tuple(a for a in found if a is not None and a.surname)


# --- journals -------------------------------------------------------------------------------------

@lru_cache(maxsize=1 << 14)
def journal(value: str | None) -> str:
    """The journal's words: folded, punctuation as spaces, without a leading ``The`` or a subtitle after ``/``."""
    if is_empty(value):
        return ""
    assert value is not None
    text = _CONFERENCE_PART.sub("", value.split(" / ")[0]).replace("&", " and ")
    text = words(text)
    if text.startswith("the "):
        text = text[4:]
    return text


def names_journal_and_meeting(value: str | None) -> bool:
    """Whether a journal field names a journal and, after it, a meeting (``Stroke. Conference: International
    Stroke Conference``): Embase's form for an abstract printed in that journal's supplement."""
    if is_empty(value):
        return False
    assert value is not None
    found = _CONFERENCE_PART.search(value)
    return found is not None and bool(words(value[:found.start()]))


def journal_tokens(value: str) -> tuple[str, ...]:
    """The words of a normalised journal name that an abbreviation keeps (no ``of``, ``and``...)."""
    return tuple(w for w in value.split() if w not in JOURNAL_STOPWORDS)


def is_abbreviation(short: str, full: str) -> bool:
    """Whether one normalised journal name abbreviates the other (``j am coll cardiol`` of
    ``journal of the american college of cardiology``): each short word starts the matching long word."""
    a, b = journal_tokens(short), journal_tokens(full)
    if not a or not b:
        return False
    if len(a) > len(b):
        a, b = b, a
    if len(a) != len(b):
        return False
    return all(y.startswith(x) or x.startswith(y) for x, y in zip(a, b, strict=True))


# --- pages, volume, year --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Pages:
    """A page range with the last page written in full, or an e-locator (``e0141122``) as ``first``."""

    first: str = ""
    last: str = ""

    def __str__(self) -> str:
        return f"{self.first}-{self.last}" if self.last and self.last != self.first else self.first


@lru_cache(maxsize=1 << 14)  # pure, and a review repeats its page, volume and issue values
def pages(value: str | None) -> Pages:
    """``123-9`` -> 123-129; ``47--65``; ``e0141122``; ``01-Jul`` (a spreadsheet's 1-7); ``S36``;
    ``A175.E1638`` -> A175."""
    if is_empty(value):
        return Pages()
    assert value is not None
    text = fold(value).strip().replace("\u2013", "-").replace("\u2014", "-")
    text = re.sub(r"^(pp?\.?\s*)", "", text)
    if re.fullmatch(r"\d+\s*(p|pp|pages)\.?", text):  # "215 p": a page count (theses, books), not a place
        return Pages()
    text = re.sub(r"\s*-+\s*", "-", text)
    locator = re.fullmatch(r"([a-z]{0,2}\d+)\.e\d+", text)
    if locator:  # "A175.E1638": a meeting abstract's page with its abstract number (JACC supplements)
        text = locator.group(1)
    month = re.fullmatch(r"(\d{1,2})-([a-z]{3})", text)
    if month and month.group(2) in MONTHS:
        text = f"{int(month.group(1))}-{MONTHS[month.group(2)]}"
    month = re.fullmatch(r"([a-z]{3})-(\d{1,2})", text)
    if month and month.group(1) in MONTHS:
        text = f"{MONTHS[month.group(1)]}-{int(month.group(2))}"
    first, _, last = text.partition("-")
    first, last = first.strip(" .,;"), last.strip(" .,;")
    if _ROMAN_PAGE.fullmatch(first) and (not last or _ROMAN_PAGE.fullmatch(last)):  # front matter: "iii-iv"
        return Pages(first, "" if last == first else last)
    if not any(ch.isdigit() for ch in first):  # "Suppl-29", "t-8": not a page
        return Pages()
    first = first.lstrip("0") or first
    last = last.lstrip("0") or last
    if last and first.isdigit() and last.isdigit() and len(last) < len(first):
        last = first[: len(first) - len(last)] + last
    if last == first:
        last = ""
    return Pages(first, last)


@lru_cache(maxsize=1 << 14)  # pure, and a review repeats its page, volume and issue values
def volume(value: str | None) -> str:
    """The volume's number as written without leading zeros or ``Vol.``; ``""`` for none."""
    if is_empty(value):
        return ""
    assert value is not None
    if ")" in value and "(" not in value:  # "1)": the tail of a cut "61 (Suppl 1)"
        return ""
    text = words(value)
    text = re.sub(r"^(vol|volume|v)\s*", "", text)
    match = re.match(r"\d+", text)
    if match:  # "35 Suppl 1" is volume 35 (the supplement is an issue)
        return match.group(0).lstrip("0") or "0"
    return ""  # "(Jul)", "Ph.D.": not a volume


@lru_cache(maxsize=1 << 14)  # pure, and a review repeats its page, volume and issue values
def issue(value: str | None) -> str:
    """The issue's words with "supplement" shortened (``SUPPL. 1`` and ``Supplement 1`` -> ``s 1``)."""
    if is_empty(value):
        return ""
    assert value is not None
    return re.sub(r"\b(supplement|suppl|supp|sup)\b", "s", words(value)).strip()


@lru_cache(maxsize=1 << 14)  # pure, and a review repeats its page, volume and issue values
def issue_numbers(value: str | None) -> frozenset[str]:
    """Every number in an issue field (``"10 SUPPL. 1"`` -> {10, 1}): a volume that equals one of them
    was the issue or supplement put in the volume's place, not a different volume."""
    if is_empty(value):
        return frozenset()
    assert value is not None
    return frozenset(n.lstrip("0") or "0" for n in re.findall(r"\d+", value))


def year(value: str | int | None) -> int | None:
    """A four-digit year from ``2014``, ``2014 Jun 3``, ``2014/06``; ``None`` when there is none."""
    if value is None:
        return None
    if isinstance(value, int):
        return value if 1000 <= value <= 2999 else None
    match = re.search(r"\b(1[5-9]\d\d|2[01]\d\d)\b", value)
    return int(match.group(1)) if match else None


def years_agree(a: int | None, b: int | None, tolerance: int = 1) -> bool:
    """Online-first and print years differ by one; both unknown or one unknown is not a disagreement."""
    return a is None or b is None or abs(a - b) <= tolerance
