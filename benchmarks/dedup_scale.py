"""De-duplication time and memory from 10,000 to 100,000 records, on a generated labelled set.

    .venv/bin/python benchmarks/dedup_scale.py [--sizes 10000,100000] [--seed 7] [--repeat 2]
    .venv/bin/python benchmarks/dedup_scale.py --in-memory [--sizes 10000,20000,50000,100000]

By default each size is measured as a user meets it: the records are stored in a fresh ledger (not timed),
then ``prisma-harvest dedupe`` runs on it in its own process, timed from start to exit (wall, and CPU as
user + system, which shows how busy the machine was), its peak memory its ru_maxrss. The largest size is
set against the smallest: time ratio against the bound (11 for 10x the records), time against 30 s,
memory against 1 GB (issue 17), all from the same invocation. ``--in-memory`` times the library's
``dedupe`` on records in memory instead (no ledger).

The set imitates what the labelled benchmark sets show: the same article from two or three databases
with case and punctuation changes, MEDLINE's "[Chinese]" and bracketed translated titles, "[Review]
[33 refs]" notes, authors as "Smith, J. A." / "Smith JA" / "J.A. Smith" / swapped names, full and
abbreviated journals, "123-129" / "123-9" pages, DOIs with and without URL prefixes or missing, print
and online years a year apart, dropped fields, an abstract indexed on the next page; and look-alikes
that are NOT duplicates: errata, comments, part 2 of a series, conference abstracts before the article,
another abstract of the same authors on the next page with one title word changed, common title openings.
Targets through the CLI: 100,000 records in < 30 s and < 1 GB, 100k / 10k time <= 11.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from harvester.records import Record  # noqa: E402


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SYLLABLES = _words("ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo ga ge gi go ha he hi ka ke ki ko "
                   "la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su "
                   "ta te ti to tu va ve vi vo za ze zi zo")
MEDICAL = _words("patients stroke diabetes cancer cervical screening trial randomized controlled outcomes therapy "
           "rehabilitation cognitive impairment insulin glucose cardiovascular risk cohort prospective study "
           "effect effects treatment women children adults elderly mortality hospital care peer support health "
           "mental depression anxiety quality life review systematic meta-analysis intervention community "
           "primary clinical evaluation assessment association infection human papillomavirus cytology")
OPENINGS = ("The effect of", "Effects of", "A randomized controlled trial of", "Association between",
            "The role of", "Evaluation of", "Efficacy and safety of", "A systematic review of", "Impact of")
SURNAMES = _words("Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Kim Lee Park Choi Smith Johnson Williams Brown Jones "
            "Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore "
            "Jackson Martin Muller Schmidt Schneider Fischer Weber Rossi Russo Ferrari Bianchi Dubois Moreau "
            "Laurent Nakamura Suzuki Tanaka Watanabe Sato Ito Yamamoto Kobayashi Singh Kumar Sharma Patel Khan "
            "Ahmed Ali Hassan Silva Santos Oliveira Souza Pereira Costa Nguyen Tran Pham Ivanov Petrov Novak "
            "Kowalski Nowak Jensen Hansen Nielsen Andersen Larsen Berg Lindqvist Virtanen Korhonen O'Brien "
            "Ng Ho")
JOURNALS = (("Journal of Clinical Virology", "J Clin Virol"), ("International Journal of Cancer", "Int J Cancer"),
            ("Archives of Physical Medicine and Rehabilitation", "Arch Phys Med Rehabil"),
            ("Diabetes Care", "Diabetes Care"), ("Stroke", "Stroke"), ("The Lancet", "Lancet"),
            ("Journal of the American College of Cardiology", "J Am Coll Cardiol"),
            ("Clinical Rehabilitation", "Clin Rehabil"), ("PLoS ONE", "PLoS One"),
            ("American Journal of Obstetrics and Gynecology", "Am J Obstet Gynecol"),
            ("Health and Social Care in the Community", "Health Soc Care Community"),
            ("Current Opinion in Lipidology", "Curr Opin Lipidol"), ("Neuropsychological Rehabilitation",
                                                                    "Neuropsychol Rehabil"))


def _word(rnd: random.Random) -> str:
    if rnd.random() < 0.55:
        return rnd.choice(MEDICAL)
    return "".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(2, 4)))


def _work(rnd: random.Random, index: int) -> dict[str, object]:
    words = [_word(rnd) for _ in range(rnd.randint(6, 16))]
    title = " ".join(words).capitalize()
    if rnd.random() < 0.15:
        title = f"{rnd.choice(OPENINGS)} {title[0].lower()}{title[1:]}"
    people = [(rnd.choice(SURNAMES), "".join(rnd.choice("ABCDEFGHJKLMNPRSTW") for _ in range(rnd.randint(1, 2))))
              for _ in range(rnd.randint(1, 8))]
    journal = rnd.choice(JOURNALS)
    first = rnd.randint(1, 3000)
    return {"title": title, "people": people, "year": rnd.randint(1990, 2023), "journal": journal,
            "volume": str(rnd.randint(1, 400)), "issue": str(rnd.randint(1, 12)), "first": first,
            "last": first + rnd.randint(0, 20),
            "doi": f"10.{rnd.randint(1000, 9999)}/w{index}.{rnd.randint(100, 999)}" if rnd.random() < 0.7 else ""}


def _authors(people: list[tuple[str, str]], shape: int) -> tuple[str, ...]:
    if shape == 0:
        return tuple(f"{s}, {'. '.join(i)}." for s, i in people)
    if shape == 1:
        return (" and ".join(f"{s}, {' '.join(i)}" for s, i in people),)
    if shape == 2:
        return tuple(f"{s} {i}" for s, i in people)
    return tuple(f"{'.'.join(i)}. {s}" for s, i in people)


def _record(work: dict[str, object], rnd: random.Random, copy: int) -> Record:
    """One database's version of a work: copy 0 is the plain one, later copies vary."""
    title = str(work["title"])
    names: tuple[str, str] = work["journal"]  # type: ignore[assignment]
    full, abbrev = names
    first, last = int(work["first"]), int(work["last"])  # type: ignore[call-overload]
    pages = f"{first}-{last}" if last > first else str(first)
    year = int(work["year"])  # type: ignore[call-overload]
    doi = str(work["doi"])
    journal = full
    people = list(work["people"])  # type: ignore[call-overload]
    shape = 0
    if copy:
        roll = rnd.random()
        if roll < 0.25:
            title = title.upper() if rnd.random() < 0.3 else title.rstrip(".") + "."
        elif roll < 0.35:
            title = f"{title}. [Chinese]"
        elif roll < 0.42:
            title = f"[{title}]."
        elif roll < 0.5:
            title = f"{title}. [Review] [{rnd.randint(10, 90)} refs]"
        elif roll < 0.6 and len(title) > 30:
            at = rnd.randint(5, len(title) - 5)
            title = title[:at] + title[at + 1:]  # a dropped letter
        shape = rnd.randint(0, 3)
        journal = abbrev if rnd.random() < 0.5 else full
        if rnd.random() < 0.4 and last > first and len(str(last)) == len(str(first)):
            pages = f"{first}-{str(last)[-1]}" if str(last)[:-1] == str(first)[:-1] else pages
        if rnd.random() < 0.3:
            doi = ""
        elif doi and rnd.random() < 0.4:
            doi = "https://doi.org/" + doi.upper()
        if rnd.random() < 0.15:
            year += 1
        if rnd.random() < 0.1:
            people = people[:1]
        if last - first <= 1 and rnd.random() < 0.2:
            pages = str(first + 1)  # an abstract indexed on the next page of the same issue
    return Record(title=title, authors=_authors(people, shape), year=year, journal=journal,
                  volume=str(work["volume"]) if not (copy and rnd.random() < 0.1) else "",
                  issue=str(work["issue"]), pages=pages if not (copy and rnd.random() < 0.1) else "", doi=doi,
                  database=("MEDLINE", "Embase", "CINAHL")[copy % 3])


