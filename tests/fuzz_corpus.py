"""Mutants of real corpus exports, and what reading one must never do: raise anything but a one-line
:class:`~harvester.errors.FormatError`, hang, or change the number of records without saying so.

Used by ``tests/test_fuzz.py`` (a few hundred mutants, in ``make test``) and ``benchmarks/fuzz_formats.py``
(many thousands). Each mutant is made from a seed, so every finding can be reproduced with its seed.

A *silent count change*: the records read (imported + rejected) differ from the true count of the mutant,
and the reading gave no sign: no rejected record, no warning, no error. Damage that keeps the count (a flipped
letter inside a title) is not a count change.

The true count of a mutant is the original's (twice it when two copies are joined), except for a mutant that
is itself a valid export with another count. Which mutants are is decided from the mutation and the original's
records (their line ranges in the original file, :func:`_record_spans`), never from what the reader makes of
the mutant (a reader that silently drops a damaged record must still be caught). The valid-export rule:

1. lines deleted or doubled that are whole records and blank lines only (a CSV or WoS tab row; a RIS record
   from its TY to its ER): fewer or more records by as many;
2. a cut between two records (after one record's last line, before the next one's first; whatever lies
   between, a vendor's lines around its records included): the records before the cut;
3. a deletion (of lines, or of bytes) that starts inside one record's text, after its first character, and
   ends inside a later record's, before its last: the first record's head is joined to the last one's tail
   with nothing left between them to tell two records, so they are one record (well formed, or rejected),
   and the records between are gone.

Such a mutant carries its true count (see :func:`_marked`) and is read against it. A doubled block that cuts
records is not valid: the record it makes from one record's head and another's tail is evidence the readers
look for (``harvester/formats/_doubled.py``). A cut inside the last record of a format with no end mark and no
stated total (MEDLINE, EndNote tagged, Ovid) reads as a shorter export: those cut mutants are checked for
tracebacks and hangs only. Exports whose records cannot be placed on their lines (PubMed XML and EndNote
XML records written out again by the XML library, an EndNote library on one line) get no valid mutants: every
mutant of theirs is read against the original's count.
"""

from __future__ import annotations

import csv
import random
import re
import signal
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from harvester.errors import FormatError
from harvester.formats import read_bytes

#: Formats whose records have no end mark and whose files state no total: a file cut inside its last record
#: reads as a shorter export (MEDLINE, EndNote tagged and Ovid records end at a blank line or the next
#: record's start). Their cut mutants are checked for tracebacks and hangs, not for count changes.
NO_END_MARK = frozenset({"medline", "enw", "ovid"})
#: How much CPU time one mutant may take to read before it counts as a hang. CPU time, not wall time: on a
#: shared machine at load 12 a 3 MB export read in 2 CPU seconds takes over 10 s of wall time, and counted as
#: a hang it would hide the real ones (a loop that never ends spends CPU time however loaded the machine is).
HANG_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Export:
    path: str
    data: bytes
    records: int  # the true count (MANIFEST, with its errata)


def corpus_exports(shared: Path, errata: dict[str, int] | None = None) -> list[Export]:
    """Every import-scope corpus file with its true record count."""
    with (shared / "corpus" / "MANIFEST.csv").open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["scope"] == "import"]
    errata = errata or {}
    return [Export(row["path"], (shared / "corpus" / row["path"]).read_bytes(),
                   errata.get(row["path"], int(row["records"]))) for row in rows]


# --- mutations: each takes the bytes and a random source, returns the mutant --------------------------

#: Put before a mutant whose true count is known from the mutation itself (see :func:`_marked`): the edit
#: removed, doubled or cut off whole records of the original and blank lines only. :func:`read_mutant` takes the
#: mark off and checks the count against the mutant's own true count instead of the original's.
_COUNT_MARK = re.compile(rb"\x00records ([+-]\d+)\x00")
#: Each export's records as line ranges of its bytes (first, last; 0-based, split at ``\n`` as the mutations
#: split), by the export's bytes; None where the reader's raw records cannot be placed on the file's lines.
_spans: dict[bytes, tuple[tuple[int, int], ...] | None] = {}


