"""A small fuzz run over the real corpus (the large one is ``benchmarks/fuzz_formats.py``): mutants of every
import-scope export (flipped and inserted bytes, NULs, deleted spans and lines, doubled and swapped lines,
a Latin-1 byte, other line endings, cuts inside a record, two copies joined, over-long lines; and structural
ones: cuts at a line end, blocks of lines deleted and doubled, lines joined, split, lower-cased, stripped, a
tab for two spaces, a structural character deleted, blank lines inserted), each read as the importer reads
it. None may raise anything but a one-line FormatError, hang, or change the number of records without a sign
(a rejected record, a warning or a refusal). A mutant that is a valid export with another count is read
against its own count (the valid-export rule in ``tests/fuzz_corpus.py``)."""

from __future__ import annotations

from pathlib import Path

from tests.fuzz_corpus import MUTATIONS, corpus_exports, run
from tests.test_corpus_manifest import MANIFEST_ERRATA

MUTANTS = 400
SEED = 20261206


def test_mutated_corpus_files_give_no_traceback_no_hang_and_no_silent_count_change(shared_dir: Path) -> None:
    exports = corpus_exports(shared_dir, {path: count for path, (count, _) in MANIFEST_ERRATA.items()})
    tally = run(exports, MUTANTS, SEED)
    kinds = tally.kinds
    shown = "\n".join(f"{o.kind} {o.export} {o.mutation} seed {o.seed}: {o.detail}" for o in tally.bad()[:10])
    assert not tally.bad(), shown
    assert kinds["read"] + kinds["refused"] == MUTANTS
    assert kinds["refused"] and kinds["read"]  # both kinds happen: the mutants are neither all fatal nor all harmless
    assert {o.mutation for o in tally.outcomes} == set(MUTATIONS)  # every mutation was tried