def _look_alike(work: dict[str, object], rnd: random.Random) -> Record:
    """A different record that resembles the work: erratum, comment, part 2, conference abstract, or
    another abstract of the same authors on the next page of the same issue, one title word changed."""
    base = _record(work, rnd, 0)
    kind = rnd.randint(0, 4)
    year = int(work["year"])  # type: ignore[call-overload]
    if kind == 0:
        return Record(title=f"Erratum: {base.title}", authors=base.authors, year=year + 1, journal=base.journal,
                      volume=str(int(str(work["volume"])) + 1), pages=str(rnd.randint(1, 3000)))
    if kind == 1:
        return Record(title=f"Comment on: {base.title}", authors=(f"{rnd.choice(SURNAMES)}, A.",), year=year,
                      journal=base.journal)
    if kind == 2:
        return Record(title=f"{base.title}: part 2", authors=base.authors, year=year, journal=base.journal,
                      volume=base.volume, pages=f"{int(str(work['last'])) + 1}-{int(str(work['last'])) + 9}")
    if kind == 3:
        return Record(title=base.title, authors=base.authors, year=year - 2, journal=f"{base.journal}. Conference: "
                      "Annual Meeting", volume="", pages=f"S{rnd.randint(1, 400)}")
    words = base.title.split()
    at = rnd.randrange(len(words))
    replaced = words[at]
    while words[at].lower() == replaced.lower():
        words[at] = _word(rnd).capitalize() if at == 0 else _word(rnd)
    return Record(title=" ".join(words), authors=base.authors, year=year, journal=base.journal, volume=base.volume,
                  issue=base.issue, pages=str(int(str(work["last"])) + 1))


