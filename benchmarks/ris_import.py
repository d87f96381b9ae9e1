"""RIS import speed and memory: our reader and our whole import against rispy's parse of the same file.

    .venv/bin/pip install rispy            # for this benchmark only; not a project dependency
    .venv/bin/python benchmarks/ris_import.py --corpus --sizes 100000 --repeat 2    # issue 17's figures
    .venv/bin/python benchmarks/ris_import.py [--sizes 50000 100000] [--ledger] [--repeat 3]

The file, one per size:

- with ``--corpus``: written by rispy from the corpus' RIS files (``../shared/corpus``, or
  ``PRISMA_HARVEST_SHARED``): rispy reads every RIS export of the corpus (Scopus, WoS, EBSCO, PsycINFO, Ovid,
  Embase, ProQuest, Zotero, EndNote, Rayyan, Dimensions, IEEE, JSTOR, TRID and rispy's own edge cases: 523
  records, about 2.7 KB each) and writes them again, over and over, up to the size (100,000 records: 275 MB).
  One corpus record is left out: rispy writes its unknown tag as ``None  - ...`` and cannot read that back;
- else generated Scopus-like records (title, 4 authors, journal, year, volume, issue, pages, DOI, ISSN, a
  ~900-character abstract, 5 keywords, accession number, URL).

Then it times, each in a fresh subprocess so peak memory (ru_maxrss) is that run's alone:

- ``rispy``: ``rispy.load(file)`` (a list of dicts);
- ``ours-file``: ``harvester.formats.read_file`` (decode, detect, parse to Records with raw text and tags);
- ``ours-stream``: ``harvester.formats.ris.iter_chunks`` over the file read in 1 MB blocks (the reader the
  import uses for files over 8 MB; memory should stay flat as the file grows);
- ``ours-import``: ``harvester.importing.import_file`` into a new SQLite ledger (the whole import, which
  streams these files into one transaction) (``--ledger`` adds it);
- ``ours-cli``: ``prisma-harvest import PROTOCOL FILE`` into a new ledger, as a reviewer runs it: the whole
  import, process start and command-line parsing included (with ``--corpus``).

CPU time is printed beside wall time: on a shared machine the wall time of either tool varies with load.

Prints one line per run, the speed ratio rispy/ours (> 1 means we are faster) by CPU and by wall time, and
with ``--repeat N`` (the tools interleaved run by run) the spread of the ratios over the N runs. With
``ours-cli``, each run also says whether the whole import met issue 17's bound: faster than rispy's parse of
the same file in the same run, at most 200 MB peak.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

_VOCABULARY = ("peer support workers health community mental qualitative study experience role identity "
         "recovery training supervision outcomes patients services programme evaluation trial "
         "systematic review meta-synthesis hospital clinic primary care tuberculosis HIV")
WORDS = _VOCABULARY.split()


def generate(path: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)

    def words(n: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(n))

    with path.open("w", encoding="utf-8", newline="\n") as out:
        for i in range(1, count + 1):
            out.write("TY  - JOUR\n")
            out.write(f"TI  - {words(12).capitalize()}\n")
            for _ in range(4):
                out.write(f"AU  - {rng.choice(WORDS).capitalize()}, {rng.choice('ABCDEFGH')}.{rng.choice('JKLMN')}.\n")
            out.write(f"PY  - {rng.randint(1990, 2024)}\n")
            out.write(f"T2  - Journal of {words(3).title()}\n")
            out.write(f"J2  - J {words(2).title()}\n")
            out.write(f"VL  - {rng.randint(1, 99)}\nIS  - {rng.randint(1, 12)}\n")
            start = rng.randint(1, 900)
            out.write(f"SP  - {start}\nEP  - {start + rng.randint(1, 20)}\n")
            out.write(f"DO  - 10.{rng.randint(1000, 9999)}/bench.{i}\n")
            out.write(f"SN  - {rng.randint(1000, 9999)}-{rng.randint(100, 999)}X (ISSN)\n")
            out.write(f"AB  - {words(130)}\n")
            for _ in range(5):
                out.write(f"KW  - {words(2)}\n")
            out.write("LA  - English\nM3  - Article\nDB  - Scopus\n")
            out.write(f"UR  - https://www.scopus.com/inward/record.uri?eid=2-s2.0-{85000000000 + i}&partnerID=40\n")
            out.write("ER  - \n\n")


#: Issue 17's bound on the whole import's peak memory.
PEAK_BOUND_MB = 200.0


def shared_corpus() -> Path:
    configured = os.environ.get("PRISMA_HARVEST_SHARED")
    return (Path(configured) if configured else Path(__file__).resolve().parent.parent.parent / "shared") / "corpus"


def generate_from_corpus(path: Path, count: int) -> int:
    """Write ``count`` records to ``path`` with rispy, cycling through the corpus' RIS records as rispy reads
    them; returns how many distinct corpus records were used."""
    import rispy

    corpus = shared_corpus()
    records: list[dict[str, object]] = []
    with (corpus / "MANIFEST.csv").open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["format"] in ("ris", "ris_edge_cases")
                and row["scope"] == "import"]
    for row in rows:
        with (corpus / row["path"]).open(encoding="utf-8-sig", errors="replace") as handle:
            for record in rispy.load(handle):
                written = io.StringIO()
                rispy.dump([record], written)
                if rispy.loads(written.getvalue()) == [record]:  # what rispy can read back (all but one)
                    records.append(record)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        rispy.dump(list(itertools.islice(itertools.cycle(records), count)), out)
    return len(records)


def run_one(tool: str, path: Path) -> dict[str, float | int | str]:
    """Run in a subprocess: parse the file with one tool, report seconds, records and peak RSS (MB).

    The tool's modules are imported before the clock starts (ours take ~0.05 s to import, rispy ~0.001 s):
    the figures are the reading of the file alone, for every tool alike.
    """
    if tool == "rispy":  # only the tool's own modules, so that peak memory is that tool's
        import rispy
    elif tool == "ours-cli":
        pass  # a process of its own, started below
    else:
        from harvester import protocol as protocol_module
        from harvester.formats import read_file
        from harvester.formats.ris import iter_chunks
        from harvester.importing import import_file
        from harvester.ledger import Ledger

    start = time.perf_counter()
    cpu = time.process_time()
    if tool == "rispy":
        with path.open(encoding="utf-8") as handle:
            count = len(rispy.load(handle))
    elif tool == "ours-file":
        parsed = read_file(path)
        count = len(parsed.records)
    elif tool == "ours-stream":
        def blocks(handle: TextIO) -> Iterator[str]:
            while block := handle.read(1 << 20):
                yield block

        count = 0
        with path.open(encoding="utf-8-sig", newline=None) as handle:
            for _ in iter_chunks(blocks(handle), str(path), None):
                count += 1
    elif tool == "ours-import":
        folder = Path(tempfile.mkdtemp(prefix="ris-bench-"))
        protocol = protocol_module.load(_protocol(folder, path))
        with Ledger.open(protocol.ledger_path) as ledger:
            count = import_file(ledger, protocol, path).imported
    elif tool == "ours-cli":
        folder = Path(tempfile.mkdtemp(prefix="ris-bench-"))
        command = Path(sys.executable).parent / "prisma-harvest"
        done = subprocess.run([str(command), "import", str(_protocol(folder, path)), str(path), "--json"],
                              check=True, capture_output=True, text=True)
        count = json.loads(done.stdout)[0]["imported"]
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds = time.perf_counter() - start
        return {"tool": tool, "records": count, "seconds": round(seconds, 3),
                "cpu": round(children.ru_utime + children.ru_stime, 3), "peak_mb": round(children.ru_maxrss / 1024, 1)}
    else:
        raise SystemExit(f"unknown tool {tool}")
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"tool": tool, "records": count, "seconds": round(seconds, 3), "cpu": round(cpu_seconds, 3),
            "peak_mb": round(peak_mb, 1)}


def _protocol(folder: Path, path: Path) -> Path:
    """A review with one file source (Scopus) listing ``path``, its ledger new in ``folder``."""
    protocol_path = folder / "bench.toml"
    protocol_path.write_text(
        f'[review]\nid = "bench"\nledger = "{folder / "bench.sqlite"}"\n[query]\ntext = "x"\n'
        f'[[sources]]\nname = "Scopus"\nkind = "file"\ndatabase = "Scopus"\nfiles = ["{path}"]\n',
        encoding="utf-8")
    return protocol_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50000, 100000])
    parser.add_argument("--ledger", action="store_true", help="also time the whole import into a ledger (in process)")
    parser.add_argument("--corpus", action="store_true",
                        help="the file written by rispy from the corpus' RIS files, and the import through the CLI")
    parser.add_argument("--tools", nargs="+", help="the tools to run (rispy first); default: by the options above")
    parser.add_argument("--repeat", type=int, default=1, help="run every tool this many times (the spread is printed)")
    parser.add_argument("--one", nargs=2, metavar=("TOOL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], Path(args.one[1]))))
        return
    tools = args.tools or (["rispy", "ours-stream", "ours-cli"] if args.corpus else
                           ["rispy", "ours-file", "ours-stream"]) + (["ours-import"] if args.ledger else [])
    if tools[0] != "rispy":
        raise SystemExit("--tools: rispy comes first (the ratios are against it)")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    with tempfile.TemporaryDirectory(prefix="ris-bench-") as folder:
        for size in args.sizes:
            path = Path(folder) / f"bench-{size}.ris"
            if args.corpus:
                used = generate_from_corpus(path, size)
                print(f"\n{size} records written by rispy from {used} corpus RIS records, "
                      f"{path.stat().st_size / 1e6:.1f} MB")
            else:
                generate(path, size)
                print(f"\n{size} records, {path.stat().st_size / 1e6:.1f} MB")
            runs: dict[str, list[dict[str, float | int | str]]] = {tool: [] for tool in tools}
            for attempt in range(1, args.repeat + 1):
                for tool in tools:  # interleaved, so a change of load touches every tool alike
                    out = subprocess.run([sys.executable, __file__, "--one", tool, str(path)], check=True,
                                         capture_output=True, text=True).stdout
                    r = json.loads(out.strip().splitlines()[-1])
                    runs[tool].append(r)
                    print(f"  run {attempt}  {tool:12} {r['records']:>7} records  wall {r['seconds']:>7.2f} s  "
                          f"cpu {r['cpu']:>7.2f} s  {float(r['records']) / float(r['cpu']):>9.0f} records/cpu-s  "
                          f"peak {r['peak_mb']:>7.1f} MB")
                for tool in tools[1:]:
                    cpu, wall = _ratio(runs, tool, "cpu", -1), _ratio(runs, tool, "seconds", -1)
                    print(f"  run {attempt}  speed ratio rispy/{tool}: {cpu:.2f}x by CPU time, {wall:.2f}x by wall "
                          "time (>1: ours faster)")
                if "ours-cli" in runs:
                    ours, peer = runs["ours-cli"][-1], runs["rispy"][-1]
                    faster = float(ours["seconds"]) < float(peer["seconds"])
                    small = float(ours["peak_mb"]) <= PEAK_BOUND_MB
                    print(f"  run {attempt}  bound (issue 17): whole import through the CLI faster than rispy's parse "
                          f"(wall {ours['seconds']} s against {peer['seconds']} s: {'met' if faster else 'NOT met'}), "
                          f"peak <= {PEAK_BOUND_MB:.0f} MB ({ours['peak_mb']} MB against rispy's {peer['peak_mb']} MB: "
                          f"{'met' if small else 'NOT met'})")
            if args.repeat > 1:
                for tool in tools[1:]:
                    cpus = sorted(_ratio(runs, tool, "cpu", i) for i in range(args.repeat))
                    walls = sorted(_ratio(runs, tool, "seconds", i) for i in range(args.repeat))
                    print(f"  over {args.repeat} runs, rispy/{tool}: CPU {cpus[0]:.2f}x-{cpus[-1]:.2f}x "
                          f"(median {cpus[len(cpus) // 2]:.2f}x), wall {walls[0]:.2f}x-{walls[-1]:.2f}x")


def _ratio(runs: dict[str, list[dict[str, float | int | str]]], tool: str, key: str, index: int) -> float:
    """rispy's time over ours in run ``index`` (> 1: ours faster)."""
    return float(runs["rispy"][index][key]) / float(runs[tool][index][key])

if __name__ == "__main__":
    main()
