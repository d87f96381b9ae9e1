"""BibTeX exports (Scopus, Web of Science, EBSCOhost, ProQuest, Europe PMC, reference managers) and our writer.

Parsing is ``bibtexparser`` v2's; this module maps its entries to records. Field names are compared
case-insensitively (WoS writes ``Title``, Scopus ``title``). Each record keeps its entry's verbatim text
(``raw``), every field as a tag (plus ``ENTRYTYPE`` and ``ID``, the entry key), and its line. The entry
key is the ``source_id`` unless a database id field is present (WoS ``Unique-ID``, Scopus ``eid`` or the
``eid=`` of its scopus.com link, EBSCO's ``AN=`` accession in its link). An entry bibtexparser cannot
parse becomes a :class:`Rejected` with its line; entries that share a key (common in Scopus exports)
are all kept, as are entries with a field written twice (with a warning).

Values are turned from LaTeX into text by :func:`latex_to_text` (braces, escapes such as ``\\%``,
accents such as ``{\\"o}``); :func:`write_bibtex` escapes exactly what that function reads back, so a
written file reads back to the same normalised records.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import bibtexparser
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    Field,
    ImplicitComment,
    ParsingFailedBlock,
)

from harvester.formats import _fields as f
from harvester.formats.base import Damage, Detection, FileFormat, Parsed, Rejected
from harvester.records import Record

#: Normalised field -> BibTeX field names (lower case), first non-empty wins.
FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "abstract": ("abstract",),
    "year": ("year", "date"),
    "journal": ("journal", "journaltitle", "booktitle"),
    "journal_abbrev": ("abbrev_source_title", "journal-iso", "shortjournal"),
    "volume": ("volume",),
    "issue": ("number", "issue"),
    "pages": ("pages",),
    "doi": ("doi",),
    "pmid": ("pmid",),
    "url": ("url",),
    "publisher": ("publisher",),
}
#: List fields -> BibTeX field names; every named field contributes.
LIST_FIELDS: dict[str, tuple[str, ...]] = {
    "issn": ("issn", "eissn"),
    "language": ("language",),
    "keywords": ("author_keywords", "keywords", "keywords-plus"),
    "mesh": ("mesh",),
    "publication_types": ("document_type", "type"),
}
#: Fields naming the database's own id, in preference order (the entry key is the fallback).
ID_FIELDS: tuple[str, ...] = ("unique-id", "eid", "accession-number", "accession_number")
#: Which database wrote a file, from what its text shows.
DATABASE_HINTS: tuple[tuple[str, str], ...] = (
    (r"(?im)^\s*Scopus\s*$|source\s*=\s*\{Scopus\}|scopus\.com/inward", "Scopus"),
    (r"(?i)@\w+\{\s*WOS:|Unique-ID\s*=\s*\{WOS:", "Web of Science"),
    (r"(?i)ebscohost\.com", "EBSCOhost"),
    (r"(?i)proquest\.com", "ProQuest"),
    (r"(?i)europepmc\.org|@\w+\s*\{\s*(?:PMID|PPR|PMC):", "Europe PMC"),
)

#: ``\cmd`` -> text, for the commands real exports use.
_COMMANDS: dict[str, str] = {
    "textbackslash": "\\", "ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "aa": "å", "AA": "Å",
    "oe": "œ", "OE": "Œ", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "textendash": "–", "textemdash": "—",
    "textquoteright": "’", "textquoteleft": "‘", "textasciitilde": "~", "textasciicircum": "^",
    "textregistered": "®", "texttrademark": "™", "copyright": "©", "textdegree": "°", "S": "§",
}
#: Formatting commands whose argument is kept and the command dropped.
_FORMATTING = frozenset({"textit", "emph", "textbf", "textsc", "textrm", "mathrm", "textsuperscript",
                         "textsubscript", "texttt", "textsf", "mbox", "url", "em", "it", "bf", "rm"})
_ACCENTS: dict[str, str] = {
    '"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304", ".": "\u0307",
    "c": "\u0327", "v": "\u030c", "u": "\u0306", "H": "\u030b", "k": "\u0328", "r": "\u030a", "d": "\u0323",
}
_ESCAPED = "{}&%$#_"


def latex_to_text(value: str) -> str:
    """LaTeX as BibTeX exports write it -> plain text; unknown commands are kept as written."""
    out: list[str] = []
    index = 0
    length = len(value)
    while index < length:
        char = value[index]
        if char in "{}":
            index += 1
            continue
        if char != "\\" or index + 1 >= length:
            out.append(char)
            index += 1
            continue
        following = value[index + 1]
        if following in _ESCAPED:
            out.append(following)
            index += 2
            continue
        word_match = re.match(r"[A-Za-z]+", value[index + 1:])
        if following in _ACCENTS and not (following.isalpha() and word_match and len(word_match.group()) > 1):
            index, letter = _accent_argument(value, index + 2)
            out.append(unicodedata.normalize("NFC", letter + _ACCENTS[following]) if letter else "")
            continue
        if word_match:
            word = word_match.group()
            index += 1 + len(word)
            if value.startswith("{}", index):
                index += 2
            elif word in _COMMANDS and value.startswith(" ", index):
                index += 1
            if word in _COMMANDS:
                out.append(_COMMANDS[word])
            elif word not in _FORMATTING:
                out.append("\\" + word)
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _accent_argument(value: str, index: int) -> tuple[int, str]:
    """The letter an accent applies to: ``\\"o``, ``\\"{o}`` or ``\\c c``; returns (next index, letter)."""
    while index < len(value) and value[index] == " ":
        index += 1
    if value.startswith("{", index):
        end = value.find("}", index)
        if end == -1:
            return len(value), value[index + 1:]
        inner = value[index + 1:end]
        inner = {"\\i": "i", "\\j": "j"}.get(inner, inner)
        return end + 1, inner
    if value.startswith("\\i", index) or value.startswith("\\j", index):
        return index + 2, value[index + 1]
    return (index + 1, value[index]) if index < len(value) else (index, "")


def text_to_latex(value: str) -> str:
    """The exact inverse of :func:`latex_to_text` for our writer: escape ``\\ { } & % $ # _``."""
    out: list[str] = []
    for char in value:
        if char == "\\":
            out.append("\\textbackslash{}")
        elif char in _ESCAPED:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def split_authors(value: str) -> list[str]:
    """``"Haseli, Gholamreza and {World Health Organization}"`` -> names, never splitting inside braces."""
    parts: list[str] = []
    depth = 0
    start = 0
    index = 0
    while index < len(value):
        char = value[index]
        if char == "\\":
            index += 2  # an escaped character (\{, \}) is text, not grouping
            continue
        if char == "{":
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        elif depth == 0 and value[index:index + 5].lower() in (" and ", "\nand "):
            parts.append(value[start:index])
            index += 5
            start = index
            continue
        index += 1
    parts.append(value[start:])
    return [part.strip() for part in parts if part.strip()]


