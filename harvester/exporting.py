"""Exporting the records held in a review's ledger, for screening tools and reference managers.

One row (or entry) per record held in the ledger, duplicates included and marked, so nothing that was
identified is missing from what a reviewer hands on; ``stage`` narrows the export (e.g. only the
records awaiting title/abstract screening). Each row carries the ledger record id (the key screening
sheets bring decisions back with), where the record came from (the file or the search run), the
database's own id, the record it duplicates, and its place in the flow (stage, decision, reason).

Formats: ``csv`` (our columns, ``formats/csv_columns.EXPORT_COLUMNS``; safe to open in a spreadsheet),
``ris`` (``formats/ris.py``'s writer, with the ledger id in ``ID``) and ``bibtex`` (the entry key is the
ledger id): one writer per format, which a refresh's new records go through too (:func:`write_rows`).
Importing a CSV or BibTeX export gives back the same normalised records. Writing streams record by
record, so a large ledger does not have to fit in memory as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from harvester.errors import HarvestError
from harvester.formats import bibtex, ris
from harvester.formats.csv import record_row, write_csv
from harvester.ledger import Ledger
from harvester.ledger.duplicates import current_duplicates
from harvester.ledger.records import StoredRecord, iter_records, list_files
from harvester.protocol import Protocol

EXPORT_FORMATS: tuple[str, ...] = ("csv", "ris", "bibtex")


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a record stands in the flow, for the export's ``stage``/``decision``/``reason`` columns."""

    stage: str = ""  # dedupe | automation | title-abstract | retrieval | full-text
    decision: str = ""  # the end state: duplicate, awaiting-screening, excluded-screening, included...
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ExportRow:
    stored: StoredRecord
    origin: str  # "file <path>" or "run <id>"
    duplicate_of: int | None
    placement: Placement


@dataclass(frozen=True, slots=True)
class ExportSummary:
    format: str
    stage: str
    records: int

    def to_json(self) -> dict[str, object]:
        return {"format": self.format, "stage": self.stage, "records": self.records}


class ExportError(HarvestError):
    """An export cannot be made as asked (unknown format or stage)."""

    exit_code = 2


def placements(ledger: Ledger, protocol: Protocol) -> dict[int, Placement]:
    """Hook for the screening stage: record id -> its place in the flow (empty until screening runs).

    Uses ``harvester.screening.outcomes.record_outcomes``, the one computation PRISMA counts come from,
    so the export and the diagram never disagree.
    """
    from harvester.screening.outcomes import record_outcomes  # screening is a later stage than exporting

    found: dict[int, Placement] = {}
    for outcome in record_outcomes(ledger, protocol):
        found[outcome.record_id] = Placement(stage=outcome.stage or "", decision=outcome.end,
                                             reason=outcome.reason or "")
    return found


def stage_choices() -> tuple[str, ...]:
    """What ``--stage`` accepts: ``all``, ``unique`` (every record not removed as a duplicate), or an end state."""
    from prisma.flow import END_STATES

    return ("all", "unique", *END_STATES)


def export_rows(ledger: Ledger, protocol: Protocol, stage: str = "all") -> Iterator[ExportRow]:
    """The rows of an export, by ledger record id; ``stage`` as in :func:`stage_choices`."""
    choices = stage_choices()
    if stage not in choices:
        raise ExportError(f"unknown stage {stage!r}; use one of: {', '.join(choices)}")
    duplicates = current_duplicates(ledger)
    where = placements(ledger, protocol)
    files = {stored.id: stored.path for stored in list_files(ledger)}
    for stored in iter_records(ledger):
        placement = where.get(stored.id, Placement())
        if stage == "unique" and stored.id in duplicates:
            continue
        if stage not in ("all", "unique") and placement.decision != stage:
            continue
        if stored.file_id is not None:
            origin = f"file {files.get(stored.file_id, stored.file_id)}"
        else:
            origin = f"run {stored.run_id}"
        yield ExportRow(stored=stored, origin=origin, duplicate_of=duplicates.get(stored.id), placement=placement)


def csv_row(row: ExportRow) -> dict[str, object]:
    """One export row under ``EXPORT_COLUMNS``."""
    values = record_row(row.stored.record)
    values.update(
        record_id=row.stored.id,
        database=row.stored.database or row.stored.record.database,
        origin=row.origin,
        source=row.stored.source,
        duplicate_of=row.duplicate_of,
        stage=row.placement.stage,
        decision=row.placement.decision,
        reason=row.placement.reason,
    )
    return values


def export(ledger: Ledger, protocol: Protocol, format: str, out: TextIO, stage: str = "all") -> ExportSummary:
    """Write the ledger's records (of one stage) to ``out`` as CSV, RIS or BibTeX; returns how many."""
    if format not in EXPORT_FORMATS:
        raise ExportError(f"unknown export format {format!r}; use one of: {', '.join(EXPORT_FORMATS)}")
    count = write_rows(export_rows(ledger, protocol, stage), format, out)
    return ExportSummary(format=format, stage=stage, records=count)


def write_rows(rows: Iterable[ExportRow], format: str, out: TextIO) -> int:
    """Write export rows to ``out`` in one format, through that format's one writer; returns how many."""
    if format == "csv":
        return write_csv((csv_row(row) for row in rows), out)
    count = 0
    for row in rows:
        if format == "ris":
            out.write(ris.dump(row.stored.record, record_id=row.stored.id))
        else:
            out.write(bibtex.entry(row.stored.record, str(row.stored.id)))
        count += 1
    return count
