"""Normalising the values the tagged formats share: DOIs, years, pages, ISSNs, author names.

Every export writes these differently (``DO  - http://dx.doi.org/10...``, ``AID - 10.1/x [doi]``,
``SN  - 03064530 (ISSN)``, ``Y1  - 2020//``, ``Liu R.``); the record type wants one shape, so each
format module reads its tags and hands the values to these pure functions. The module name starts with
an underscore so the format registry does not mistake it for a format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_DOI = re.compile(r"10\.\d{4,9}/[^\s\"<>]+", re.IGNORECASE)
_DOI_TRAILING = ".,;)]}'"
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d|21\d\d)(?!\d)")
_COMPACT_DATE = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)[01]\d[0-3]\d(?!\d)")
_ISSN = re.compile(r"(?<![\dXx])(\d{4})-?(\d{3}[\dXx])(?![\dXx])")
_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,4}$")
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")

#: Values some tools write where there is no value (R's NA, Scopus's abstract placeholder...).
PLACEHOLDERS = frozenset({"na", "n/a", "no title", "[no abstract available]", "no abstract available",
                          "no terms assigned", "[no title available]", "null", "none"})


def is_placeholder(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDERS


def clean(value: str) -> str:
    """Collapse whitespace; a placeholder becomes empty."""
    if "  " in value or "\n" in value or "\t" in value or "\r" in value:
        text = " ".join(value.split())
    else:
        text = value.strip()
    if len(text) <= 24 and text.lower() in PLACEHOLDERS:
        return ""
    return text


def strip_markup(value: str) -> str:
    """Drop HTML/JATS tags (Lens and Zotero put ``<p>`` in abstracts); the raw text keeps them."""
    if "<" not in value:
        return value
    return " ".join(_HTML_TAG.sub(" ", value).split())


def find_doi(value: str) -> str:
    """The first DOI in a value, bare (``10.1/abc``): URL prefixes, ``doi:`` and ``[doi]`` removed.

    A DOI inside a link resolver's query string is percent-encoded (``doi:10.4103%2F2303...&atitle=``):
    it is decoded and cut at the next parameter.
    """
    match = _DOI.search(value)
    if match is None and "%2f" in value.lower():
        decoded = re.sub("%2F", "/", value, flags=re.IGNORECASE)
        match = _DOI.search(decoded)
    if not match:
        return ""
    doi = match.group(0).split("&")[0] if "%2f" in value.lower() else match.group(0)
    while doi and doi[-1] in _DOI_TRAILING:
        if doi[-1] == ")" and doi.count("(") >= doi.count(")"):
            break
        doi = doi[:-1]
    return doi


def year_of(value: str) -> int | None:
    """The publication year in a date as exports write it (``2020//``, ``2017 Nov 15``, ``Start date: 20170812``)."""
    match = _YEAR.search(value) or _COMPACT_DATE.search(value)
    return int(match.group(1)) if match else None


#: Start/end page pairs that mean "no pages" (PsycINFO via Ovid writes SP "No", EP "Specified").
NO_PAGES = frozenset({("no", "specified"), ("not", "specified"), ("n/a", ""), ("na", "")})


def pages(start: str, end: str = "") -> str:
    """``start-end`` from a start page and an end page (either may already be a range, or be absent).

    A shortened end page (``349-69``, as MEDLINE and EndNote write it) is written out (``349-369``)
    so the same article's pages compare equal across databases.
    """
    start, end = start.strip(), end.strip()
    if (start.lower(), end.lower()) in NO_PAGES:
        return ""
    if start and end and start != end and "-" not in start:
        first, last = start, end
    elif "-" in start and not end:
        first, _, last = start.partition("-")
        first, last = first.strip(), last.strip()
    else:
        return start or end
    if first.isdigit() and last.isdigit() and len(last) < len(first):
        last = first[: len(first) - len(last)] + last
    return f"{first}-{last}" if last else first


def issns(values: Iterable[str]) -> tuple[str, ...]:
    """Every ISSN in the values as ``NNNN-NNNN`` (upper-case X), each once, in order."""
    found: list[str] = []
    for value in values:
        for first, second in _ISSN.findall(value):
            issn = f"{first}-{second.upper()}"
            if issn not in found:
                found.append(issn)
    return tuple(found)


def author(name: str) -> str:
    """``Surname, Given`` from the forms exports use: ``Shi,Yu``, ``Liu R.``, ``Neilen AD``, ``Tingley, M.W.``.

    A name with no comma whose last word is initials becomes ``Surname, Initials``, and so does one that
    starts with dotted initials (``A. Author-One``, IEEE); anything else
    (a collective name, ``Given Surname`` forms we cannot split with confidence) is kept as printed.
    """
    text = " ".join(name.split()).strip(" ;")
    if not text:
        return ""
    if "," in text:
        surname, _, given = text.partition(",")
        surname, given = surname.strip(), given.strip()
        return f"{surname}, {given}" if given else surname
    words = text.split(" ")
    if len(words) >= 2 and _INITIALS.match(words[-1]):
        return f"{' '.join(words[:-1])}, {words[-1]}"
    leading = 0
    while leading < len(words) - 1 and _INITIALS.match(words[leading]) and words[leading].endswith("."):
        leading += 1
    if leading:  # "A. Author-One", "J. R. R. Tolkien" (IEEE): initials first, with dots
        return f"{' '.join(words[leading:])}, {' '.join(words[:leading])}"
    return text


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Non-empty values, each once, in first-seen order."""
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return tuple(seen)


def first(values: Iterable[str]) -> str:
    """The first value that is not empty or a placeholder."""
    for value in values:
        text = clean(value)
        if text:
            return text
    return ""
