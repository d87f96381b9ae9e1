"""A BibTeX file far over the size read whole (256 MB), imported through the CLI: peak memory, time, records.

    .venv/bin/python benchmarks/bibtex_import.py --size-mb 300 --folder /work/bench      # issue 14's figures

The file is the corpus' BibTeX exports (``../shared/corpus``, or ``PRISMA_HARVEST_SHARED``: Scopus, Web of
Science, EBSCO, ProQuest, Europe PMC; 62 entries, junk-laden EBSCO entries read line by line among them)
written again and again, each copy's entry keys made unique (``KEY-cN``), up to the size. The true record
count is the manifest's count of each file times the copies written (not what our reader says).

Then ``prisma-harvest import`` (a new review with one Scopus file source, a new ledger) runs under
``/usr/bin/time -v``: its peak resident memory, wall and CPU time, and the records imported against the true
count are printed. With ``--whole-mb N`` a file of N MB is also read whole by the old reader (bibtexparser on
the whole text, main before issue 14; it must be importable from ``--old``) and by ours, in one process each,
for CPU time and peak memory side by side.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

_KEY = re.compile(r"(?m)^([ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(][ \t]*)([^,\s]*)")


def shared_corpus() -> Path:
    configured = os.environ.get("PRISMA_HARVEST_SHARED")
    return (Path(configured) if configured else Path(__file__).resolve().parent.parent.parent / "shared") / "corpus"


def build(path: Path, size_mb: float) -> int:
    """Write the file; returns the true record count."""
    corpus = shared_corpus()
    with (corpus / "MANIFEST.csv").open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["format"] == "bibtex" and row["scope"] == "import"]
    # Scopus first: the head names the database, as a real Scopus export's does
    rows.sort(key=lambda row: not row["path"].startswith("scopus/"))
    texts = [((corpus / row["path"]).read_text(encoding="utf-8-sig").replace("\r\n", "\n"), int(row["records"]))
             for row in rows]
    total = 0
    copy = 0
    limit = size_mb * 2**20
    written = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        while written < limit:
            for text, records in texts:
                copy += 1
                chunk = _KEY.sub(lambda m, n=copy: f"{m.group(1)}{m.group(2)}-c{n}", text).rstrip("\n") + "\n\n"
                out.write(chunk)
                written += len(chunk.encode("utf-8"))
                total += records
    return total


def _protocol(folder: Path, path: Path) -> Path:
    protocol = folder / "bench.toml"
    ledger = folder / "bench.sqlite"
    ledger.unlink(missing_ok=True)
    protocol.write_text(f'[review]\nid = "bench"\nledger = "{ledger}"\n[query]\ntext = "x"\n'
                        f'[[sources]]\nname = "Scopus"\nkind = "file"\ndatabase = "Scopus"\nfiles = ["{path}"]\n',
                        encoding="utf-8")
    return protocol


def _timed(command: list[str]) -> tuple[str, dict[str, float]]:
    """Run under /usr/bin/time -v: stdout, and peak RSS (MB), wall, user and system seconds."""
    done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
    found = dict(line.strip().split(": ", 1) for line in done.stderr.splitlines() if ": " in line)
    wall = found["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")
    figures = {"peak_mb": int(found["Maximum resident set size (kbytes)"]) / 1024,
               "wall_s": sum(float(part) * 60**i for i, part in enumerate(reversed(wall))),
               "user_s": float(found["User time (seconds)"]), "sys_s": float(found["System time (seconds)"])}
    return done.stdout, figures


_READ = """
import sys, time, importlib.util
from pathlib import Path
path = Path(sys.argv[2])
text = path.read_text(encoding="utf-8")
if sys.argv[1] == "old":
    spec = importlib.util.spec_from_file_location("old_bibtex", sys.argv[3])
    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
else:
    from harvester.formats import bibtex as module
started = time.process_time()
parsed = module.read(text, str(path), None)
print(len(parsed.records) + len(parsed.rejected), round(time.process_time() - started, 2))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=float, default=300)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/bibtex-bench"))
    parser.add_argument("--whole-mb", type=float, help="also read a file this large whole, old reader and ours")
    parser.add_argument("--old", type=Path, help="the old harvester/formats/bibtex.py (git show bfd0d75:...)")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    command = str(Path(sys.executable).parent / "prisma-harvest")
    path = args.folder / f"big-{args.size_mb:g}mb.bib"
    started = time.perf_counter()
    true_count = build(path, args.size_mb)
    print(f"built {path}: {path.stat().st_size / 2**20:,.1f} MB, {true_count:,} entries, "
          f"{time.perf_counter() - started:.1f} s")
    out, figures = _timed([command, "import", str(_protocol(args.folder, path)), str(path), "--json"])
    result = json.loads(out)[0]
    print(f"import: status {result['status']}, records read {result['records_read']:,} (imported "
          f"{result['imported']:,}, rejected {len(result['rejected']):,}) against {true_count:,} true; "
          f"{len(result['warnings'])} warnings; {result['message']}")
    print("import: peak {peak_mb:,.0f} MB, wall {wall_s:.1f} s, CPU {user_s:.1f} s user + {sys_s:.1f} s sys".format(
        **figures))
    print(f"load average: {os.getloadavg()}")
    if args.whole_mb:
        small = args.folder / f"whole-{args.whole_mb:g}mb.bib"
        count = build(small, args.whole_mb)
        for reader in (["old"] if args.old else []) + ["new"]:
            extra = [str(args.old)] if reader == "old" else []
            out, figures = _timed([sys.executable, "-c", _READ, reader, str(small), *extra])
            read, cpu = out.split()
            print(f"read whole {small.stat().st_size / 2**20:,.1f} MB ({count:,} true): {reader}: {read} read, "
                  f"read() CPU {cpu} s, process peak {figures['peak_mb']:,.0f} MB")


if __name__ == "__main__":
    main()
