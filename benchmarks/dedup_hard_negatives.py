"""Hard negatives: look-alike records that are NOT duplicates, mixed into the labelled sets, at 10k and 100k.

    .venv/bin/python benchmarks/dedup_hard_negatives.py [--sizes 10000,100000] [--share 0.1] [--seed 11]

For a record of a set, each kind below writes one or more distinct records that resemble it the way real
exports do (docs/dedup.md, "Hard negatives", says which of them the Cochrane definition counts as one
report: none of these):

- ``recurring-title``: "Editor's comments" and the like in several issues of the record's volume, by its
  first author, on the same front-matter pages of each issue;
- ``recurring-column``: a column with a specific title ("Clinical pearls: ...") in three to five issues,
  other pages in each or (journals paginated by issue) the same pages in each, one copy without its issue
  number (and sometimes its pages);
- ``same-citation-other-title``: another item by the same authors in the same journal, volume and page
  range but another issue (journals paginated by issue), with a title that disagrees;
- ``part-2``: part 2 of a series, same authors, journal and volume, the next pages;
- ``same-title-other-authors``: the same title by other authors, elsewhere;
- ``protocol-results``: the trial's protocol paper two years before the results paper;
- ``abstract-two-meetings``: the same abstract presented at two meetings (two conference records, each
  naming the journal that printed it; half of them without volume or pages);
- ``preprint``: the preprint of the record (a preprint server, its own DOI or none);
- ``per-issue-column``: a column with a specific title by the record's first author on the same pages of
  exactly two issues of a journal paginated by issue, half of them with other items of that volume (each
  issue's first pages taken: the run can see the pagination), half alone (nothing to see);
- ``recurring-specific-title``: a column whose title has no word of GENERIC_WORDS, by the record's first
  author, in three or four issues of one volume on other pages each, and two more issues' columns indexed
  without issue and pages (each a distinct item: only the run's other records show the title recurs);
- ``erratum``, ``comment``, ``reply``, ``retraction``: notices about the record (to be linked, not merged).

And one kind of true duplicate that the issue-number guard must not cost: ``issue-typo``, one item given
twice, once with the next issue's number, in a continuously paginated volume with four to six other items
of three issues or more (the evidence); the item's two copies are a true cluster, the other items hard
negatives. The benchmark reports how many of these pairs were merged.

Every hard negative is unique in the truth; a merge that touches one is a false merge. The benchmark also
counts the notices linked to the record they concern. Scales: the four labelled sets (ids kept apart per
set), then generated records of ``benchmarks/dedup_scale.py`` up to the size, then the hard negatives.
Each size runs in a fresh subprocess.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from harvester.normalise import strip_translation_marks  # noqa: E402
from harvester.records import Record  # noqa: E402

KINDS: tuple[str, ...] = ("recurring-title", "recurring-column", "same-citation-other-title", "part-2",
                          "same-title-other-authors", "protocol-results", "abstract-two-meetings", "preprint",
                          "erratum", "comment", "reply", "retraction", "per-issue-column", "recurring-specific-title",
                          "issue-typo")

#: Kinds whose first two records are one item (a true duplicate pair); their other records are hard negatives.
POSITIVE_KINDS: frozenset[str] = frozenset({"issue-typo"})

#: Kinds whose records are notices about the record they resemble: they should be linked to it.
NOTICE_KINDS: frozenset[str] = frozenset({"erratum", "comment", "reply", "retraction"})

RECURRING = ("Editor's comments", "Editorial", "In this issue", "Letters to the editor", "From the editor",
             "Erratum", "Corrections", "Contents", "News", "Book reviews", "Editor's Comments.", "IN THIS ISSUE")
COLUMNS = ("Clinical pearls: managing the acute stroke unit", "Images in cardiovascular medicine",
           "Nursing informatics column: data standards at the bedside", "Ask the statistician: sample sizes",
           "Practice pointers for rehabilitation teams", "Evidence-based medicine corner: screening tests")
OTHER_SURNAMES = ("Abara", "Boateng", "Cardenas", "Dvorak", "Eriksen", "Fofanah", "Grunwald", "Hakimi", "Iwu",
                  "Jovanovic", "Kaminski", "Lindgren", "Mbeki", "Nakashima", "Oyelaran", "Pellegrini", "Quispe",
                  "Rasmussen", "Szabo", "Takahashi", "Umarov", "Vasquez", "Wojcik", "Xiong", "Yusuf", "Zeller")
MEETINGS = (("Stroke. Conference: International Stroke Conference", "Cerebrovascular Diseases. Conference: "
             "European Stroke Conference"),
            ("Diabetes. Conference: 78th Scientific Sessions", "Diabetologia. Conference: 54th EASD Annual Meeting"),
            ("Journal of Clinical Oncology. Conference: ASCO Annual Meeting",
             "Annals of Oncology. Conference: ESMO Congress"))
PREPRINT_SERVERS = (("medRxiv", "10.1101"), ("bioRxiv", "10.1101"), ("Research Square", "10.21203"),
                    ("SSRN Electronic Journal", "10.2139"))


def _surname(rnd: random.Random) -> str:
    return f"{rnd.choice(OTHER_SURNAMES)}, {rnd.choice('ABCDEFGHJKLMNPRST')}."


def _number(value: str, default: int) -> int:
    digits = "".join(ch for ch in value.split("-")[0] if ch.isdigit())
    return int(digits) if digits and len(digits) < 7 else default


def _disagreeing_title(title: str, donors: list[str], rnd: random.Random) -> str:
    """A title from another record that shares few words with ``title`` (so the two disagree)."""
    own = set(title.lower().split())
    for _ in range(50):
        other = rnd.choice(donors)
        words = other.lower().split()
        if len(words) >= 5 and sum(w in own for w in words) < len(words) * 0.25:
            return other
    return "Quality of care in rural dialysis units: a national survey of nurses"


def _volume_items(journal: str, volume: int, places: list[tuple[int, int]], rnd: random.Random,
                  donors: list[str]) -> list[Record]:
    """Other items of one journal volume at (issue, first page): each its own title and authors."""
    return [Record(title=f"{rnd.choice(donors)} ({rnd.randint(10, 999)} patients)", authors=(_surname(rnd),),
                   year=2016, journal=journal, volume=str(volume), issue=str(issue), pages=f"{first}-{first + 6}",
                   database="hard-negative") for issue, first in places]


def look_alikes(base: Record, kind: str, rnd: random.Random, donors: list[str]) -> list[Record]:
    """Distinct records of ``kind`` that resemble ``base`` (none is a duplicate of it or of each other; for the
    :data:`POSITIVE_KINDS` the first two records are one item, the rest distinct)."""
    year = base.year or 2015
    volume = _number(base.volume, rnd.randint(5, 60))
    first = _number(base.pages, rnd.randint(1, 900))
    journal = base.journal or "Journal of Health Services Research"
    authors = base.authors or (_surname(rnd),)
    title_of = strip_translation_marks(base.title)  # "Title. [Review] [33 refs]": words go before the notes
    plain = Record(title=base.title, authors=authors, year=year, journal=journal, database="hard-negative")
    if kind == "recurring-title":
        title = rnd.choice(RECURRING)
        pages = rnd.choice(["1", "iii-iv", "1-2", "5"])
        return [replace(plain, title=title, authors=authors[:1], volume=str(volume), issue=str(issue), pages=pages)
                for issue in range(1, rnd.randint(3, 5))]
    if kind == "recurring-column":  # a column with a specific title in every issue, one copy thinner
        title = rnd.choice(COLUMNS)
        start = rnd.randint(1, 50)
        by_issue = rnd.random() < 0.5  # paginated by issue: the column sits on the same pages of each issue
        # paginated by issue, three full issues at least: two issues on the same pages read exactly like one
        # item with its issue typed wrong (same-item-other-issue merges those: docs/dedup.md, principle 2)
        issues = range(1, rnd.randint(5, 7) if by_issue else rnd.randint(4, 6))
        firsts = {issue: start + (0 if by_issue else 100 * issue) for issue in issues}
        made = [replace(plain, title=title, authors=authors[:1], volume=str(volume), issue=str(issue),
                        pages=f"{first}-{first + 1}") for issue, first in firsts.items()]
        # three issues or more: seen only twice, a copy without issue or pages reads exactly like the thin
        # copy of one article (issue 11 item 4 merges those), so no rule could tell them apart
        thin = rnd.randrange(len(made))
        made[thin] = replace(made[thin], issue="", pages=rnd.choice(["", made[thin].pages]))
        return made
    if kind == "per-issue-column":  # the same pages of two issues: each issue starts again at page 1
        title = (f"{rnd.choice(COLUMNS)}: notes from the {rnd.choice(['ward', 'clinic', 'bedside'])} for"
                 f" {rnd.choice(['nurses', 'therapists', 'doctors', 'families'])}")
        issue, start, far = rnd.randint(1, 10), rnd.randint(2, 30), volume + 6000  # a volume of its own
        made = [replace(plain, title=title, authors=authors[:1], volume=str(far), issue=str(n),
                        pages=f"{start}-{start + 1}") for n in (issue, issue + 1)]
        if rnd.random() < 0.5:  # other items of the volume show it: each issue has an item on its first pages
            places = [(issue, rnd.randint(1, 3)), (issue + 1, rnd.randint(1, 3))]
            places += [(rnd.choice([issue, issue + 1]), rnd.randint(4, 60)) for _ in range(rnd.randint(0, 3))]
            made += _volume_items(journal, far, places, rnd, donors)
        return made
    if kind == "recurring-specific-title":  # recurring by the data only: no word of the generic list
        title = (f"{rnd.choice(['Stroke unit', 'Bedside', 'Ward round', 'Rehabilitation'])}"
                 f" {rnd.choice(['pearls', 'practice', 'dilemmas'])}:"
                 f" {rnd.choice(['swallowing', 'spasticity', 'fatigue', 'aphasia'])} and"
                 f" {rnd.choice(['mobility', 'mood', 'sleep', 'pain'])} {rnd.randint(1, 9)}")
        far, issues = volume + 7000, rnd.sample(range(1, 13), rnd.randint(5, 6))
        made = [replace(plain, title=title, authors=authors[:1], volume=str(far), issue=str(n),
                        pages=f"{40 * n + 3}-{40 * n + 5}") for n in issues[:-2]]
        return made + [replace(plain, title=title, authors=authors[:1], volume=str(far)) for _ in issues[-2:]]
    if kind == "issue-typo":  # one item, once with the next issue's number, in a continuous volume
        title = f"{rnd.choice([d for d in donors if len(d.split()) >= 6] or donors)}: {rnd.randint(2, 9)} centres"
        home, far = rnd.randint(2, 8), volume + 5000  # a volume of its own
        start = 100 * home + 90
        item = replace(plain, title=title, volume=str(far), pages=f"{start}-{start + 3}")
        issues = sorted(rnd.sample(range(1, 11), rnd.randint(3, 5)))
        places = [(n, 100 * n + rnd.randint(0, 80)) for n in issues + rnd.sample(issues, rnd.randint(1, 2))]
        return [replace(item, issue=str(home)), replace(item, issue=str(home + 1), database="hard-negative copy"),
                *_volume_items(journal, far, places, rnd, donors)]
    if kind == "same-citation-other-title":
        return [replace(plain, title=_disagreeing_title(base.title, donors, rnd), volume=str(volume),
                        issue=str(_number(base.issue, 1) + 1), pages=base.pages or f"{first}-{first + 7}")]
    if kind == "part-2":
        return [replace(plain, title=f"{title_of}: Part {rnd.choice(['2', 'II'])}",
                        volume=str(volume), pages=f"{first + 20}-{first + 29}")]
    if kind == "same-title-other-authors":
        return [replace(plain, authors=tuple(_surname(rnd) for _ in range(rnd.randint(1, 4))),
                        year=year + rnd.choice([-3, 0, 2]), journal=rnd.choice(["BMJ Open", "PLoS One", journal]),
                        volume=str(volume + rnd.randint(1, 9)), pages=f"{first + 100}-{first + 108}")]
    if kind == "protocol-results":
        title = rnd.choice([f"{title_of}: study protocol for a randomised controlled trial",
                            f"Protocol for a randomised trial: {title_of}"])
        return [replace(plain, title=title, year=year - 2, journal=rnd.choice(["Trials", "BMJ Open"]),
                        volume=str(rnd.randint(10, 20)), pages=f"e{rnd.randint(1000, 9999)}")]
    if kind == "abstract-two-meetings":
        one, two = rnd.choice(MEETINGS)
        made = [replace(plain, journal=one, year=year - 1, volume=str(volume + 40), issue="Suppl 1",
                        pages=f"S{rnd.randint(10, 400)}", tags=(("ENTRYTYPE", "inproceedings"),)),
                replace(plain, journal=two, year=year - 1, volume=str(volume + 7), issue="Suppl 2",
                        pages=f"A{rnd.randint(10, 400)}", tags=(("ENTRYTYPE", "inproceedings"),))]
        if rnd.random() < 0.5:  # Embase often gives a meeting abstract without volume or pages
            made = [replace(m, volume="", issue="", pages="") for m in made]
        return made
    if kind == "preprint":
        server, prefix = rnd.choice(PREPRINT_SERVERS)
        doi = f"{prefix}/2020.{rnd.randint(10, 12)}.{rnd.randint(10, 28)}.{rnd.randint(10**7, 10**8)}"
        return [replace(plain, journal=server, year=year - rnd.choice([0, 1]), doi=rnd.choice([doi, ""]))]
    if kind == "erratum":
        title = rnd.choice([f"Erratum: {base.title}", f"Correction to: {base.title}", f"Erratum to {base.title}"])
        return [replace(plain, title=title, authors=rnd.choice([(), authors]), year=year + 1, volume=str(volume + 1),
                        pages=str(rnd.randint(1, 900)), publication_types=("Published Erratum",))]
    if kind in ("comment", "reply"):
        opening = "Comment on: " if kind == "comment" else rnd.choice(["Reply to: ", "In reply: "])
        who = (_surname(rnd),) if kind == "comment" else authors[:1]
        return [replace(plain, title=opening + base.title, authors=who, volume=str(volume + 1),
                        pages=str(rnd.randint(1, 900)), publication_types=("Comment", "Letter"))]
    if kind == "retraction":
        title = rnd.choice([f"Retraction notice to: {base.title}", f"Retraction: {base.title}"])
        return [replace(plain, title=title, authors=(), year=year + 2, volume=str(volume + 2),
                        pages=str(rnd.randint(1, 900)), publication_types=("Retraction of Publication",))]
    raise ValueError(f"unknown kind {kind!r}")


@dataclass(frozen=True)
class Mixed:
    """Records with their true clusters; ``negatives`` maps each hard negative's id to (kind, base id)."""

    records: list[tuple[int, Record]]
    clusters: list[list[int]]
    negatives: dict[int, tuple[str, int]]
    positives: list[list[int]]  # the true pairs of the POSITIVE_KINDS (also in clusters)


