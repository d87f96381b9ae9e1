"""Normalising the values the CSV, BibTeX and EndNote XML readers share: DOIs, years, pages, ISSNs, names.

Pure functions, one definition of "a bare DOI" or "Surname, Given" for every format this family of
readers handles, plus the two reversible encodings of our own CSV export: list cells joined with
``"; "`` (``;`` inside a value escaped) and spreadsheet-formula neutralising. The module name starts
with an underscore so the format registry does not take it for a format. (``_fields.py`` does the same
job for the tagged formats; the two could be merged.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote

from harvester.formats.csv_columns import PLACEHOLDERS

#: First characters a spreadsheet would treat as a formula (plus ``'``, our own escape).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")

_PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "di", "du", "la", "le", "del", "della", "dos",
                        "das", "ten", "ter", "van't", "st", "st."})
_HONORIFICS = frozenset({"prof.", "prof", "dr.", "dr", "professor"})
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_YEAR = re.compile(r"(?<!\d)([12]\d{3})(?!\d)")
_ISSN = re.compile(r"\b(\d{4})-?(\d{3}[\dXx])\b")
_ATTRIBUTES = r"""(?:\s+[\w:.-]+=(?:"[^"]*"|'[^']*'|[^\s<>"']+))*\s*/?>"""
_BLOCK_TAGS = re.compile(r"</?(?:jats:|mml:)?(?:p|br|div|h[1-6]|title|sec|list|list-item|math)" + _ATTRIBUTES)
_INLINE_TAGS = re.compile(r"</?(?:jats:|mml:)?(?:i|b|u|em|strong|sup|sub|span|italic|bold|sc|scp|inline-formula|"
                          r"mi|mo|mn|msub|msup|mrow)" + _ATTRIBUTES)
_DASHES = re.compile(r"\s*(?:--|[-\u2010-\u2015\u2212])\s*")


def clean_text(value: str) -> str:
    """Collapse runs of whitespace; a placeholder cell (``NA``, ``[No abstract available]``) is empty."""
    value = " ".join(value.split())
    return "" if value in PLACEHOLDERS else value


def strip_markup(value: str) -> str:
    """Drop the HTML/JATS/MathML tags vendors leave in titles and abstracts (Lens ``<jats:p>``, Europe PMC
    ``<i>``); only known tag names, so ``p <0.05`` or ``a <b> c`` written as text survive. ``raw`` keeps them."""
    if "<" not in value:
        return value
    return " ".join(_INLINE_TAGS.sub("", _BLOCK_TAGS.sub(" ", value)).split())


def clean_doi(value: str) -> str:
    """A bare ``10.x/...`` DOI from a DOI, ``doi:`` string or doi.org URL (percent-escapes undone)."""
    value = value.strip()
    if "%2f" in value.lower():
        value = unquote(value)
    match = _DOI.search(value)
    if match is None:
        return ""
    return match.group(0).rstrip(".,;")


def clean_pmid(value: str) -> str:
    """The digits of a PMID given bare, as ``PMID: 123`` or as a pubmed.ncbi.nlm.nih.gov URL."""
    match = re.search(r"(\d{1,9})/?\s*$", value.strip())
    return match.group(1) if match else ""


def parse_year(value: str) -> int | None:
    match = _YEAR.search(value)
    return int(match.group(1)) if match else None


def clean_pages(value: str) -> str:
    """``"79 – 88"``, ``"99--123"`` -> ``"79-88"``, ``"99-123"``."""
    return _DASHES.sub("-", value.strip())


def join_pages(start: str, end: str) -> str:
    start, end = start.strip(), end.strip()
    if start and end and start != end:
        return f"{start}-{end}"
    return start or end


def split_issns(value: str) -> list[str]:
    """Every ISSN in a cell, hyphenated (``20552076`` -> ``2055-2076``); other text dropped."""
    return [f"{a}-{b.upper()}" for a, b in _ISSN.findall(value)]


def normalise_author(name: str, form: str) -> str:
    """One author as ``"Surname, Given"``, from the way a vendor column writes names."""
    name = " ".join(name.split())
    name = re.sub(r"\s*\(\d+\)$", "", name)  # Scopus: "Liu, Fengyuan (60410297700)"
    if not name or "," in name or form in ("surname-first", "as-written", "collective"):
        return name
    tokens = name.split(" ")
    if form == "surname-initials":
        if len(tokens) > 1 and re.fullmatch(r"(?:[A-Z][a-z]?\.?-?){1,4}", tokens[-1]):
            return f"{' '.join(tokens[:-1])}, {tokens[-1]}"
        return name
    while len(tokens) > 2 and tokens[0].lower() in _HONORIFICS:
        tokens = tokens[1:]
    if len(tokens) < 2:
        return " ".join(tokens)
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1].lower() in _PARTICLES:
        start -= 1
    return f"{' '.join(tokens[start:])}, {' '.join(tokens[:start])}"


def split_cell(value: str, separator: str) -> list[str]:
    """Split a multi-value cell at ``separator``, never inside parentheses (Emtree: ``cyst (diagnosis, surgery)``)."""
    if not value:
        return []
    if separator == "escaped":
        return _split_escaped(value)
    if separator == "concatenated":  # Springer: "Araz R. AlievNigar T. Ismayilova"
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


def neutralise(cell: str) -> str:
    """Make a cell safe to open in a spreadsheet: a leading ``'`` before a formula-like start."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def restore(cell: str) -> str:
    """Undo :func:`neutralise` (only for our own export, which is the only one that applies it)."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in "=+-@\t\r'\n":
        return cell[1:]
    return cell
