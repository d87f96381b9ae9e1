"""RIS (``TY  - JOUR`` ... ``ER  -``): reader and writer, with the vendors' dialects as data.

Every database writes RIS a little differently (see ``/work/shared/notes/formats.md``): the title is
``TI`` or ``T1``, the abstract ``AB`` or ``N2``, the year ``PY``, ``Y1`` or ``DA``, the journal ``T2``,
``JF`` or ``JO``; EBSCO repeats ``AB`` with a copyright notice; Rayyan puts keywords on untagged lines;
Ovid numbers each record. The tables below say which tag feeds which field, in priority order, and
what each vendor changes. Reading never drops a line: every tag (unknown ones too) is kept in
``Record.tags`` in file order and the record's lines verbatim in ``Record.raw``.

A record that cannot be read (tags with no ``TY`` line; a file that ends inside a record) becomes a
:class:`Rejected` with its line and record number, and reading goes on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from functools import cache, lru_cache

from harvester.formats import _fields as f
from harvester.formats.base import Damage, Detection, FileFormat, Parsed, Rejected
from harvester.records import Record, record_from_fields

#: Normalised field -> RIS tags that may hold it, most trusted first.
FIELD_TAGS: dict[str, tuple[str, ...]] = {
    "title": ("TI", "T1", "CT", "ST"),
    "abstract": ("AB", "N2"),
    "authors": ("AU", "A1"),
    "year": ("PY", "Y1", "DA"),  # never Y2 (Dimensions: the access date)
    "journal": ("T2", "JF", "JO", "BT", "T3"),
    "journal_abbrev": ("J2", "JA", "JI", "J9"),
    "issn": ("SN",),
    "volume": ("VL", "VO"),
    "issue": ("IS", "CP"),
    "start_page": ("SP",),
    "end_page": ("EP",),
    "doi": ("DO", "DI", "L3", "L2", "UR", "LK", "M3", "N1"),
    "pmid": ("PMID", "PM"),
    "language": ("LA",),
    "publication_types": ("M3",),
    "keywords": ("KW",),
    "url": ("UR", "L2"),
    "publisher": ("PB", "PU"),
    "source_id": ("AN", "ID"),
}

#: Tags whose untagged continuation lines are further values (Rayyan/AGRIS keywords), not wrapped text.
LIST_TAGS = frozenset({"KW", "AU", "A1", "A2", "A3", "A4", "SN"})

#: What each database changes in the table above (keys as in FIELD_TAGS).
DIALECTS: dict[str, dict[str, tuple[str, ...]]] = {
    "Embase": {"source_id": ("U2", "AN", "ID"), "journal": ("JF", "T2", "JO")},
    "Ovid": {"source_id": ("AN", "ID", "UI"), "journal": ("JF", "T2", "JO"), "journal_abbrev": ("JA", "J2")},
    "EBSCOhost": {"journal": ("JF", "JO", "T2")},
    "CINAHL": {"journal": ("JF", "JO", "T2")},
    "ProQuest": {"journal": ("JF", "T2", "JO")},
    "PsycINFO": {"journal": ("JF", "JO", "T2")},
    "Cochrane": {"source_id": ("AN", "ID", "U2")},
    "Dimensions": {"journal": ("JO", "T2", "BT")},
    "IEEE Xplore": {"journal": ("T2", "JO"), "volume": ("VL", "VO")},
    "Web of Science": {"journal": ("T2", "SO"), "source_id": ("AN", "UT")},
}

#: How the content says which database wrote it: (tag, pattern on the value, database), first match wins.
DATABASE_PATTERNS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (tag, re.compile(pattern, re.IGNORECASE), name)
    for tag, pattern, name in (
        ("DB", r"^scopus", "Scopus"),
        ("DB", r"^embase", "Embase"),
        ("DB", r"^(cinahl|ccm|c8h|rzh|cin20)", "CINAHL"),
        ("DB", r"^(psyh|psycinfo|apa psycinfo)", "PsycINFO"),
        ("DB", r"^pubmed", "PubMed"),  # as the PubMed XML and live PubMed readers name it
        ("DB", r"^(medline|mdc|cmedm)", "MEDLINE"),
        ("DB", r"^(cochrane|central)", "Cochrane"),
        ("DB", r"proquest|ptsdpubs|abi/inform", "ProQuest"),
        ("DB", r"^jstor", "JSTOR"),
        ("DB", r"^web of science|^wos", "Web of Science"),
        ("DB", r"^(lens|lens\.org)$", "Lens"),  # short names, spelled out (shorter ones are vendor codes below)
        ("DB", r"^ovid", "Ovid"),
        ("DB", r"^eric$", "ERIC"),  # also EBSCOhost's code for ERIC
        ("DB", r"^trid$", "TRID"),
        ("DB", r"^[A-Za-z].{5,}", ""),  # any other DB name (not a short code like "i3h") names itself
        ("AN", r"^WOS:", "Web of Science"),
        ("AN", r"^rayyan-", "Rayyan"),
        ("AN", r"^pub\.\d", "Dimensions"),
        ("AN", r"^CN-\d", "Cochrane"),
        ("ID", r"^CN-\d", "Cochrane"),
        ("UR", r"scopus\.com", "Scopus"),
        ("UR", r"embase\.com", "Embase"),
        ("L2", r"ovidsp\.|ovid\.com", "Ovid"),
        ("UR", r"ebscohost\.com", "EBSCOhost"),
        ("UR", r"ovid(sp)?\.(ovid\.)?com|ovidweb", "Ovid"),
        ("UR", r"proquest\.com", "ProQuest"),
        ("UR", r"webofscience|isiknowledge", "Web of Science"),
        ("UR", r"dimensions\.ai", "Dimensions"),
        ("UR", r"lens\.org", "Lens"),
        ("UR", r"ieeexplore", "IEEE Xplore"),
        ("UR", r"cochranelibrary\.com", "Cochrane"),
        ("UR", r"jstor\.org", "JSTOR"),
        ("UR", r"trid\.trb\.org", "TRID"),
        ("DP", r"ebsco", "EBSCOhost"),
        ("DP", r"ovid", "Ovid"),
        ("DP", r"proquest", "ProQuest"),
        ("DP", r"^(nlm|pubmed)", "MEDLINE"),
        ("DP", r"jstor", "JSTOR"),
        ("DP", r"cochrane", "Cochrane"),
        ("WE", r".", "Web of Science"),
        ("U2", r"^L\d{6,}", "Embase"),
    )
)

#: RIS reference types written for a publication type (the writer's only guess); default JOUR.
WRITE_TYPES: dict[str, str] = {"book": "BOOK", "book chapter": "CHAP", "conference paper": "CONF",
                               "thesis": "THES", "report": "RPRT", "preprint": "JOUR"}

_COPYRIGHT = re.compile(r"^copyright of .{0,300}(may not be copied|property of)", re.IGNORECASE)
_EID = re.compile(r"eid=(2-s2\.0-\d+)")
_LENS_ID = re.compile(r"lens\.org/(\d{3}-\d{3}-\d{3}-\d{3}-[\dX]{3})")
_EBSCO_AN = re.compile(r"[?&]AN=([^&\s]+)", re.IGNORECASE)
_ACCESSION = re.compile(r"Accession Number:\s*([^;\s]+)", re.IGNORECASE)
_PMID_IN_TEXT = re.compile(r"\bPMID:?\s*(\d{1,9})\b")
_PMID_IN_URL = re.compile(r"(?:ncbi\.nlm\.nih\.gov/pubmed/|pubmed\.ncbi\.nlm\.nih\.gov/)(\d{1,9})")
#: A name ``_fields.author`` gives back as it is (see :func:`_authors`).
_SURNAME_COMMA_GIVEN = re.compile(r"[^\s,;()]+(?: [^\s,;()]+)*, [^\s,;()]+(?: [^\s,;()]+)*").fullmatch
_LONG_TAG = re.compile(r"^([A-Z][A-Z0-9]{1,3}) {1,2}-(?: (.*))?$")


def _split_tag(line: str) -> tuple[str, str] | None:
    """``("TI", "A title")`` for a tag line, None for any other line. Fast path for the usual 2-letter tag."""
    if len(line) >= 5 and line[2:5] == "  -" and line[0].isupper() and (line[1].isupper() or line[1].isdigit()):
        if len(line) == 5:
            return line[:2], ""
        if line[5] == " ":
            return line[:2], line[6:].strip()
        return None
    if line[:1].isupper() and "-" in line[:8]:
        match = _LONG_TAG.match(line.rstrip())
        if match:
            return match.group(1), (match.group(2) or "").strip()
    return None


#: A line that is no tag line but looks like a damaged one: a tag of one or two characters with "  -" and then
#: no space (``ER  -Y``), or an indented or cut tag (``   Y  - JOUR``). Read as text, with a warning.
_DAMAGED_TAG = re.compile(r"^[A-Z0-9]{1,2}  -(?:\S| [A-Z]{2,}$)")
#: A tag line's separator inside a line, after other text (``* second lN2  - first``, ``* second lin  - first``):
#: two lines run together, a line end lost. Read as text, with a warning. One corpus record has it, for the same
#: reason (Scopus glued a ``UR`` line to its last reference: ``American Psychiatric PubUR  - https://...``).
_GLUED_TAG = re.compile(r"(?<=\S)  -(?: |$)")


@dataclass(slots=True)
class _Pending:
    """A record being read: its first line, its tags so far, and whether it opened with TY."""

    line: int
    tags: list[tuple[str, str]]
    lines: list[str]
    typed: bool


def iter_records(lines: Iterable[str], path: str, database: str | None,
                 warnings: list[str] | None = None) -> Iterator[Record | Rejected]:
    """Records (and rejected records) from RIS lines, one at a time: memory does not grow with the file.

    ``lines`` are the file's lines without line endings. ``database`` is the user's or the detected
    database; when None each record's own ``DB``/``DP``/``UR`` tags name it. Tags after an ``ER`` that
    no ``ER`` of their own closes (Ovid writes ``NL`` there) belong to the record before; tags closed
    by an ``ER`` without any ``TY`` are a record with no type, rejected. (:func:`iter_text` gives the
    same records from text, faster.)
    """
    warnings = warnings if warnings is not None else []
    state = _State()
    ending = _Ending()

    def watched() -> Iterator[str]:
        for line in lines:
            ending.see(line)
            yield line

    yield from _iter_lines(watched(), path, database, warnings, state)
    _check_end(ending.head, ending.window(), ending.window_line, state.position, path, warnings)


class _Ending:
    """What the end-of-file checks of the line reader need, held as the lines go by: the lines before the
    first TY (the file's preamble) and the last two segments (each from a TY line to the next), capped."""

    CAP = 2000  # lines kept per segment: a gap between records is a few lines

    def __init__(self) -> None:
        self.head = ""
        self.in_head = True
        self.number = 0
        self.previous: list[str] = []
        self.current: list[str] = []
        self.current_line = 1  # the line number of current[0]
        self.previous_line = 1

    def see(self, line: str) -> None:
        self.number += 1
        if line.startswith("TY  -"):
            self.in_head = False
            self.previous, self.previous_line = self.current, self.current_line
            self.current, self.current_line = [], self.number
        elif self.in_head and len(self.head) < _HEAD_CHARS:
            self.head += line + "\n"
        if len(self.current) >= self.CAP:  # keep the segment's last lines (the gap after its ER)
            del self.current[: self.CAP // 2]
            self.current_line += self.CAP // 2
        self.current.append(line)

    @property
    def window_line(self) -> int:
        return self.previous_line if self.previous else self.current_line

    def window(self) -> str:
        return "\n".join(self.previous + self.current)


#: How much of a file's start is kept to compare with what follows its last record (a preamble).
_HEAD_CHARS = 4096
#: How much of the text before the last TY line the end-of-file checks look at.
_WINDOW_CHARS = 64 * 1024


def _check_end(head: str, window: str, first_line: int, position: int, path: str, warnings: list[str]) -> None:
    """Evidence at the end of the file that it was cut short after record ``position``, said as a warning.

    ``head`` is the start of the file; ``window`` (its first line numbered ``first_line``) is the end of the
    file from the TY line before the last one (or less). Three kinds of evidence, each of which a complete
    export never shows:

    - the last line, after a record's ER, is a fragment: no tag, no link, no record number (``TY`` with no
      ``  -``, a record cut off as it began);
    - what follows the last record's ER is what the file writes before a record (its first line before any
      TY: JSTOR's ``Provider:`` lines, EBSCO's ``Record #2 of 5``; compared with digits as digits): the next
      record was cut off in its preamble;
    - what follows the last record's ER is a cut copy of what follows the record before it (the same line
      cut short: a prefix of it, or only the first of its labelled parts, ``Label: `` and link parameters
      ``name=``), or nothing where the record before is followed by a line that is no preamble: Ovid writes
      a link line after every record (after its ``NL``), and a file cut inside one, or before it, lost the
      records after it. A cut inside the last labelled part's value cannot be told from a whole line, nor a
      cut after the first record (nothing to compare with).
    """
    last_ty = window.rfind("\nTY  -") + 1
    after, after_line = _gap(window[last_ty:], first_line + window.count("\n", 0, last_ty))
    shown = f"{path}:{after_line}: the file ends with {after[0][:40]!r} after record {position}'s ER" if after else ""
    preamble = next((line.strip() for line in head.split("\n") if line.strip()), "")
    preamble = "" if _split_tag(preamble) is not None else preamble  # the file's text before its first TY line
    if after and preamble and _same_start(after[0], preamble):
        warnings.append(Damage(f"{shown}, the way it begins before its first record: the next record was cut "
                               "off in its preamble (a truncated export?)"))
        return
    if len(after) > 1 and (preamble and _same_start(after[-1], preamble) or _RECORD_START.startswith(after[-1])):
        # after the line that follows every record (Ovid's link), the next record's number ('3.') or a cut TY line
        warnings.append(Damage(f"{shown}, then {after[-1][:40]!r}: the start of the next record (its preamble or "
                               "its TY line), cut off as it began (a truncated export?)"))
        return
    if after and _cut_ovid_link(after[0], window[last_ty:]):
        warnings.append(Damage(f"{shown}: Ovid's link line without the record's accession number (AN=), which "
                               "every Ovid link names: the file was cut short in it (a truncated export?)"))
        return
    tail = _last_lines(window, first_line)
    if len(tail) == 2:
        (_, before_last), (number, last) = tail
        pair = _split_tag(before_last)
        if pair is not None and pair[0] in ("ER", "NL") and _split_tag(last) is None:
            text = last.strip()
            if "://" not in text and not text.rstrip(".").isdigit():  # Ovid's links and record numbers after ER
                warnings.append(Damage(f"{path}:{number}: the file ends with {text[:30]!r} after record {position}'s "
                                       "ER: not a RIS tag (a record cut off as it began?); ignored"))
                return
    before = _gap(window[window.rfind("\nTY  -", 0, last_ty - 1) + 1:last_ty], 0)[0] if last_ty else []
    if after and before and _cut_copy(after[0], before[0]):
        warnings.append(Damage(f"{shown}: a cut copy of the line after the record before it "
                               f"({before[0][:40]!r}...): the file was cut short there (a truncated export?)"))
    elif (not after and after_line == 0 and before and not before[0].rstrip(".").isdigit()
          and not (preamble and _same_start(before[0], preamble))):  # a record number opens the next record
        last_line = first_line + window.rstrip().count("\n")
        warnings.append(Damage(f"{path}:{last_line}: the file ends after record {position} without the line that "
                               f"follows the record before it ({before[0][:40]!r}...): cut short after its last tag? "
                               "(a truncated export?)"))


#: How every RIS record starts: a file whose last line is a proper start of it was cut inside that line.
_RECORD_START = "TY  - "
#: The label Ovid writes before its full-text link after each record (``ovidweb.cgi?...&D=<db>&AN=<accession>``).
_OVID_LINK = "Link to the Ovid Full Text or citation:"
_ACCESSION = re.compile(r"^(?:ID|AN)  - (.+?)\s*$", re.MULTILINE)


def _cut_ovid_link(line: str, record: str) -> bool:
    """Whether the line after the last record is Ovid's link line cut before it names the record's accession
    number: Ovid builds every full-text link from the database and the accession number (``AN=`` the record's
    ``ID``), so a link line with no ``AN=``, or ending in a proper prefix of the record's accession number, was
    cut (this holds for the first record too, which has no link before it to compare with)."""
    if not line.startswith(_OVID_LINK):
        return False
    at = line.rfind("AN=")
    if at < 0:
        return True
    accession = _ACCESSION.search(record)
    value = line[at + 3:]
    return accession is not None and len(value) < len(accession[1]) and accession[1].startswith(value)


def _gap(segment: str, first_line: int) -> tuple[list[str], int]:
    """The non-blank lines after a segment's last tag line (the text between a record and the next), and the
    line number of the first (0 when there is none); line -1 when the segment has no ER (a record the file
    ends inside: other checks say so)."""
    lines = segment.split("\n")
    tagged = [(i, pair[0]) for i, pair in ((i, _split_tag(line)) for i, line in enumerate(lines)) if pair]
    if not tagged or all(tag != "ER" for _, tag in tagged):
        return [], -1
    last_tag = tagged[-1][0]
    found = [(i, line.strip()) for i, line in enumerate(lines) if i > last_tag and line.strip()]
    return [line for _, line in found], (first_line + found[0][0] if found else 0)


_DIGITS = re.compile(r"\d+")


def _same_start(line: str, preamble: str) -> bool:
    """Whether a line is the file's preamble line again (digits aside) or a cut start of it."""
    line, preamble = _DIGITS.sub("0", line), _DIGITS.sub("0", preamble)
    if line == preamble or preamble.startswith(line):
        return True
    return ": " in line and line.split(": ")[0] == preamble.split(": ")[0]


#: The labelled parts of a line written after each record: ``Label: `` and a link's parameters ``name=``.
_LABELS = re.compile(r"[A-Z][A-Za-z ]*: |(?<=[?&])[A-Za-z_.]+=")


def _cut_copy(line: str, model: str) -> bool:
    """Whether ``line`` is ``model``'s kind of line cut short: a proper prefix of it, or its labelled parts a
    proper first part of the model's."""
    if len(line) < len(model) and model.startswith(line):
        return True
    labels, model_labels = _LABELS.findall(line), _LABELS.findall(model)
    return 0 < len(labels) < len(model_labels) and model_labels[: len(labels)] == labels


def _last_lines(text: str, first_line: int) -> list[tuple[int, str]]:
    """The last two non-blank lines of a text with their line numbers."""
    found: list[tuple[int, str]] = []
    end = len(text.rstrip())
    while end > 0 and len(found) < 2:
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        if line.strip():
            found.insert(0, (first_line + text.count("\n", 0, start), line))
        end = start - 1
    return found


@dataclass(slots=True)
class _State:
    """Where a reading is: the last record number given out, whether any ER line has been seen, and the number
    of the line after the text read so far."""

    position: int = 0
    seen_er: bool = False
    line: int = 1


def _iter_lines(lines: Iterable[str], path: str, database: str | None, warnings: list[str], state: _State,
                first_line: int = 1, next_ty: int | None = None) -> Iterator[Record | Rejected]:
    """The line-by-line reader. ``next_ty``: the line of the TY that follows these lines (None: end of file)."""
    position = state.position
    seen_er = state.seen_er
    pending: _Pending | None = None  # the record being read
    closed: _Pending | None = None  # read up to its ER, held until we know no trailing tags follow
    for number, line in enumerate(lines, start=first_line):
        # the usual line, "XY  - value", split inline (this loop runs once per line of the file)
        if line[2:5] == "  -" and line[:2].isupper() and line[:2].isalnum() and (len(line) == 5 or line[5] == " "):
            pair: tuple[str, str] | None = (line[:2], line[6:].strip())
        else:
            pair = _split_tag(line)
        after_tag = 1 if pair is None else line.find("-") + 1  # a tag line's own separator is not looked at
        if line.find("  -", after_tag) != -1 and (pair is not None or (pending is not None and pending.typed)):
            glued = _GLUED_TAG.search(line, after_tag)
            if glued is not None:
                shown = line[max(0, glued.start() - 3):][:12]
                warnings.append(f"{path}:{number}: line {number} holds a tag inside it ({shown!r}): two lines run "
                                "together, a line end lost? read as text")
        if pair is None:
            if pending is None or not pending.typed:
                continue  # a preamble, a record number ("1."), a blank line, Ovid's links after ER
            pending.lines.append(line)
            text = line.strip()
            if _DAMAGED_TAG.match(text):
                warnings.append(f"{path}:{number}: line {number} looks like a damaged tag line ({line[:20]!r}): read "
                                "as text of the line above")
            if text and pending.tags:
                last_tag, last_value = pending.tags[-1]
                if last_tag in LIST_TAGS:
                    pending.tags.append((last_tag, text))
                else:
                    pending.tags[-1] = (last_tag, f"{last_value} {text}" if last_value else text)
            continue
        tag, value = pair
        if tag == "ER":
            seen_er = True
            if pending is None:  # an ER with no record open: no export writes one, a damaged file does
                warnings.append(Damage(f"{path}:{number}: line {number} is an ER line outside any record: the end of "
                                       "a record whose TY and first lines were lost, or an ER written twice? "
                                       "(nothing read from it)"))
                continue
            pending.lines.append(line)
            if closed is not None:
                position += 1
                yield _finish(closed, position, path, database, warnings)
            closed, pending = pending, None
            continue
        if tag == "TY":
            if pending is not None and not pending.typed and closed is not None:
                _absorb(closed, pending)
                pending = None
            if closed is not None:
                position += 1
                yield _finish(closed, position, path, database, warnings)
                closed = None
            if pending is not None:
                position += 1
                if pending.typed:
                    warnings.append(f"{path}:{pending.line}: record {position} has no ER line before the next TY "
                                    f"on line {number}; read up to there")
                yield _finish(pending, position, path, database, warnings)
            pending = _Pending(number, [(tag, value)], [line], True)
            continue
        if pending is None:
            pending = _Pending(number, [], [], False)
        pending.tags.append((tag, value))
        pending.lines.append(line)
    if pending is not None and not pending.typed and closed is not None:
        _absorb(closed, pending)
        pending = None
    if closed is not None:
        position += 1
        yield _finish(closed, position, path, database, warnings)
    if pending is not None:
        position += 1
        if next_ty is not None:
            if pending.typed:
                warnings.append(f"{path}:{pending.line}: record {position} has no ER line before the next TY "
                                f"on line {next_ty}; read up to there")
            yield _finish(pending, position, path, database, warnings)
        elif seen_er or not pending.typed:
            raw = "\n".join(pending.lines).rstrip()
            yield Rejected(position, pending.line, f"{path}:{pending.line}: record {position} is cut off: the file "
                                                   "ends before its ER line (a truncated export?)", raw)
        else:
            warnings.append(Damage(f"{path}:{pending.line}: record {position} has no ER line: the file ends inside "
                                   "it (a truncated export?); read up to the end of the file"))
            yield _finish(pending, position, path, database, warnings)
    state.position = position
    state.seen_er = seen_er


#: The most text one record may hold when a file is read block by block (memory stays bounded by it): a
#: real RIS record is a few KB, one with a full-text note a few hundred KB.
MAX_RECORD_CHARS = 32 * 1024 * 1024

#: Every line, as ``(tag, value)`` for a plain tag line: ``XY  -`` then a space or the end of the line (``XY  -\t...``
#: is no tag to the line reader), the value without the spaces and tabs around it (a value ending in other white
#: space is not plain); as ``("", "")`` (:data:`_NOT_PLAIN`) for any other line. One match per line, so the
#: matches count the lines too. (Written without an optional group or a lookahead, which cost the regular
#: expression engine more on every line.)
_TAG_LINES = re.compile(r"^(?:([A-Z][A-Z0-9])  -(?: |$)[ \t]*(.*\S|)[ \t]*|.*)$", re.MULTILINE)
_NOT_PLAIN = ("", "")


def iter_text(text: str, path: str, database: str | None, warnings: list[str] | None = None) -> Iterator[
        Record | Rejected]:
    """The records of a whole RIS text (newlines normalised), in order, as :func:`iter_records` gives them."""
    warnings = warnings if warnings is not None else []
    state = _State()
    yield from _iter_chunk(text, path, database, warnings, state, 1, True)
    start = _window_start(text)
    _check_end(text[:_HEAD_CHARS], text[start:], state.line - text.count("\n", start), state.position, path, warnings)


def _window_start(text: str) -> int:
    """Where the end-of-file window of a text starts: at its TY line before the last one, within reach."""
    floor = max(0, len(text) - 2 * _WINDOW_CHARS)
    last = text.rfind("\nTY  -", floor)
    previous = text.rfind("\nTY  -", floor, last) if last != -1 else -1
    return previous + 1 if previous != -1 else floor


def iter_chunks(chunks: Iterable[str], path: str, database: str | None,
                warnings: list[str] | None = None) -> Iterator[Record | Rejected]:
    """Records from a text that arrives in pieces (a file read block by block): memory stays flat.

    Each piece is cut before its last ``TY`` line; what comes after waits for the next piece, so a
    record is never split. Line numbers and record numbers run on across pieces.
    """
    warnings = warnings if warnings is not None else []
    state = _State()
    buffer = ""
    line = 1
    skipping = False  # inside a record too long to hold: its text is dropped up to the next TY line
    ended_line = False  # while skipping: whether the last piece ended at a line's end
    head = ""  # the file's start, for the end-of-file checks
    before = ""  # the end of the text before the buffer (from its last TY line, within reach)
    for chunk in chunks:
        if len(head) < _HEAD_CHARS:
            head += chunk[: _HEAD_CHARS - len(head)]
        if skipping:
            found = -1 if ended_line and chunk.startswith("TY  -") else chunk.find("\nTY  -")
            if found == -1 and not (ended_line and chunk.startswith("TY  -")):
                line += chunk.count("\n")
                ended_line = chunk.endswith("\n")
                continue
            line += chunk.count("\n", 0, found + 1)
            chunk, skipping = chunk[found + 1:], False
        buffer += chunk
        cut = buffer.rfind("\nTY  -", max(0, len(buffer) - len(chunk) - 6)) + 1
        if cut <= 0:
            if len(buffer) > MAX_RECORD_CHARS:
                state.position += 1
                yield Rejected(state.position, line, f"{path}:{line}: record {state.position} is longer than "
                                                     f"{MAX_RECORD_CHARS:,} characters with no TY line after it: "
                                                     "not read (a damaged export?)", buffer[:2000])
                line += buffer.count("\n")
                ended_line = buffer.endswith("\n")
                buffer, skipping = "", True
            continue
        yield from _iter_chunk(buffer, path, database, warnings, state, line, False, cut)  # read in place
        before = buffer[max(buffer.rfind("\nTY  -", max(0, cut - _WINDOW_CHARS), cut - 1) + 1, cut - _WINDOW_CHARS):cut]
        buffer, line = buffer[cut:], state.line
    if buffer:
        yield from _iter_chunk(buffer, path, database, warnings, state, line, True)
        _check_end(head, before + buffer, line - before.count("\n"), state.position, path, warnings)


def _iter_chunk(text: str, path: str, database: str | None, warnings: list[str], state: _State, first_line: int,
                at_end: bool, limit: int | None = None) -> Iterator[Record | Rejected]:
    """Records of ``text[:limit]``, a text that ends at a TY line or (``at_end``) at the end of the file; the
    number of the line after it is left in ``state.line``.

    The text is cut into segments at each ``TY`` line. A plain segment (``TY``, tag lines, ``ER``) is read
    with one regular expression; anything else (continuation lines, long tags, tags before the first TY,
    a missing ER) goes through the line-by-line reader, so both give the same records.
    """
    limit = len(text) if limit is None else limit
    starts = _starts(text, limit)
    if not starts or starts[0] != 0:
        head_end = starts[0] if starts else limit
        head = text[:head_end]
        head_lines = head.count("\n")
        if head.strip():
            after = None if at_end and not starts else first_line + head_lines  # the line of the next TY
            yield from _iter_lines(head.split("\n")[:-1] if starts else head.split("\n"), path, database,
                                   warnings, state, first_line, after)
        first_line += head_lines
    line = first_line
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else limit
        read = None
        er = text.find("\nER  -", start, end)
        if er != -1:
            stop = text.find("\n", er + 1, end)  # the end of the ER line
            stop = end if stop == -1 else stop
            read = _plain_record(text, start, stop, end, database, state, line, path, warnings)
        if read is not None:
            record, body_newlines = read
            yield record
            line += body_newlines + text.count("\n", stop, end)
            continue
        newlines = text.count("\n", start, end)
        is_last = index + 1 == len(starts)
        following = None if is_last and at_end else line + newlines  # the line of the next TY
        lines = text[start:end].split("\n")
        if following is not None:
            lines = lines[:-1]  # the empty text after the last newline, before the next TY
        yield from _iter_lines(lines, path, database, warnings, state, line, following)
        line += newlines
    state.line = line


def _starts(text: str, limit: int) -> list[int]:
    """Where each ``TY  -`` line of ``text[:limit]`` begins (``str.find`` is much faster here than a regex)."""
    starts = [0] if text.startswith("TY  -", 0, limit) else []
    index = text.find("\nTY  -", 0, limit)
    while index != -1:
        starts.append(index + 1)
        index = text.find("\nTY  -", index + 1, limit)
    return starts


#: Tags a record holds once (a record has one title, year, abstract, volume, issue and page range; none is
#: repeated in any record of the 27 corpus RIS files, where authors, keywords, notes, ISSNs, AB and even DO
#: are): two in one record are two records run together, their ER and TY lost.
_ONCE = ("TI", "T1", "PY", "Y1", "N2", "VL", "IS", "SP", "EP")


def _run_together(path: str, line: int, position: int, tag: str) -> str:
    return (f"{path}:{line}: record {position} holds two {tag} lines: two records run together (an ER and a TY "
            "lost)? read as one")


def _plain_record(text: str, start: int, stop: int, end: int, database: str | None, state: _State, line: int,
                  path: str = "", warnings: list[str] | None = None) -> tuple[Record, int] | None:
    """The record of ``text[start:end]`` and the number of line ends before its ER line, when it is TY, tag lines,
    ER (``stop``: the end of the ER line), then only blank lines, Ovid's numbering or links; else None. Read in
    place: the text is not copied but for the record's raw text."""
    pairs = _TAG_LINES.findall(text, start, stop)  # the last pair is the ER line itself, not kept as a tag
    if _NOT_PLAIN in pairs or text.count("  -", start, stop) != len(pairs):
        return None  # continuation or blank lines inside the record, a long tag, "  -" inside a value (a tag
        # glued to the text before it?): the line reader decides
    if stop != end:
        rest = text[stop:end]
        # every tag line holds a dash: what follows most ERs (blank lines, a record number "2.") is checked by one find
        if "-" in rest and rest.strip() and any(_split_tag(text_line) is not None for text_line in rest.split("\n")):
            return None  # tags after ER (Ovid's NL, or a record with no TY): the line reader decides
    state.position += 1
    state.seen_er = True
    pairs.pop()
    raw_end = stop
    while text[raw_end - 1].isspace():  # the raw text ends with the ER line's dash or value, as str.rstrip() ends it
        raw_end -= 1
    twice: list[str] = []
    record = to_record(tuple(pairs), database=database, position=state.position, line=line,
                       raw=text[start:raw_end], twice=twice)
    if twice and warnings is not None:
        warnings.append(_run_together(path, line, state.position, twice[0]))
    return record, len(pairs)


def _absorb(closed: _Pending, trailing: _Pending) -> None:
    """Tags written after a record's ER line (Ovid's ``NL``) stay with that record."""
    closed.tags.extend(trailing.tags)
    closed.lines.extend(trailing.lines)


def _finish(pending: _Pending, position: int, path: str, database: str | None,
            warnings: list[str]) -> Record | Rejected:
    raw = "\n".join(pending.lines).rstrip()
    if not pending.typed:
        return Rejected(position, pending.line, f"{path}:{pending.line}: record {position} has no TY line "
                                                f"(it starts with {pending.tags[0][0]!r}); not a RIS record", raw)
    twice: list[str] = []
    record = to_record(tuple(pending.tags), database=database, position=position, line=pending.line, raw=raw,
                       twice=twice)
    if twice:
        warnings.append(_run_together(path, pending.line, position, twice[0]))
    return record


@dataclass(frozen=True, slots=True, eq=False)
class _TagPatterns:
    """The database patterns on one tag, each with its place in ``DATABASE_PATTERNS``, and one expression that
    matches where any of them matches (most values match none: one search, not one per pattern)."""

    tag: str
    first: int  # the place of the tag's first pattern
    patterns: tuple[tuple[int, re.Pattern[str], str], ...]
    any: re.Pattern[str]


def _by_tag(patterns: tuple[tuple[str, re.Pattern[str], str], ...]) -> tuple[_TagPatterns, ...]:
    """``DATABASE_PATTERNS`` grouped by tag, the tags in the order of their first pattern."""
    grouped: dict[str, list[tuple[int, re.Pattern[str], str]]] = {}
    for index, (tag, pattern, name) in enumerate(patterns):
        grouped.setdefault(tag, []).append((index, pattern, name))
    return tuple(_TagPatterns(tag, found[0][0], tuple(found),
                              re.compile("|".join(f"(?:{p.pattern})" for _, p, _ in found), re.IGNORECASE))
                 for tag, found in grouped.items())


_DATABASE_TAGS = _by_tag(DATABASE_PATTERNS)


def _database_of(values: dict[str, list[str]]) -> str:
    """The database the record's own tags name: the first pattern of ``DATABASE_PATTERNS`` (in table order)
    that matches a value of its tag, with the first such value; "" when none does. Tag by tag rather than
    pattern by pattern: a tag is looked at only while one of its patterns comes before the best found so far."""
    best = len(DATABASE_PATTERNS)
    named = ""
    for group in _DATABASE_TAGS:
        if group.first >= best:
            break
        found = values.get(group.tag)
        if found is not None:
            for value in found:
                match = _first_pattern(group, value)
                if match is not None and match[0] < best:
                    best, named = match
    return named


@lru_cache(maxsize=4096)
def _first_pattern(group: _TagPatterns, value: str) -> tuple[int, str] | None:
    """The first of a tag's patterns matching a value (its place, and the database it names); None if none does.
    Cached: every record of an export names its database in the same words (``DB  - Scopus``)."""
    if group.any.search(value):
        for index, pattern, name in group.patterns:
            if pattern.search(value):
                return index, name or value.strip()
    return None


def to_record(tags: tuple[tuple[str, str], ...], *, database: str | None, position: int = 0, line: int = 0,
              raw: str = "", twice: list[str] | None = None) -> Record:
    """One record from its RIS tags (in file order): the field tables applied, values normalised.

    Written for speed (it runs once per record of files with 100,000 records): values are grouped
    once in a tag -> values mapping, the field table comes as one precomputed tuple per database, and
    only values that need it go through ``_fields.clean`` or the author and markup cleaners.
    """
    values: dict[str, list[str]] = {}
    for tag, value in tags:
        if value:
            if tag in values:
                values[tag].append(value)
            else:
                values[tag] = [value]
    if twice is not None:  # tags no real record repeats: noted for the caller's warning (three dict lookups)
        for tag in _ONCE:
            if tag in values and len(values[tag]) > 1:
                twice.append(tag)
    own_database = "" if database in DIALECTS else _database_of(values)
    database = database or own_database or "RIS"
    (t_title, t_abstract, t_authors, t_year, t_journal, t_abbrev, t_issn, t_volume, t_issue, t_start, t_end, t_doi,
     t_language, t_types, t_keywords, t_url, t_publisher, t_source) = _plan(
        database if database in DIALECTS else own_database)

    title = _one(values, t_title)
    journal = _one(values, t_journal)
    abbrev = _one(values, t_abbrev)
    if not abbrev and "JO" in values:
        jo = f.first(values["JO"])
        abbrev = jo if jo != journal else ""
    return record_from_fields(  # Record(...), faster: every field positionally, in _RECORD_FIELDS order
        f.strip_markup(title) if "<" in title else title,  # title
        _abstract(values, t_abstract),  # abstract
        _authors(values, t_authors),  # authors
        _year(values, t_year),  # year
        journal,  # journal
        abbrev,  # journal_abbrev
        f.issns(_all(values, t_issn)),  # issn
        _one(values, t_volume),  # volume
        _one(values, t_issue),  # issue
        f.pages(_one(values, t_start), _one(values, t_end)),  # pages
        _doi(values, t_doi),  # doi
        _pmid(values, database, own_database),  # pmid
        _clean_all(values, t_language),  # language
        _clean_all(values, t_types, skip_doi=True),  # publication_types
        _clean_all(values, t_keywords),  # keywords
        (),  # mesh: RIS has no MeSH tag
        _one(values, t_url),  # url
        _one(values, t_publisher),  # publisher
        database,  # database
        _source_id(values, t_source, database),  # source_id
        raw,  # raw
        tags,  # tags
        position,  # position
        line,  # line
    )


#: The order in which :func:`to_record` passes Record's fields; checked against the Record type at import,
#: so a field added to or moved in ``harvester.records.Record`` stops the import instead of shifting values.
_RECORD_FIELDS = ("title", "abstract", "authors", "year", "journal", "journal_abbrev", "issn", "volume", "issue",
                  "pages", "doi", "pmid", "language", "publication_types", "keywords", "mesh", "url", "publisher",
                  "database", "source_id", "raw", "tags", "position", "line")
if tuple(field.name for field in fields(Record)) != _RECORD_FIELDS:
    raise ImportError("harvester.records.Record's fields changed: update ris.to_record and ris._RECORD_FIELDS")


#: The placeholders as exports spell them (exact case), so most values are checked without lower().
_PLACEHOLDER_FORMS = frozenset(form for p in f.PLACEHOLDERS for form in (p, p.upper(), p.title(), p.capitalize()))
#: Their lengths: a value of another length is no placeholder, and is not lower-cased to be checked.
_PLACEHOLDER_LENGTHS = frozenset(len(p) for p in f.PLACEHOLDERS)


def _all(values: dict[str, list[str]], tags: tuple[str, ...]) -> list[str]:
    """Every value of these tags, tag by tag in table order."""
    if len(tags) == 1:
        return values.get(tags[0], [])
    found: list[str] = []
    for tag in tags:
        if tag in values:
            found.extend(values[tag])
    return found


def _one(values: dict[str, list[str]], tags: tuple[str, ...]) -> str:
    """The first real value (not empty, not a placeholder) of these tags, in table order."""
    for tag in tags:
        found = values.get(tag)
        if found is not None:
            for value in found:
                if "  " in value or "\t" in value:
                    value = f.clean(value)
                elif len(value) in _PLACEHOLDER_LENGTHS and value.lower() in f.PLACEHOLDERS:
                    continue
                if value:
                    return value
    return ""


def _clean(value: str) -> str:
    """``_fields.clean`` for a value already stripped by the reader (the common case costs three checks)."""
    if "  " in value or "\t" in value:
        return f.clean(value)
    if len(value) in _PLACEHOLDER_LENGTHS and value.lower() in f.PLACEHOLDERS:
        return ""
    return value


def _clean_all(values: dict[str, list[str]], tags: tuple[str, ...], skip_doi: bool = False) -> tuple[str, ...]:
    """The tags' values cleaned, each once, in order, placeholders dropped (it runs for three list fields of every
    record). ``skip_doi``: leave out values that mention a DOI (``M3`` holds one in some files)."""
    if len(tags) == 1:  # the usual table: one tag, values that need no cleaning, checked all at once
        found = values.get(tags[0])
        if found is None:
            return ()
        joined = "\n".join(found) if len(found) > 1 else found[0]  # a line end: in no value, part of no mark
        if ("  " not in joined and "\t" not in joined and not (skip_doi and "doi" in joined.lower())
                and (_PLACEHOLDER_LENGTHS.isdisjoint(map(len, found))
                     or f.PLACEHOLDERS.isdisjoint(map(str.lower, found)))):
            return tuple(dict.fromkeys(found))
    cleaned: dict[str, None] = {}
    for tag in tags:
        if tag in values:
            for value in values[tag]:
                if skip_doi and "doi" in value.lower():
                    continue
                if "  " in value or "\t" in value:
                    value = f.clean(value)
                elif len(value) in _PLACEHOLDER_LENGTHS and value.lower() in f.PLACEHOLDERS:
                    continue
                if value:
                    cleaned[value] = None
    return tuple(cleaned)


def _abstract(values: dict[str, list[str]], tags: tuple[str, ...]) -> str:
    """The first real abstract, markup dropped; EBSCO's repeated ``AB`` holding only a copyright notice is skipped."""
    for tag in tags:
        if tag in values:
            for value in values[tag]:
                text = _clean(value)
                if text and not (text[:10].lower() == "copyright " and _COPYRIGHT.match(text)):
                    return f.strip_markup(text)
    return ""


def _authors(values: dict[str, list[str]], tags: tuple[str, ...]) -> tuple[str, ...]:
    """The names, each once, in order. A name already written ``Surname, Given`` with single spaces and no
    brackets or semicolons (the usual case) is kept as it is: ``_fields.author`` would give it back unchanged,
    and it is never a placeholder. Others go to ``_fields.author``."""
    names: list[str] = []
    for tag in tags:
        if tag in values:
            for name in values[tag]:
                if _SURNAME_COMMA_GIVEN(name):
                    names.append(name)
                elif name not in _PLACEHOLDER_FORMS:
                    name = f.author(name)
                    if name:
                        names.append(name)
    return tuple(dict.fromkeys(names)) if len(names) > 1 else tuple(names)


def _year(values: dict[str, list[str]], tags: tuple[str, ...]) -> int | None:
    for tag in tags:
        if tag in values:
            for value in values[tag]:
                year = f.year_of(value)
                if year:
                    return year
    return None


def _doi(values: dict[str, list[str]], tags: tuple[str, ...]) -> str:
    """The first DOI in the tags, in table order; ``N1``/``M3`` count only where they say "doi"."""
    for tag in tags:
        if tag in values:
            for value in values[tag]:
                if "10." not in value or tag in ("N1", "M3") and "doi" not in value.lower():
                    continue
                doi = f.find_doi(value)
                if doi:
                    return doi
    return ""


#: The order of :func:`_plan`'s tuple (what :func:`to_record` unpacks).
_PLAN_FIELDS = ("title", "abstract", "authors", "year", "journal", "journal_abbrev", "issn", "volume", "issue",
                "start_page", "end_page", "doi", "language", "publication_types", "keywords", "url", "publisher",
                "source_id")


@cache
def _plan(database: str) -> tuple[tuple[str, ...], ...]:
    """The field table with a database's dialect applied, as one tuple in ``_PLAN_FIELDS`` order (once per database)."""
    table = FIELD_TAGS | DIALECTS.get(database, {})
    return tuple(table[name] for name in _PLAN_FIELDS)


_PMID_TAGS = FIELD_TAGS["pmid"]


def _pmid(values: dict[str, list[str]], database: str, own_database: str) -> str:
    for tag in _PMID_TAGS:
        for value in values.get(tag, ()):
            if value.strip().isdigit():
                return value.strip()
    for tag in ("N1", "C2", "M1"):
        for value in values.get(tag, ()):
            if "PMID" in value:
                match = _PMID_IN_TEXT.search(value)
                if match:
                    return match.group(1)
    if own_database in ("MEDLINE", "PubMed") or not own_database and database in ("MEDLINE", "PubMed"):
        # AN is a PMID in MEDLINE's RIS; a record whose own DB names another database (CINAHL's AN is its
        # accession number) keeps it as its id even when imported for a MEDLINE source
        for value in values.get("AN", ()):
            if value.strip().isdigit():
                return value.strip()
    for value in values.get("UR", ()):
        if "pubmed" in value:
            match = _PMID_IN_URL.search(value)
            if match:
                return match.group(1)
    return ""


def _first_listed(text: str) -> str:
    """ProQuest writes a record's document ids as a ``;`` list in ``AN``: the first id is the record's; a value
    with no id between its separators is kept as written."""
    return next((part.strip() for part in text.split(";") if part.strip()), text)


def _source_id(values: dict[str, list[str]], tags: tuple[str, ...], database: str) -> str:
    """The database's own id: the accession number (``AN``), else the vendor's id tag, else ``ID``."""
    if database in ("Scopus", "Lens"):
        for value in values.get("UR", ()):
            match = (_EID if database == "Scopus" else _LENS_ID).search(value)
            if match:
                return match.group(1)
    for tag in tags:
        for value in values.get(tag, ()):
            text = value.strip()
            if text:
                return _first_listed(text) if database == "ProQuest" else text
    for value in values.get("N1", ()):
        match = _ACCESSION.search(value)
        if match:
            return match.group(1)
    for value in values.get("UR", ()):
        match = _EBSCO_AN.search(value)
        if match:
            return match.group(1)
    return ""


def read(text: str, path: str, database: str | None) -> Parsed:
    """Parse a whole RIS text (already decoded, newlines normalised)."""
    warnings: list[str] = []
    records: list[Record] = []
    rejected: list[Rejected] = []
    for item in iter_text(text, path, database, warnings):
        (records if isinstance(item, Record) else rejected).append(item)  # type: ignore[arg-type]
    if not records and not rejected:
        from harvester.errors import FormatError

        raise FormatError(path, "no RIS record found (no 'TY  - ' line); is this the right format?")
    named = database or _common_database(records) or "RIS"
    total = _stated_total(text)
    if total is not None and total[0] != len(records) + len(rejected):
        stated, line = total
        warnings.append(Damage(f"{path}:{line}: the file says it holds {stated} records ('Record #... of {stated}') "
                               f"but {len(records) + len(rejected)} were read (a truncated or partial export?)"))
    return Parsed(path=path, format=FORMAT.name, database=named, records=tuple(records),
                  rejected=tuple(rejected), warnings=tuple(warnings))


#: A preamble stating the file's total (EBSCO/Ovid style "Record #1 of 2").
_STATED_TOTAL = re.compile(r"^Record #\d+ of (\d+)[ \t]*$", re.MULTILINE)


def _stated_total(text: str) -> tuple[int, int] | None:
    """The total the file states for itself (the largest "of N"), and the line saying it; None if it states none."""
    best: tuple[int, int] | None = None
    for match in _STATED_TOTAL.finditer(text):
        stated = int(match.group(1))
        if best is None or stated > best[0]:
            best = (stated, text.count("\n", 0, match.start()) + 1)
    return best


def _common_database(records: list[Record]) -> str:
    """The database most records name (a file merged from several sources keeps each record's own)."""
    counts: dict[str, int] = {}
    for record in records:
        counts[record.database] = counts.get(record.database, 0) + 1
    return max(counts, key=lambda name: counts[name]) if counts else ""


def sniff(text: str) -> Detection | None:
    """RIS if a ``TY  - `` line opens a record near the start; the database from DB/DP/UR/AN tags."""
    head = text[:50000]
    lines = head.split("\n")
    first_ty = next((i for i, line in enumerate(lines[:200]) if line.startswith("TY  -")), None)
    confidence = 0.9
    if first_ty is None:
        # some tools write one space before the dash ("TY - JOUR"); the line reader takes those too
        first_ty = next((i for i, line in enumerate(lines[:200]) if line.startswith("TY - ")), None)
        confidence = 0.6
    if first_ty is None:
        return None
    tagged = sum(1 for line in lines[:400] if _split_tag(line) is not None)
    found: list[str] = []
    values: dict[str, list[str]] = {}
    for line in lines[:400]:
        pair = _split_tag(line)
        if pair is None:
            continue
        if pair[0] == "ER":
            found.append(_database_of(values))
            values = {}
        elif pair[1]:
            values.setdefault(pair[0], []).append(pair[1])
    if values:
        found.append(_database_of(values))
    names = set(found)
    database = names.pop() or None if len(names) == 1 else None
    evidence = f"RIS: 'TY  - ' on line {first_ty + 1}, {tagged} tag lines in the first {min(len(lines), 400)}"
    if database:
        evidence += f"; database {database} from its DB/DP/UR/AN tags"
    elif len(set(found)) > 1:
        evidence += f"; records from several databases ({', '.join(sorted(n or '?' for n in set(found)))})"
    opens = first_ty == next((i for i, line in enumerate(lines) if line.strip()), None)
    return Detection("ris", confidence, database, evidence, opens=opens)


# --- writing -------------------------------------------------------------------------------------------


def dumps(records: Iterable[Record]) -> str:
    """RIS text for records, one tag per line, ``ER  - `` after each; :func:`read` gives the fields back.

    RIS has no MeSH tag: MeSH headings are written as ``KW`` after the keywords. The PMID goes in
    ``N1  - PMID: ...`` (a 4-letter tag would break other RIS readers).
    """
    return "".join(dump(record) for record in records)


def _one_line(value: str) -> str:
    """A value on one tag line: line breaks (and tabs, runs of spaces) become one space; other characters,
    a no-break space included, stay as they are, so reading the line back gives the value."""
    if "\n" in value or "\r" in value or "\t" in value or "  " in value:
        value = re.sub(r"[ \t\r\n]+", " ", value)
    return value.strip()


def dump(record: Record, *, record_id: int | str | None = None, notes: Iterable[str] = ()) -> str:
    """One record as RIS (see :func:`dumps`), the one RIS writer of the project: the export, a refresh's new
    records and the screening sheets all write through it. ``record_id`` (the ledger id) goes in ``ID``,
    right after ``TY``, where screening tools (Rayyan, ASReview, Covidence) keep it; ``notes`` are extra
    ``N1`` lines (a sheet's flags)."""
    out: list[str] = []

    def put(tag: str, value: str | int | None) -> None:
        if value is None:
            return
        text = _one_line(str(value))
        if text:
            out.append(f"{tag}  - {text}\n")

    types = [t.lower() for t in record.publication_types]
    put("TY", next((WRITE_TYPES[t] for t in types if t in WRITE_TYPES), "JOUR"))
    put("ID", record_id)
    put("TI", record.title)
    for name in record.authors:
        put("AU", name)
    put("PY", record.year)
    put("T2", record.journal)
    put("J2", record.journal_abbrev)
    for issn in record.issn:
        put("SN", issn)
    put("VL", record.volume)
    put("IS", record.issue)
    start, _, end = record.pages.partition("-")
    put("SP", start if end else record.pages)
    put("EP", end)
    put("DO", record.doi)
    if record.pmid:
        put("N1", f"PMID: {record.pmid}")
    for note in notes:
        put("N1", note)
    put("AB", record.abstract)
    for word in record.keywords + record.mesh:
        put("KW", word)
    for language in record.language:
        put("LA", language)
    for kind in record.publication_types:
        put("M3", kind)
    put("UR", record.url)
    put("PB", record.publisher)
    put("DB", record.database)
    put("AN", record.source_id)
    out.append("ER  - \n\n")
    return "".join(out)


FORMAT = FileFormat(
    name="ris",
    description="RIS tagged text (Scopus, EBSCOhost/CINAHL, Ovid, Embase, Cochrane, ProQuest, Web of Science, "
                "EndNote, Zotero, Mendeley, Rayyan, Dimensions, Lens...)",
    sniff=sniff,
    read=read,
    aliases=("ris-tagged",),
    extensions=(".ris", ".txt"),
    stream=iter_chunks,
)
