"""A review built through the commands, with every box of every PRISMA layout non-zero, and an independent reading
of its ledger.

:func:`build_review` writes export files in a folder (MEDLINE text, Embase and CINAHL RIS, a ClinicalTrials.gov
CSV, a WHO ICTRP XML, three other-method RIS files, a CINAHL file exported with the wrong limits and another
review's file imported by mistake), a protocol naming them, and then runs what a review team runs: ``import``,
``withdraw`` (one file removed for other reasons, one never identified), ``dedupe``, ``rules``, the screening sheets
exported, filled in by two screeners and a resolver, and imported stage by stage, and ``link-study``. Some decisions
are left open, so the counts are provisional.

:func:`ledger_flow` reads the ledger's tables with SQL and places each record in the flow by the rules written in
docs/screening.md and docs/withdraw (latest dedupe run, latest rules run, dual screening settled by agreement or a
resolver, withdrawals in force, study links): a second, independent reading of the ledger, so a test comparing it with
the drawn figures can fail when the library's reading is wrong.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from typer.testing import CliRunner

from harvester.cli.main import app

runner = CliRunner()

REASONS = ("No peer perspective", "Client outcomes only", "Not a completed study")
ARMS = {"MEDLINE": "databases", "Embase": "databases", "CINAHL": "databases", "ClinicalTrials.gov": "registers",
        "WHO ICTRP": "registers", "Charity websites": "other", "Organisations contacted": "other",
        "Reference lists": "other"}
#: other-method source -> (its protocol method, the line the diagram prints for it)
METHODS = {"Charity websites": ("websites", "Websites"), "Organisations contacted": ("organisations", "Organisations"),
           "Reference lists": ("citation searching", "Citation searching")}
#: which record of a cluster is kept: databases, then registers, then other methods
PREFERENCE = ("MEDLINE", "Embase", "CINAHL", "ClinicalTrials.gov", "WHO ICTRP", "Charity websites",
              "Organisations contacted", "Reference lists")
TWINS = {"O09": "A04", "B02": "A09", "C01": "A15"}  # records that are copies of another planned work


@dataclass(frozen=True)
class Article:
    """One work, the sources that hold it, and what the reviewers decide about it.

    ``ta``: the title/abstract decisions (``AB``, ``CD``, resolver ``EF``) as ``"include"``/``"exclude"``, or
    absent; ``retrieved``: False for a report not retrieved; ``ft``: the full-text decisions, with the reason of an
    exclusion; ``study``: the label written in the full-text sheets' ``study`` column."""

    key: str
    title: str
    sources: tuple[str, ...]
    year: int = 2013
    language: str = "eng"
    ta: dict[str, str] = field(default_factory=dict)
    ta_reason: str = ""
    retrieved: bool = True
    ft: dict[str, str] = field(default_factory=dict)
    ft_reason: str = ""
    study: str = ""
    ft_reasons: dict[str, str] = field(default_factory=dict)  # a reviewer's own reason, where it differs

    @property
    def doi(self) -> str:
        return f"10.5555/prisma-review.{self.key.lower()}"

    @property
    def author(self) -> str:
        return SURNAMES[int(self.key[1:]) % len(SURNAMES)] + ("" if self.key[0] == "A" else self.key[0].lower())


SURNAMES = ("Okafor", "Lindqvist", "Marchetti", "Nakamura", "Duarte", "Brennan", "Haddad", "Kowalczyk", "Osei",
            "Varga", "Whitfield", "Zhang", "Petrova", "Ibarra", "Fitzgerald", "Sandoval", "Nwosu", "Albrecht",
            "Quispe", "Rahman", "Takahashi", "Moreau", "Ekwueme", "Holmberg", "Castellanos", "Delacroix", "Grünewald")
