"""BibTeX read block by block (``formats.bibtex.stream``), the one reading path for every size: the records,
rejections and warnings of a file are the same whatever its blocks (down to a character, so that every entry
boundary is a cut), on every corpus BibTeX file and on mutants of them; they are bibtexparser's reading of the
whole text (entry by entry) except where that reading is wrong, each case tested here; a damaged stretch with no
entry start is cut anyway, with a warning naming the line; a BibTeX file over the size read whole imports."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import bibtexparser
import pytest
from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import harvester.formats as formats
import harvester.formats.bibtex as bibtex
import harvester.formats.encoding as encoding_module
import harvester.importing as importing
import harvester.importing_stream as streaming
from harvester.cli.main import app
from harvester.errors import FormatError
from harvester.formats.base import Parsed, Rejected, damaged
from harvester.formats.encoding import inspect_bytes, inspect_path
from harvester.ledger import Ledger
from harvester.ledger.records import iter_records
from tests.fuzz_corpus import MUTATIONS, unmark
from tests.test_formats_csv import manifest_rows

MUTANTS = 300
SEED = 14


def _corpus(shared: Path) -> list[tuple[str, str]]:
    """Every import-scope corpus BibTeX file: (path, text)."""
    rows = manifest_rows(shared, {"bibtex"})
    assert len(rows) >= 6
    return [(row["path"], inspect_path(shared / "corpus" / row["path"]).text()) for row in rows]


def _streamed(text: str, size: int, path: str = "x.bib") -> tuple[list[object], list[object], list[str]]:
    warnings: list[str] = []
    items = list(bibtex.stream((text[i:i + size] for i in range(0, len(text), size)), path, None, warnings))
    return ([i for i in items if not isinstance(i, Rejected)], [i for i in items if isinstance(i, Rejected)],
            warnings)


def _whole(parsed: Parsed) -> tuple[list[object], list[object], list[str]]:
    return list(parsed.records), list(parsed.rejected), list(parsed.warnings)


def _cut_lines(text: str) -> int:
    return sum(1 for match in bibtex._CUT_LINE.finditer(text) if match.start() > 0)


def test_every_corpus_file_reads_the_same_block_by_block_with_every_entry_a_cut(shared_dir: Path) -> None:
    for path, text in _corpus(shared_dir):
        whole = bibtex.read(text, path, None)
        assert whole.records
        batches = list(bibtex._batches((text[i:i + 7] for i in range(0, len(text), 7)), path))
        assert sum(1 for batch in batches if batch.sentinel) == _cut_lines(text) > 0  # every entry start is a cut
        assert "".join(batch.text for batch in batches) == text
        for size in (1, 7, 100, 4096):
            assert _streamed(text, size, path) == _whole(whole), (path, size)


def _mutants(shared: Path, count: int) -> list[tuple[str, str, int, str]]:
    """``count`` mutants of the corpus BibTeX files (every mutation of ``tests/fuzz_corpus.py``), decoded as the
    importer decodes them; those refused whole (binary, NUL) are left out: (file, mutation, seed, text)."""
    files = [(row["path"], (shared / "corpus" / row["path"]).read_bytes()) for row in manifest_rows(shared, {"bibtex"})]
    rng = random.Random(SEED)
    names = sorted(MUTATIONS)
    found = []
    for index in range(count):
        path, data = files[index % len(files)]
        name, seed = names[rng.randrange(len(names))], rng.randrange(2**31)
        mutant = unmark(MUTATIONS[name][0](data, random.Random(seed)))[0]
        try:
            found.append((path, name, seed, inspect_bytes(mutant, path).text()))
        except FormatError:
            continue
    return found


def test_mutants_of_the_corpus_files_read_the_same_block_by_block(shared_dir: Path) -> None:
    mutants = _mutants(shared_dir, MUTANTS)
    assert len(mutants) > MUTANTS // 2  # a NUL is refused before any reader: the other mutations all came
    assert {name for _, name, _, _ in mutants} == set(MUTATIONS) - {"insert-nul"}
    for path, name, seed, text in mutants:
        whole = _whole(bibtex.read(text, path, None))
        assert _streamed(text, 7, path) == whole, (path, name, seed)


def _bibtexparser_entries(text: str) -> tuple[list[Entry], int]:
    """bibtexparser's reading of the whole text: its entries, and how many entries it left unresolved (a key
    or a field repeated)."""
    library = bibtexparser.parse_string(text)
    repeated = (DuplicateBlockKeyBlock, DuplicateFieldKeyBlock)
    unresolved = sum(1 for block in library.blocks
                     if isinstance(block, repeated) and isinstance(block.ignore_error_block, Entry))
    return library.entries, unresolved


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_records_are_bibtexparsers_reading_of_the_whole_text(shared_dir: Path) -> None:
    """Each entry bibtexparser reads from the whole text is a record with its fields, type, key and line, in order;
    the other records are entries it leaves unresolved (a key or a field repeated, read here like any entry: see
    below) or gives up on (read again line by line, with a warning). Texts where bibtexparser's reading is not the
    one wanted are left out: an ``@string`` (it resolves a macro in entries before its definition too) or a line
    ending in a backslash (it does not count that line)."""
    checked = 0
    texts = [(path, "-", 0, text) for path, text in _corpus(shared_dir)] + _mutants(shared_dir, MUTANTS)
    for path, name, seed, text in texts:
        if "\\\n" in text or re.search(r"(?i)@\s*string", text):
            continue
        parsed = bibtex.read(text, path, None)
        entries, unresolved = _bibtexparser_entries(text)
        by_line = {record.line: record for record in parsed.records}
        for entry in entries:
            record = by_line.get((entry.start_line or 0) + 1)
            assert record is not None, (path, name, seed, entry.start_line)
            assert record.tags == (("ENTRYTYPE", entry.entry_type), ("ID", entry.key),
                                   *((field.key, str(field.value)) for field in entry.fields)), (path, name, seed)
        reread = sum(1 for warning in parsed.warnings if "read line by line" in warning)
        assert len(parsed.records) == len(entries) + unresolved + reread, (path, name, seed)
        checked += 1
    assert checked > MUTANTS // 2


def test_an_entry_with_a_repeated_key_or_field_reads_like_any_other() -> None:
    """bibtexparser leaves such an entry as written (braces, quotes, macro names): read whole, a second entry with
    the key of the first had a quoted title and an unresolved journal, and the corpus's Scopus entry with a field
    written twice had its ten authors read as one braced name. A block reader cannot know every key of the file;
    every entry is read alike."""
    text = ('@string{jnl = {Journal of Things}}\n'
            '@article{a,\n  title = "Quoted",\n  journal = jnl,\n  author = {Smith, J. and Doe, A.},\n}\n'
            '@article{a,\n  title = "Quoted",\n  journal = jnl,\n  author = {Smith, J. and Doe, A.},\n}\n'
            '@article{b,\n  title = "Quoted",\n  journal = jnl,\n  author = {Smith, J. and Doe, A.},\n  year = 2020,\n'
            '  year = 2021,\n}\n')
    parsed = bibtex.read(text, "x.bib", None)
    assert [(r.title, r.journal, r.authors, r.line) for r in parsed.records] == [
        ("Quoted", "Journal of Things", ("Smith, J.", "Doe, A."), line) for line in (2, 7, 12)]
    assert parsed.records[0].tags[2:] == parsed.records[1].tags[2:]
    assert parsed.warnings == ("x.bib:12: a field is written twice; the first value is used",)


def test_a_macro_resolves_in_the_entries_after_its_definition() -> None:
    """BibTeX's rule: a macro is defined for the entries after its ``@string``. Before it, the value is the name
    as written, whatever the blocks (a block reader cannot look ahead)."""
    text = ('@article{early,\n  journal = jnl,\n}\n@string{jnl = "Journal of Things"}\n'
            '@article{late,\n  journal = jnl,\n  title = "On " # jnl,\n}\n@string{jnl = "Again"}\n'
            '@article{last,\n  journal = jnl,\n}\n')
    parsed = bibtex.read(text, "x.bib", None)
    assert [(r.journal, r.title) for r in parsed.records] == [
        ("jnl", ""), ("Journal of Things", "On Journal of Things"), ("Journal of Things", "")]  # the first kept
    assert _streamed(text, 3) == _whole(parsed)


def test_lines_ending_in_a_backslash_are_counted_and_a_broken_entry_after_one_is_not_lost() -> None:
    """bibtexparser does not count a line ending in ``\\`` (a LaTeX ``\\\\`` line break in an abstract): read
    whole, the entries after it were a line early, and the broken entry below was dropped without a word (its
    re-read looked at the line before it)."""
    text = ("@article{a,\n  title = {First},\n  abstract = {line one\\\\\n  line two},\n}\n\n"
            "@article{b,\n  title = {Second, never closed,\n  year = {2020}\n\n"
            "@article{c,\n  title = {Third},\n}\n")
    parsed = bibtex.read(text, "x.bib", None)
    assert [(r.title, r.position, r.line) for r in parsed.records] == [("First", 1, 1), ("Third", 3, 11)]
    assert [(j.position, j.line) for j in parsed.rejected] == [(2, 7)]
    assert _streamed(text, 5) == _whole(parsed)


ENTRY = "@article{kN,\n  title = {Entry N},\n  year = {2000},\n}\n\n"


def test_a_damaged_stretch_with_no_entry_start_is_cut_with_a_warning_naming_the_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory stays bounded in a damaged file: a stretch of over ``MAX_UNCUT_CHARS`` (here 300) with no line
    starting an entry is cut at its last line start within the bound, with a damage warning naming the line and
    the line the stretch began; the entry the cut goes through is rejected (its first part; the rest is text
    between entries), the entries after it are read, and the blocks do not change any of it."""
    monkeypatch.setattr(bibtex, "MAX_UNCUT_CHARS", 300)
    junk = "".join(f"  scraped line {n} of a web page pasted into the abstract\n" for n in range(8))
    text = (ENTRY.replace("N", "1") + "@article{k2,\n  title = {Entry 2},\n  abstract = {" + junk + "  end},\n}\n\n"
            + ENTRY.replace("N", "3") + ENTRY.replace("N", "4"))
    parsed = bibtex.read(text, "x.bib", None)
    assert [r.title for r in parsed.records] == ["Entry 1", "Entry 3", "Entry 4"]
    assert [(j.position, j.line) for j in parsed.rejected] == [(2, 6)]
    forced = damaged(parsed.warnings)
    assert len(forced) == 1 and forced[0].startswith("x.bib:12: no BibTeX entry starts a line in the 0 MB from line 6")
    assert "cut at line 12" in forced[0] and len(text[:text.index("  scraped line 4")]) - len(ENTRY) <= 300
    for size in (7, 64, 4096):
        assert _streamed(text, size) == _whole(parsed), size
        batches = list(bibtex._batches((text[i:i + size] for i in range(0, len(text), size)), "x.bib"))
        assert "".join(b.text for b in batches) == text and max(len(b.text) for b in batches) <= 300 + size


