"""Do the rules stay free of false merges when records carry less than the labelled sets give?

    .venv/bin/python benchmarks/dedup_robustness.py [--blank 0.15] [--seeds 3] [--sets stroke,diabetes]

The labelled sets are a few reviews' exports; other reviews' exports leave out other fields. This
blanks each of volume, issue, pages, DOI, journal, year and authors in a share of the records
(independently, with a fixed seed), runs the de-duplicator and prints record-level TP/FP/FN and
the pairs left to people. What it measures is the direction of the errors: missing evidence should
turn merges into questions for people (FN and "maybe" grow), never into false merges (FP stays 0).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.dedup_sets import SETS, load_set, score  # noqa: E402
from harvester.dedup import dedupe  # noqa: E402
from harvester.records import Record  # noqa: E402

SHARED = Path(os.environ.get("PRISMA_HARVEST_SHARED", REPO.parent / "shared"))

#: The fields blanked, with their empty value.
BLANKS: dict[str, object] = {"volume": "", "issue": "", "pages": "", "doi": "", "journal": "", "year": None,
                             "authors": ()}


def thinned(records: list[tuple[int, Record]], share: float, seed: int) -> list[tuple[int, Record]]:
    """The records with each field of :data:`BLANKS` emptied in about ``share`` of them."""
    rnd = random.Random(seed)
    out = []
    for record_id, record in records:
        changes = {name: empty for name, empty in BLANKS.items() if rnd.random() < share}
        out.append((record_id, dataclasses.replace(record, **changes)))  # type: ignore[arg-type]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blank", type=float, default=0.15, help="share of records losing each field")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sets", default=",".join(SETS[1:]))
    args = parser.parse_args()
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}  (cpus: {os.cpu_count()})")
    print(f"{'set':<20} {'seed':>4} {'records':>7} {'TP':>5} {'FP':>3} {'FN':>4} {'maybe':>5}")
    for name in args.sets.split(","):
        labelled = load_set(SHARED / "benchmarks" / "dedup", name)
        whole = dedupe(labelled.records)
        found = score(labelled.clusters, [list(c.members) for c in whole.clusters])
        print(f"{name:<20} {'-':>4} {len(labelled.records):>7} {found.tp:>5} {found.fp:>3} {found.fn:>4}"
              f" {len(whole.uncertain):>5}   (as given)")
        for seed in range(args.seeds):
            result = dedupe(thinned(labelled.records, args.blank, seed))
            found = score(labelled.clusters, [list(c.members) for c in result.clusters])
            print(f"{name:<20} {seed:>4} {len(labelled.records):>7} {found.tp:>5} {found.fp:>3} {found.fn:>4}"
                  f" {len(result.uncertain):>5}")


if __name__ == "__main__":
    main()
