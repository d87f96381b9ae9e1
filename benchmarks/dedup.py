"""Our de-duplicator against bib-dedupe on the labelled sets, on this machine: time, peak memory, accuracy.

    .venv/bin/python benchmarks/dedup.py [--sets stroke,diabetes] [--venv /tmp/bd-venv] [--skip-bib-dedupe]

bib-dedupe (MIT, pip-installable) is not a project dependency: it is installed into its own virtual
environment (default /tmp/bd-venv, created with `pip install bib-dedupe` when missing). Each tool runs
in a fresh subprocess per set, which reports the time of de-duplication alone (records already loaded)
and its own peak resident memory (ru_maxrss, which includes the interpreter and libraries). Record-level
TP/FP/FN follow the sets' README; pairwise precision and recall are printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.dedup_sets import PUBLISHED_BIB_DEDUPE, SETS, load_set, score  # noqa: E402

SHARED = Path(os.environ.get("PRISMA_HARVEST_SHARED", REPO.parent / "shared"))
DATA = SHARED / "benchmarks" / "dedup"

OURS = r'''
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from benchmarks.dedup_sets import load_set
from harvester.dedup import dedupe
labelled = load_set(Path(sys.argv[2]), sys.argv[3])
start = time.perf_counter()
result = dedupe(labelled.records)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "clusters": [list(c.members) for c in result.clusters], "uncertain": len(result.uncertain),
                  "asked": [[p.a, p.b] for p in result.uncertain]}))
'''

BIB_DEDUPE = r'''
import json, resource, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from bib_dedupe.bib_dedupe import block, cluster, match, prep
from bib_dedupe import verbose_print
verbose_print.verbosity_level = 0
import io
frame = pd.read_json(io.StringIO(sys.stdin.read()), orient="records", dtype=False)
start = time.perf_counter()
prepared = prep(frame, verbosity_level=0)
pairs = block(prepared, verbosity_level=0)
matched = match(pairs, verbosity_level=0)
clusters = cluster(matched, verbosity_level=0)
seconds = time.perf_counter() - start
maybe = int((matched["duplicate_label"] == "maybe").sum()) if "duplicate_label" in matched else 0
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "clusters": [[int(str(i).removeprefix("id_")) for i in c] for c in clusters], "uncertain": maybe}))
'''


def ensure_bib_dedupe(venv: Path) -> Path:
    """The venv's python with bib-dedupe installed (created on first use)."""
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} and installing bib-dedupe (not a project dependency)", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    check = subprocess.run([str(python), "-c", "import bib_dedupe"], capture_output=True)
    if check.returncode:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "bib-dedupe"], check=True)
    return python


def bib_dedupe_frame(name: str) -> str:
    """The set as the JSON records bib-dedupe reads (its own columns; authors joined with ' and ')."""
    labelled = load_set(DATA, name)
    rows = []
    for record_id, record in labelled.records:
        entry = dict(record.tags).get("ENTRYTYPE", "article")
        rows.append({"ID": f"id_{record_id:07d}", "ENTRYTYPE": entry, "title": record.title,
                     "author": " and ".join(record.authors), "year": str(record.year or ""),
                     "journal": record.journal if entry == "article" else "",
                     "booktitle": record.journal if entry != "article" else "", "volume": record.volume,
                     "number": record.issue, "pages": record.pages, "doi": record.doi, "abstract": record.abstract})
    return json.dumps(rows)


def missed_asked(truth: list[list[int]], clusters: list[list[int]], asked: list[list[int]]) -> int:
    """Of the missed duplicates (FN, record level), how many a person is asked about: the found groups a true
    cluster falls into that the pairs for people would join (the rest are silent misses)."""
    group = {m: i for i, c in enumerate(clusters) for m in c}
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.get(x, x) != x:
            x = parent[x]
        return x
    for a, b in asked:
        ga, gb = find(group.get(a, -a)), find(group.get(b, -b))
        if ga != gb:
            parent[ga] = gb
    count = 0
    for members in truth:
        groups = {group.get(m, -m) for m in members}
        count += len(groups) - len({find(g) for g in groups})
    return count


def asked_text(truth: list[list[int]], found: dict, fn: int) -> str:
    """``  asked / silent`` for a tool that reports its pairs for people (ours), else nothing."""
    if "asked" not in found:
        return ""
    asked = missed_asked(truth, found["clusters"], found["asked"])
    return f"  {asked} / {fn - asked}"


def run(command: list[str], stdin: str | None = None) -> dict:
    started = time.perf_counter()
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{command[0]} failed:\n{done.stderr[:3000]}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    found["wall"] = time.perf_counter() - started
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--venv", type=Path, default=Path("/tmp/bd-venv"))
    parser.add_argument("--skip-bib-dedupe", action="store_true")
    args = parser.parse_args()
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}  (cpus: {os.cpu_count()})")
    python = None if args.skip_bib_dedupe else ensure_bib_dedupe(args.venv)
    header = (f"{'set':<20}{'records':>8} {'tool':<11}{'time s':>8}{'peak MB':>9}{'TP':>6}{'FP':>4}{'FN':>4}"
              f"{'pair P':>8}{'pair R':>8}{'maybe':>7}  FN asked / silent")
    print(header)
    for name in args.sets.split(","):
        labelled = load_set(DATA, name)
        results = {"ours": run([sys.executable, "-c", OURS, str(REPO), str(DATA), name])}
        if python is not None:
            results["bib-dedupe"] = run([str(python), "-c", BIB_DEDUPE], stdin=bib_dedupe_frame(name))
        for tool, found in results.items():
            s = score(labelled.clusters, found["clusters"])
            print(f"{name:<20}{len(labelled.records):>8} {tool:<11}{found['seconds']:>8.2f}{found['peak_mb']:>9.0f}"
                  f"{s.tp:>6}{s.fp:>4}{s.fn:>4}{s.pair_precision:>8.4f}{s.pair_recall:>8.4f}{found['uncertain']:>7}"
                  f"{asked_text(labelled.clusters, found, s.fn)}")
        if "bib-dedupe" in results:
            ratio = results["bib-dedupe"]["seconds"] / max(results["ours"]["seconds"], 1e-9)
            published = PUBLISHED_BIB_DEDUPE.get(name)
            note = f"; bib-dedupe published TP/FP/FN {published}" if published else ""
            print(f"{'':<20}{'':>8} ours is {ratio:.1f}x faster{note}")


if __name__ == "__main__":
    main()