# ---------------------------------------------------------------------------------------------------------
# reading


def sniff(text: str) -> Detection | None:
    head = text[:20000]
    match = re.search(r"(?m)^\s*@\s*([A-Za-z]+)\s*[{(]", head)
    if match is None or match.group(1).lower() in ("xml",):
        return None
    entries = len(re.findall(r"(?m)^\s*@\s*[A-Za-z]+\s*[{(]", head))
    database = _database(head)
    confidence = 0.9 if match.group(1).lower() not in ("comment", "string", "preamble") or entries > 1 else 0.6
    evidence = f"BibTeX entry @{match.group(1)} on line {head[:match.start(1)].count(chr(10)) + 1}"
    opens = not head[:match.start()].strip()
    return Detection("bibtex", confidence, database, evidence + (f"; written by {database}" if database else ""),
                     opens=opens)


def _database(text: str) -> str | None:
    for pattern, name in DATABASE_HINTS:
        if re.search(pattern, text):
            return name
    return None


def read(text: str, path: str, database: str | None) -> Parsed:
    """Every entry of a BibTeX file, in order; @string/@preamble/@comment blocks are not records.

    An entry bibtexparser gives up on (real EBSCO exports hold scraped web-page junk with stray braces
    and ``@`` in ``Keywords``) is read again line by line, up to the next line that starts an entry;
    when that finds a title or DOI the record comes in with a warning, else it is rejected.
    """
    database = database or _database(text[:20000]) or "BibTeX"
    library = _parse(text)
    macros = {block.key.lower(): str(block.value) for block in library.strings}
    lines = text.split("\n")
    records: list[Record] = []
    rejected: list[Rejected] = []
    warnings: list[str] = []
    position = 0
    skip_until = -1
    for block in library.blocks:
        start_line = block.start_line or 0
        if start_line < skip_until:
            continue
        entry: Entry | None = None
        if isinstance(block, Entry):
            entry = block
        elif isinstance(block, (DuplicateBlockKeyBlock, DuplicateFieldKeyBlock)):
            entry = block.ignore_error_block if isinstance(block.ignore_error_block, Entry) else None
            if isinstance(block, DuplicateFieldKeyBlock):
                warnings.append(f"{path}:{start_line + 1}: a field is written twice; the first value is used")
        elif isinstance(block, ParsingFailedBlock):
            start = start_line
            if start >= len(lines) or not _ENTRY_START.match(lines[start]) or _is_non_entry(lines[start]):
                continue
            end = next((i for i in range(start + 1, len(lines)) if _ENTRY_START.match(lines[i])), len(lines))
            skip_until = end
            raw = "\n".join(lines[start:end]).rstrip()
            position += 1
            lenient = lenient_entry(raw, start)
            if lenient is not None:
                warnings.append(f"{path}:{start + 1} (record {position}): malformed BibTeX entry read line by line "
                                f"({_reason(block)}); check its fields")
                records.append(entry_record(lenient, database, position, macros))
            else:
                rejected.append(Rejected(position, start + 1, f"unreadable BibTeX entry: {_reason(block)}", raw))
            continue
        elif isinstance(block, ImplicitComment) and _FIELD_IN_COMMENT.search(block.comment):
            warnings.append(f"{path}:{start_line + 1}: text between entries holds fields ('name = {{...}}'): an entry "
                            "that lost its '@type{key,' line? It is not read")
        if entry is None:
            continue
        position += 1
        records.append(entry_record(entry, database, position, macros))
    _check_end(text, position, path, warnings)
    return Parsed(path=path, format="bibtex", database=database, records=tuple(records), rejected=tuple(rejected),
                  warnings=tuple(warnings))


