"""Fuzz the importers with many mutants of the real corpus exports (``tests/fuzz_corpus.py``): count tracebacks,
hangs and silent count changes (records read that differ from the file's true count with no rejected record,
warning or refusal), by mutation and by format, with the seed of each bad case so it can be reproduced.

    .venv/bin/python benchmarks/fuzz_formats.py --mutants 20000 --seed 1

Each bad case is printed with its export, mutation, mutant seed and the offset (and line) of the first byte
the mutation changed. One mutant is made again and read, with what the reading said, by

    .venv/bin/python benchmarks/fuzz_formats.py --replay PATH MUTATION SEED [--save mutant.bin]

Exit code 1 when any traceback, hang or silent count change was found.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.fuzz_corpus import Export, corpus_exports, first_change, mutants, read_mutant  # noqa: E402
from tests.test_corpus_manifest import MANIFEST_ERRATA  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutants", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shared", type=Path,
                        default=Path(os.environ.get("PRISMA_HARVEST_SHARED", REPO.parent / "shared")))
    parser.add_argument("--replay", nargs=3, metavar=("PATH", "MUTATION", "SEED"),
                        help="make one mutant again (corpus path, mutation, mutant seed) and show its reading")
    parser.add_argument("--save", type=Path, help="with --replay: write the mutant's bytes to this file")
    args = parser.parse_args()
    exports = corpus_exports(args.shared, {path: count for path, (count, _) in MANIFEST_ERRATA.items()})
    if args.replay:
        path, mutation, seed = args.replay
        return replay(exports, path, mutation, seed, save=args.save)
    started = time.perf_counter()
    outcomes = [read_mutant(export, mutation, seed) for export, mutation, seed in
                mutants(exports, args.mutants, args.seed)]
    elapsed = time.perf_counter() - started
    kinds = Counter(o.kind for o in outcomes)
    by_mutation = Counter((o.mutation, o.kind) for o in outcomes)
    slowest = max(outcomes, key=lambda o: o.seconds)
    print(f"{len(outcomes)} mutants of {len(exports)} corpus exports (seed {args.seed}) in {elapsed:.1f} s")
    print("outcomes: " + ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())))
    for mutation in sorted({o.mutation for o in outcomes}):
        row = {kind: by_mutation[(mutation, kind)] for kind in ("read", "refused")}
        print(f"  {mutation:15} read {row['read']:6}  refused {row['refused']:6}")
    print(f"slowest mutant: {slowest.seconds:.2f} CPU s ({slowest.export}, {slowest.mutation}, seed {slowest.seed})")
    bad = [o for o in outcomes if o.kind in ("traceback", "hang", "silent-count-change")]
    for outcome in bad[:50]:
        print(f"BAD {outcome.kind} {outcome.export} {outcome.mutation} seed {outcome.seed} at {outcome.where}: "
              f"{outcome.detail}")
    print(f"tracebacks {kinds['traceback']}, hangs {kinds['hang']}, "
          f"silent count changes {kinds['silent-count-change']}")
    return 1 if bad else 0


def replay(exports: list[Export], path: str, mutation: str, seed: str, save: Path | None) -> int:
    """One mutant made again: where it changed its export, and what reading it gave."""
    from harvester.errors import FormatError
    from harvester.formats import read_bytes
    from tests.fuzz_corpus import make_mutant

    export = next(e for e in exports if e.path == path)
    data, change = make_mutant(export, mutation, int(seed))
    if save:
        save.write_bytes(data)
    print(f"{path} {mutation} seed {seed}: {len(export.data)} -> {len(data)} bytes, first change at "
          f"{first_change(export.data, data)}; true count {export.records}"
          + ("" if change is None else f", {export.records + change} in the mutant (a valid export, as "
                                       "tests/fuzz_corpus.py says)"))
    try:
        parsed = read_bytes(data, f"mutant-{seed}.txt")
    except FormatError as error:
        print(f"refused: {error}")
        return 0
    print(f"format {parsed.format}, records read {parsed.records_read} (rejected {len(parsed.rejected)})")
    for rejected in parsed.rejected:
        print(f"  rejected: {rejected}")
    for warning in parsed.warnings:
        print(f"  warning: {warning}")
    outcome = read_mutant(export, mutation, int(seed))
    print(f"outcome: {outcome.kind} {outcome.detail}")
    return 1 if outcome.kind in ("traceback", "hang", "silent-count-change") else 0


if __name__ == "__main__":
    raise SystemExit(main())
