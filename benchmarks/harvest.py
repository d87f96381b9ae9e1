"""PubMed harvest benchmark: records/s against what the pace limit allows, and peak memory.

Runs ``prisma-harvest search`` (a separate process, so its peak memory is its own) against the fake
E-utilities server (tests/fake_eutils.py, in this process) holding N records, with NCBI's own pace
enforced by the server (3 requests/s, 10/s with an API key) and the harvester's default settings
(batch of 200 PMIDs per EFetch, NCBI's pace for the key situation, no rate override).

What the pace allows: the fewest requests that can fetch N records are ceil(N / batch) EFetches plus
ceil(N / 9,999) ESearches; at the limit's rate they take ``minimum / limit`` seconds, so the bound is
``N / (minimum / limit)`` records/s. The figure printed is the measured records/s (wall clock of the
whole command, start-up included) as a fraction of that bound; the harvester paces 10% under the limit
on purpose (see harvester/sources/pace.py), so about 0.9 is the ceiling.

    .venv/bin/python benchmarks/harvest.py                      # 100,000 records, with an API key (10/s)
    .venv/bin/python benchmarks/harvest.py --no-key             # 3/s: about three minutes
    .venv/bin/python benchmarks/harvest.py --records 25000 --faults 0.02
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from harvester.sources.pubmed import CAP, DEFAULT_BATCH, LIMIT, LIMIT_WITH_KEY  # noqa: E402
from tests.fake_eutils import FakeEutils, Faults  # noqa: E402

TARGET_FRACTION = 0.8
TARGET_MEMORY_MB = 300


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--key", action=argparse.BooleanOptionalAction, default=True,
                        help="harvest with an API key (10 requests/s) or without (3/s)")
    parser.add_argument("--faults", type=float, default=0.0, help="probability of each fault kind per request")
    args = parser.parse_args()

    limit = LIMIT_WITH_KEY if args.key else LIMIT
    batch = DEFAULT_BATCH
    with tempfile.TemporaryDirectory(prefix="harvest-bench-") as folder:
        protocol = Path(folder) / "bench.toml"
        protocol.write_text(
            '[review]\nid = "bench"\nledger = "bench.sqlite"\nemail = "bench@example.org"\n'
            "[query]\ntext = '\"peer supporter\" AND health'\ndefault_field = \"tiab\"\n"
            '[[sources]]\nname = "MEDLINE"\nkind = "pubmed"\nmindate = "2000"\nmaxdate = "2019"\n',
            encoding="utf-8")
        faults = Faults(rate=args.faults, retry_after="1", slow_seconds=0.2, stall_seconds=5.0)
        with FakeEutils(args.records, limit=LIMIT, key_limit=LIMIT_WITH_KEY, faults=faults,
                        start=date(2000, 1, 1), end=date(2019, 12, 31)) as fake:
            env = {k: v for k, v in os.environ.items() if not k.startswith("PRISMA_HARVEST_EUTILS_")}
            env["PRISMA_HARVEST_EUTILS_URL"] = fake.url
            env.pop("NCBI_API_KEY", None)
            if args.key:
                env["NCBI_API_KEY"] = "benchmark-key"
            command = [sys.executable, "-m", "harvester.cli.main", "search", str(protocol), "--json"]
            print("benchmark:", shlex.join([sys.executable, *sys.argv]))
            print("harvest:  ", ("NCBI_API_KEY=... " if args.key else "")
                  + f"PRISMA_HARVEST_EUTILS_URL={fake.url} " + shlex.join(command), flush=True)
            started = time.monotonic()
            result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
            elapsed = time.monotonic() - started
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            peak_mb = usage.ru_maxrss / 1024
            cpu = usage.ru_utime + usage.ru_stime
            stats = fake.stats
        if result.returncode != 0:
            print(result.stdout, result.stderr, file=sys.stderr)
            return 1
        (outcome,) = json.loads(result.stdout)
        ledger_mb = (Path(folder) / "bench.sqlite").stat().st_size / 1e6

    records = outcome["count_retrieved"]
    minimum = math.ceil(args.records / batch) + math.ceil(args.records / CAP)
    bound = args.records / (minimum / limit)
    achieved = records / elapsed
    fraction = achieved / bound
    print(f"records: {records} of {args.records} (status {outcome['status']}, {outcome['slices']} slices)")
    print(f"requests: {stats.total} ({dict(stats.requests)}); minimum for batch {batch}: {minimum}; "
          f"429 from our own pace: {stats.pace_429}; faults injected: {dict(stats.faults) or 'none'}")
    print(f"time: {elapsed:.1f} s (harvest process CPU {cpu:.1f} s); records/s: {achieved:.0f}; "
          f"the pace limit ({limit:g}/s) allows {bound:.0f}/s")
    print(f"fraction of the bound: {fraction:.2f} (target >= {TARGET_FRACTION})")
    print(f"peak memory of the harvest process: {peak_mb:.0f} MB (target < {TARGET_MEMORY_MB} MB); "
          f"ledger {ledger_mb:.0f} MB")
    ok = records == args.records and stats.pace_429 == 0 and peak_mb < TARGET_MEMORY_MB
    if not args.faults:
        ok = ok and fraction >= TARGET_FRACTION
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