#: The file's last non-blank text is an ``@`` and a word with no ``{`` or ``(`` after it: an entry cut off as it
#: began (BibTeX starts an entry at every ``@``, so a whole file never ends with one).
_CUT_ENTRY = re.compile(r"(?:\A|\n)([ \t]*@[ \t]*[A-Za-z]*)[ \t]*\Z")


def _check_end(text: str, position: int, path: str, warnings: list[str]) -> None:
    """A file that ends in the first word of an entry lost that entry and any after it: said as damage."""
    tail = text.rstrip()
    match = _CUT_ENTRY.search(tail, max(0, len(tail) - 200))
    if match is not None:
        line = tail.count("\n", 0, match.start(1)) + 1
        warnings.append(Damage(f"{path}:{line}: the file ends with {match.group(1).strip()!r} after entry {position}: "
                               "an entry cut off as it began (a truncated export?); not read"))


_ENTRY_START = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]")
_FIELD_LINE = re.compile(r"^\s*([A-Za-z][\w\-:.]*)\s*=\s*(.*)$")
#: A field written outside any entry (BibTeX reads text between entries as a comment).
_FIELD_IN_COMMENT = re.compile(r"(?m)^\s*[A-Za-z][\w\-]*\s*=\s*[{\"\d]")


def _parse(text: str) -> Any:
    """bibtexparser's parse, without its log lines on stderr (its failures become our rejections)."""
    logger = logging.getLogger("bibtexparser")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        return bibtexparser.parse_string(text)
    finally:
        logger.setLevel(level)


def _reason(block: ParsingFailedBlock) -> str:
    error = block.error
    reason = getattr(error, "abort_reason", None) or str(error) or type(error).__name__
    return " ".join(str(reason).split())


def lenient_entry(raw: str, start_line: int) -> Entry | None:
    """An entry read line by line (``name = {value},`` per line, continuation lines appended)."""
    head = re.match(r"\s*@\s*([A-Za-z]+)\s*[{(]\s*([^,\n]*),", raw)
    if head is None:
        return None
    body = raw[head.end():].rstrip()
    if body.endswith(("}", ")")):
        body = body[:-1]
    fields: list[list[str]] = []
    for line in body.split("\n"):
        match = _FIELD_LINE.match(line)
        if match:
            fields.append([match.group(1), match.group(2)])
        elif fields:
            fields[-1][1] += "\n" + line
    entry_fields = []
    for name, value in fields:
        value = value.strip().removesuffix(",").strip()
        if len(value) >= 2 and value[0] + value[-1] in ("{}", '""'):
            value = value[1:-1]
        elif not re.fullmatch(r"[\w.\-]+", value):
            return None  # neither {braced}, "quoted" nor a bare number or macro: too broken to trust
        entry_fields.append(Field(name, value))
    entry = Entry(head.group(1).lower(), head.group(2).strip(), entry_fields, start_line=start_line, raw=raw)
    names = {entry_field.key.lower() for entry_field in entry_fields}
    return entry if names & {"title", "doi"} else None


def _is_non_entry(raw: str) -> bool:
    return bool(re.match(r"\s*@\s*(comment|string|preamble)\b", raw, re.IGNORECASE))


