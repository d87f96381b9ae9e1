"""The bundled example review (examples/peer-support) agrees with its truth table.

``truth.csv`` names, for every record in the four export files, its file, its position, the database's
id, the article (cluster) it belongs to and that article's title and DOI. De-duplication tests and the
demo rely on it, so these tests check it against the files themselves: first with tiny readers written
here (record delimiters, title tags), so they hold even without the importers; then through
``harvester.formats.read_file`` once a format module for the file exists; and, with ../shared present,
against the seed review's reference list and the generator (a fresh run must give the committed bytes).
"""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from harvester import dedup, formats, protocol

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "peer-support"
FILES = ("medline.nbib", "cinahl.ris", "scopus.csv", "hand-searched.ris", "clinicaltrials.csv")
SCOPUS_HEADER = ("Authors", "Author(s) ID", "Title", "Year", "Source title", "Volume", "Issue", "Art. No.",
                 "Page start", "Page end", "Page count", "Cited by", "DOI", "Link", "Abstract", "Author Keywords",
                 "Index Keywords", "ISSN", "PubMed ID", "Language of Original Document", "Abbreviated Source Title",
                 "Document Type", "Publication Stage", "Source", "EID")


def normalise(text: str) -> str:
    """Letters and digits only, lower case, no accents, '&' read as 'and'."""
    text = unicodedata.normalize("NFKD", text.replace("&", "and"))
    return "".join(ch for ch in text.lower() if ch.isalnum() and not unicodedata.combining(ch))


