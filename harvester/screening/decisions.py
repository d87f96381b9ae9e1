"""Decision sheets: reading reviewers' decisions from our CSV sheet, Rayyan's and ASReview's exports.

Reading and checking are separate, both pure. :func:`read_sheet` turns a file's text into
:class:`SheetRow` s (one per reviewer's label, with its line); :func:`check_rows` checks every row
against the ledger's facts (:class:`Context`) and returns the decisions *and* every problem found.
The caller stores nothing unless the problem list is empty: a file lands whole or not at all.

Shapes read (column names compared case-insensitively):

- ``ours``: ``record_id`` (the ledger id), or ``source`` + ``source_id``, or ``source`` + ``position`` (its
  place in the source's file, for records without a database id); ``decision``; optional
  ``stage``, ``reason``, ``reviewer``, ``note``, ``decided_at``. What ``export_sheet`` writes.
- ``rayyan``: Rayyan's CSV export. The record is ``record_id`` if present, else ``key`` (Rayyan keeps
  the ``key`` column of a CSV it imported: ours carries the ledger id there). Each reviewer's label
  is in ``notes`` as ``RAYYAN-INCLUSION: {"Alice"=>"Included", "Bob"=>"Excluded"}``; the reasons as
  ``RAYYAN-EXCLUSION-REASONS: reason1,reason2`` (the first is the reason counted; all are kept in the
  note). Segments are separated by ``|``.
- ``asreview``: ASReview LAB's export: ``record_id`` (ASReview keeps a ``record_id`` column of the data
  it was given, ours: its docs require whole numbers, unique, none missing) and ``included`` (1 relevant,
  0 irrelevant, -1 or empty: not labelled, skipped; the other label column names its docs accept are read too).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from difflib import SequenceMatcher

from harvester.formats.csv import write_csv
from harvester.ledger.decisions import NewDecision
from harvester.normalise import words

FORMATS = ("ours", "rayyan", "asreview")
STAGES = ("title-abstract", "retrieval", "full-text")
ROLES = ("screener", "resolver")

#: Words a sheet may use for a stage -> the stage.
STAGE_WORDS: dict[str, str] = {
    "title-abstract": "title-abstract", "title/abstract": "title-abstract", "title abstract": "title-abstract",
    "ta": "title-abstract", "tiab": "title-abstract", "screening": "title-abstract",
    "retrieval": "retrieval", "retrieve": "retrieval",
    "full-text": "full-text", "full text": "full-text", "fulltext": "full-text", "ft": "full-text",
    "eligibility": "full-text",
}

#: Words a sheet may use for a decision -> the decision.
DECISION_WORDS: dict[str, str] = {
    "include": "include", "included": "include", "yes": "include", "y": "include", "1": "include",
    "relevant": "include",
    "exclude": "exclude", "excluded": "exclude", "no": "exclude", "n": "exclude", "0": "exclude",
    "irrelevant": "exclude",
    "maybe": "maybe", "unsure": "maybe", "?": "maybe",
    "retrieved": "retrieved", "found": "retrieved",
    "not-retrieved": "not-retrieved", "not retrieved": "not-retrieved", "unavailable": "not-retrieved",
}

#: Which decisions each stage takes.
STAGE_DECISIONS: dict[str, tuple[str, ...]] = {
    "title-abstract": ("include", "exclude", "maybe"),
    "retrieval": ("retrieved", "not-retrieved"),
    "full-text": ("include", "exclude", "maybe"),
}

#: Our sheet's columns, in order: the key, what a person needs to decide, then what they fill in.
SHEET_COLUMNS: tuple[str, ...] = ("record_id", "source", "source_id", "title", "authors", "year", "journal", "doi",
                                  "pmid", "flags", "abstract", "stage", "decision", "reason", "note")

#: ASReview's label column, by the names its data-format docs accept (``included`` is what LAB exports).
ASREVIEW_LABELS: tuple[str, ...] = ("included", "asreview_label", "final_included", "label_included",
                                    "included_label", "included_final", "included_flag", "label", "include")

_RAYYAN_INCLUSION = re.compile(r'"([^"]+)"\s*=>\s*"([^"]*)"')


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One reviewer's label on one record, as the file wrote it (nothing interpreted yet)."""

    line: int
    key: str  # the record id as written ("" when the sheet keys by source + source_id)
    decision: str
    stage: str = ""
    reason: str = ""
    reviewer: str = ""
    note: str = ""
    decided_at: str = ""
    source: str = ""
    source_id: str = ""
    position: str = ""
    title: str = ""  # checked against the ledger's title: a wrong id must not decide the wrong record
    doi: str = ""
    pmid: str = ""


