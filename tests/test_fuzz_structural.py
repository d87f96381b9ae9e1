"""What the structural mutations of ``tests/fuzz_corpus.py`` found changing the record count in silence, each
rebuilt from the real corpus file it was found in and checked on the look-alikes that must stay quiet; and the
valid-export rule of the fuzz harness itself (a mutant that removed, doubled or cut off whole records is
checked against its own count). The rules are in ``docs/importing.md`` (Concurrent commands, killed runs,
hostile files: structural mutations)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from harvester.formats import read_bytes, read_file
from harvester.formats._doubled import doubled_blocks, made_of
from harvester.formats.base import damaged
from harvester.formats.encoding import inspect_bytes
from harvester.importing_stream import open_stream
from harvester.records import Record
from tests.fuzz_corpus import Export, corpus_exports, make_mutant, read_mutant

SCOPUS_RIS = "scopus/ris/synthesisr__scopus.ris"  # 92 records, TY .. ER
WOS_PLAIN = "wos/plaintext/synthesisr__WoS_txt_example.txt"  # PT .. ER, FN/VR header, EF
EMBASE_CSV = "embase/csv/asreview__embase_newpage.csv"  # rows of three lines (an abstract cell with line breaks)
PUBMED_NBIB = "pubmed/medline_nbib/biopython__pubmed_result2.txt"  # 4 records, PMID first
ERIC = "eric/nbib/colrev__eric_nbib.nbib"  # 1 record, OWN first, OID last
AIS_ENW = "endnote/tagged_enw/colrev__ais_enl.txt"  # 6 records, %T first (not EndNote's %0)
TWICE = "a block of lines written twice?"


def _corpus(shared: Path, path: str) -> bytes:
    return (shared / "corpus" / path).read_bytes()


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _doubled(data: bytes, start: int, stop: int) -> bytes:
    lines = _lines(data)
    return b"\n".join(lines[:stop] + lines[start:stop] + lines[stop:])


def _boundary(data: bytes, end: bytes, start: bytes, nth: int = 1) -> tuple[int, int]:
    """The line numbers (0-based) of the ``nth`` record's end line and of the next record's start line."""
    lines = _lines(data)
    ends = [i for i, line in enumerate(lines) if line.startswith(end)]
    after = next(i for i in range(ends[nth - 1] + 1, len(lines)) if lines[i].startswith(start))
    return ends[nth - 1], after


def _twice(warnings: tuple[str, ...]) -> list[str]:
    return [w for w in damaged(warnings) if TWICE in w]


# --- a block of lines written twice across a record boundary --------------------------------------------------

@pytest.mark.parametrize(("path", "end", "start", "before", "after"), [
    (SCOPUS_RIS, b"ER  -", b"TY  -", 3, 2),  # 3 lines of record 1's end, 2 of record 2's start
    (SCOPUS_RIS, b"ER  -", b"TY  -", 0, 1),  # only the ER line and the blank line, then record 2's TY line
    (WOS_PLAIN, b"ER", b"PT ", 2, 3),
])
def test_a_block_doubled_across_a_record_boundary_is_flagged(shared_dir: Path, path: str, end: bytes,
                                                             start: bytes, before: int, after: int) -> None:
    """Found by the duplicate-lines mutation (RIS, WoS plain, EndNote tagged, MEDLINE, a CSV with multi-line
    cells): the record made of record 2's first lines and record 1's last lines read as one more record."""
    data = _corpus(shared_dir, path)
    whole = read_bytes(data, path)
    last, first = _boundary(data, end, start)
    parsed = read_bytes(_doubled(data, last - before, first + after), path)
    assert parsed.records_read == whole.records_read + 1 and not parsed.rejected
    found = _twice(parsed.warnings)
    assert len(found) == 1 and "record 2 is the first" in found[0] and "of record 3 followed by" in found[0], found
    assert not _twice(whole.warnings)


def test_a_block_holding_whole_records_doubled_is_flagged_with_the_records_around_it(shared_dir: Path) -> None:
    """Record 1's last line, records 2 and 3 whole, record 4's first line, doubled: 1 2 3 X 2 3 4."""
    data = _corpus(shared_dir, EMBASE_CSV)
    rows = read_bytes(data, EMBASE_CSV).records
    start = rows[0].line + rows[0].raw.count("\n") - 1  # 0-based: record 1's last line
    stop = rows[3].line  # after record 4's first line
    parsed = read_bytes(_doubled(data, start, stop), EMBASE_CSV)
    assert parsed.records_read == len(rows) + 3
    found = _twice(parsed.warnings)
    assert len(found) == 1 and "record 4 is the first 1 lines of record 7 followed by the last 1 lines of " \
                               "record 1" in found[0], found


def test_a_block_doubled_at_the_start_of_the_first_record_is_flagged(shared_dir: Path) -> None:
    """A block of the blank line before a file's only record and its first lines, doubled: a record that is
    the first lines of the next one (PubMed MEDLINE: a second PMID line opens a record)."""
    data = _corpus(shared_dir, "pubmed/medline_nbib/biopython__pubmed_result1.txt")
    lines = _lines(data)
    pmid = next(i for i, line in enumerate(lines) if line.startswith(b"PMID-"))
    parsed = read_bytes(_doubled(data, pmid, pmid + 4), "m.nbib")
    assert parsed.records_read == 2
    assert any("record 1 is the first 4 lines of record 2" in w for w in _twice(parsed.warnings)), parsed.warnings


def test_the_same_warning_when_the_file_is_read_block_by_block(shared_dir: Path) -> None:
    data = _corpus(shared_dir, SCOPUS_RIS)
    last, first = _boundary(data, b"ER  -", b"TY  -", nth=40)
    mutant = _doubled(data, last - 2, first + 2)
    whole = _twice(read_bytes(mutant, "s.ris").warnings)
    stream = open_stream(Path("s.ris"), None, inspect_bytes(mutant, "s.ris"))
    assert stream is not None
    warnings: list[str] = []
    items = list(stream.items(None, warnings))
    assert len(items) == 93 and _twice(tuple(warnings)) == whole and len(whole) == 1, warnings


@pytest.mark.parametrize("copies", [2, 3])
def test_whole_records_doubled_are_not_flagged(shared_dir: Path, copies: int) -> None:
    """Look-alikes: a record exported twice (or three times), and a run of records exported twice, are
    duplicates for the dedup stage, not damage."""
    data = _corpus(shared_dir, SCOPUS_RIS)
    lines = _lines(data)
    _, first2 = _boundary(data, b"ER  -", b"TY  -", nth=1)
    _, first4 = _boundary(data, b"ER  -", b"TY  -", nth=3)
    one = b"\n".join(lines[:first4] + lines[first2:first4] * (copies - 1) + lines[first4:])
    parsed = read_bytes(one, "s.ris")
    assert parsed.records_read == 92 + 2 * (copies - 1) and not _twice(parsed.warnings)
    record = b"\n".join(lines[:first2] + lines[:first2] * (copies - 1) + lines[first2:])  # record 1 repeated
    assert not _twice(read_bytes(record, "s.ris").warnings)


def test_no_corpus_export_reads_as_a_doubled_block(shared_dir: Path) -> None:
    """The look-alikes on real files: records that share their first lines (``TY  - JOUR``) with the next one
    and their last (``ER  -``, a database line) with the one before, each with a middle of its own."""
    with (shared_dir / "corpus" / "MANIFEST.csv").open(encoding="utf-8") as handle:
        paths = [row["path"] for row in csv.DictReader(handle) if row["scope"] == "import"]
    shown = {path: _twice(read_file(shared_dir / "corpus" / path).warnings) for path in paths}
    assert not {path: found for path, found in shown.items() if found}


def _record(lines: list[str]) -> Record:
    return Record(raw="\n".join(lines))


def test_made_of_needs_each_part_from_its_own_side() -> None:
    a, b = ["TY  - JOUR", "TI  - A", "AB  - a", "ER  -"], ["TY  - JOUR", "TI  - B", "AB  - b", "ER  -"]
    assert made_of(["TY  - JOUR", "TI  - B", "AB  - a", "ER  -"], a, b) == (2, 2)
    assert made_of(["TY  - JOUR", "TI  - B", "ER  -"], a, b) == (2, 1)
    assert made_of(["TY  - JOUR", "TI  - A", "AB  - b", "ER  -"], a, b) is None  # a's head, b's tail: reversed
    assert made_of(a, a, b) is None and made_of(b, a, b) is None  # a duplicate of either
    assert made_of(["TY  - JOUR", "TI  - C", "AB  - a", "ER  -"], a, b) is None  # a middle of its own
    assert doubled_blocks([_record(a), _record(["TY  - JOUR", "TI  - B", "AB  - a", "ER  -"]), _record(b)], "x")
    assert not doubled_blocks([_record(a), _record(["TY  - JOUR", "TI  - C", "AB  - a", "ER  -"]), _record(b)], "x")


# --- a record split by a blank line ----------------------------------------------------------------------------

def _blank_after(data: bytes, prefix: bytes) -> bytes:
    at = data.index(b"\n", data.index(prefix)) + 1
    return data[:at] + b"\n" + data[at:]


@pytest.mark.parametrize("prefix", [b"AU  - Hunter", b"OT  - Keyword 2", b"SO  - "])
def test_an_eric_record_split_by_a_blank_line_is_flagged(shared_dir: Path, prefix: bytes) -> None:
    """Found by the blank-lines mutation: ERIC writes OWN first and its id (OID) last, so both halves of a split
    record held a start tag and read as two records. PubMed and ERIC open every record with PMID or OWN."""
    data = _corpus(shared_dir, ERIC)
    parsed = read_bytes(_blank_after(data, prefix), "e.nbib")
    assert parsed.records_read == 2
    assert any("record 2 opens with" in w and "split by a blank line" in w for w in parsed.warnings), parsed.warnings


def test_medline_records_opening_with_pmid_or_own_are_quiet(shared_dir: Path) -> None:
    """Look-alikes: PubMed's records (PMID first), ERIC's (OWN first), and the two exports joined."""
    pubmed, eric = _corpus(shared_dir, PUBMED_NBIB), _corpus(shared_dir, ERIC)
    for data in (pubmed, eric, pubmed.rstrip(b"\n") + b"\n\n" + eric):
        parsed = read_bytes(data, "m.nbib")
        assert not [w for w in parsed.warnings if "opens with" in w], parsed.warnings


def test_medline_records_of_a_writer_opening_with_another_tag_are_quiet_until_one_is_split(shared_dir: Path) -> None:
    """Look-alike: a MEDLINE writer that opens every record with another tag (PubMed's records with their PMID and OWN
    lines moved last) is quiet, as the file's first record sets what a record opens with; split by a blank line, the
    second half of a record still opens with another tag and is flagged."""
    records = _corpus(shared_dir, PUBMED_NBIB).decode("utf-8").strip("\n").split("\n\n")
    moved = []
    for record in records:
        lines = record.split("\n")
        moved.append("\n".join(lines[2:] + lines[:2]))
    assert all(not record.startswith(("PMID", "OWN")) for record in moved)
    data = "\n\n".join(moved).encode("utf-8") + b"\n"
    parsed = read_bytes(data, "m.nbib", format="medline")  # detection looks for PMID first: the user names it
    assert parsed.records_read == len(records)
    assert not [w for w in parsed.warnings if "opens with" in w], parsed.warnings
    split = _blank_after(data, b"\nAU  - ")
    parsed = read_bytes(split, "m.nbib", format="medline")
    assert parsed.records_read == len(records) + 1
    assert any("record 2 opens with AU" in w for w in parsed.warnings), parsed.warnings


def test_an_endnote_tagged_record_split_after_its_first_line_is_flagged(shared_dir: Path) -> None:
    """Found by the blank-lines mutation: colrev writes %T first and %0 second, so a blank line after a %T line
    left a title-only record and a record with a type, each read as a record."""
    data = _corpus(shared_dir, AIS_ENW)
    parsed = read_bytes(_blank_after(data, b"%T How Trust"), "a.enw")
    assert parsed.records_read == 7
    assert any("opens with %0, the file's first record with %T" in w for w in parsed.warnings), parsed.warnings
    assert not [w for w in read_bytes(data, "a.enw").warnings if "opens with" in w]


def test_endnote_records_all_opening_with_the_type_are_quiet(shared_dir: Path) -> None:
    """Look-alike: EndNote's own order (%0 first in every record)."""
    data = _corpus(shared_dir, AIS_ENW).decode("utf-8")
    blocks = [block for block in data.split("\n\n") if block.strip()]
    reordered = "\n\n".join("%0 Journal Article\n" + "\n".join(line for line in block.strip().splitlines()
                                                                if not line.startswith("%0"))
                            for block in blocks)
    parsed = read_bytes(reordered.encode(), "a.enw")
    assert parsed.records_read == 6 and not [w for w in parsed.warnings if "opens with" in w], parsed.warnings


