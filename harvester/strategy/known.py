"""Validate the search against the studies the team already knows are relevant (relative recall).

A known-studies file is RIS (any export the importers read), a CSV with ``doi``, ``pmid`` and/or
``title`` columns (a ``citation`` column in Vancouver style gives the title when there is none), or a
plain list of PMIDs. Each study is looked up in the ledger by DOI, PMID, then title (a close match of
the folded words, with the year when both give one). For each database source: did it return the
study, and does the query (as that database reads it) select the study's record, and if not, which
clause fails. Relative recall per source is the share of known studies it returned.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

from harvester import normalise
from harvester.errors import FormatError
from harvester.formats import read_file
from harvester.ledger import Ledger
from harvester.ledger.duplicates import current_duplicates
from harvester.ledger.records import StoredRecord, iter_records
from harvester.protocol import Protocol
from harvester.strategy.check import reading

#: Least rapidfuzz ratio (0-100) between two folded titles taken as the same study.
TITLE_MATCH = 92


@dataclass(frozen=True, slots=True)
class KnownStudy:
    label: str  # where it is in the file: "line 3" or "record 2"
    doi: str = ""
    pmid: str = ""
    title: str = ""
    year: int | None = None


@dataclass(frozen=True, slots=True)
class KnownResult:
    study: KnownStudy
    matched_by: str  # doi | pmid | title | "" (not in the ledger)
    sources: tuple[str, ...]  # sources holding it
    per_source: dict[str, str]  # database source -> what happened, in words

    def to_json(self) -> dict[str, object]:
        return {"label": self.study.label, "doi": self.study.doi, "pmid": self.study.pmid, "title": self.study.title,
                "in_ledger": bool(self.matched_by), "matched_by": self.matched_by, "sources": list(self.sources),
                "per_source": self.per_source}


@dataclass(frozen=True, slots=True)
class Recall:
    source: str
    returned: int
    selected: int  # of the known studies it returned, how many its query selects on its record
    known: int

    @property
    def relative_recall(self) -> float:
        return self.returned / self.known if self.known else 0.0

    def to_json(self) -> dict[str, object]:
        return {"source": self.source, "returned": self.returned, "selected_by_query": self.selected,
                "known": self.known, "relative_recall": round(self.relative_recall, 4)}


@dataclass(frozen=True, slots=True)
class KnownCheck:
    file: str
    results: tuple[KnownResult, ...]
    recall: tuple[Recall, ...]

    @property
    def in_ledger(self) -> int:
        return sum(1 for r in self.results if r.matched_by)

    def to_json(self) -> dict[str, object]:
        return {"file": self.file, "known": len(self.results), "in_ledger": self.in_ledger,
                "recall": [r.to_json() for r in self.recall], "studies": [r.to_json() for r in self.results]}


def read_known(path: str | Path) -> tuple[KnownStudy, ...]:
    """Known studies from RIS (or any export format), CSV, or a list of PMIDs; a one-line error otherwise."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise FormatError(str(path), f"cannot read the known-studies file: {error}") from error
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise FormatError(str(path), "the known-studies file is empty")
    if all(normalise.pmid(line) for line in lines):
        return tuple(KnownStudy(f"line {i}", pmid=normalise.pmid(line)) for i, line in enumerate(lines, 1))
    header = {name.strip().lower() for name in next(csv.reader([lines[0]]))}
    if path.suffix.lower() == ".csv" and header & {"doi", "pmid", "title", "citation"}:
        return _from_csv(path, text)
    parsed = read_file(path)
    return tuple(KnownStudy(f"record {i}", normalise.doi(r.doi), normalise.pmid(r.pmid), r.title, r.year)
                 for i, r in enumerate(parsed.records, 1))


def _from_csv(path: Path, text: str) -> tuple[KnownStudy, ...]:
    studies = []
    for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        title = row.get("title") or _citation_title(row.get("citation", ""))
        year = row.get("year", "")
        study = KnownStudy(f"line {number}", normalise.doi(row.get("doi")), normalise.pmid(row.get("pmid")), title,
                           int(year) if year.isdigit() else None)
        if not (study.doi or study.pmid or study.title):
            raise FormatError(str(path), "a known study needs a DOI, a PMID or a title", line=number)
        studies.append(study)
    return tuple(studies)


