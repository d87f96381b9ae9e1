"""Mutants of real corpus exports, and what reading one must never do: raise anything but a one-line
:class:`~harvester.errors.FormatError`, hang, or change the number of records without saying so.

Used by ``tests/test_fuzz.py`` (a few hundred mutants, in ``make test``) and ``benchmarks/fuzz_formats.py``
(many thousands). Each mutant is made from a seed, so every finding can be reproduced with its seed.

A *silent count change*: the records read (imported + rejected) differ from the true count of the file the
mutant was made from, and the reading gave no sign: no rejected record, no warning, no error. Damage that
keeps the count (a flipped letter inside a title) is not a count change; damage that makes a valid file
with fewer records (a cut exactly between two records of a format with no end mark, no total: MEDLINE,
EndNote tagged, Ovid, a CSV row boundary) cannot be told from a shorter export and is not counted, so the
cut mutation cuts inside a record (see :func:`_cut`).
"""

from __future__ import annotations

import csv
import random
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

#: Put before a mutant that is a valid export with another count (a whole-record line deleted or doubled);
#: :func:`read_mutant` takes it off and does not count such a count change as silent.
WHOLE_RECORD_LINE = b"\x00valid\x00"
#: Each export's lines that are one whole record (rows of one physical line), by the export's bytes.
_whole_lines: dict[bytes, frozenset[bytes]] = {}

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
    at = rng.randrange(len(data))
    return data[:at] + data[at + rng.randint(1, 40):]


def _line_edit(data: bytes, rng: random.Random, keep: int) -> bytes:
    """A line deleted (``keep`` 0) or doubled (``keep`` 2). A line that is a whole record by itself (a CSV or
    WoS tab row) makes a valid file with one record fewer or more: that mutant is marked, see :func:`valid`."""
    lines = _lines(data)
    at = rng.randrange(len(lines))
    mutant = b"\n".join(lines[:at] + [lines[at]] * keep + lines[at + 1:])
    whole = lines[at].strip(b"\x00\r") in _whole_lines.get(data, ())  # \x00: a UTF-16 line split at its \n byte
    return (WHOLE_RECORD_LINE if whole else b"") + mutant


def _duplicate_line(data: bytes, rng: random.Random) -> bytes:
    return _line_edit(data, rng, 2)


def _delete_line(data: bytes, rng: random.Random) -> bytes:
    return _line_edit(data, rng, 0)


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


def read_mutant(export: Export, mutation: str, seed: int) -> Outcome:
    """Make one mutant and read it as the importer does (format detected, never named)."""
    mutate, expectation = MUTATIONS[mutation]
    if export.data not in _whole_lines:
        _whole_lines[export.data] = _record_lines(export)
    data = mutate(export.data, random.Random(seed))
    valid = data.startswith(WHOLE_RECORD_LINE)
    data = data.removeprefix(WHOLE_RECORD_LINE)
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
    if expectation == "fewer" and parsed.format in NO_END_MARK:
        return Outcome(export.path, mutation, seed, "read", "cut: not detectable in this format", seconds)
    expected = export.records * (2 if expectation == "double" else 1)
    changed = read < expected if expectation == "fewer" else read != expected
    if changed and not valid and not parsed.rejected and not parsed.warnings:
        return Outcome(export.path, mutation, seed, "silent-count-change",
                       f"{read} records read, the file held {expected}; format {parsed.format}", seconds,
                       first_change(export.data, data))
    return Outcome(export.path, mutation, seed, "read", "", seconds)


def _record_lines(export: Export) -> frozenset[bytes]:
    """The lines of an export that hold one whole record each (as read from the original file)."""
    parsed = read_bytes(export.data, export.path)
    encoding = "utf-16" if parsed.encoding.startswith("utf-16") else "utf-8"
    found: set[bytes] = set()
    for record in parsed.records:
        if "\n" not in record.raw:
            try:
                written = record.raw.encode(encoding).removeprefix(b"\xff\xfe").removeprefix(b"\xfe\xff")
            except UnicodeEncodeError:
                continue
            found.add(written.strip(b"\x00\r"))
    return frozenset(found)


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