def test_a_file_of_one_entry_start_and_junk_is_read_in_bounded_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """No line starts an entry after the first: every batch is still at most the bound (plus a block)."""
    monkeypatch.setattr(bibtex, "MAX_UNCUT_CHARS", 200)
    text = "@article{k,\n" + "".join(f"junk {n} {{\n" for n in range(400))
    parsed = bibtex.read(text, "x.bib", None)
    assert [(j.position, j.line) for j in parsed.rejected] == [(1, 1)] and not parsed.records
    assert len(damaged(parsed.warnings)) == len(text) // 200
    batches = list(bibtex._batches([text], "x.bib"))
    assert max(len(b.text) for b in batches) <= 200 and "".join(b.text for b in batches) == text
    assert _streamed(text, 10) == _whole(parsed)


def test_a_bibtex_file_over_the_size_read_whole_imports_block_by_block(
        shared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the CLI, as a reviewer runs it, with the size read whole and the block made small (a test does not
    write 256 MB): imported, block by block, with the records a whole reading gives."""
    corpus = shared_dir / "corpus" / "wos" / "bibtex" / "pybibx__wos_m.bib"
    path = tmp_path / "wos.bib"
    path.write_bytes(corpus.read_bytes())
    monkeypatch.setattr(formats, "MAX_WHOLE_BYTES", 1000)
    monkeypatch.setattr(importing, "STREAM_ABOVE_BYTES", 1000)
    monkeypatch.setattr(encoding_module, "BLOCK_BYTES", 512)
    monkeypatch.setattr(streaming, "BLOCK_BYTES", 512)
    with pytest.raises(FormatError, match="import it .prisma-harvest import., which reads this format block by block"):
        formats.read_file(path)
    protocol = tmp_path / "review.toml"
    protocol.write_text(f'[review]\nid = "t"\nledger = "{tmp_path / "ledger.sqlite"}"\n[query]\ntext = "x"\n'
                        '[[sources]]\nname = "WoS"\nkind = "file"\ndatabase = "Web of Science"\nfiles = []\n',
                        encoding="utf-8")
    result = CliRunner().invoke(app, ["import", str(protocol), str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)[0]
    monkeypatch.setattr(formats, "MAX_WHOLE_BYTES", 1 << 30)
    whole = formats.read_file(path)
    assert (data["status"], data["format"], data["imported"], data["rejected"]) == (
        "imported", "bibtex", len(whole.records), []) and data["imported"] == 29
    assert "read block by block" in data["message"]
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        stored = [(s.record.title, s.record.line, s.record.raw, s.record.tags) for s in iter_records(ledger)]
    assert stored == [(r.title, r.line, r.raw, r.tags) for r in whole.records]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["@article{", "@a(", " @b {", "@string{", "@comment{", "k,", "t = ", "{", "}", "(",
                                 ")", '"', "\\", "\n", "\n\n", "x", "#", ",", "= 1", "@", "\t"]), max_size=60),
       st.integers(min_value=1, max_value=12))
def test_bibtex_shaped_noise_reads_the_same_in_any_blocks(parts: list[str], size: int) -> None:
    """The argument for cutting before a line opening with ``@word{`` (bibtexparser starts a block there whatever it
    was reading), tried on noise made of BibTeX's marks: parens, quotes, backslashes before newlines, macros."""
    text = "".join(parts)
    assert _streamed(text, size) == _whole(bibtex.read(text, "x.bib", None))


def test_a_batch_read_leaves_no_garbage_cycle_behind(shared_dir: Path) -> None:
    """bibtexparser keeps the error of a block it gave up on, whose traceback holds its splitter and the batch's
    text in a reference cycle (and every batch ends in one: the sentinel). Left so, the batches pile up until the
    garbage collector runs: a 30 MB file streamed in 1 MB blocks peaked at 153 MB of Python memory, 19 MB with
    the tracebacks dropped. With the collector off, four times the text takes about the same peak."""
    import gc
    import tracemalloc

    text = inspect_path(shared_dir / "corpus" / "wos" / "bibtex" / "pybibx__wos_m.bib").text()
    peaks = []
    enabled = gc.isenabled()
    gc.disable()
    try:
        for copies in (2, 8):
            big = (text.rstrip("\n") + "\n\n") * copies
            tracemalloc.start()
            try:
                count = sum(1 for _ in bibtex.stream((big[i:i + 65536] for i in range(0, len(big), 65536)), "x.bib",
                                                     None, []))
                peaks.append(tracemalloc.get_traced_memory()[1])
            finally:
                tracemalloc.stop()
            assert count == 29 * copies
    finally:
        if enabled:
            gc.enable()
    assert peaks[1] < 1.5 * peaks[0], peaks