def entry_record(entry: Entry, database: str, position: int, macros: dict[str, str] | None = None) -> Record:
    """One BibTeX entry as a record; ``macros`` are the file's ``@string`` definitions."""
    values: dict[str, str] = {}
    tags: list[tuple[str, str]] = [("ENTRYTYPE", entry.entry_type), ("ID", entry.key)]
    for field in entry.fields:
        value = field.value if isinstance(field.value, str) else str(field.value)
        tags.append((field.key, value))
        values.setdefault(field.key.lower(), concatenate(value, macros or {}))

    def text(name: str) -> str:
        return f.clean(latex_to_text(values.get(name, "")))

    found: dict[str, Any] = {}
    for name, candidates in FIELDS.items():
        found[name] = next((text(c) for c in candidates if text(c)), "")
    lists: dict[str, list[str]] = {}
    for name, candidates in LIST_FIELDS.items():
        items: list[str] = []
        for candidate in candidates:
            raw_value = values.get(candidate, "")
            if not raw_value:
                continue
            separator = ";" if ";" in raw_value or name in ("language", "publication_types") else ","
            if name == "issn":
                parts = list(f.issns([raw_value]))
            else:
                parts = [f.clean(latex_to_text(p)) for p in _split_list(raw_value, separator)]
            items.extend(p for p in parts if p and p not in items)
        lists[name] = items
    authors = [f.clean(latex_to_text(_unwrap(name))) for name in split_authors(values.get("author", ""))]
    authors = [f.author(name, "given-first") if not _braced(raw) else name
               for name, raw in zip(authors, split_authors(values.get("author", "")), strict=True)]
    if not authors and values.get("book-group-author"):
        authors = [text("book-group-author")]
    return Record(
        title=f.strip_markup(found["title"]),
        abstract=_paragraphs(values.get("abstract", "")) if "abstract" in values else f.strip_markup(found["abstract"]),
        authors=tuple(a for a in authors if a),
        year=f.year_of(found["year"]),
        journal=found["journal"],
        journal_abbrev=found["journal_abbrev"],
        issn=tuple(lists["issn"]),
        volume=found["volume"],
        issue=found["issue"],
        pages=f.pages(found["pages"]),
        doi=f.find_doi(found["doi"]),
        pmid=f.pmid_of(found["pmid"]) if found["pmid"] else _pmid_from_key(entry.key),
        language=tuple(lists["language"]),
        publication_types=tuple(lists["publication_types"]),
        keywords=tuple(lists["keywords"]),
        mesh=tuple(lists["mesh"]),
        url=found["url"],
        publisher=found["publisher"],
        database=text("database") or database,
        source_id=_source_id(entry, values),
        raw=entry.raw or "",
        tags=tuple(tags),
        position=position,
        line=(entry.start_line or 0) + 1,
    )


def concatenate(value: str, macros: dict[str, str]) -> str:
    """Resolve BibTeX's ``"text " # macro # {more}`` (bibtexparser leaves such values as written)."""
    parts: list[str] = []
    depth = 0
    quoted = False
    start = 0
    for index, char in enumerate(value):
        if char == "\\":
            continue
        if char == "{" and (index == 0 or value[index - 1] != "\\"):
            depth += 1
        elif char == "}" and depth and value[index - 1] != "\\":
            depth -= 1
        elif char == '"' and depth == 0:
            quoted = not quoted
        elif char == "#" and depth == 0 and not quoted and index and value[index - 1] != "\\":
            parts.append(value[start:index])
            start = index + 1
    if not parts:
        return value
    parts.append(value[start:])
    resolved: list[str] = []
    for part in (p.strip() for p in parts):
        if len(part) >= 2 and part[0] + part[-1] in ('""', "{}"):
            resolved.append(part[1:-1])
        elif part.lower() in macros:
            resolved.append(macros[part.lower()])
        elif part.isdigit():
            resolved.append(part)
        else:
            return value  # not a concatenation after all (a braced "C# programming" whose braces are gone)
    return "".join(resolved)


def _split_list(value: str, separator: str) -> list[str]:
    """``;`` splits everywhere; ``,`` (EBSCO, ProQuest keywords) never inside parentheses."""
    if separator == ";":
        return [part.strip() for part in value.split(";") if part.strip()]
    return f.split_cell(value, ",")


def _unwrap(name: str) -> str:
    return name[1:-1] if _braced(name) else name


def _braced(name: str) -> bool:
    """A name wholly in braces is a corporate name, written as is (``{World Health Organization}``)."""
    if not (name.startswith("{") and name.endswith("}")):
        return False
    depth = 0
    index = 0
    while index < len(name):
        char = name[index]
        if char == "\\":
            index += 2
            continue
        depth += char == "{"
        depth -= char == "}"
        if depth == 0 and index < len(name) - 1:
            return False
        index += 1
    return True