TOPICS = ("diabetes clinics", "prison health", "maternity wards", "hepatitis C care", "homeless shelters",
          "dementia day centres", "cardiac rehabilitation", "tuberculosis treatment", "youth mental health",
          "HIV clinics", "stroke recovery", "refugee health", "substance use services", "cancer survivorship",
          "postnatal depression", "chronic pain clinics", "kidney dialysis", "asthma self-care", "eating disorders",
          "veterans' services", "rural primary care", "palliative care", "sickle cell disease", "autism services",
          "psychosis early intervention", "breastfeeding support", "smoking cessation", "obesity programmes",
          "epilepsy care", "hearing loss", "migrant workers", "brain injury")
INCLUDE = {"AB": "include", "CD": "include"}
EXCLUDE = {"AB": "exclude", "CD": "exclude"}


def _title(n: int, kind: str = "Experiences of peer workers in") -> str:
    return f"{kind} {TOPICS[n % len(TOPICS)]}: study {n}"


def plan() -> list[Article]:
    """Every path of every arm at least once (the keys say where each ends)."""
    a = Article
    inc, exc = INCLUDE, EXCLUDE
    ft_inc, ft_exc = INCLUDE, EXCLUDE

    return [
        # databases: included (A01 with its registered trial T01 is one study, linked by link-study)
        a("A01", _title(1), ("MEDLINE", "Embase"), ta=inc, ft=ft_inc),
        a("A02", _title(2), ("MEDLINE", "Embase"), ta=inc, ft=ft_inc),
        a("A03", _title(3), ("MEDLINE", "Embase", "CINAHL"), ta=inc, ft=ft_inc),
        a("A04", _title(4), ("Embase",), ta=inc, ft=ft_inc),
        a("A05", _title(5), ("CINAHL", "MEDLINE"), ta={"AB": "include", "CD": "exclude", "EF": "include"},
          ft=ft_inc),
        # a paper and its conference abstract: one study, named in the full-text sheets' study column
        a("A06", _title(6), ("MEDLINE",), ta=inc, ft=ft_inc, study="Marchetti 2013"),
        a("A07", _title(6, "Conference abstract: peer workers in"), ("Embase",), year=2012, ta=inc, ft=ft_inc,
          study="Marchetti 2013"),
        # databases: excluded at full text, with reasons (one conflict on the reason resolved)
        a("A08", _title(8), ("MEDLINE", "Embase"), ta=inc, ft=ft_exc, ft_reason=REASONS[0]),
        a("A09", _title(9), ("MEDLINE",), ta=inc, ft=ft_exc, ft_reason=REASONS[1]),
        a("A10", _title(10), ("CINAHL",), ta=inc, ft={"AB": "exclude", "CD": "include", "EF": "exclude"},
          ft_reason=REASONS[0]),
        # databases: not retrieved
        a("A11", _title(11), ("MEDLINE",), ta=inc, retrieved=False),
        a("A12", _title(12), ("Embase",), ta=inc, retrieved=False),
        # databases: awaiting retrieval, awaiting assessment (screeners disagree, no resolver yet)
        a("A13", _title(13), ("MEDLINE",), ta=inc),
        a("A14", _title(14), ("Embase",), ta=inc, ft={"AB": "include", "CD": "exclude"}, ft_reason=REASONS[1]),
        # title/abstract: excluded by reviewers (one conflict resolved), awaiting (a conflict, one screener only)
        a("A15", _title(15), ("MEDLINE",), ta=exc, ta_reason="Not peer support"),
        a("A16", _title(16), ("MEDLINE", "Embase"), ta=exc, ta_reason="Not peer support"),
        a("A17", _title(17), ("Embase",), ta=exc, ta_reason="Not in health"),
        a("A18", _title(18), ("CINAHL",), ta={"AB": "include", "CD": "exclude", "EF": "exclude"},
          ta_reason="Not in health"),
        a("A19", _title(19), ("MEDLINE",), ta={"AB": "include", "CD": "exclude"}),
        a("A20", _title(20), ("Embase",), ta={"AB": "include"}),
        # title/abstract: excluded by a rule (automation at screening); marked ineligible before screening
        a("A21", _title(21, "Peer workers in an animal model of"), ("MEDLINE",)),
        a("A22", _title(22, "Peer workers in an animal model of"), ("Embase", "CINAHL")),
        a("A23", _title(23), ("MEDLINE",), language="ger"),
        a("A24", _title(24), ("Embase",), language="fre"),
        # registers: a trial (one study with A01), excluded at title/abstract, excluded at full text
        a("T01", _title(1, "Registered trial of peer workers in"), ("ClinicalTrials.gov",), ta=inc, ft=ft_inc),
        a("T02", _title(25, "Registered trial of peer workers in"), ("ClinicalTrials.gov",), ta=exc,
          ta_reason="Not peer support"),
        a("T03", _title(26, "Registered trial of peer workers in"), ("WHO ICTRP",), ta=inc, ft=ft_exc,
          ft_reason=REASONS[2]),
        a("T04", _title(27, "Registered trial of peer workers in"), ("WHO ICTRP",), ta=inc, retrieved=False),
        # other methods: included, not retrieved, excluded with reasons, awaiting, a duplicate of a database record
        a("O01", _title(28), ("Charity websites",), ft=ft_inc),
        a("O02", _title(29), ("Charity websites",), retrieved=False),
        a("O03", _title(30), ("Charity websites",), ft=ft_exc, ft_reason=REASONS[0]),
        a("O04", _title(31), ("Organisations contacted",), ft=ft_inc),
        a("O05", _title(32), ("Organisations contacted",), ft=ft_exc, ft_reason=REASONS[1]),
        a("O06", _title(33), ("Organisations contacted",), ft={"AB": "include"}),
        a("O07", _title(34), ("Reference lists",), ft=ft_inc),
        a("O08", _title(35), ("Reference lists",), retrieved=False),
        a("O09", _title(4), ("Reference lists",)),  # A04 again, found in a reference list: a duplicate
        a("O10", _title(36), ("Charity websites",)),  # no decision yet: awaiting retrieval
    ]