def _marked(mutant: bytes, change: int) -> bytes:
    """A mutant whose true count is the original's plus ``change`` (it is a valid export with that count)."""
    return b"\x00records %+d\x00" % change + mutant


def unmark(data: bytes) -> tuple[bytes, int | None]:
    """A mutant's bytes without its mark, and the change to the original's count the mark states (None: none)."""
    found = _COUNT_MARK.match(data)
    if found is None:
        return data, None
    return data[found.end():], int(found.group(1))


def _blank(line: bytes) -> bool:
    return not line.strip(b" \t\r\x00")


def _whole_records(data: bytes, start: int, stop: int, *, splice: bool = False) -> int | None:
    """How many records of the original lines ``start:stop`` hold when they are whole records and blank lines
    only (at least one record, no record cut by the block's edges): the valid-export rule. None otherwise, and
    for an export whose records cannot be placed on its lines.

    ``splice`` (a deletion): also a block that starts inside one record and ends inside a later one, the lines
    between being whole records and blank lines. Deleting it leaves the first record's head followed by the
    last one's tail, with nothing between them to tell two records: one record (well formed, or rejected), so
    the count is the whole records inside plus one. That record cannot be told from a real one."""
    spans = _spans.get(data)
    if spans is None:
        return None
    inside, cut = 0, []
    covered: set[int] = set()
    for first, last in spans:
        if last < start or first >= stop:
            continue
        covered.update(range(max(first, start), min(last, stop - 1) + 1))
        if first < start or last >= stop:
            cut.append((first, last))
        else:
            inside += 1
    lines = _lines(data)
    if any(not _blank(lines[i]) for i in range(start, min(stop, len(lines))) if i not in covered):
        return None
    if not cut:
        return inside or None
    if splice and len(cut) == 2 and cut[0][0] < start and cut[1][1] >= stop:
        return inside + 1
    return None


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _flip_byte(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + bytes([rng.randrange(256)]) + data[at + 1:]


def _insert_bytes(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 12)))
    return data[:at] + junk + data[at:]