def _pmid_from_key(key: str) -> str:
    match = re.fullmatch(r"PMID:(\d+)", key.strip())
    return match.group(1) if match else ""


def _paragraphs(value: str) -> str:
    """An abstract with its paragraphs: a blank line in a BibTeX value is a paragraph break (LaTeX's rule),
    kept as one line break; other line breaks are spaces, as in every text field."""
    parts = (f.strip_markup(f.clean(latex_to_text(part))) for part in re.split(r"\n[ \t]*\n\s*", value))
    text = "\n".join(part for part in parts if part)
    return "" if f.is_placeholder(text) else text


def _source_id(entry: Entry, values: dict[str, str]) -> str:
    for name in ID_FIELDS:
        if values.get(name, "").strip():
            return f.clean(latex_to_text(values[name]))
    if "eid" in values:
        return ""  # our export writes an empty eid for a record with no database id: the key is not one
    url = values.get("url", "")
    if url:
        query = parse_qs(urlsplit(url.strip()).query)
        for name in ("eid", "AN"):
            if query.get(name):
                return query[name][0]
    return entry.key.strip()


# ---------------------------------------------------------------------------------------------------------
# writing

#: Record field -> BibTeX field, in the order written.
WRITE_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "title"), ("journal", "journal"), ("journal_abbrev", "shortjournal"), ("year", "year"),
    ("volume", "volume"), ("issue", "number"), ("pages", "pages"), ("doi", "doi"), ("pmid", "pmid"),
    ("issn", "issn"), ("language", "language"), ("publication_types", "type"), ("keywords", "keywords"),
    ("mesh", "mesh"), ("url", "url"), ("publisher", "publisher"), ("abstract", "abstract"),
)


def write_bibtex(records: Iterable[Record], keys: Iterable[str] | None = None) -> Iterable[str]:
    """BibTeX text, one entry per record (yielded one at a time, so a large export streams).

    ``keys`` (optional) gives each entry's key; by default the record's ``source_id``, made unique and
    safe. The database's id goes to ``eid`` so reading the file back gives the same ``source_id``.
    """
    used: set[str] = set()
    key_iter = iter(keys) if keys is not None else None
    for number, record in enumerate(records, start=1):
        wanted = next(key_iter) if key_iter is not None else (record.source_id or f"record{number}")
        key = _unique_key(wanted, used, number)
        yield _entry_text(record, key)


def entry(record: Record, key: str) -> str:
    """One BibTeX entry under ``key`` as given (the export's ledger id)."""
    return next(iter(write_bibtex([record], keys=[key])))


def _unique_key(wanted: str, used: set[str], number: int) -> str:
    key = re.sub(r"[^A-Za-z0-9_:.\-/]", "", wanted) or f"record{number}"
    base = key
    suffix = 1
    while key in used:
        suffix += 1
        key = f"{base}-{suffix}"
    used.add(key)
    return key


def _entry_text(record: Record, key: str) -> str:
    lines = [f"@article{{{key},"]
    if record.authors:
        names = [text_to_latex(a) if "," in a and " and " not in a.lower() else "{" + text_to_latex(a) + "}"
                 for a in record.authors]
        lines.append(f"  author = {{{' and '.join(names)}}},")
    for name, bib in WRITE_FIELDS:
        value = getattr(record, name)
        if value is None or value == "" or value == ():
            continue
        if isinstance(value, tuple):
            text = "; ".join(text_to_latex(v) for v in value)
            if len(value) == 1 and "," in value[0]:
                text += ";"  # one value holding a comma: the ";" tells a reader not to split at the comma
        else:
            text = text_to_latex(str(value))
            if name == "abstract" and "\n" in text:
                text = re.sub(r"\s*\n\s*", "\n\n", text.strip())  # a paragraph break is a blank line in BibTeX
        lines.append(f"  {bib} = {{{text}}},")
    lines.append(f"  eid = {{{text_to_latex(record.source_id)}}},")  # empty: no database id (the key is none)
    if record.database:
        lines.append(f"  database = {{{text_to_latex(record.database)}}},")
    lines.append("}")
    return "\n".join(lines) + "\n\n"


FORMAT = FileFormat(
    name="bibtex",
    description="BibTeX (Scopus, Web of Science, EBSCOhost, ProQuest, Europe PMC, Zotero, JabRef...)",
    sniff=sniff,
    read=read,
    aliases=("bib", "biblatex"),
    extensions=(".bib", ".bibtex"),
)