# --- the harness's valid-export rule ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exports(shared_dir: Path) -> dict[str, Export]:
    return {export.path: export for export in corpus_exports(shared_dir)}


def _marked_seeds(export: Export, mutation: str, tries: int = 400) -> tuple[list[tuple[int, int]], list[int]]:
    marked: list[tuple[int, int]] = []
    unmarked: list[int] = []
    for seed in random.Random(5).sample(range(2**31), tries):
        data, change = make_mutant(export, mutation, seed)
        if change is None:
            unmarked.append(seed)
        else:
            marked.append((seed, change))
    return marked, unmarked


def test_a_cut_between_records_is_a_shorter_export_with_its_own_count(exports: dict[str, Export]) -> None:
    export = exports[SCOPUS_RIS]
    marked, unmarked = _marked_seeds(export, "cut-line-end")
    assert marked and unmarked
    for seed, change in marked[:20]:
        data, _ = make_mutant(export, "cut-line-end", seed)
        assert data.rstrip().endswith(b"ER  -")
        assert read_bytes(data, "s.ris").records_read == export.records + change
    for seed in unmarked[:20]:
        assert not make_mutant(export, "cut-line-end", seed)[0].rstrip().endswith(b"ER  -")


def test_whole_csv_rows_deleted_or_doubled_are_valid_exports_and_read_exactly(exports: dict[str, Export]) -> None:
    export = exports[EMBASE_CSV]
    for mutation, sign in (("delete-lines", -1), ("duplicate-lines", 1)):
        marked, _ = _marked_seeds(export, mutation)
        assert marked, mutation
        for seed, change in marked:
            assert change * sign > 0
            outcome = read_mutant(export, mutation, seed)
            assert outcome.kind in ("read", "refused"), outcome


def test_a_deletion_across_a_record_boundary_counts_one_record_for_the_two_cut(exports: dict[str, Export]) -> None:
    """Deleting record 1's ER and record 2's TY (with what is between) leaves record 1's head and record 2's
    tail and nothing to tell them apart: one record, so the mutant's count is one fewer."""
    export = exports[SCOPUS_RIS]
    marked, _ = _marked_seeds(export, "delete-lines", 1500)
    spliced = [(seed, change) for seed, change in marked if change == -1]
    assert spliced
    for seed, change in spliced[:10]:
        data, _ = make_mutant(export, "delete-lines", seed)
        assert read_bytes(data, "s.ris").records_read == export.records + change