def mix(records: list[tuple[int, Record]], clusters: list[list[int]], count: int, seed: int) -> Mixed:
    """``records`` with look-alikes of about ``count`` records added (each kind in turn, bases drawn at
    random among records with a title of four words or more, one per true cluster: two copies of one work
    would give two copies of one look-alike, which are duplicates). New ids follow the largest id."""
    rnd = random.Random(seed)
    donors = [r.title for _, r in records if r.title]
    cluster_of = {m: n for n, c in enumerate(clusters) for m in c}
    bases = [(i, r) for i, r in records if len(r.title.split()) >= 4]
    rnd.shuffle(bases)
    chosen, taken = [], set()
    for record_id, record in bases:
        work = cluster_of.get(record_id, -record_id - 1)
        if work not in taken and len(chosen) < count:
            taken.add(work)
            chosen.append((record_id, record))
    next_id = max((i for i, _ in records), default=0) + 1
    added: list[tuple[int, Record]] = []
    negatives: dict[int, tuple[str, int]] = {}
    positives: list[list[int]] = []
    for n, (base_id, base) in enumerate(chosen):
        kind = KINDS[n % len(KINDS)]
        made = look_alikes(base, kind, rnd, donors)
        if kind in POSITIVE_KINDS:
            positives.append([next_id, next_id + 1])
        for k, record in enumerate(made):
            added.append((next_id, record))
            if kind not in POSITIVE_KINDS or k >= 2:
                negatives[next_id] = (kind, base_id)
            next_id += 1
    return Mixed(records + added, clusters + positives, negatives, positives)