#: Records of two mistaken imports: exported with the wrong limits (withdrawn: removed for other reasons; B02 is
#: a copy of A09) and another review's export (withdrawn as never identified; C01 is a copy of A15).
MISTAKES = {
    "cinahl-wrong-limits.ris": [Article("B01", _title(40, "Peer workers and limits in"), ()),
                                Article("B02", _title(9), ())],
    "another-review.ris": [Article("C01", _title(15), ()), Article("C02", _title(41, "Unrelated review of"), ())],
}


def _work(article: Article, works: dict[str, Article]) -> Article:
    """The work a record is a copy of (O09 is A04, B02 is A09, C01 is A15), for the fields written to the file."""
    twin = TWINS.get(article.key)
    return works[twin] if twin else article


def medline(articles: Iterable[Article]) -> str:
    out = []
    for n, art in enumerate(articles, start=1):
        out.append(f"PMID- 9990{n:04d}\nDP  - {art.year}\nTI  - {art.title}.\nAB  - Peer workers described their "
                   f"work in {art.title.split(' in ', 1)[-1]}.\nFAU - {art.author}, J\nAU  - {art.author} J\n"
                   f"LA  - {art.language}\nPT  - Journal Article\nTA  - J Peer Health\nJT  - Journal of peer health\n"
                   f"LID - {art.doi} [doi]\nAID - {art.doi} [doi]\n\n")
    return "".join(out)


def ris(articles: Iterable[Article], database: str = "") -> str:
    out = []
    for art in articles:
        lines = ["TY  - JOUR", f"TI  - {art.title}", f"AU  - {art.author}, J.", f"PY  - {art.year}",
                 "JO  - Journal of Peer Health", f"DO  - {art.doi}", f"LA  - {art.language}",
                 f"AB  - Peer workers described their work in {art.title.split(' in ', 1)[-1]}."]
        if database:  # the database's accession number: one per work (a copy in another export has the same)
            lines.append(f"AN  - {database[:2].upper()}{art.key}")
        out.append("\n".join(lines) + "\nER  - \n\n")
    return "".join(out)