def _insert_nul(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + b"\x00" * rng.randint(1, 4) + data[at:]


def _delete_span(data: bytes, rng: random.Random) -> bytes:
    """1 to 40 bytes deleted. A span from inside one record's text to inside a later one's (the first one's last
    character and the second one's first lost) leaves one record: marked, as :func:`_whole_records` marks a
    deletion of lines across a record boundary."""
    at = rng.randrange(len(data))
    stop = at + rng.randint(1, 40)
    mutant = data[:at] + data[stop:]
    spliced = _spliced_bytes(data, at, stop)
    return mutant if spliced is None else _marked(mutant, -spliced)


def _spliced_bytes(data: bytes, start: int, stop: int) -> int | None:
    """For bytes ``start:stop`` deleted: the records lost (the two cut become one, those between are gone) when
    the span starts inside one record's text, after its first byte, and ends inside a later record's, before
    its last; None otherwise (and for a UTF-16 export, whose bytes are not its characters)."""
    spans = _spans.get(data)
    if spans is None or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None
    lines = _lines(data)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    extents = [(starts[first], starts[last] + len(lines[last].rstrip(b" \t\r"))) for first, last in spans]
    cut_end = [i for i, (begin, end) in enumerate(extents) if begin < start < end]
    cut_start = [i for i, (begin, end) in enumerate(extents) if begin < stop < end and start <= begin]
    if not cut_end or not cut_start or cut_start[-1] <= cut_end[0]:
        return None
    return cut_start[-1] - cut_end[0]


def _line_block(data: bytes, rng: random.Random, size: tuple[int, int], copies: int) -> bytes:
    """A block of ``size`` lines deleted (``copies`` 0) or doubled (``copies`` 2). A block of whole records and
    blank lines (a CSV or WoS tab row, a RIS record with its ER line) makes a valid export with fewer or more
    records: that mutant is marked with its true count (see :func:`_whole_records`)."""
    lines = _lines(data)
    at = rng.randrange(len(lines))
    stop = min(len(lines), at + (size[0] if size[0] == size[1] else rng.randint(*size)))
    mutant = b"\n".join(lines[:stop] + lines[at:stop] * (copies - 1) + lines[stop:] if copies else
                        lines[:at] + lines[stop:])
    whole = _whole_records(data, at, stop, splice=not copies)
    return mutant if whole is None else _marked(mutant, whole * (copies - 1))


def _duplicate_line(data: bytes, rng: random.Random) -> bytes:
    return _line_block(data, rng, (1, 1), 2)


def _delete_line(data: bytes, rng: random.Random) -> bytes:
    return _line_block(data, rng, (1, 1), 0)


def _duplicate_lines(data: bytes, rng: random.Random) -> bytes:
    return _line_block(data, rng, (2, 8), 2)


def _delete_lines(data: bytes, rng: random.Random) -> bytes:
    return _line_block(data, rng, (2, 6), 0)


def _swap_lines(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    if len(lines) < 2:
        return data
    at = rng.randrange(len(lines) - 1)
    lines[at], lines[at + 1] = lines[at + 1], lines[at]
    return b"\n".join(lines)


def _latin1_byte(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + b"\xe9" + data[at:]


def _crlf(data: bytes, rng: random.Random) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", rng.choice([b"\r\n", b"\r"]))


def _cut(data: bytes, rng: random.Random) -> bytes:
    """The file cut short inside a line that is not its last (never exactly at a line's end)."""
    lines = _lines(data)
    inner = [i for i, line in enumerate(lines[:-2]) if len(line.strip()) > 4]
    if not inner:
        return data[: len(data) // 2]
    at = rng.choice(inner)
    start = sum(len(line) + 1 for line in lines[:at])
    return data[: start + rng.randint(1, len(lines[at].rstrip()) - 1)]


def _join_twice(data: bytes, rng: random.Random) -> bytes:
    return data + (b"" if data.endswith(b"\n") else b"\n") + data


def _long_line(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    at = rng.randrange(len(lines))
    lines[at] += b"x" * rng.choice([1000, 100_000])
    return b"\n".join(lines)


# --- structural mutations: what an editor, a careless copy or a damaged transfer does to lines ----------

def _cut_line_end(data: bytes, rng: random.Random) -> bytes:
    """The file cut exactly at the end of a line. A cut between two records (after a record's last line, before
    the next one's first: what lies between, blank lines or a vendor's lines around records, JSTOR's provider
    block, Ovid's full-text link, is the export's own) leaves a valid shorter export of the records before it,
    marked with that count. A cut inside a record is checked as :func:`_cut` is."""
    lines = _lines(data)
    at = rng.randrange(1, max(2, len(lines) - 1))
    mutant = b"\n".join(lines[:at]) + b"\n"
    spans = _spans.get(data)
    if spans is None or any(first < at <= last for first, last in spans):
        return mutant
    return _marked(mutant, -sum(first >= at for first, _ in spans))


def _join_lines(data: bytes, rng: random.Random) -> bytes:
    """Two neighbouring lines joined into one, with or without a space between."""
    lines = _lines(data)
    if len(lines) < 2:
        return data
    at = rng.randrange(len(lines) - 1)
    lines[at: at + 2] = [lines[at].rstrip(b"\r") + rng.choice([b"", b" "]) + lines[at + 1]]
    return b"\n".join(lines)


def _split_line(data: bytes, rng: random.Random) -> bytes:
    """A line broken in two at a random byte."""
    at = rng.randrange(len(data))
    return data[:at] + b"\n" + data[at:]


def _one_line(data: bytes, rng: random.Random, change: Callable[[bytes], bytes]) -> bytes:
    lines = _lines(data)
    at = rng.randrange(len(lines))
    lines[at] = change(lines[at])
    return b"\n".join(lines)


def _lower_line(data: bytes, rng: random.Random) -> bytes:
    """A line lower-cased (tags and header names included)."""
    return _one_line(data, rng, bytes.lower)


def _tab_for_spaces(data: bytes, rng: random.Random) -> bytes:
    """The first double space of a line turned into a tab (an editor's tab setting)."""
    return _one_line(data, rng, lambda line: line.replace(b"  ", b"\t", 1))


def _strip_line(data: bytes, rng: random.Random) -> bytes:
    """A line stripped of its surrounding whitespace (indented continuations, a tag's trailing space)."""
    return _one_line(data, rng, lambda line: line.strip(b" \t"))


#: The characters that hold a format's structure: quotes and delimiters of CSV, braces of BibTeX, XML's angle
#: brackets, the tab of tab-delimited files, the dash of RIS and MEDLINE tags.
_STRUCTURAL = tuple(bytes([c]) for c in b'"{}<>,\t-')


def _delete_structural(data: bytes, rng: random.Random) -> bytes:
    """One structural character deleted (one of :data:`_STRUCTURAL`, at a random place where it occurs)."""
    character = rng.choice(_STRUCTURAL)
    count = data.count(character)
    if not count:
        return data
    at = -1
    for _ in range(rng.randrange(count) + 1):
        at = data.index(character, at + 1)
    return data[:at] + data[at + 1:]


def _blank_lines(data: bytes, rng: random.Random) -> bytes:
    """One to three blank lines inserted before a line."""
    lines = _lines(data)
    at = rng.randrange(len(lines))
    return b"\n".join(lines[:at] + [b""] * rng.randint(1, 3) + lines[at:])


#: name -> (mutation, whether the true count of the mutant is known: the original's, or twice it when joined)
MUTATIONS: dict[str, tuple[Callable[[bytes, random.Random], bytes], str]] = {
    "flip-byte": (_flip_byte, "same"),
    "insert-bytes": (_insert_bytes, "same"),
    "insert-nul": (_insert_nul, "same"),
    "delete-span": (_delete_span, "same"),
    "duplicate-line": (_duplicate_line, "same"),
    "delete-line": (_delete_line, "same"),
    "swap-lines": (_swap_lines, "same"),
    "latin1-byte": (_latin1_byte, "same"),
    "line-endings": (_crlf, "same"),
    "cut": (_cut, "fewer"),
    "join-twice": (_join_twice, "double"),
    "long-line": (_long_line, "same"),
    "cut-line-end": (_cut_line_end, "fewer"),
    "duplicate-lines": (_duplicate_lines, "same"),
    "delete-lines": (_delete_lines, "same"),
    "join-lines": (_join_lines, "same"),
    "split-line": (_split_line, "same"),
    "lower-line": (_lower_line, "same"),
    "tab-for-spaces": (_tab_for_spaces, "same"),
    "strip-line": (_strip_line, "same"),
    "delete-structural": (_delete_structural, "same"),
    "blank-lines": (_blank_lines, "same"),
}


@dataclass(slots=True)
class Outcome:
    """What reading one mutant gave."""

    export: str
    mutation: str
    seed: int
    kind: str  # read | refused | traceback | hang | silent-count-change
    detail: str = ""
    seconds: float = 0.0
    where: str = ""  # for a bad outcome: the first byte the mutant changed, and its line


def first_change(original: bytes, mutant: bytes) -> str:
    """Where a mutant first differs from its original: ``offset N (line L)``, found by halving."""
    low, high = 0, min(len(original), len(mutant))
    while low < high:  # invariant: the first `low` bytes agree
        middle = (low + high + 1) // 2
        if original[:middle] == mutant[:middle]:
            low = middle
        else:
            high = middle - 1
    if low == len(original) == len(mutant):
        return "unchanged"
    line = original.count(b"\n", 0, low) + 1
    return f"offset {low} (line {line})"


@dataclass(slots=True)
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def kinds(self) -> Counter[str]:
        return Counter(o.kind for o in self.outcomes)

    def bad(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind in ("traceback", "hang", "silent-count-change")]


class _Hang(Exception):  # noqa: N818 - a signal, not an error of the code under test
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _Hang


def make_mutant(export: Export, mutation: str, seed: int) -> tuple[bytes, int | None]:
    """One mutant's bytes, and the change to the export's count when the mutant is a valid export with a count
    of its own (None: not known to be)."""
    if export.data not in _spans:
        _spans[export.data] = _record_spans(export)
    return unmark(MUTATIONS[mutation][0](export.data, random.Random(seed)))


def read_mutant(export: Export, mutation: str, seed: int) -> Outcome:
    """Make one mutant and read it as the importer does (format detected, never named)."""
    data, change = make_mutant(export, mutation, seed)
    expectation = MUTATIONS[mutation][1]
    previous = signal.signal(signal.SIGPROF, _alarm)
    signal.setitimer(signal.ITIMER_PROF, HANG_SECONDS)
    started = time.process_time()
    try:
        parsed = read_bytes(data, f"mutant-{seed}.txt")
    except FormatError as error:
        return Outcome(export.path, mutation, seed, "refused", str(error)[:200], time.process_time() - started)
    except _Hang:
        return Outcome(export.path, mutation, seed, "hang", f"over {HANG_SECONDS} CPU s", HANG_SECONDS,
                       first_change(export.data, data))
    except Exception:  # noqa: BLE001 - any other exception is what the fuzzing looks for
        return Outcome(export.path, mutation, seed, "traceback", traceback.format_exc(limit=3)[-600:],
                       time.process_time() - started, first_change(export.data, data))
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
    seconds = time.process_time() - started
    read = parsed.records_read
    if change is not None:  # a valid export with a count of its own: it must be read exactly
        expected = export.records + change
        changed = read != expected
    elif expectation == "fewer" and parsed.format in NO_END_MARK:
        return Outcome(export.path, mutation, seed, "read", "cut: not detectable in this format", seconds)
    else:
        expected = export.records * (2 if expectation == "double" else 1)
        changed = read < expected if expectation == "fewer" else read != expected
    if changed and not parsed.rejected and not parsed.warnings:
        return Outcome(export.path, mutation, seed, "silent-count-change",
                       f"{read} records read, the file held {expected}; format {parsed.format}", seconds,
                       first_change(export.data, data))
    return Outcome(export.path, mutation, seed, "read", "", seconds)


_BREAK = re.compile(r"\r\n|\r|\n")


def _record_spans(export: Export) -> tuple[tuple[int, int], ...] | None:
    """Each record of an export (as read from the original file) as the range of the file's lines it is written
    on: ``(first, last)``, 0-based, lines split at ``\\n`` as the mutations split them. The reader numbers lines
    after turning CR and CRLF into LF; a lone CR is no line break here. None when a record's raw text is not
    found on the lines its number gives (the XML formats store records written out again)."""
    parsed = read_bytes(export.data, export.path)
    try:
        text = export.data.decode(parsed.encoding, errors="replace")
    except LookupError:
        return None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    byte_line = [0]  # the file line each of the reader's lines starts on
    for found in _BREAK.finditer(text):
        byte_line.append(byte_line[-1] + ("\n" in found.group()))
    spans = []
    for record in parsed.records:
        first, last = record.line - 1, record.line - 1 + record.raw.count("\n")
        raw_lines = record.raw.split("\n")
        if not (0 <= first <= last < len(lines) and raw_lines[0] in lines[first] and raw_lines[-1] in lines[last]
                and record.raw in "\n".join(lines[first:last + 1])):
            return None
        spans.append((byte_line[first], byte_line[last]))
    return tuple(spans)


def mutants(exports: list[Export], count: int, seed: int) -> Iterator[tuple[Export, str, int]]:
    """``count`` (export, mutation, seed) triples, spread over every export and mutation."""
    rng = random.Random(seed)
    names = sorted(MUTATIONS)
    for index in range(count):
        export = exports[index % len(exports)]
        yield export, names[rng.randrange(len(names))], rng.randrange(2**31)


def run(exports: list[Export], count: int, seed: int) -> Tally:
    tally = Tally()
    for export, mutation, mutant_seed in mutants(exports, count, seed):
        tally.outcomes.append(read_mutant(export, mutation, mutant_seed))
    return tally