def truth_rows() -> list[dict[str, str]]:
    with (EXAMPLE / "truth.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def by_file() -> dict[str, list[dict[str, str]]]:
    grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in truth_rows():
        grouped[row["file"]].append(row)
    return grouped


# ---- tiny readers: just enough to count records and find titles and ids, independent of harvester ----

def nbib_records(text: str) -> list[dict[str, list[str]]]:
    records: list[dict[str, list[str]]] = []
    tag = ""
    for line in text.splitlines():
        if line.startswith("PMID- "):
            records.append(defaultdict(list))
        if not records or not line.strip():
            continue
        if line.startswith("      "):
            records[-1][tag][-1] += " " + line.strip()
        else:
            assert re.match(r"^[A-Z]{2,4} *- ", line), f"not a MEDLINE line: {line!r}"
            tag, value = line[:4].strip(), line[6:]
            records[-1][tag].append(value)
    return records


def ris_records(text: str) -> list[dict[str, list[str]]]:
    records: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    for line in text.splitlines():
        match = re.match(r"^([A-Z][A-Z0-9])  - ?(.*)$", line)
        if not match:
            assert not line.strip(), f"not a RIS line: {line!r}"
            continue
        tag, value = match.groups()
        if tag == "TY":
            assert current is None, "TY before the previous record's ER"
            current = defaultdict(list)
        assert current is not None, f"{tag} outside a record"
        if tag == "ER":
            records.append(current)
            current = None
        else:
            current[tag].append(value)
    assert current is None, "the last record has no ER"
    return records


def scopus_records(text: str) -> list[dict[str, list[str]]]:
    reader = csv.DictReader(text.lstrip("\ufeff").splitlines(keepends=True))
    return [{key: [value] for key, value in row.items()} for row in reader]


def read_records(name: str) -> list[dict[str, list[str]]]:
    text = (EXAMPLE / name).read_bytes().decode("utf-8")
    if name.endswith(".nbib"):
        return nbib_records(text)
    if name.endswith(".csv"):
        return scopus_records(text)
    return ris_records(text)


def title_of(record: dict[str, list[str]]) -> str:
    for tag in ("TI", "T1", "Title", "Study Title"):
        if record.get(tag):
            return record[tag][0]
    return ""


def id_of(name: str, record: dict[str, list[str]]) -> str:
    tag = {"medline.nbib": "PMID", "cinahl.ris": "AN", "scopus.csv": "EID",
           "clinicaltrials.csv": "NCT Number"}.get(name)
    return record[tag][0] if tag and record.get(tag) else ""


def doi_of(name: str, record: dict[str, list[str]]) -> str:
    if name == "medline.nbib":
        return next((v[: -len(" [doi]")] for v in record.get("AID", []) if v.endswith(" [doi]")), "")
    return (record.get("DO") or record.get("DOI") or [""])[0]


def title_matches(found: str, expected: str) -> bool:
    """Equal once normalised, or one holds the other (MEDLINE's "[...]." translations, Scopus's
    "[original title]" suffix, a journal's section label before the title)."""
    a, b = normalise(found), normalise(expected)
    return bool(a) and bool(b) and (a == b or b in a)


# ---- the files against the truth table ----

def test_truth_table_is_complete_and_ordered() -> None:
    grouped = by_file()
    assert sorted(grouped) == sorted(FILES)
    for name, rows in grouped.items():
        assert [int(r["position"]) for r in rows] == list(range(1, len(rows) + 1)), name
    total = sum(len(rows) for rows in grouped.values())
    assert 80 <= total <= 160, total
    # the seed review's 8 "other methods" records, and one more: a conference abstract of ref 21's study
    assert len(grouped["hand-searched.ris"]) == 9
    assert grouped["hand-searched.ris"][-1]["cluster"] == "x-ref21-conference-abstract"


@pytest.mark.parametrize("name", FILES)
def test_record_count_by_delimiters(name: str) -> None:
    text = (EXAMPLE / name).read_bytes().decode("utf-8")
    expected = len(by_file()[name])
    if name.endswith(".nbib"):
        assert len(re.findall(r"^PMID- ", text, re.M)) == expected
    elif name.endswith(".ris"):
        assert len(re.findall(r"^TY  - ", text, re.M)) == expected
        assert len(re.findall(r"^ER  - ?\r?$", text, re.M)) == expected
    else:
        assert len(list(csv.reader(text.lstrip("\ufeff").splitlines(keepends=True)))) == expected + 1
    assert len(read_records(name)) == expected


@pytest.mark.parametrize("name", FILES)
def test_each_truth_row_points_at_its_record(name: str) -> None:
    records = read_records(name)
    for row in by_file()[name]:
        record = records[int(row["position"]) - 1]
        where = f"{name} record {row['position']} ({row['cluster']})"
        assert title_matches(title_of(record), row["title"]), f"{where}: {title_of(record)!r} vs {row['title']!r}"
        assert id_of(name, record) == row["source_id"], where
        doi = doi_of(name, record)
        if doi:  # a database may lack the DOI; when it has one it is the article's, whatever its case
            assert doi.lower() == row["doi"].lower(), where


def test_clusters_are_consistent() -> None:
    rows = truth_rows()
    clusters: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        clusters[row["cluster"]].append(row)
    for cluster, members in clusters.items():
        assert len({m["file"] for m in members}) == len(members), f"{cluster} twice in one file"
        assert len({(m["title"], m["doi"], m["refs"]) for m in members}) == 1, cluster
    dois = Counter(members[0]["doi"].lower() for members in clusters.values() if members[0]["doi"])
    assert [doi for doi, n in dois.items() if n > 1] == []
    ids = [r["source_id"] for r in rows if r["source_id"]]
    assert len(ids) == len(set(ids))
    # most seed references are in two or three database files; refs 2 and 44 are one article
    seeds = {c: {m["file"] for m in ms} for c, ms in clusters.items() if ms[0]["refs"]}
    assert sum(len(files) >= 2 for files in seeds.values()) > len(seeds) / 2
    assert clusters["ref-02"][0]["refs"] == "2;44"
    assert not any(r["refs"].split(";")[0] == "44" for r in rows)
    # invented records carry only test-prefix DOIs
    assert all(r["doi"].startswith("10.5555/") for r in rows if r["cluster"].startswith("x-") and r["doi"])


def test_same_article_differs_between_databases_like_real_exports() -> None:
    """The overlap is not copy-paste: the twins differ in the ways the README lists."""
    records = {name: read_records(name) for name in FILES}  # the register's studies are no other file's
    forms: dict[str, dict[str, dict[str, list[str]]]] = defaultdict(dict)
    for row in truth_rows():
        forms[row["cluster"]][row["file"]] = records[row["file"]][int(row["position"]) - 1]
    bouchard = forms["ref-01"]
    assert bouchard["medline.nbib"]["PG"] == ["589-98"]
    assert (bouchard["cinahl.ris"]["SP"], bouchard["cinahl.ris"]["EP"]) == (["589"], ["598"])
    assert bouchard["scopus.csv"]["Authors"] == ["Bouchard L.; Montreuil M.; Gros C."]
    assert bouchard["medline.nbib"]["FAU"][0] == "Bouchard, L"
    assert "DO" not in bouchard["cinahl.ris"]  # DOI missing in one source
    assert title_of(bouchard["medline.nbib"]).endswith(".") and not title_of(bouchard["scopus.csv"]).endswith(".")
    assert forms["ref-04"]["cinahl.ris"]["JO"] == ["Journal of Psychiatric & Mental Health Nursing"]
    assert forms["ref-04"]["cinahl.ris"]["DO"] == ["10.1111/JPM.12001"]
    assert forms["ref-04"]["medline.nbib"]["JT"] == ["Journal of psychiatric and mental health nursing"]
    assert title_of(forms["ref-11"]["scopus.csv"]).startswith("Peer Support in Adult Mental Health Services")
    assert forms["x-spanish-agents"]["medline.nbib"]["LA"] == ["spa"]
    assert forms["x-spanish-agents"]["scopus.csv"]["Language of Original Document"] == ["Spanish"]
    assert forms["x-tb-navigators-erratum"]["scopus.csv"]["Document Type"] == ["Erratum"]


def test_file_shapes() -> None:
    cinahl = (EXAMPLE / "cinahl.ris").read_bytes()
    assert cinahl.count(b"\n") == cinahl.count(b"\r\n") > 0  # EBSCO writes CRLF
    assert b"DP  - EBSCOhost\r\nDB  - CINAHL\r\n" in cinahl
    scopus = (EXAMPLE / "scopus.csv").read_bytes()
    assert scopus.startswith(b"\xef\xbb\xbf\"Authors\"")  # UTF-8 BOM before the first quoted column
    header = next(csv.reader(scopus.decode("utf-8-sig").splitlines()))
    assert tuple(header) == SCOPUS_HEADER
    medline = (EXAMPLE / "medline.nbib").read_text(encoding="utf-8")
    assert re.search(r"^TI  - .+\n {6}\S", medline, re.M)  # titles wrap with a 6-space indent
    assert "\r" not in medline
    assert max(len(line) for line in medline.splitlines()) <= 82
    hand = (EXAMPLE / "hand-searched.ris").read_text(encoding="utf-8")
    assert "TY  - CHAP" in hand and "\r" not in hand


def test_example_protocol_points_at_the_files(repo: Path) -> None:
    loaded = protocol.load(repo / "queries" / "example-peer-support.toml")
    seed = protocol.load(repo / "queries" / "peer-support.toml")
    assert loaded.query_text == seed.query_text and loaded.rules == seed.rules
    assert loaded.dedup.source_preference == ("MEDLINE", "Scopus", "CINAHL")
    assert loaded.ledger_path == (repo / "cache" / "example-peer-support.sqlite").resolve()
    files = {s.name: [p.name for p in s.files] for s in loaded.sources}
    assert files == {"MEDLINE": ["medline.nbib"], "CINAHL": ["cinahl.ris"], "Scopus": ["scopus.csv"],
                     "Reference lists and grey literature": ["hand-searched.ris"],
                     "ClinicalTrials.gov": ["clinicaltrials.csv"]}
    assert loaded.source("ClinicalTrials.gov").is_register and not loaded.source("Scopus").is_register
    assert loaded.source("Reference lists and grey literature").method == "citation searching"
    assert all(path.is_file() for source in loaded.sources for path in source.files)


# ---- against ../shared: the seed reference list and the generator ----

def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_example", EXAMPLE / "make_example.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_truth_titles_are_the_seed_references(shared_dir: Path) -> None:
    with (shared_dir / "seed" / "references.csv").open(encoding="utf-8", newline="") as handle:
        seed = {row["ref"]: row for row in csv.DictReader(handle)}
    for row in truth_rows():
        for ref in filter(None, row["refs"].split(";")):
            assert normalise(row["title"]) in normalise(seed[ref]["citation"]), (ref, row["title"])
            assert row["doi"] == seed[ref]["doi"], ref


def test_generator_reproduces_the_committed_files(shared_dir: Path) -> None:
    built = load_generator().build(shared_dir / "seed" / "references.csv")
    assert sorted(built) == sorted((*FILES, "truth.csv"))
    for name, data in built.items():
        assert data == (EXAMPLE / name).read_bytes(), f"{name} differs from a fresh run of make_example.py"


# ---- through the importers and the de-duplicator ----

DATABASES = {"medline.nbib": "MEDLINE", "cinahl.ris": "CINAHL", "scopus.csv": "Scopus",
             "clinicaltrials.csv": "ClinicalTrials.gov"}


@pytest.mark.parametrize("name", FILES)
def test_importers_read_the_example(name: str) -> None:
    parsed = formats.read_file(EXAMPLE / name)
    rows = by_file()[name]
    assert parsed.rejected == (), [r.reason for r in parsed.rejected]
    if name in DATABASES:  # the database is told by the content, not the file name
        assert parsed.database == DATABASES[name]
    assert len(parsed.records) == len(rows)
    for record, row in zip(parsed.records, rows, strict=True):
        where = f"{name} record {row['position']} ({row['cluster']})"
        assert title_matches(record.title, row["title"]), f"{where}: {record.title!r}"
        if row["source_id"]:
            assert record.source_id == row["source_id"], where
        if record.doi:
            assert record.doi.lower() == row["doi"].lower(), where
        assert record.year is not None, where


def test_deduplication_agrees_with_the_truth_table() -> None:
    """The de-duplicator on the four files: no two articles merged (errata, protocol vs results, the two
    "Peer support" editorials), and every true duplicate pair merged or at least shown to people."""
    records: list[tuple[int, Any]] = []
    cluster_of: dict[int, str] = {}
    sources: dict[int, str] = {}
    source_names = {"medline.nbib": "MEDLINE", "cinahl.ris": "CINAHL", "scopus.csv": "Scopus",
                    "hand-searched.ris": "Reference lists and grey literature",
                    "clinicaltrials.csv": "ClinicalTrials.gov"}
    for name in FILES:
        parsed = formats.read_file(EXAMPLE / name)
        for record, row in zip(parsed.records, by_file()[name], strict=True):
            record_id = len(records) + 1
            records.append((record_id, record))
            cluster_of[record_id] = row["cluster"]
            sources[record_id] = source_names[name]
    result = dedup.dedupe(records, sources=sources, preference=("MEDLINE", "Scopus", "CINAHL"))
    merged = {pair for c in result.clusters for pair in combinations(sorted(c.members), 2)}
    shown = {tuple(sorted((p.a, p.b))) for p in result.uncertain}
    true = {(a, b) for a, b in combinations(sorted(cluster_of), 2) if cluster_of[a] == cluster_of[b]}
    wrong = sorted((cluster_of[a], cluster_of[b]) for a, b in merged - true)
    assert wrong == [], f"different articles merged: {wrong}"
    missed = sorted(cluster_of[a] for a, b in true - merged - shown)
    assert missed == [], f"duplicates neither merged nor shown to people: {missed}"
