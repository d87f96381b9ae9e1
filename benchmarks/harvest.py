"""PubMed harvest benchmark: requests against the minimum, time against the pace bound, each record once.

Runs ``prisma-harvest search`` (a separate process, so its peak memory is its own) against the fake
E-utilities server (tests/fake_eutils.py, in this process) holding N records, with NCBI's own pace
enforced by the server (3 requests/s without a key, 10/s with one), injected faults (each of the eight
kinds with probability ``--faults`` per request) and big EFetch answers breaking the way users of the
real service report (over 2,000 records, cut short half of the time: fault kind ``oversize``). The
harvester runs with its default settings (EFetch batches up to 10,000 PMIDs, adapting; NCBI's pace for
the key situation), unless ``--batch`` sets ``PRISMA_HARVEST_EUTILS_BATCH``.

What it prints, all measured in the one run:

- requests, counted by the fake server, against the minimum for the batch size (the ESearches the cap
  needs: the whole search and each slice, plus ceil(N / batch) EFetches), against the same minimum with
  500-PMID batches, and against the issue's bound (63 + one per injected fault at 25,000 records);
- faults injected, by kind, and the HTTP 429s the harvester's own pace caused (must be 0);
- wall time against requests / allowed rate (at NCBI's pace the request count is the time; the
  harvester paces 10% under the limit on purpose, see harvester/sources/pace.py), and the harvest
  process's CPU time (parsing and storing, which the pace does not bound);
- each record exactly once: rows and distinct PMIDs in the ledger, the fake's PMIDs all there, and how
  many records the server sent whole more than once;
- the peak memory of the harvest process; the EFetch batch sizes asked for, in order.

    .venv/bin/python benchmarks/harvest.py                       # 25,000 records, no key (3/s), 2% faults
    .venv/bin/python benchmarks/harvest.py --batch 500           # the same with 500-PMID batches
    .venv/bin/python benchmarks/harvest.py --records 100000 --key --faults 0
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from harvester.sources.pubmed import LIMIT, LIMIT_WITH_KEY, MAX_BATCH  # noqa: E402
from tests.fake_eutils import FakeEutils, Faults  # noqa: E402

#: The issue's bound at 25,000 records: 63 requests (the minimum with 500-PMID batches is about 60) plus
#: one per injected fault.
ISSUE_BOUND = 63
TARGET_MEMORY_MB = 300


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=25_000)
    parser.add_argument("--key", action=argparse.BooleanOptionalAction, default=False,
                        help="harvest with an API key (10 requests/s) or without (3/s, the default)")
    parser.add_argument("--faults", type=float, default=0.02, help="probability of each fault kind per request")
    parser.add_argument("--oversize-rate", type=float, default=0.5,
                        help="probability that an EFetch answer over 2,000 records is cut short")
    parser.add_argument("--batch", type=int, default=None, help=f"PMIDs per EFetch (default {MAX_BATCH}, adapting)")
    args = parser.parse_args()

    limit = LIMIT_WITH_KEY if args.key else LIMIT
    batch = args.batch or MAX_BATCH
    with tempfile.TemporaryDirectory(prefix="harvest-bench-") as folder:
        protocol = Path(folder) / "bench.toml"
        protocol.write_text(
            '[review]\nid = "bench"\nledger = "bench.sqlite"\nemail = "bench@example.org"\n'
            "[query]\ntext = '\"peer supporter\" AND health'\ndefault_field = \"tiab\"\n"
            '[[sources]]\nname = "MEDLINE"\nkind = "pubmed"\nmindate = "2000"\nmaxdate = "2019"\n',
            encoding="utf-8")
        faults = Faults(rate=args.faults, retry_after="1", slow_seconds=0.2, stall_seconds=5.0,
                        oversize_rate=args.oversize_rate)
        with FakeEutils(args.records, limit=LIMIT, key_limit=LIMIT_WITH_KEY, faults=faults,
                        start=date(2000, 1, 1), end=date(2019, 12, 31)) as fake:
            env = {k: v for k, v in os.environ.items() if not k.startswith("PRISMA_HARVEST_EUTILS_")}
            env["PRISMA_HARVEST_EUTILS_URL"] = fake.url
            env.pop("NCBI_API_KEY", None)
            if args.key:
                env["NCBI_API_KEY"] = "benchmark-key"
            if args.batch:
                env["PRISMA_HARVEST_EUTILS_BATCH"] = str(args.batch)
            command = [sys.executable, "-m", "harvester.cli.main", "search", str(protocol), "--json"]
            print("benchmark:", shlex.join([sys.executable, *sys.argv]))
            print("harvest:  ", ("NCBI_API_KEY=... " if args.key else "")
                  + (f"PRISMA_HARVEST_EUTILS_BATCH={args.batch} " if args.batch else "")
                  + f"PRISMA_HARVEST_EUTILS_URL={fake.url} " + shlex.join(command), flush=True)
            started = time.monotonic()
            result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
            elapsed = time.monotonic() - started
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            peak_mb = usage.ru_maxrss / 1024
            cpu = usage.ru_utime + usage.ru_stime
            stats = fake.stats
            pmids = {str(p) for p in fake.pmids()}
        if result.returncode != 0:
            print(result.stdout, result.stderr, file=sys.stderr)
            return 1
        (outcome,) = json.loads(result.stdout)
        with sqlite3.connect(Path(folder) / "bench.sqlite") as ledger:
            rows, distinct = ledger.execute("SELECT COUNT(*), COUNT(DISTINCT source_id) FROM records").fetchone()
            stored = {row[0] for row in ledger.execute("SELECT source_id FROM records")}
            slices = ledger.execute("SELECT COUNT(*) FROM search_slices WHERE run_id = ?",
                                    (outcome["run_id"],)).fetchone()[0]

    injected = sum(stats.faults.values())
    esearches = 1 + slices if slices > 1 else 1  # the whole search, then each slice when it was split
    minimum = esearches + math.ceil(args.records / batch)
    minimum_500 = esearches + math.ceil(args.records / 500)
    bound = ISSUE_BOUND + injected
    pace_seconds = stats.total / limit
    twice = sum(1 for times in stats.served.values() if times > 1)
    asked = [entry["ids"] for entry in stats.log if entry["endpoint"] == "efetch"]
    once = rows == distinct == args.records and stored == pmids
    print(f"records: {outcome['count_retrieved']} of {args.records} (status {outcome['status']}, "
          f"{outcome['slices']} slices); ledger rows {rows}, distinct PMIDs {distinct}, every PMID of the server "
          f"{'there' if stored == pmids else 'NOT there'}; sent whole more than once by the server: {twice}"
          f" -> each record exactly once: {'yes' if once and not twice else 'NO'}")
    print(f"requests (the server's count): {stats.total} ({dict(stats.requests)}); minimum for batch {batch}: "
          f"{minimum} ({esearches} ESearch + {minimum - esearches} EFetch), ratio {stats.total / minimum:.2f}; "
          + (f"minimum for batch 500: {minimum_500}; " if batch != 500 else "")
          + f"issue 17's bound (at 25,000 records) {ISSUE_BOUND} + {injected} faults = {bound}: "
          f"{'within' if stats.total <= bound else 'OVER'}")
    print(f"faults injected: {injected} ({dict(stats.faults) or 'none'}); 429 from our own pace: {stats.pace_429}")
    print(f"time: {elapsed:.1f} s; requests / allowed rate ({limit:g}/s) = {pace_seconds:.1f} s, ratio "
          f"{elapsed / pace_seconds:.2f}; harvest process CPU {cpu:.1f} s")
    print(f"peak memory of the harvest process: {peak_mb:.0f} MB (target < {TARGET_MEMORY_MB} MB)")
    print(f"EFetch PMIDs asked, in order: {asked}")
    ok = once and not twice and stats.pace_429 == 0 and stats.total <= bound and peak_mb < TARGET_MEMORY_MB
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
