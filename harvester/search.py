"""Running a protocol's live sources into its ledger (``prisma-harvest search``).

For each live (``pubmed``) source: start a ``search`` run holding the query exactly as sent, resolve the
search to PMIDs (:meth:`~harvester.sources.pubmed.PubMed.plan`, split past the 9,999 cap), store
PubMed's translation and Count, then fetch the PMIDs the ledger does not hold yet, one EFetch batch per
transaction, and close the run with the count retrieved and, in its message, every gap between what
ESearch reported and what was stored.

Resuming: a search killed at any moment has committed whole batches only. The next search (holding
the review's lock, so the old one is surely dead) marks the old run ``interrupted`` and skips every
PMID already held (recording a sighting of it): at most the batch in flight is fetched again.

:func:`search_source` runs one source, optionally over an explicit date window, and returns the run id
and the ledger ids of every record the search returned (new or already held): a scheduled refresh
calls it as a child of its own run.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from harvester import progress as progress_module
from harvester.errors import HarvestError, ProtocolError, SourceError
from harvester.ledger import Ledger
from harvester.ledger.harvest import (
    SliceRow,
    add_slices,
    close_abandoned_searches,
    held_records,
    sight,
    store_batch,
)
from harvester.ledger.runs import finish_run, start_run, update_run
from harvester.lock import ReviewLock
from harvester.protocol import Protocol, Source
from harvester.query import parse, to_pubmed
from harvester.sources.pubmed import Plan, PubMed, Settings, Window

#: ``progress(source_name, records_done, records_expected)``, called as batches are stored.
Progress = progress_module.Progress

MISSING_REASON = "listed by ESearch but not returned by EFetch (deleted or withheld by PubMed)"


class SearchFailed(SourceError):
    """A live search failed after its retries; its run is in the ledger as ``failed``."""

    def __init__(self, run_id: int, source: str, problem: str) -> None:
        super().__init__(f"source {source!r} (run #{run_id}): {problem}")
        self.run_id = run_id
        self.source = source


@dataclass(frozen=True, slots=True)
class SourceOutcome:
    """What one live search did. ``record_ids``: every record it returned, new or already held."""

    source: str
    run_id: int
    status: str  # ok | failed
    count_reported: int | None = None
    count_retrieved: int = 0
    new: int = 0
    already_held: int = 0
    slices: int = 0
    missing: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    record_ids: tuple[int, ...] = ()
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """For ``--json``: everything but the (possibly long) list of record ids."""
        return {"source": self.source, "run_id": self.run_id, "status": self.status,
                "count_reported": self.count_reported, "count_retrieved": self.count_retrieved, "new": self.new,
                "already_held": self.already_held, "slices": self.slices, "missing": list(self.missing),
                "notes": list(self.notes), "error": self.error}


def pubmed_query(protocol: Protocol, source: Source) -> str:
    """The query a source sends to PubMed: its own or the review's, compiled with the default field."""
    node = parse(source.query) if source.query else protocol.query
    return to_pubmed(node, protocol.default_field)


def live_sources(protocol: Protocol, names: Sequence[str] | None = None) -> list[Source]:
    """The protocol's live sources, or the named ones (each must exist and be live)."""
    live = [s for s in protocol.sources if s.kind == "pubmed"]
    if not names:
        return live
    chosen = []
    for name in names:
        match = [s for s in protocol.sources if s.name == name]
        if not match:
            known = ", ".join(s.name for s in live) or "none"
            raise ProtocolError(str(protocol.path), "sources", f"no source named {name!r} (live sources: {known})")
        if match[0].kind != "pubmed":
            raise ProtocolError(str(protocol.path), "sources", f"source {name!r} is of kind {match[0].kind!r}, "
                                "not a live search; import its files with 'prisma-harvest import'")
        chosen.append(match[0])
    return chosen


def search(protocol: Protocol, *, sources: Sequence[str] | None = None, progress: Progress | None = None,
           settings: Settings | None = None, client: PubMed | None = None) -> list[SourceOutcome]:
    """Run the protocol's live sources (or the named ones) into its ledger, holding the review's lock.

    A source that fails does not stop the others: its outcome is ``failed`` with the error, and its run
    is in the ledger as ``failed``. Raises :class:`~harvester.errors.LockError` if another command holds
    the review.
    """
    chosen = live_sources(protocol, sources)
    outcomes: list[SourceOutcome] = []
    with ReviewLock(protocol.ledger_path, command="search"), Ledger.open(protocol.ledger_path) as ledger:
        for source in chosen:
            try:
                outcomes.append(search_source(ledger, protocol, source, progress=progress, settings=settings,
                                              client=client))
            except SearchFailed as failure:
                outcomes.append(SourceOutcome(source.name, failure.run_id, "failed", error=str(failure)))
    return outcomes


def count_source(protocol: Protocol, source: Source, settings: Settings | None = None) -> int:
    """The Count PubMed reports now for a source's search (within its own date limits); one request."""
    settings = settings or Settings.from_env(email=protocol.email)
    with PubMed(settings) as client:
        return client.count(pubmed_query(protocol, source), _window(source, None, None, None))


