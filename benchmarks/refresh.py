"""Refresh de-duplication cost: the incremental path (newcomers against the ledger) vs a full run.

A ledger of N synthetic records (10% of them a second copy of another, as a second database exports it)
is de-duplicated in full once; then M new records arrive (5% the same article as a held record) and are
de-duplicated two ways on copies of the same ledger, each timed in a fresh interpreter (so neither gains
from caches the other warmed): ``dedupe_new`` (what a refresh does) and ``dedupe_ledger`` (everything
again). Prints both times, the ratio, whether both give the same clusters, and the command.

    .venv/bin/python benchmarks/refresh.py --records 50000 --new 1000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # for tests.synthetic, the generator the refresh tests use too

from harvester import protocol as protocol_module  # noqa: E402
from harvester.dedup import dedupe_ledger, dedupe_new  # noqa: E402
from harvester.ledger import Ledger, duplicates  # noqa: E402
from harvester.ledger.records import add_records, max_record_id, record_ids_after  # noqa: E402
from harvester.ledger.runs import finish_run, start_run  # noqa: E402
from harvester.records import Record  # noqa: E402
from tests.synthetic import article, second_copy  # noqa: E402

PROTOCOL = """
[review]
id = "bench"
ledger = "{ledger}"
[query]
text = "peer AND support"
[[sources]]
name = "MEDLINE"
kind = "pubmed"
[[sources]]
name = "Scopus"
kind = "other"
method = "other"
files = ["none.ris"]
[dedup]
source_preference = ["MEDLINE", "Scopus"]
"""


def store(ledger: Ledger, records: list[Record], source: str, kind: str) -> None:
    run_id = start_run(ledger, kind, source=source)
    add_records(ledger, records, run_id=run_id, source=source)
    finish_run(ledger, run_id, "ok", count_retrieved=len(records))


def measure(mode: str, protocol_path: Path, ledger_path: Path, after: int) -> dict[str, object]:
    """One de-duplication, timed in this (fresh) interpreter so that no warm cache of a previous run helps."""
    review = {"id": "bench", "ledger": str(ledger_path)}
    protocol = protocol_module.from_dict({**_toml(protocol_path), "review": review}, protocol_path)
    with Ledger.open(ledger_path) as ledger:
        new_ids = record_ids_after(ledger, after)
        if mode == "cold":  # a full run that must store every record's keys (first run, or the normaliser changed)
            duplicates.store_keys(ledger, "", [], clear=True)
        started = time.perf_counter()
        summary = dedupe_new(ledger, protocol, new_ids) if mode == "incremental" else dedupe_ledger(ledger, protocol)
        seconds = time.perf_counter() - started
        run_id = duplicates.latest_dedupe_run(ledger) or 0
        written = [sorted((d.record_id, d.duplicate_of, d.matched_with, d.rule)
                          for d in duplicates.duplicate_rows(ledger)),
                   [(p.record_a, p.record_b, p.verdict, p.rule, p.open) for p in duplicates.pair_rows(ledger, run_id)]]
    digest = hashlib.sha256(json.dumps(written).encode()).hexdigest()[:16]
    return {"seconds": seconds, "mode": summary.mode, "candidate_pairs": summary.candidate_pairs,
            "duplicates": summary.duplicates, "clusters": summary.clusters, "new": len(new_ids), "digest": digest}


def in_fresh_interpreter(mode: str, protocol_path: Path, ledger_path: Path, after: int) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--measure", mode, "--protocol", str(protocol_path),
                           "--ledger", str(ledger_path), "--after", str(after)], capture_output=True, text=True,
                          check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000, help="records held before the refresh")
    parser.add_argument("--new", type=int, default=1_000, help="records the refresh brings in")
    parser.add_argument("--measure", choices=("incremental", "full", "cold"), help=argparse.SUPPRESS)
    parser.add_argument("--protocol", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ledger", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--after", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.protocol, args.ledger, args.after)))
        return 0
    folder = Path(tempfile.mkdtemp(prefix="refresh-bench-"))
    try:
        protocol_path = folder / "bench.toml"
        protocol_path.write_text(PROTOCOL.format(ledger=folder / "bench.sqlite"), encoding="utf-8")
        protocol = protocol_module.load(protocol_path)
        originals = int(args.records / 1.1)
        held = [article(n) for n in range(1, originals + 1)]
        copies = [second_copy(r, "Scopus") for r in held[: args.records - originals]]
        new = [article(n) for n in range(originals + 1, originals + 1 + args.new - args.new // 20)]
        new += [second_copy(article(n), "Scopus") for n in range(originals - args.new // 20 + 1, originals + 1)]
        with Ledger.open(protocol.ledger_path) as ledger:
            store(ledger, held, "MEDLINE", "search")
            store(ledger, copies, "Scopus", "import")
            started = time.perf_counter()
            dedupe_ledger(ledger, protocol)
            first_run = time.perf_counter() - started
            before = max_record_id(ledger)
            store(ledger, [r for r in new if r.pmid], "MEDLINE", "search")
            store(ledger, [r for r in new if not r.pmid], "Scopus", "import")
        copy, cold_copy = folder / "full.sqlite", folder / "cold.sqlite"
        shutil.copy(protocol.ledger_path, copy)
        shutil.copy(protocol.ledger_path, cold_copy)
        inc = in_fresh_interpreter("incremental", protocol_path, protocol.ledger_path, before)
        whole = in_fresh_interpreter("full", protocol_path, copy, before)
        cold = in_fresh_interpreter("cold", protocol_path, cold_copy, before)
        print(f"command: {sys.executable} benchmarks/refresh.py --records {args.records} --new {args.new}")
        print(f"ledger: {args.records} records held ({len(copies)} second copies), {inc['new']} new "
              f"({args.new // 20} the same article as a held record); each run timed in a fresh interpreter")
        print(f"first full de-duplication of {args.records} (stores every record's keys; same interpreter that"
              f" built the ledger): {first_run:.2f} s")
        print(f"full de-duplication of {args.records + inc['new']} with no keys stored (stores them all):"
              f" {cold['seconds']:.2f} s")
        print(f"refresh de-duplication (dedupe_new, mode {inc['mode']}): {inc['seconds']:.2f} s, "
              f"{inc['candidate_pairs']} candidate pairs compared")
        print(f"full de-duplication of {args.records + inc['new']}: {whole['seconds']:.2f} s, "
              f"{whole['candidate_pairs']} candidate pairs compared")
        print(f"ratio refresh/full: {inc['seconds'] / whole['seconds']:.3f}")
        same = (inc["digest"], inc["duplicates"], inc["clusters"]) == (whole["digest"], whole["duplicates"],
                                                                         whole["clusters"])
        print(f"same result: {same} (duplicates {inc['duplicates']} vs {whole['duplicates']}; every duplicate's"
              f" kept record, matched-with record and rule, and every pair with its verdict and open flag:"
              f" digest {inc['digest']} vs {whole['digest']})")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def _toml(path: Path) -> dict[str, object]:
    import tomllib

    return tomllib.loads(path.read_text(encoding="utf-8"))


if __name__ == "__main__":
    raise SystemExit(main())
