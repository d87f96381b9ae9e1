"""The field cleaners every importer uses: text, markup, DOIs, PMIDs, years, pages, ISSNs, author names.

Every export writes these differently (``DO  - http://dx.doi.org/10...``, ``AID - 10.1/x [doi]``,
``SN  - 03064530 (ISSN)``, ``Y1  - 2020//``, ``Liu R.``, ``"79 – 88"``, ``Liu, Fengyuan (60410297700)``);
the record type wants one shape, whatever the file. Each format module (tagged, CSV, BibTeX, XML) finds
its values through its own table and hands them to these pure functions, so the same article read
from a RIS file and from a CSV file gets the same DOI, pages and names. (There used to be two sets of
cleaners here, one for the tagged readers and one for the CSV family, and they disagreed.)

DOIs: :func:`find_doi` returns the DOI as the database printed it (case kept, the form stored and
exported); ``harvester.normalise.doi`` (de-duplication's comparison key) lower-cases it. The two are
kept in step: for any value, ``normalise.doi(find_doi(value))`` is ``normalise.doi(value)`` except
where this module knows more than a comparison key needs to (it cuts a DOI at an HTML tag, at the next
parameter of a link's query string, and keeps a closing bracket that closes one opened in the DOI);
``tests/test_formats_fields.py`` checks that on every DOI-bearing value of the corpus.

The module name starts with an underscore so the format registry does not take it for a format.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from urllib.parse import unquote

# --- tables (data first) --------------------------------------------------------------------------

#: Values tools write where there is no value (R's NA, Scopus's placeholders...), compared in lower case.
PLACEHOLDERS = frozenset({"na", "n/a", "no title", "[no abstract available]", "no abstract available",
                          "no terms assigned", "[no title available]", "null", "none",
                          "[no author name available]", "[no author id available]"})

#: Start/end page pairs that mean "no pages" (PsycINFO via Ovid writes SP "No", EP "Specified").
NO_PAGES = frozenset({("no", "specified"), ("not", "specified"), ("n/a", ""), ("na", "")})

#: Name particles that belong to the surname in ``Given van Surname`` names.
PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "di", "du", "la", "le", "del", "della", "dos",
                       "das", "ten", "ter", "van't", "st", "st."})
HONORIFICS = frozenset({"prof.", "prof", "dr.", "dr", "professor"})

#: How a column or tag writes names (see :func:`author`).
AUTHOR_FORMS = ("auto", "surname-first", "surname-initials", "given-first", "as-written", "collective")

# a DOI runs to whitespace or a quote; "<" ends it only where an HTML/XML tag starts ("</a>", "<b>"),
# never in a SICI DOI ("10.1002/(SICI)1097-4571(199009)41:6<433::AID-ASI11>3.0.CO;2-Q")
_DOI = re.compile(r"10\.\d{4,9}/(?:[^\s\"<]|<(?![/A-Za-z!?]))+", re.IGNORECASE)
_DOI_TRAILING = ".,;:)]}'"
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|2[01]\d\d)(?!\d)")
_PLAIN_YEAR = re.compile(r"[12]\d{3}")
_COMPACT_DATE = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)[01]\d[0-3]\d(?!\d)")
_ISSN = re.compile(r"(?<![\dXx])(\d{4})-?(\d{3}[\dXx])(?![\dXx])")
_PMID = re.compile(r"(\d{1,9})/?\s*$")
_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,4}$")
_SHORT_GIVEN = re.compile(r"(?:[A-Z][a-z]?\.?-?){1,4}")
_AUTHOR_ID = re.compile(r"\s*\(\d+\)$")  # Scopus: "Liu, Fengyuan (60410297700)"
_DASHES = re.compile(r"\s*(?:--|[-\u2010-\u2015\u2212])\s*")
_ATTRIBUTES = r"""(?:\s+[\w:.-]+=(?:"[^"]*"|'[^']*'|[^\s<>"']+))*\s*/?>"""
_BLOCK_TAGS = re.compile(r"</?(?:jats:|mml:)?(?:p|br|div|h[1-6]|title|sec|list|list-item|math)" + _ATTRIBUTES)
_INLINE_TAGS = re.compile(r"</?(?:jats:|mml:)?(?:i|b|u|em|strong|sup|sub|span|italic|bold|sc|scp|inline-formula|"
                          r"mi|mo|mn|msub|msup|mrow)" + _ATTRIBUTES)


# --- text -----------------------------------------------------------------------------------------

def is_placeholder(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDERS


def clean(value: str) -> str:
    """Collapse whitespace; a placeholder (``NA``, ``[No abstract available]``) becomes empty."""
    if "  " in value or "\n" in value or "\t" in value or "\r" in value:
        text = " ".join(value.split())
    else:
        text = value.strip()
    if len(text) <= 27 and text.lower() in PLACEHOLDERS:
        return ""
    return text


def first(values: Iterable[str]) -> str:
    """The first value that is not empty or a placeholder, cleaned."""
    for value in values:
        text = clean(value)
        if text:
            return text
    return ""


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Non-empty values, each once, in first-seen order."""
    return tuple(dict.fromkeys(value for value in values if value))


def strip_markup(value: str) -> str:
    """Drop the HTML/JATS/MathML tags vendors leave in titles and abstracts (Lens ``<jats:p>``, Zotero ``<p>``,
    Europe PMC ``<i>``); only known tag names, so ``p <0.05`` or ``a <b> c`` written as text survive.
    A block tag becomes a space, an inline one nothing (``H<sub>2</sub>O``). ``raw`` keeps the tags."""
    if "<" not in value:
        return value
    return " ".join(_INLINE_TAGS.sub("", _BLOCK_TAGS.sub(" ", value)).split())


# --- identifiers ----------------------------------------------------------------------------------

def find_doi(value: str) -> str:
    """The first DOI in a value, bare (``10.1/abc``), case kept: URL prefixes, ``doi:`` and ``[doi]`` removed.

    A DOI inside a link is percent-encoded (``doi.org/10.1016/S0140-6736%2820%2930183-5``, a link resolver's
    ``id=doi:10.4103%2F2303...&atitle=``): it is decoded, and cut at the next parameter when the value is a
    query string. HTML entities (``&lt;``) are decoded. Trailing punctuation is dropped, except a closing
    bracket that closes one opened inside the DOI (``10.1016/S0140-6736(20)30183-5``).
    """
    if "10." not in value and "%2" not in value:
        return ""
    text = value
    if "&" in text and ";" in text:
        text = html.unescape(text)
    query = False
    if "%" in text and _PERCENT.search(text):
        query = "?" in text or "&" in text
        text = unquote(text)
    match = _DOI.search(text)
    if match is None:
        return ""
    doi = match.group(0)
    if query:
        doi = doi.split("&")[0]
    while doi and doi[-1] in _DOI_TRAILING:
        closing = doi[-1]
        opening = {")": "(", "]": "[", "}": "{"}.get(closing)
        if opening and doi.count(opening) >= doi.count(closing):
            break
        doi = doi[:-1]
    return doi if not doi.endswith("/") else ""  # "10.1000/." holds no DOI


def pmid_of(value: str) -> str:
    """The digits of a PMID given bare, as ``PMID: 123`` or as a pubmed.ncbi.nlm.nih.gov URL; else ``""``."""
    match = _PMID.search(value.strip())
    return match.group(1) if match else ""


def issns(values: Iterable[str]) -> tuple[str, ...]:
    """Every ISSN in the values as ``NNNN-NNNN`` (upper-case X), each once, in order; other text dropped."""
    found: list[str] = []
    for value in values:
        for head, tail in _ISSN.findall(value):
            issn = f"{head}-{tail.upper()}"
            if issn not in found:
                found.append(issn)
    return tuple(found)


# --- dates and pages ------------------------------------------------------------------------------

def year_of(value: str) -> int | None:
    """The publication year: a field holding just a year (``1234`` too, as written), or the year in a date as
    exports write it (``2020//``, ``2017 Nov 15``, ``Start date: 20170812``; years 1500-2199 there)."""
    text = value.strip()
    if len(text) == 4 and _PLAIN_YEAR.fullmatch(text):
        return int(text)
    match = _YEAR.search(text) or _COMPACT_DATE.search(text)
    return int(match.group(1)) if match else None


def pages(start: str, end: str = "") -> str:
    """``first-last`` from a start page and an end page (either may already be a range, or be absent).

    Dashes are made one (``"79 – 88"``, ``"99--123"`` -> ``79-88``, ``99-123``), and a shortened end page
    (``349-69``, as MEDLINE and EndNote write it) is written out (``349-369``) so the same article's pages
    compare equal across databases.
    """
    if start.isdigit() and end.isdigit():  # the usual case ("212", "222"): no space, dash or word to look at
        if start == end:
            return start
        if len(end) < len(start):
            end = start[: len(start) - len(end)] + end
        return f"{start}-{end}"
    start, end = start.strip(), end.strip()
    if (start.lower(), end.lower()) in NO_PAGES:
        return ""
    if "-" in start or "\u2013" in start or "\u2014" in start or "\u2212" in start:
        start = _DASHES.sub("-", start)
    if start and end and start != end and "-" not in start:
        head, last = start, end
    elif "-" in start and not end:
        head, _, last = start.partition("-")
        head, last = head.strip(), last.strip()
    else:
        return start or end
    if head.isdigit() and last.isdigit() and len(last) < len(head):
        last = head[: len(head) - len(last)] + last
    return f"{head}-{last}" if last and last != head else head  # "22-22" is page 22, as ("22", "22") gives


# --- names ----------------------------------------------------------------------------------------

def author(name: str, form: str = "auto") -> str:
    """One name as ``Surname, Given`` (a collective name as printed), from the way a tag or column writes it.

    ``form`` says how the source writes names when it is known (CSV columns, BibTeX, EndNote XML):
    ``surname-first`` and ``as-written`` keep the name; ``surname-initials`` (``Lim SM``, ``Liu F.``) and
    ``given-first`` (``P. Kogge``, ``Massimo van Aria``: particles go with the surname, honorifics are
    dropped) are turned round. ``auto`` (tagged formats) decides from the name: ``Shi,Yu`` -> ``Shi, Yu``;
    a last word of initials (``Liu R.``, ``Neilen AD``) or leading dotted initials (IEEE ``A. Author-One``)
    make ``Surname, Initials``; anything else (a collective name, ``Given Surname`` we cannot split with
    confidence) is kept as printed. A Scopus author id in brackets is dropped in every form.
    """
    text = " ".join(name.split())
    if form == "auto":
        text = text.strip(" ;")  # tagged formats: "Smith, J;" (a list's separator left on a name)
    if "(" in text:
        text = _AUTHOR_ID.sub("", text)
    if not text:
        return ""
    if "," in text:
        surname, _, given = text.partition(",")
        if not given.strip():
            return surname.strip()  # "Nct,", "et al.,": a list's comma left on the name, in every form
        if form != "auto":
            return text
        surname, given = surname.strip(), given.strip()
        return f"{surname}, {given}" if given else surname
    if form in ("surname-first", "as-written", "collective"):
        return text
    words = text.split(" ")
    if form == "surname-initials":
        if len(words) > 1 and _SHORT_GIVEN.fullmatch(words[-1]):
            return f"{' '.join(words[:-1])}, {words[-1]}"
        return text
    if form == "given-first":
        return _given_first(words)
    if len(words) >= 2 and _INITIALS.match(words[-1]):
        return f"{' '.join(words[:-1])}, {words[-1]}"
    leading = 0
    while leading < len(words) - 1 and _INITIALS.match(words[leading]) and words[leading].endswith("."):
        leading += 1
    if leading:  # "A. Author-One", "J. R. R. Tolkien" (IEEE): initials first, with dots
        return f"{' '.join(words[leading:])}, {' '.join(words[:leading])}"
    return text


def _given_first(words: list[str]) -> str:
    while len(words) > 2 and words[0].lower() in HONORIFICS:
        words = words[1:]
    if len(words) < 2:
        return " ".join(words)
    start = len(words) - 1
    while start > 1 and words[start - 1].lower() in PARTICLES:
        start -= 1
    return f"{' '.join(words[start:])}, {' '.join(words[:start])}"


# --- cells holding several values -----------------------------------------------------------------

def split_cell(value: str, separator: str) -> list[str]:
    """Split a multi-value cell at ``separator``, never inside brackets (Emtree: ``cyst (diagnosis, surgery)``).

    ``"escaped"``: our own export's list cell (see :func:`join_escaped`); ``"concatenated"``: names written one
    after another (Springer: ``Araz R. AlievNigar T. Ismayilova``).
    """
    if not value:
        return []
    if separator == "escaped":
        return _split_escaped(value)
    if separator == "concatenated":
        return [part for part in re.split(r"(?<=[a-z\u00df-\u00ff])(?=[A-Z])", value) if part.strip()]
    if "(" not in value and "[" not in value:
        return [part.strip() for part in value.split(separator) if part.strip()]
    parts: list[str] = []
    depth = 0
    start = 0
    step = len(separator)
    index = 0
    while index < len(value):
        char = value[index]
        if char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
        elif depth == 0 and value.startswith(separator, index):
            parts.append(value[start:index])
            index += step
            start = index
            continue
        index += 1
    parts.append(value[start:])
    return [part.strip() for part in parts if part.strip()]


def join_escaped(values: Iterable[str]) -> str:
    """Our export's list cell: ``"; "`` between values, ``\\`` and ``;`` inside a value escaped."""
    return "; ".join(v.replace("\\", "\\\\").replace(";", "\\;") for v in values)


def _split_escaped(value: str) -> list[str]:
    parts: list[str] = []
    buffer: list[str] = []
    index = 0
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value):
            buffer.append(value[index + 1])
            index += 2
            continue
        if char == ";":
            parts.append("".join(buffer))
            buffer = []
            index += 2 if value.startswith(" ", index + 1) else 1
            continue
        buffer.append(char)
        index += 1
    parts.append("".join(buffer))
    return parts