def search_source(ledger: Ledger, protocol: Protocol, source: Source, *, mindate: str | None = None,
                  maxdate: str | None = None, datetype: str | None = None, parent_run_id: int | None = None,
                  progress: Progress | None = None, settings: Settings | None = None,
                  client: PubMed | None = None) -> SourceOutcome:
    """Run one live source into ``ledger``; the caller holds the review's lock.

    ``mindate``/``maxdate``/``datetype`` replace the source's own date limits (a refresh's window);
    without them the source's limits apply. Raises :class:`SearchFailed` (the run is then ``failed``).
    """
    own_client = client is None
    pubmed = client or PubMed(settings or Settings.from_env(email=protocol.email))
    settings = pubmed.settings
    window = _window(source, mindate, maxdate, datetype)
    term = pubmed_query(protocol, source)
    parameters = {"db": "pubmed", "retmax": pubmed.cap, **window.parameters(pubmed.today), **settings.public()}
    run_id = start_run(ledger, "search", source=source.name, database=source.database, platform=source.platform,
                       query=term, parameters=parameters, parent_run_id=parent_run_id)
    resumed = close_abandoned_searches(ledger, source.name, run_id)
    returned: dict[str, int] = {}
    try:
        plan = pubmed.plan(term, window)
        update_run(ledger, run_id, query_translation=plan.translation or None, count_reported=plan.count)
        add_slices(ledger, run_id, [SliceRow(s.mindate, s.maxdate, s.datetype, s.uid_range, s.count, len(s.ids))
                                    for s in plan.slices])
        outcome = _fetch(ledger, pubmed, settings, source, run_id, plan, returned, resumed, progress)
    except HarvestError as error:
        _close(ledger, run_id, "failed", str(error), len(returned))
        raise SearchFailed(run_id, source.name, str(error)) from error
    except BaseException:
        _close(ledger, run_id, "interrupted", "stopped before finishing; what it stored is kept", len(returned))
        raise
    finally:
        if own_client:
            pubmed.close()
    finish_run(ledger, run_id, "ok", message="; ".join(outcome.notes) or None, count_retrieved=outcome.count_retrieved)
    return outcome


def _fetch(ledger: Ledger, pubmed: PubMed, settings: Settings, source: Source, run_id: int, plan: Plan,
           returned: dict[str, int], resumed: list[int], progress: Progress | None) -> SourceOutcome:
    """Sight what is held, fetch the rest batch by batch; ``returned`` fills as batches commit."""
    ids = plan.ids()
    held = held_records(ledger, source.name)
    returned.update((pmid, held[pmid]) for pmid in ids if pmid in held)
    already = len(returned)
    sight(ledger, run_id, list(returned.values()))
    position = {pmid: index for index, pmid in enumerate(ids, start=1)}
    to_fetch = [pmid for pmid in ids if pmid not in returned]
    missing: list[str] = []
    unexpected = 0
    _report(progress, source.name, len(returned), len(ids))
    for start in range(0, len(to_fetch), settings.batch_size):
        batch = pubmed.efetch(to_fetch[start:start + settings.batch_size], database=source.database,
                              positions=position)
        records = batch.records
        stored = store_batch(ledger, run_id, source.name, records, dict.fromkeys(batch.missing, MISSING_REASON),
                             count_retrieved=len(returned) + len(records))
        returned.update(zip((record.pmid for record in records), stored, strict=True))
        missing.extend(batch.missing)
        unexpected += batch.unexpected
        _report(progress, source.name, len(returned) + len(missing), len(ids))
    notes = _notes(plan, len(returned), missing, unexpected, resumed, already)
    return SourceOutcome(
        source=source.name, run_id=run_id, status="ok", count_reported=plan.count, count_retrieved=len(returned),
        new=len(returned) - already, already_held=already, slices=len(plan.slices), missing=tuple(missing),
        notes=tuple(notes), record_ids=tuple(returned[pmid] for pmid in ids if pmid in returned),
    )


def _notes(plan: Plan, retrieved: int, missing: list[str], unexpected: int, resumed: list[int],
           already: int) -> list[str]:
    """The run's message: how the count was reconciled and every gap, in words."""
    notes: list[str] = []
    if resumed:
        notes.append("resumes interrupted run " + ", ".join(f"#{i}" for i in resumed))
    if len(plan.slices) > 1:
        by_uid = sum(1 for s in plan.slices if s.uid_range)
        notes.append(f"split into {len(plan.slices)} slices by {plan.window.datetype} date"
                     + (f" ({by_uid} also by PMID range)" if by_uid else "") + f" to stay under the {plan.cap:,} cap")
    if already:
        notes.append(f"{already} record(s) already held were not fetched again")
    if retrieved != plan.count:
        notes.append(f"gap: ESearch reported {plan.count}, {retrieved} retrieved")
    notes.extend(f"gap: {gap}" for gap in plan.gaps())
    if missing:
        ordered = sorted(missing, key=lambda pmid: (len(pmid), pmid))
        shown = ", ".join(ordered[:10]) + (" ..." if len(missing) > 10 else "")
        notes.append(f"gap: {len(missing)} PMID(s) listed by ESearch but not returned by EFetch: {shown}")
    if unexpected:
        notes.append(f"EFetch returned {unexpected} record(s) not asked for (ignored)")
    notes.extend(f"PubMed: {message}" for message in plan.messages)
    return notes


def _window(source: Source, mindate: str | None, maxdate: str | None, datetype: str | None) -> Window:
    if mindate or maxdate:
        return Window(mindate, maxdate, datetype or source.datetype)
    return Window(source.mindate, source.maxdate, datetype or source.datetype)


def _close(ledger: Ledger, run_id: int, status: str, message: str, retrieved: int) -> None:
    """Best effort: when the ledger itself failed, the original error matters more than this line."""
    with suppress(Exception):
        finish_run(ledger, run_id, status, message=message, count_retrieved=retrieved)


def _report(progress: Progress | None, name: str, done: int, total: int) -> None:
    if progress is not None:
        progress(name, done, total)