def ctgov(articles: Iterable[Article]) -> str:
    rows = ['"NCT Number","Study Title","Study URL","Acronym","Study Status","Brief Summary","Study Results",'
            '"Conditions","Interventions","Sponsor","Study Type","Start Date","First Posted"']
    for n, art in enumerate(articles, start=1):
        nct = f"NCT9991{n:04d}"
        rows.append(f'"{nct}","{art.title}","https://clinicaltrials.gov/study/{nct}","","COMPLETED",'
                    f'"A trial of peer workers.","NO","Health","BEHAVIORAL: Peer support","{art.author} University",'
                    f'"INTERVENTIONAL","{art.year}-05","{art.year}-05-14"')
    return "\n".join(rows) + "\n"


def ictrp(articles: Iterable[Article]) -> str:
    trials = []
    for n, art in enumerate(articles, start=1):
        trials.append(f"  <Trial>\n    <TrialID>ISRCTN9992{n:04d}</TrialID>\n    <Public_title>{art.title}"
                      f"</Public_title>\n    <Scientific_title>{art.title}</Scientific_title>\n    <Primary_sponsor>"
                      f"{art.author} University</Primary_sponsor>\n    <Date_registration>12/03/{art.year}"
                      "</Date_registration>\n    <Source_Register>ISRCTN</Source_Register>\n    <Study_type>"
                      "Interventional</Study_type>\n    <Condition>Health</Condition>\n  </Trial>\n")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Trials_downloaded_from_ICTRP>\n' + "".join(trials)
            + "</Trials_downloaded_from_ICTRP>\n")


FILES = {  # source -> (file name, writer)
    "MEDLINE": ("medline.nbib", medline),
    "Embase": ("embase.ris", lambda arts: ris(arts, "Embase")),
    "CINAHL": ("cinahl.ris", lambda arts: ris(arts, "CINAHL")),
    "ClinicalTrials.gov": ("ctgov.csv", ctgov),
    "WHO ICTRP": ("ictrp.xml", ictrp),
    "Charity websites": ("websites.ris", lambda arts: ris(arts, "Websites")),
    "Organisations contacted": ("organisations.ris", lambda arts: ris(arts, "Organisations")),
    "Reference lists": ("reference-lists.ris", lambda arts: ris(arts, "References")),
}


def protocol_text(ledger: str = "ledger.sqlite", previous: tuple[int, int] | None = None,
                  screening_reasons: bool = False, sources: Iterable[str] = tuple(FILES)) -> str:
    review = f'[review]\nid = "generated-review"\ntitle = "A generated review with every box non-zero"\n' \
             f'ledger = "{ledger}"\n'
    if previous is not None:
        review += f"previous_studies = {previous[0]}\nprevious_reports = {previous[1]}\n"
    sources = list(sources)
    tables = []
    for name in sources:
        filename, arm = FILES[name][0], ARMS[name]
        kind = {"databases": "file", "registers": "register", "other": "other"}[arm]
        extra = f'database = "{name}"\n' if arm != "other" else f'method = "{METHODS[name][0]}"\n'
        tables.append(f'[[sources]]\nname = "{name}"\nkind = "{kind}"\n{extra}files = ["{filename}"]\n'
                       'searched = "2014/06/15"\n')
    return (review + '\n[query]\ntext = \'"peer worker" AND health\'\ndefault_field = "tiab"\n\n' + "\n".join(tables)
            + f'\n[dedup]\nsource_preference = {json.dumps([n for n in PREFERENCE if n in sources])}\n\n'
            '[[rules]]\nid = "english-only"\nkind = "language"\nlanguages = ["eng"]\nstage = "automation"\n'
            'action = "exclude"\nreason = "Not in English"\n\n'
            '[[rules]]\nid = "animal-models"\nkind = "query"\nquery = \'"animal model"\'\nstage = "title-abstract"\n'
            'action = "exclude"\nreason = "Animal study"\n\n'
            f'[screening]\nreviewers = ["AB", "CD"]\nfull_text_reasons = {json.dumps(list(REASONS))}\n'
            + ("show_screening_reasons = true\n" if screening_reasons else ""))


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output)
    return result.output


