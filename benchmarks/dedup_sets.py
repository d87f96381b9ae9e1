"""Load the labelled de-duplication sets (../shared/benchmarks/dedup/) as records and true clusters.

Shared by ``benchmarks/dedup.py`` and the tests. Column names follow the sets' README; ``NA`` and
empty cells become empty fields. Record ids are the numbers of ``id_0000123`` (123).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from harvester.records import Record

SETS: tuple[str, ...] = ("special_cases", "stroke", "cytology_screening", "diabetes")

#: Published bib-dedupe 0.11 figures (record level TP, FP, FN) from the sets' README.
PUBLISHED_BIB_DEDUPE: dict[str, tuple[int, int, int]] = {
    "stroke": (312, 0, 2), "cytology_screening": (766, 0, 6), "diabetes": (1261, 0, 0),
}


@dataclass(frozen=True, slots=True)
class LabelledSet:
    name: str
    records: list[tuple[int, Record]]
    clusters: list[list[int]]


def _cell(row: dict[str, str], name: str) -> str:
    value = (row.get(name) or "").strip()
    return "" if value.upper() == "NA" else value


def _record(row: dict[str, str]) -> Record:
    year = _cell(row, "year")
    entry = _cell(row, "ENTRYTYPE")
    journal = _cell(row, "journal") or _cell(row, "booktitle")
    authors = _cell(row, "author")
    return Record(
        title=_cell(row, "title"),
        abstract=_cell(row, "abstract"),
        authors=(authors,) if authors else (),
        year=int(year[:4]) if year[:4].isdigit() else None,
        journal=journal,
        volume=_cell(row, "volume"),
        issue=_cell(row, "number") or _cell(row, "issue"),
        pages=_cell(row, "pages"),
        doi=_cell(row, "doi"),
        issn=tuple(_cell(row, "isbn").split()),
        database=_cell(row, "source") if "ENTRYTYPE" not in row else "",
        tags=(("ENTRYTYPE", entry),) if entry else (),
    )


def _number(identifier: str) -> int:
    return int(identifier.strip().removeprefix("id_"))


def load_set(root: Path, name: str) -> LabelledSet:
    """One labelled set from the folder ``root`` (``.../benchmarks/dedup``)."""
    folder = root / name
    if name == "diabetes":
        with open(folder / "records_asysd.csv", encoding="latin-1", newline="") as handle:
            rows = list(csv.DictReader(handle))
        records = [(int(row["record_id"]), _record({k: v for k, v in row.items() if k != "source"}))
                   for row in rows]
    else:
        with open(folder / "records_pre_merged.csv", encoding="utf-8", newline="") as handle:
            records = [(_number(row["ID"]), _record(row)) for row in csv.DictReader(handle)]
    with open(folder / "merged_record_ids.csv", encoding="utf-8", newline="") as handle:
        clusters = [[_number(i) for i in row["merged_ids"].split(";")] for row in csv.DictReader(handle)]
    return LabelledSet(name, records, clusters)


@dataclass(frozen=True, slots=True)
class Scores:
    tp: int
    fp: int
    fn: int
    pair_precision: float
    pair_recall: float
    true_pairs: int
    predicted_pairs: int


def _pairs(groups: list[list[int]]) -> set[tuple[int, int]]:
    return {(min(a, b), max(a, b)) for group in groups for a, b in combinations(group, 2)}


def score(truth: list[list[int]], predicted: list[list[int]]) -> Scores:
    """Record-level TP/FP/FN as the published comparisons count them, and pairwise precision/recall.

    Each predicted cluster removes all but one member. Within a predicted cluster, records from one true
    cluster count as one kept plus removable duplicates (TP); each further true cluster (or unique
    record) merged in is a record removed that should have stayed (FP). FN = true removable - TP.
    """
    label: dict[int, int] = {}
    for i, group in enumerate(truth):
        for member in group:
            label[member] = i
    tp = fp = 0
    for group in predicted:
        distinct = {label.get(member, -member - 1) for member in group}
        fp += len(distinct) - 1
        tp += len(group) - len(distinct)
    positives = sum(len(g) - 1 for g in truth)
    true_pairs, predicted_pairs = _pairs(truth), _pairs(predicted)
    hit = len(true_pairs & predicted_pairs)
    return Scores(tp, fp, positives - tp, hit / len(predicted_pairs) if predicted_pairs else 1.0,
                  hit / len(true_pairs) if true_pairs else 1.0, len(true_pairs), len(predicted_pairs))