def generate(size: int, seed: int) -> tuple[list[tuple[int, Record]], list[list[int]]]:
    """``size`` records and their true clusters (about 20% duplicates, 3% look-alikes)."""
    rnd = random.Random(seed)
    records: list[tuple[int, Record]] = []
    clusters: list[list[int]] = []
    index = 0
    while len(records) < size:
        work = _work(rnd, index)
        index += 1
        copies = 1 + (rnd.random() < 0.2) + (rnd.random() < 0.05)
        members = []
        for copy in range(copies):
            records.append((len(records) + 1, _record(work, rnd, copy)))
            members.append(len(records))
        if copies > 1:
            clusters.append(members)
        if rnd.random() < 0.03:
            records.append((len(records) + 1, _look_alike(work, rnd)))
    records = records[:size]
    clusters = [[m for m in c if m <= size] for c in clusters]
    return records, [c for c in clusters if len(c) > 1]


CHILD = r'''
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from benchmarks.dedup_scale import generate
from benchmarks.dedup_sets import score
from harvester.dedup import dedupe
records, truth = generate(int(sys.argv[2]), int(sys.argv[3]))
start = time.perf_counter()
result = dedupe(records)
seconds = time.perf_counter() - start
s = score(truth, [list(c.members) for c in result.clusters])
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "tp": s.tp, "fp": s.fp, "fn": s.fn, "precision": s.pair_precision, "recall": s.pair_recall,
                  "pairs": result.stats["candidate_pairs"], "uncertain": len(result.uncertain)}))
'''


PROTOCOL = """[review]
id = "scale"
ledger = "{ledger}"

[query]
text = "x"

[[sources]]
name = "MEDLINE"
kind = "pubmed"
"""