def _sheet(protocol: Path, stage: str, folder: Path) -> list[dict[str, str]]:
    out = folder / f"sheet-{stage}.csv"
    run("screen", "export", str(protocol), "--stage", stage, "--out", str(out))
    return list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))


def write_decisions(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["record_id", "stage", "reviewer", "decision", "reason", "study"])
        writer.writeheader()
        writer.writerows(rows)


def decision_rows(stage: str, sheet: list[dict[str, str]], by_title: dict[str, Article]
                  ) -> tuple[dict[str, int], dict[str, list[dict[str, str]]]]:
    """The rows each reviewer (``AB``, ``CD``, resolver ``EF``) writes in a stage's exported sheet; planned key ->
    ledger record id."""
    ids: dict[str, int] = {}
    files: dict[str, list[dict[str, str]]] = {"AB": [], "CD": [], "EF": []}
    for row in sheet:
        art = by_title[row["title"].rstrip(".")]
        ids[art.key] = int(row["record_id"])
        if stage == "retrieval":
            if not art.retrieved:
                files["AB"].append({"record_id": row["record_id"], "stage": stage, "reviewer": "AB",
                                    "decision": "not retrieved", "reason": "", "study": ""})
            continue
        decisions = art.ta if stage == "title-abstract" else art.ft
        for who, decision in decisions.items():
            own = art.ta_reason if stage == "title-abstract" else art.ft_reasons.get(who, art.ft_reason)
            reason = own if decision == "exclude" else ""
            files[who].append({"record_id": row["record_id"], "stage": stage, "reviewer": who, "decision": decision,
                               "reason": reason, "study": art.study if stage == "full-text" else ""})
    return ids, files


def _decide(protocol: Path, folder: Path, stage: str, by_title: dict[str, Article]) -> dict[str, int]:
    """Export the stage's sheet, fill one file per reviewer (and the resolver's), import them; key -> record id."""
    ids, files = decision_rows(stage, _sheet(protocol, stage, folder), by_title)
    for who, rows in files.items():
        if rows:
            path = folder / f"{stage}-{who}.csv"
            write_decisions(path, rows)
            run("screen", "import", str(protocol), str(path), *(["--role", "resolver"] if who == "EF" else []))
    return ids


def write_files(folder: Path, articles: list[Article] | None = None, mistakes: bool = True) -> dict[str, Path]:
    """The export files of every source holding one of the articles (default: the plan), and the two mistaken
    imports; file name -> path."""
    articles = plan() if articles is None else articles
    works = {art.key: art for art in articles}
    written: dict[str, Path] = {}
    for source, (filename, writer) in FILES.items():
        held = [_work(art, works) for art in articles if source in art.sources]
        if held:
            written[filename] = folder / filename
            written[filename].write_text(writer(held), encoding="utf-8")
    for filename, articles in (MISTAKES.items() if mistakes else ()):
        written[filename] = folder / filename
        written[filename].write_text(ris([_work(art, works) for art in articles], "CINAHL"), encoding="utf-8")
    return written