@dataclass(frozen=True, slots=True)
class Context:
    """The ledger's facts a decisions file is checked against."""

    path: str
    record_ids: frozenset[int]
    keys: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (source, source_id) -> ids
    positions: dict[tuple[str, int], list[int]] = field(default_factory=dict)  # (source, position) -> ids
    titles: dict[int, str] = field(default_factory=dict)  # record id -> title
    identifiers: dict[str, list[int]] = field(default_factory=dict)  # "doi:..."/"pmid:..." -> ids not duplicates
    duplicates: dict[int, int] = field(default_factory=dict)  # removed id -> kept id
    other_arm: frozenset[int] = frozenset()  # records found by other methods (skip title/abstract)
    full_text_reasons: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()  # the protocol's screeners
    stage: str | None = None  # --stage
    reviewer: str | None = None  # --reviewer
    role: str = "screener"


def parse_csv(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header (lower-cased) and rows with the line each starts on (quoted fields may span lines)."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return [], []
    rows: list[tuple[int, dict[str, str]]] = []
    start = reader.line_num + 1
    for values in reader:
        if any(v.strip() for v in values):
            rows.append((start, {name: (values[i].strip() if i < len(values) else "")
                                 for i, name in enumerate(header)}))
        start = reader.line_num + 1
    return header, rows


def read_sheet(text: str, format: str, path: str, only_reviewer: str | None = None
               ) -> tuple[list[SheetRow], list[str]]:
    """Rows of a decisions file and the problems with its shape (missing columns...)."""
    header, rows = parse_csv(text)
    if not header:
        return [], [f"{path}: the file is empty (a CSV with a header line is expected)"]
    if format == "ours":
        return _read_ours(header, rows, path)
    if format == "rayyan":
        return _read_rayyan(header, rows, path, only_reviewer)
    if format == "asreview":
        return _read_asreview(header, rows, path)
    return [], [f"{path}: unknown decisions format {format!r} (known: {', '.join(FORMATS)})"]


def _read_ours(header: list[str], rows: list[tuple[int, dict[str, str]]], path: str
               ) -> tuple[list[SheetRow], list[str]]:
    key = "record_id" if "record_id" in header else "id" if "id" in header else None
    problems = []
    if key is None and not ({"source", "source_id"} <= set(header) or {"source", "position"} <= set(header)):
        problems.append(f"{path}:1: no record_id column (nor source + source_id, nor source + position): cannot "
                        "tell which record each decision is about")
    if "decision" not in header:
        problems.append(f"{path}:1: no decision column")
    if problems:
        return [], problems
    found = [SheetRow(line=line, key=row.get(key, "") if key else "", decision=row.get("decision", ""),
                      stage=row.get("stage", ""), reason=row.get("reason", ""), reviewer=row.get("reviewer", ""),
                      note=row.get("note", ""), decided_at=row.get("decided_at", ""),
                      source=row.get("source", ""), source_id=row.get("source_id", ""),
                      position=row.get("position", ""), title=row.get("title", ""))
             for line, row in rows]
    # a sheet exported and handed back partly filled: blank decisions are simply not yet decided
    return [r for r in found if r.decision or r.reason], []


def _read_rayyan(header: list[str], rows: list[tuple[int, dict[str, str]]], path: str,
                 only_reviewer: str | None) -> tuple[list[SheetRow], list[str]]:
    key = "record_id" if "record_id" in header else "key" if "key" in header else None
    if key is None or "notes" not in header:
        return [], [f"{path}:1: not a Rayyan CSV export: expected columns 'key' and 'notes' (found: "
                    f"{', '.join(header)})"]
    found: list[SheetRow] = []
    for line, row in rows:
        labels, reasons, user_notes = parse_rayyan_notes(row.get("notes", ""))
        for reviewer, label in labels:
            if only_reviewer is not None and reviewer != only_reviewer:
                continue
            excluded = DECISION_WORDS.get(label.strip().lower()) == "exclude"
            note = "Rayyan reasons: " + ", ".join(reasons) if excluded and len(reasons) > 1 else user_notes
            found.append(SheetRow(line=line, key=row.get(key, ""), decision=label, reviewer=reviewer,
                                  reason=reasons[0] if excluded and reasons else "", note=note,
                                  title=row.get("title", ""), doi=row.get("doi", ""),
                                  pmid=row.get("pubmed_id", "") or row.get("pmid", "")))
    return found, []


def parse_rayyan_notes(notes: str) -> tuple[list[tuple[str, str]], list[str], str]:
    """Rayyan's ``notes`` cell -> ([(reviewer, label)], exclusion reasons, user notes)."""
    labels: list[tuple[str, str]] = []
    reasons: list[str] = []
    user_notes = ""
    for segment in notes.split("|"):
        name, _, value = segment.strip().partition(":")
        name = name.strip().upper()
        if name == "RAYYAN-INCLUSION":
            labels.extend(_RAYYAN_INCLUSION.findall(value))
        elif name == "RAYYAN-EXCLUSION-REASONS":
            reasons.extend(r.strip() for r in value.split(",") if r.strip())
        elif name == "USER-NOTES":
            user_notes = value.strip()
    return labels, reasons, user_notes


def _read_asreview(header: list[str], rows: list[tuple[int, dict[str, str]]], path: str
                   ) -> tuple[list[SheetRow], list[str]]:
    label = next((c for c in ASREVIEW_LABELS if c in header), None)
    if "record_id" not in header or label is None:
        return [], [f"{path}:1: not an ASReview export: expected columns 'record_id' and 'included' (found: "
                    f"{', '.join(header)})"]
    found: list[SheetRow] = []
    for line, row in rows:
        value = row.get(label, "").strip()
        if value in ("", "-1", "nan", "NA"):
            continue  # not labelled in ASReview
        if value.endswith(".0"):
            value = value[:-2]
        found.append(SheetRow(line=line, key=row.get("record_id", ""), decision=value,
                              note=row.get("exported_notes_1", "") or row.get("notes", ""),
                              title=row.get("title", "") or row.get("primary_title", "")))
    return found, []


def check_rows(rows: Iterable[SheetRow], context: Context) -> tuple[list[NewDecision], list[str]]:
    """Interpret and check every row; return the decisions and every problem (``file:line, record``)."""
    decisions: list[NewDecision] = []
    problems: list[str] = []
    seen: dict[tuple[int, str, str], tuple[str, str, int]] = {}
    for row in rows:
        where = f"{context.path}:{row.line}"
        label = f"record {row.key or f'{row.source}/{row.source_id or row.position}'}"
        trouble: list[str] = []

        record_id = _record_id(row, context, trouble)
        stage = STAGE_WORDS.get((row.stage or context.stage or "").strip().lower())
        if not (row.stage or context.stage):
            trouble.append("no stage: give a stage column or --stage")
        elif stage is None:
            trouble.append(f"unknown stage {row.stage!r} (known: {', '.join(STAGES)})")
        elif row.stage and context.stage and stage != STAGE_WORDS.get(context.stage.lower()):
            trouble.append(f"stage {row.stage!r} differs from --stage {context.stage}")
        decision = DECISION_WORDS.get(row.decision.strip().lower())
        if decision is None:
            words = ", ".join(sorted({w for w in DECISION_WORDS if w.isalpha() or "-" in w}))
            trouble.append(f"unknown decision {row.decision!r} (known: {words})")
        elif stage is not None and decision not in STAGE_DECISIONS[stage]:
            trouble.append(f"{decision!r} is not a {stage} decision ({', '.join(STAGE_DECISIONS[stage])})")
        reviewer = (row.reviewer or context.reviewer or "").strip()
        if not reviewer:
            trouble.append("no reviewer: give a reviewer column or --reviewer")
        elif context.role == "screener" and context.reviewers and reviewer not in context.reviewers:
            trouble.append(f"reviewer {reviewer!r} is not one of the protocol's screeners "
                           f"({', '.join(context.reviewers)}); a third reviewer resolving conflicts imports with "
                           "--role resolver")
        reason = row.reason.strip() or None
        if row.decided_at:
            try:
                datetime.fromisoformat(row.decided_at.strip())
            except ValueError:
                trouble.append(f"decided_at {row.decided_at!r} is not a date (YYYY-MM-DD, or ISO date and time)")
        if stage == "full-text" and decision == "exclude":
            if reason is None:
                trouble.append("a full-text exclusion needs a reason")
            elif context.full_text_reasons and reason not in context.full_text_reasons:
                trouble.append(f"reason {reason!r} is not one of the protocol's full_text_reasons "
                               f"({'; '.join(context.full_text_reasons)})")
        if record_id is not None and record_id in context.duplicates:
            trouble.append(f"record {record_id} was removed as a duplicate of record "
                           f"{context.duplicates[record_id]}; decide record {context.duplicates[record_id]}")
        if record_id is not None and stage == "title-abstract" and record_id in context.other_arm:
            trouble.append("this record was found by other methods, which skip title/abstract screening in "
                           "PRISMA 2020 (O1 -> O2); decide it at retrieval or full-text")
        repeated = False
        if record_id is not None and stage is not None and decision is not None and reviewer:
            current = (decision, reason or "", row.line)
            previous = seen.setdefault((record_id, stage, reviewer), current)
            if previous is not current:
                if previous[:2] != current[:2]:
                    said = " ".join(filter(None, previous[:2]))
                    trouble.append(f"{reviewer} gave two different {stage} decisions for this record "
                                   f"(line {previous[2]}: {said}; here: {' '.join(filter(None, current[:2]))})")
                repeated = True
        if trouble:
            problems.extend(f"{where}: {label}: {t}" for t in trouble)
            continue
        if repeated:
            continue  # the same decision written twice is stored once
        assert record_id is not None and stage is not None and decision is not None
        decisions.append(NewDecision(record_id=record_id, stage=stage, reviewer=reviewer, role=context.role,
                                     decision=decision, reason=reason, note=row.note or None,
                                     decided_at=row.decided_at or None, line=row.line))
    return decisions, problems


def _record_id(row: SheetRow, context: Context, trouble: list[str]) -> int | None:
    """The ledger record a row is about, by its id, or source + source_id, or source + position; a row that
    also gives a title must name the same work (a wrong or foreign id must not decide the wrong record).
    Rayyan rows whose ``key`` is Rayyan's own id fall back to their DOI or PubMed id."""
    problems: list[str] = []
    found = _by_key(row, context, problems)
    if found is not None and not _same_title(row.title, context.titles.get(found)):
        problems.append(f"record {found} is {context.titles.get(found) or '(no title)'!r} in the ledger, not "
                        f"{row.title!r}: wrong id?")
        found = None
    if found is None and (row.doi or row.pmid) and not row.source:
        found = _by_identifier(row, context)
    if found is None:
        trouble.extend(problems)
    return found


def _by_identifier(row: SheetRow, context: Context) -> int | None:
    for name, value in (("doi", row.doi.strip().lower()), ("pmid", row.pmid.strip())):
        ids = context.identifiers.get(f"{name}:{value}", []) if value else []
        if len(ids) == 1 and _same_title(row.title, context.titles.get(ids[0])):
            return ids[0]
    return None


def _same_title(given: str, held: str | None) -> bool:
    """Titles as two exports write them (case, punctuation, a trailing period): the same words, near enough."""
    if not given.strip() or held is None:
        return True  # nothing to compare
    a, b = words(given), words(held)
    return a == b or SequenceMatcher(None, a, b).ratio() >= 0.8


def _by_key(row: SheetRow, context: Context, trouble: list[str]) -> int | None:
    if row.key:
        try:
            record_id = int(row.key.strip())
        except ValueError:
            trouble.append(f"record id {row.key!r} is not a ledger record id (a whole number)")
            return None
        if record_id not in context.record_ids:
            trouble.append(f"unknown record id {record_id}: no such record in this review's ledger")
            return None
        return record_id
    if row.source and (row.source_id or row.position):
        if row.source_id:
            ids, what = context.keys.get((row.source, row.source_id), []), f"id {row.source_id!r}"
        else:
            try:
                ids = context.positions.get((row.source, int(row.position)), [])
            except ValueError:
                trouble.append(f"position {row.position!r} is not a whole number")
                return None
            what = f"position {row.position}"
        if len(ids) == 1:
            return ids[0]
        if not ids:
            trouble.append(f"unknown record: no record of source {row.source!r} with {what}")
        else:
            trouble.append(f"source {row.source!r} {what} names {len(ids)} records "
                           f"({', '.join(map(str, ids))}); use record_id")
        return None
    trouble.append("no record id")
    return None


def write_sheet(entries: Iterable[dict[str, str]]) -> str:
    """Our sheet as CSV text: one row per record, keyed by ``record_id`` (also as ``key``, the column Rayyan
    keeps), written by the project's one CSV writer (cells safe to open in a spreadsheet)."""
    out = io.StringIO()
    write_csv(({**entry, "key": entry.get("record_id", "")} for entry in entries), out, (*SHEET_COLUMNS, "key"))
    return out.getvalue()