def measure_ledger(size: int, seed: int) -> dict[str, float]:
    """Run in a child process: a full run on 99% of the records in a fresh ledger, then the incremental
    run for the last 1% (what refresh does)."""
    import resource
    import tempfile

    from harvester import protocol as protocol_module
    from harvester.dedup import dedupe_ledger, dedupe_new
    from harvester.ledger import Ledger
    from harvester.ledger.records import add_records
    from harvester.ledger.runs import finish_run, start_run

    records, _ = generate(size, seed)
    cut = len(records) - len(records) // 100
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "review.toml"
        path.write_text(PROTOCOL.format(ledger=Path(folder, "ledger.sqlite").as_posix()), encoding="utf-8")
        protocol = protocol_module.load(path)
        with Ledger.open(protocol.ledger_path) as ledger:
            def add(batch: list[tuple[int, Record]]) -> list[int]:
                run = start_run(ledger, "import", source="MEDLINE")
                ids = add_records(ledger, [r for _, r in batch], run_id=run, source="MEDLINE")
                finish_run(ledger, run)
                return ids

            add(records[:cut])
            start = time.perf_counter()
            full = dedupe_ledger(ledger, protocol)
            full_seconds = time.perf_counter() - start
            new_ids = add(records[cut:])
            start = time.perf_counter()
            incremental = dedupe_new(ledger, protocol, new_ids)
            incremental_seconds = time.perf_counter() - start
    return {"full": full_seconds, "incremental": incremental_seconds, "new": len(new_ids),
            "full_pairs": full.candidate_pairs, "incremental_pairs": incremental.candidate_pairs,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


LEDGER_CHILD = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from benchmarks.dedup_scale import measure_ledger
print(json.dumps(measure_ledger(int(sys.argv[2]), int(sys.argv[3]))))
"""


def ledger_run(size: int, seed: int) -> None:
    """A full dedupe run on a ledger of 99% of the records, then the incremental run for the last 1%."""
    done = subprocess.run([sys.executable, "-c", LEDGER_CHILD, str(REPO), str(size), str(seed)],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    r = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"ledger, {size} records: full run {r['full']:.1f} s ({r['full_pairs']} pairs compared); "
          f"incremental run for {r['new']} new records {r['incremental']:.1f} s ({r['incremental_pairs']} pairs); "
          f"peak {r['peak_mb']:.0f} MB")


#: Issue 17's bounds for the largest size, through the CLI.
RATIO_BOUND, SECONDS_BOUND, MEGABYTES_BOUND = 11.0, 30.0, 1024.0


def build_ledger(folder: Path, size: int, seed: int) -> Path:
    """A fresh ledger in ``folder`` holding the generated set (one import run); returns the protocol file."""
    from harvester.ledger import Ledger
    from harvester.ledger.records import add_records
    from harvester.ledger.runs import finish_run, start_run

    path = folder / "review.toml"
    path.write_text(PROTOCOL.format(ledger=Path(folder, "ledger.sqlite").as_posix()), encoding="utf-8")
    records, _ = generate(size, seed)
    with Ledger.open(folder / "ledger.sqlite") as ledger:
        run = start_run(ledger, "import", source="MEDLINE")
        add_records(ledger, [r for _, r in records], run_id=run, source="MEDLINE")
        finish_run(ledger, run)
    return path


def cli_run(size: int, seed: int) -> dict[str, float]:
    """``prisma-harvest dedupe`` on a fresh ledger of ``size`` generated records: wall and CPU seconds and
    peak memory of that process, and the clusters it stored scored against the truth."""
    import tempfile

    from benchmarks.dedup_sets import score
    from harvester.ledger import Ledger
    from harvester.ledger.duplicates import current_duplicates

    script = Path(sys.executable).with_name("prisma-harvest")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "harvester.cli.main"]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        protocol = build_ledger(folder, size, seed)
        out, err = folder / "out.json", folder / "err.txt"
        with open(out, "w", encoding="utf-8") as stdout, open(err, "w", encoding="utf-8") as stderr:
            started = time.perf_counter()  # files, not pipes: a child never waits on a full pipe while timed
            child = subprocess.Popen([*command, "dedupe", str(protocol), "--json"], stdout=stdout, stderr=stderr)
            _, status, usage = os.wait4(child.pid, 0)  # this child's own CPU time and peak memory
            seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            raise SystemExit(f"dedupe failed on {size} records:\n{err.read_text(encoding='utf-8')[-3000:]}")
        summary = json.loads(out.read_text(encoding="utf-8"))
        with Ledger.open(folder / "ledger.sqlite") as ledger:
            removed = current_duplicates(ledger)
    clusters: dict[int, list[int]] = {}
    for record_id, kept in removed.items():
        clusters.setdefault(kept, [kept]).append(record_id)
    _, truth = generate(size, seed)
    s = score(truth, list(clusters.values()))
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024,
            "pairs": summary["candidate_pairs"], "uncertain": summary["uncertain"], "tp": s.tp, "fp": s.fp,
            "fn": s.fn, "precision": s.pair_precision, "recall": s.pair_recall}


def in_memory_run(size: int, seed: int) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(REPO), str(size), str(seed)],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    found: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1, help="measure every size this many times, in turn")
    parser.add_argument("--in-memory", action="store_true", help="time the library's dedupe on records in memory")
    parser.add_argument("--ledger", type=int, default=0,
                        help="also time dedupe_ledger and dedupe_new on a ledger of this many records")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    how = "library dedupe, records in memory" if args.in_memory else "prisma-harvest dedupe on a fresh ledger"
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}  (cpus: {os.cpu_count()}; {how})")
    print(f"{'records':>8}{'time s':>8}{'cpu s':>7}{'s/10k':>7}{'peak MB':>9}{'pairs':>9}{'TP':>7}{'FP':>4}{'FN':>5}"
          f"{'pair P':>8}{'pair R':>8}{'maybe':>7}")
    for round_ in range(args.repeat):
        measured: dict[int, dict[str, float]] = {}
        for size in sizes:
            r = in_memory_run(size, args.seed) if args.in_memory else cli_run(size, args.seed)
            measured[size] = r
            cpu = f"{r['cpu']:>7.1f}" if "cpu" in r else f"{'':>7}"
            print(f"{size:>8}{r['seconds']:>8.1f}{cpu}{r['seconds'] / size * 10000:>7.2f}{r['peak_mb']:>9.0f}"
                  f"{r['pairs']:>9}{r['tp']:>7}{r['fp']:>4}{r['fn']:>5}{r['precision']:>8.4f}{r['recall']:>8.4f}"
                  f"{r['uncertain']:>7}", flush=True)
        small, large = min(sizes), max(sizes)
        if small == large:
            continue
        a, b = measured[small], measured[large]
        ratio, bound = b["seconds"] / a["seconds"], RATIO_BOUND * large / small / 10
        verdicts = (f"time {large}/{small} = {ratio:.1f} (bound {bound:.3g}: {'ok' if ratio <= bound else 'OVER'})",
                    f"{large} in {b['seconds']:.1f} s (bound {SECONDS_BOUND:.0f} s: "
                    f"{'ok' if b['seconds'] < SECONDS_BOUND else 'OVER'})",
                    f"peak {b['peak_mb']:.0f} MB (bound {MEGABYTES_BOUND:.0f} MB: "
                    f"{'ok' if b['peak_mb'] < MEGABYTES_BOUND else 'OVER'})")
        cpu_ratio = f"; CPU {large}/{small} = {b['cpu'] / a['cpu']:.1f}" if "cpu" in a else ""
        print(f"round {round_ + 1}: " + "; ".join(verdicts) + cpu_ratio, flush=True)
    if args.ledger:
        ledger_run(args.ledger, args.seed)


if __name__ == "__main__":
    main()