def build_review(folder: Path) -> Path:
    """The review, built through the commands in ``folder``; returns its protocol (no previous numbers)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = write_files(folder)
    protocol = folder / "review.toml"
    protocol.write_text(protocol_text(), encoding="utf-8")
    run("import", str(protocol))
    run("import", str(protocol), str(files["cinahl-wrong-limits.ris"]), "--source", "CINAHL")
    run("import", str(protocol), str(files["another-review.ris"]), "--source", "CINAHL")
    run("withdraw", str(protocol), str(files["cinahl-wrong-limits.ris"]), "--reason", "exported with the wrong limits",
        "--by", "AB")
    run("withdraw", str(protocol), str(files["another-review.ris"]), "--reason", "another review's export",
        "--exclude-from-counts", "--by", "AB")
    run("dedupe", str(protocol))
    run("rules", str(protocol))
    by_title = {art.title: art for art in plan() if art.key not in TWINS}
    ids: dict[str, int] = {}
    for stage in ("title-abstract", "retrieval", "full-text"):
        ids.update(_decide(protocol, folder, stage, by_title))
    run("link-study", str(protocol), "NCT99910001", str(ids["A01"]), str(ids["T01"]), "--why",
        "the trial's registration and its results paper", "--by", "AB")
    return protocol


def variant(protocol: Path, name: str, *, previous: tuple[int, int] | None = None, screening_reasons: bool = False,
            without_other_methods: bool = False) -> Path:
    """Another protocol on the review: with previous numbers, showing screening reasons, or on a copy of the ledger
    whose other-method files are withdrawn as never identified (a review of databases and registers only)."""
    folder = protocol.parent
    ledger = "ledger.sqlite"
    if without_other_methods:
        ledger = f"ledger-{name}.sqlite"
        shutil.copyfile(folder / "ledger.sqlite", folder / ledger)
    path = folder / f"{name}.toml"
    path.write_text(protocol_text(ledger, previous, screening_reasons), encoding="utf-8")
    if without_other_methods:
        for source, (filename, _) in FILES.items():
            if ARMS[source] == "other":
                run("withdraw", str(path), str(folder / filename), "--reason", "other methods left out",
                    "--exclude-from-counts", "--by", "AB")
    return path


# -- the independent reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flow:
    """Where each record ends, read from the ledger's tables with SQL: record id -> (source, end, reason)."""

    ends: dict[int, tuple[str, str, str]]
    studies: dict[int, str]  # included record -> its study
    by_automation: frozenset[int]  # title/abstract exclusions by a rule

    def count(self, *ends: str, arm: str | None = None, source: str | None = None) -> int:
        return sum(1 for src, end, _ in self.ends.values()
                   if (not ends or end in ends) and (arm is None or ARMS[src] == arm)
                   and (source is None or src == source))

    def reasons(self, end: str, arm: str | None = None) -> dict[str, int]:
        return dict(Counter(reason for src, e, reason in self.ends.values()
                            if e == end and (arm is None or (ARMS[src] == "other") == (arm == "other"))))


def _settle(rows: list[tuple[str, str, str, str]], needed: int, stage: str) -> tuple[str, str] | None:
    """(decision, reason) once a stage is decided, from its rows (reviewer, role, decision, reason) oldest first:
    a resolver's latest word, else ``needed`` screeners' latest decisions agreeing (title/abstract: maybe = include;
    full text: on the reason too)."""
    resolved = [r for r in rows if r[1] == "resolver"]
    if resolved:
        return resolved[-1][2], resolved[-1][3]
    latest = {r[0]: r for r in rows}
    if len(latest) < needed:
        return None
    decisions = {("include" if stage == "title-abstract" and r[2] == "maybe" else r[2]) for r in latest.values()}
    reasons = {r[3] for r in latest.values() if r[3]}
    if len(decisions) > 1 or (stage == "full-text" and decisions == {"exclude"} and len(reasons) > 1):
        return None
    return decisions.pop(), next(iter(sorted(reasons)), "")