@dataclass(frozen=True)
class Outcome:
    merged: Counter[str]       # kind -> hard negatives removed or kept in a cluster with another record
    linked: int                # notices linked to the record they were made from
    notices: int               # notices made
    negatives: int
    positives: int             # true pairs of the POSITIVE_KINDS (issue-typo)
    positives_merged: int      # of those, merged


def judge(mixed: Mixed, clusters: list[list[int]], links: list[tuple[int, int]]) -> Outcome:
    """How many hard negatives ended in a cluster (each is a false merge), and how many notices were linked
    to their record (or a true duplicate of it)."""
    merged: Counter[str] = Counter()
    for cluster in clusters:
        for member in cluster:
            if member in mixed.negatives:
                merged[mixed.negatives[member][0]] += 1
    cluster_of = {m: i for i, c in enumerate(mixed.clusters) for m in c}
    linked_notices = set()
    for notice, work in links:
        kind, base = mixed.negatives.get(notice, ("", -1))
        if kind in NOTICE_KINDS and (work == base or (base in cluster_of and cluster_of.get(work) == cluster_of[base])):
            linked_notices.add(notice)
    linked = len(linked_notices)
    notices = sum(1 for kind, _ in mixed.negatives.values() if kind in NOTICE_KINDS)
    together = {m: i for i, c in enumerate(clusters) for m in c}
    merged_pairs = sum(1 for a, b in mixed.positives if a in together and together.get(a) == together.get(b))
    return Outcome(merged, linked, notices, len(mixed.negatives), len(mixed.positives), merged_pairs)