def _citation_title(citation: str) -> str:
    """The title of a Vancouver citation: the first sentence after the authors with four words or more
    (``Smith J, Roe A. Title. Journal.``; authors written ``Baumeister R.F. Leary MR.`` are skipped)."""
    parts = re.split(r"(?<=[.?!])\s+", citation)
    for part in parts[1:]:
        if len(part.split()) >= 4:
            return part.rstrip(".")
    rest = [part for part in parts[1:] if re.search(r"[^\W\d_]{3}", part)]
    return max(rest, key=len).rstrip(".") if rest else citation.strip()


def check_known(ledger: Ledger, protocol: Protocol, path: str | Path) -> KnownCheck:
    studies = read_known(path)
    records = list(iter_records(ledger))
    by_doi: dict[str, list[StoredRecord]] = {}
    by_pmid: dict[str, list[StoredRecord]] = {}
    for stored in records:
        if (doi := normalise.doi(stored.record.doi)):
            by_doi.setdefault(doi, []).append(stored)
        if (pmid := normalise.pmid(stored.record.pmid)):
            by_pmid.setdefault(pmid, []).append(stored)
    titles = [(normalise.words(s.record.title), s) for s in records if s.record.title.strip()]
    kept = current_duplicates(ledger)
    work = {s.id: kept.get(s.id, s.id) for s in records}
    clusters: dict[int, list[StoredRecord]] = {}
    for stored in records:
        clusters.setdefault(work[stored.id], []).append(stored)
    readings = [reading(protocol, source) for source in protocol.sources if source.kind != "other"]
    results = []
    for study in studies:
        found, how = _find(study, by_doi, by_pmid, titles, clusters, work)
        per_source: dict[str, str] = {}
        for read in readings:
            own = [s for s in found if s.source == read.source.name]
            if own:
                if any(read.selects(s.record) for s in own):
                    per_source[read.source.name] = "returned; the query selects it"
                else:
                    clause, reasons = read.why_not(own[0].record)
                    per_source[read.source.name] = (f"returned, but the query does not select it: {clause} "
                                                    f"({reasons[0]})")
            elif not found:
                per_source[read.source.name] = "not returned (not in the ledger)"
            elif any(read.selects(s.record) for s in found):
                per_source[read.source.name] = "not returned, though the query selects its record from another source"
            else:
                clause, reasons = read.why_not(found[0].record)
                per_source[read.source.name] = f"not returned; the query misses it on {clause} ({reasons[0]})"
        results.append(KnownResult(study, how, tuple(dict.fromkeys(s.source for s in found)), per_source))
    recall = tuple(
        Recall(read.source.name,
               sum(1 for r in results if r.per_source[read.source.name].startswith("returned")),
               sum(1 for r in results if r.per_source[read.source.name] == "returned; the query selects it"),
               len(results))
        for read in readings)
    return KnownCheck(str(path), tuple(results), recall)


def _same_title(known: str, held: str, known_year: int | None, held_year: int | None) -> bool:
    """Close folded titles (years within one when both are given); or, with the same year, a held title of
    three words or more that begins the known one (a citation may run a title into its subtitle without a
    full stop: "Trauma informed storytelling Engaging women in ...")."""
    if fuzz.ratio(known, held) >= TITLE_MATCH:
        return known_year is None or held_year is None or abs(known_year - held_year) <= 1
    return (known_year is not None and known_year == held_year and len(held.split()) >= 3
            and known.startswith(held + " "))


def _find(study: KnownStudy, by_doi: dict[str, list[StoredRecord]], by_pmid: dict[str, list[StoredRecord]],
          titles: list[tuple[str, StoredRecord]], clusters: dict[int, list[StoredRecord]], work: dict[int, int]
          ) -> tuple[list[StoredRecord], str]:
    """Every ledger record of the study: by DOI, PMID and title together (an export may lack the DOI another
    has), then the rest of each record's de-duplication cluster. ``how`` names the first key that matched."""
    found: dict[int, StoredRecord] = {}
    how = ""
    if study.doi:
        for stored in by_doi.get(study.doi, []):
            found.setdefault(stored.id, stored)
        how = "doi" if found else how
    if study.pmid:
        for stored in by_pmid.get(study.pmid, []):
            found.setdefault(stored.id, stored)
        how = how or ("pmid" if found else "")
    if study.title:
        wanted = normalise.words(study.title)
        for words, stored in titles:
            if _same_title(wanted, words, study.year, stored.record.year):
                found.setdefault(stored.id, stored)
        how = how or ("title" if found else "")
    for stored in list(found.values()):
        for member in clusters.get(work[stored.id], []):
            found.setdefault(member.id, member)
    return sorted(found.values(), key=lambda s: s.id), how
