"""Reports and studies: which records are reports of one study (a paper and its conference abstract, a protocol
and its results), so that "Studies included in review" counts studies and "Reports of included studies" reports.

A record is its own study until reviewers link it to one: with ``prisma-harvest link-study`` or in the ``study``
column of a full-text sheet. Links are ledger rows (who, when, why, from which sheet): the latest for a record
holds, an empty study unlinks it. A link on a duplicate counts for the record kept for its cluster.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from harvester.errors import InputError, UsageError
from harvester.ledger.core import Ledger
from harvester.ledger.duplicates import current_duplicates
from harvester.ledger.records import existing_records
from harvester.ledger.withdrawals import add_study_links, current_studies


@dataclass(frozen=True, slots=True)
class Linked:
    study: str  # "" when unlinked
    records: tuple[int, ...]
    reports: tuple[int, ...]  # every record of that study now (after the link)


def link_study(ledger: Ledger, study: str, record_ids: Iterable[int], *, who: str, why: str = "",
               unlink: bool = False) -> Linked:
    """Link the records to one study (or, with ``unlink``, make each its own study again)."""
    ids = tuple(dict.fromkeys(record_ids))
    if not ids:
        raise UsageError("(command line)", ["name the ledger record ids of the study's reports"])
    name = "" if unlink else study.strip()
    if not unlink and not name:
        raise UsageError("STUDY", ["name the study (any label: a trial id, the first report's author and year)"])
    missing = sorted(set(ids) - existing_records(ledger, ids))
    if missing:
        raise InputError(str(ledger.path), [f"no record {rid} in this ledger" for rid in missing])
    add_study_links(ledger, ((rid, name) for rid in ids), who=who, why=why)
    return Linked(name, ids, tuple(sorted(rid for rid, s in current_studies(ledger).items() if s == name and name)))


def studies_with_several_reports(ledger: Ledger) -> dict[str, tuple[int, ...]]:
    """Study -> its records (kept records of their clusters), for the studies linked to two or more records."""
    duplicates = current_duplicates(ledger)
    by_study: dict[str, set[int]] = {}
    for record_id, study in current_studies(ledger).items():
        by_study.setdefault(study, set()).add(duplicates.get(record_id, record_id))
    return {study: tuple(sorted(ids)) for study, ids in sorted(by_study.items()) if len(ids) > 1}