def labelled_base(shared: Path, size: int, seed: int) -> tuple[list[tuple[int, Record]], list[list[int]]]:
    """The four labelled sets (ids offset by a million per set, so sets never share an id) and generated
    records up to ``size``; each with its true clusters."""
    from benchmarks.dedup_scale import generate
    from benchmarks.dedup_sets import SETS, load_set

    records: list[tuple[int, Record]] = []
    clusters: list[list[int]] = []
    for n, name in enumerate(SETS, start=1):
        labelled = load_set(shared / "benchmarks" / "dedup", name)
        offset = n * 1_000_000
        records += [(offset + i, r) for i, r in labelled.records]
        clusters += [[offset + i for i in c] for c in labelled.clusters]
    if size > len(records):
        extra, truth = generate(size - len(records), seed)
        offset = 10_000_000
        records += [(offset + i, r) for i, r in extra]
        clusters += [[offset + i for i in c] for c in truth]
    return records, clusters


CHILD = r'''
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from benchmarks.dedup_hard_negatives import judge, labelled_base, mix
from benchmarks.dedup_sets import score
from harvester.dedup import dedupe
size, share, seed = int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
base, truth = labelled_base(Path(sys.argv[2]), int(size * (1 - share)), seed)
mixed = mix(base, truth, int(size * share / 1.6), seed)
start = time.perf_counter()
result = dedupe(mixed.records)
seconds = time.perf_counter() - start
found = [list(c.members) for c in result.clusters]
s = score(mixed.clusters, found)
links = [(p.scores["notice"], p.scores["work"]) for p in result.links()]
o = judge(mixed, found, links)
print(json.dumps({"records": len(mixed.records), "negatives": o.negatives, "merged": dict(o.merged),
                  "linked": o.linked, "notices": o.notices, "tp": s.tp, "fp": s.fp, "fn": s.fn,
                  "typo_pairs": o.positives, "typo_merged": o.positives_merged,
                  "uncertain": len(result.uncertain), "seconds": seconds,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--share", type=float, default=0.1, help="share of the records that are hard negatives")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    shared = Path(os.environ.get("PRISMA_HARVEST_SHARED", REPO.parent / "shared"))
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}  (cpus: {os.cpu_count()})")
    print(f"{'records':>8}{'negatives':>10}{'merged':>7}{'FP':>4}{'FN':>5}{'TP':>7}{'maybe':>7}{'linked':>10}"
          f"{'time s':>8}{'peak MB':>9}")
    for size in (int(s) for s in args.sizes.split(",")):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", CHILD, str(REPO), str(shared), str(size), str(args.share),
                               str(args.seed)], capture_output=True, text=True, check=False)
        if done.returncode:
            raise SystemExit(done.stderr[-3000:])
        r = json.loads(done.stdout.strip().splitlines()[-1])
        merged = sum(r["merged"].values())
        print(f"{r['records']:>8}{r['negatives']:>10}{merged:>7}{r['fp']:>4}{r['fn']:>5}{r['tp']:>7}"
              f"{r['uncertain']:>7}{r['linked']:>5}/{r['notices']:<4}{r['seconds']:>8.1f}{r['peak_mb']:>9.0f}"
              f"   (wall {time.perf_counter() - started:.1f} s)")
        print(f"{'':>8}issue-typo pairs (true duplicates in continuous volumes) merged: "
              f"{r['typo_merged']} / {r['typo_pairs']}")
        if r["merged"]:
            print(f"{'':>8}merged hard negatives by kind: {r['merged']}")


if __name__ == "__main__":
    main()