def ledger_flow(ledger: Path, reviewers: int = 2) -> Flow:
    db = sqlite3.connect(ledger)
    records = {rid: (source, file_id) for rid, source, file_id in db.execute("SELECT id, source, file_id FROM records")}
    in_force: dict[int, str] = {}
    for file_id, run_id, action in db.execute("SELECT file_id, run_id, action FROM withdrawals ORDER BY id"):
        assert run_id is None, "this reading knows file withdrawals only"
        in_force[file_id] = action
    withdrawn = {rid: in_force[f] for rid, (_, f) in records.items() if in_force.get(f, "undo") != "undo"}

    def latest(kind: str) -> int | None:
        return db.execute("SELECT MAX(id) FROM runs WHERE kind = ? AND status = 'ok'", (kind,)).fetchone()[0]

    clusters: dict[int, list[int]] = {}
    for removed, kept in db.execute("SELECT record_id, duplicate_of FROM duplicates WHERE run_id = ?",
                                    (latest("dedupe"),)):
        clusters.setdefault(kept, [kept]).append(removed)
    kept_of: dict[int, int] = {}
    for members in clusters.values():  # withdrawn records leave their cluster; the lowest remaining one keeps it
        remaining = sorted(m for m in members if m not in withdrawn)
        keeper = members[0] if members[0] not in withdrawn else (remaining[0] if remaining else None)
        for member in members:
            if keeper is not None:
                kept_of[member] = keeper
    fired: dict[int, list[tuple[str, str]]] = {}
    for rid, stage, reason in db.execute("SELECT record_id, stage, reason FROM rule_results WHERE run_id = ? AND "
                                         "fired = 1 AND action = 'exclude' ORDER BY id", (latest("rules"),)):
        fired.setdefault(rid, []).append((stage, reason))
    decided: dict[tuple[int, str], list[tuple[str, str, str, str]]] = {}
    for rid, stage, reviewer, role, decision, reason in db.execute(
            "SELECT record_id, stage, reviewer, role, decision, COALESCE(reason, '') FROM decisions ORDER BY id"):
        decided.setdefault((kept_of.get(rid, rid), stage), []).append((reviewer, role, decision, reason))
    links: dict[int, str] = {}
    for rid, study in db.execute("SELECT record_id, study FROM study_links ORDER BY id"):
        links[rid] = study
    study_of = {kept_of.get(rid, rid): study for rid, study in links.items() if study}

    ends: dict[int, tuple[str, str, str]] = {}
    automation: set[int] = set()
    for rid, (source, _) in sorted(records.items()):
        other = ARMS[source] == "other"
        if withdrawn.get(rid) == "exclude-from-counts":
            continue
        if rid in withdrawn:
            ends[rid] = (source, "removed-other", "withdrawn")
            continue
        if kept_of.get(rid, rid) != rid:
            ends[rid] = (source, "duplicate", "")
            continue
        rules = fired.get(rid, [])
        if not other:
            if any(stage == "automation" for stage, _ in rules):
                ends[rid] = (source, "ineligible-automation", "")
                continue
            screening = [reason for stage, reason in rules if stage == "title-abstract"]
            if screening:
                ends[rid] = (source, "excluded-screening", screening[0])
                automation.add(rid)
                continue
            ta = _settle(decided.get((rid, "title-abstract"), []), reviewers, "title-abstract")
            if ta is None:
                ends[rid] = (source, "awaiting-screening", "")
                continue
            if ta[0] == "exclude":
                ends[rid] = (source, "excluded-screening", ta[1])
                continue
        retrieval = _settle(decided.get((rid, "retrieval"), []), 1, "retrieval")
        full = decided.get((rid, "full-text"), [])
        if retrieval is not None and retrieval[0] == "not-retrieved":
            ends[rid] = (source, "not-retrieved", "")
        elif retrieval is None and not full:
            ends[rid] = (source, "awaiting-retrieval", "")
        else:
            ft = _settle(full, reviewers, "full-text")
            if ft is None or ft[0] == "maybe":
                ends[rid] = (source, "awaiting-assessment", "")
            elif ft[0] == "exclude":
                ends[rid] = (source, "excluded-full-text", ft[1])
            else:
                ends[rid] = (source, "included", "")
    studies = {rid: study_of.get(rid, f"record {rid}") for rid, (_, end, _) in ends.items() if end == "included"}
    return Flow(ends, studies, frozenset(automation))
