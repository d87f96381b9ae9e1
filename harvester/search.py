"""Running a protocol's live sources into its ledger (``prisma-harvest search``).

Two shapes of live source. **PubMed** lists PMIDs first, then fetches them (below). **Cursor-paged
services** (Europe PMC, ClinicalTrials.gov, OpenAlex: :mod:`harvester.sources.live`) answer with whole
records one page at a time: each page is stored in one transaction with the cursor that follows it
(``search_pages``), and a search killed at any moment resumes from the last page stored, after
sighting what the killed run had returned; if the service refuses the old cursor (expired), the
search starts again from the first page and held records are sighted, never stored twice.

For each PubMed source: start a ``search`` run holding the query exactly as sent, resolve the
search to PMIDs (:meth:`~harvester.sources.pubmed.PubMed.plan`, split past the 9,999 cap), store
PubMed's translation and Count, then fetch the PMIDs the ledger does not hold yet (EFetch answers read
while they arrive, stored a few hundred records per transaction), and close the run with the count
retrieved and, in its message, every gap between what ESearch reported and what was stored.

Resuming: a search killed at any moment has committed whole records only. The next search (holding
the review's lock, so the old one is surely dead) marks the old run ``interrupted`` and skips every
PMID already held (recording a sighting of it): at most the EFetch in flight is fetched again.

:func:`search_source` runs one source, optionally over an explicit date window, and returns the run id
and the ledger ids of every record the search returned (new or already held): a scheduled refresh
calls it as a child of its own run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence, Sized
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from harvester import progress as progress_module
from harvester.errors import HarvestError, ProtocolError, SourceError
from harvester.ledger import Ledger
from harvester.ledger.harvest import (
    PageRow,
    SliceRow,
    add_slices,
    close_abandoned_searches,
    held_records,
    list_pages,
    sight,
    sighted_by,
    store_batch,
    store_page,
)
from harvester.ledger.runs import finish_run, get_run, list_runs, start_run, update_run
from harvester.lock import ReviewLock
from harvester.protocol import LIVE_KINDS, Protocol, Source
from harvester.query import parse, to_pubmed, translate
from harvester.records import Record
from harvester.sources import live
from harvester.sources.http import HttpRefused
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


@dataclass(frozen=True, slots=True)
class Compiled:
    """A live source's query as compiled for it: the string, where it goes (``parameter``: OpenAlex has
    several search parameters) and the compiler's warnings, where the service cannot say exactly what was
    asked."""

    query: str
    parameter: str = ""
    warnings: tuple[str, ...] = ()


#: Warnings the search itself answers (ClinicalTrials.gov's synonym expansion is switched off when sent).
_ANSWERED = {"clinicaltrials": {"synonym-expansion"}}


def source_query(protocol: Protocol, source: Source) -> Compiled:
    """The query a live source sends: the source's own or the review's, compiled for its database by
    :func:`harvester.query.translate` with the review's default field. The one place a source gets its
    query string from."""
    if source.kind == "pubmed":
        return Compiled(pubmed_query(protocol, source))
    node = parse(source.query) if source.query else protocol.query
    translation = translate(node, source.kind, protocol.default_field)
    answered = _ANSWERED.get(source.kind, set())
    warnings = tuple(f"{w.code}: {w.message}" for w in translation.warnings if w.code not in answered)
    return Compiled(translation.query, translation.parameter, warnings)


def live_sources(protocol: Protocol, names: Sequence[str] | None = None) -> list[Source]:
    """The protocol's live sources, or the named ones (each must exist and be live)."""
    live_ones = [s for s in protocol.sources if s.kind in LIVE_KINDS]
    if not names:
        return live_ones
    chosen = []
    for name in names:
        match = [s for s in protocol.sources if s.name == name]
        if not match:
            known = ", ".join(s.name for s in live_ones) or "none"
            raise ProtocolError(str(protocol.path), "sources", f"no source named {name!r} (live sources: {known})")
        if match[0].kind not in LIVE_KINDS:
            raise ProtocolError(str(protocol.path), "sources", f"source {name!r} is of kind {match[0].kind!r}, "
                                "not a live search; import its files with 'prisma-harvest import'")
        chosen.append(match[0])
    return chosen


def search(protocol: Protocol, *, sources: Sequence[str] | None = None, progress: Progress | None = None,
           settings: Settings | None = None, client: PubMed | None = None,
           services: Mapping[str, live.Settings] | None = None) -> list[SourceOutcome]:
    """Run the protocol's live sources (or the named ones) into its ledger, holding the review's lock.

    A source that fails does not stop the others: its outcome is ``failed`` with the error, and its run
    is in the ledger as ``failed``. Raises :class:`~harvester.errors.LockError` if another command holds
    the review. ``services``: settings of the cursor-paged services by source kind (default: from the
    environment).
    """
    chosen = live_sources(protocol, sources)
    with ReviewLock(protocol.ledger_path, command="search"), Ledger.open(protocol.ledger_path) as ledger:
        return search_held(ledger, protocol, chosen, progress=progress, settings=settings, client=client,
                           services=services)


def search_held(ledger: Ledger, protocol: Protocol, chosen: Sequence[Source], *, progress: Progress | None = None,
                settings: Settings | None = None, client: PubMed | None = None,
                services: Mapping[str, live.Settings] | None = None) -> list[SourceOutcome]:
    """:func:`search` in a ledger the caller holds (with the review's lock), as the whole-review pipeline does:
    each source's run commits on its own, and one that fails is a ``failed`` outcome, not the end."""
    outcomes: list[SourceOutcome] = []
    for source in chosen:
        try:
            outcomes.append(search_source(ledger, protocol, source, progress=progress, settings=settings,
                                          client=client, services=services))
        except SearchFailed as failure:
            outcomes.append(SourceOutcome(source.name, failure.run_id, "failed", error=str(failure)))
    return outcomes


def count_source(protocol: Protocol, source: Source, settings: Settings | None = None,
                 services: Mapping[str, live.Settings] | None = None) -> int:
    """The total a source reports now for its search (within its own date limits); one request."""
    if source.kind != "pubmed":
        with paged_client(protocol, source, services) as paged:
            compiled = source_query(protocol, source)
            return paged.count(compiled.query, parameter=compiled.parameter)
    settings = settings or Settings.from_env(email=protocol.email)
    with PubMed(settings) as client:
        return client.count(pubmed_query(protocol, source), _window(source, None, None, None))


def search_source(ledger: Ledger, protocol: Protocol, source: Source, *, mindate: str | None = None,
                  maxdate: str | None = None, datetype: str | None = None, parent_run_id: int | None = None,
                  progress: Progress | None = None, settings: Settings | None = None,
                  client: PubMed | None = None, services: Mapping[str, live.Settings] | None = None) -> SourceOutcome:
    """Run one live source into ``ledger``; the caller holds the review's lock.

    ``mindate``/``maxdate``/``datetype`` replace the source's own date limits (a refresh's window; for a
    cursor-paged service ``crdt`` is its index date and ``mdat`` its update date); without them the
    source's limits apply. Raises :class:`SearchFailed` (the run is then ``failed``).
    """
    if source.kind != "pubmed":
        return _search_paged(ledger, protocol, source, paged_window(source, mindate, maxdate, datetype),
                             parent_run_id, progress, services)
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
        with _ending(ledger, run_id, source, returned):
            plan = pubmed.plan(term, window)
            update_run(ledger, run_id, query_translation=plan.translation or None, count_reported=plan.count)
            add_slices(ledger, run_id, [SliceRow(s.mindate, s.maxdate, s.datetype, s.uid_range, s.count, len(s.ids))
                                        for s in plan.slices])
            outcome = _fetch(ledger, pubmed, source, run_id, plan, returned, resumed, progress)
    finally:
        if own_client:
            pubmed.close()
    finish_run(ledger, run_id, "ok", message="; ".join(outcome.notes) or None, count_retrieved=outcome.count_retrieved)
    return outcome


def _fetch(ledger: Ledger, pubmed: PubMed, source: Source, run_id: int, plan: Plan,
           returned: dict[str, int], resumed: list[int], progress: Progress | None) -> SourceOutcome:
    """Sight what is held, fetch the rest batch by batch; ``returned`` fills as batches commit."""
    ids = plan.ids()
    held = held_records(ledger, source.name)
    returned.update((pmid, held[pmid]) for pmid in ids if pmid in held)
    already = len(returned)
    sight(ledger, run_id, list(returned.values()))
    position = {pmid: index for index, pmid in enumerate(ids, start=1)}
    to_fetch = [pmid for pmid in ids if pmid not in returned]
    _report(progress, source.name, len(returned), len(ids))

    def store(records: list[Record]) -> None:
        stored = store_batch(ledger, run_id, source.name, records, {}, count_retrieved=len(returned) + len(records))
        returned.update(zip((record.pmid for record in records), stored, strict=True))
        _report(progress, source.name, len(returned), len(ids))

    fetched = pubmed.fetch(to_fetch, store, database=source.database, positions=position)
    missing, unexpected = fetched.missing, fetched.unexpected
    if missing:
        store_batch(ledger, run_id, source.name, [], dict.fromkeys(missing, MISSING_REASON),
                    count_retrieved=len(returned))
        _report(progress, source.name, len(returned) + len(missing), len(ids))
    notes = _notes(plan, len(returned), missing, unexpected, resumed, already)
    batching = fetched.batch.describe()
    if batching:
        notes.append(batching)
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


@contextmanager
def _ending(ledger: Ledger, run_id: int, source: Source, returned: Sized) -> Iterator[None]:
    """How a search run ends when it does not finish: ``failed`` with the error (raised again as
    :class:`SearchFailed`), or ``interrupted`` (killed by a signal, Ctrl-C); what it stored is kept."""
    try:
        yield
    except HarvestError as error:
        _close(ledger, run_id, "failed", str(error), len(returned))
        raise SearchFailed(run_id, source.name, str(error)) from error
    except BaseException:
        _close(ledger, run_id, "interrupted", "stopped before finishing; what it stored is kept", len(returned))
        raise


def _close(ledger: Ledger, run_id: int, status: str, message: str, retrieved: int) -> None:
    """Best effort: when the ledger itself failed, the original error matters more than this line."""
    with suppress(Exception):
        finish_run(ledger, run_id, status, message=message, count_retrieved=retrieved)


def _report(progress: Progress | None, name: str, done: int, total: int) -> None:
    if progress is not None:
        progress(name, done, total)


# ------------------------------------------------------------------------------- cursor-paged services

#: A refresh's PubMed date types, as the index dates of the cursor-paged services.
_WINDOW_FIELDS = {"crdt": "created", "edat": "created", "mdat": "updated"}
#: HTTP statuses with which a service refuses an old cursor (then the search starts again).
_CURSOR_REFUSED = (400, 404, 410)


def paged_client(protocol: Protocol, source: Source,
                 services: Mapping[str, live.Settings] | None = None) -> live.PagedClient:
    """The client for a cursor-paged source (its settings from ``services`` or the environment)."""
    from harvester.sources import registry  # the source modules load only when a service is searched

    kind = registry.client_class(source.kind)
    settings = (services or {}).get(source.kind) or live.Settings.from_env(kind.service, email=protocol.email)
    return kind(settings)


def window_datetypes(source: Source) -> tuple[str, ...]:
    """The refresh windows a live source can be searched by: PubMed's ``crdt`` and ``mdat``; for a cursor-paged
    service, those of its index dates it has (``created``: crdt, ``updated``: mdat)."""
    if source.kind == "pubmed":
        return ("crdt", "mdat")
    from harvester.sources import registry

    fields = registry.client_class(source.kind).windows
    return tuple(datetype for datetype, name in (("crdt", "created"), ("mdat", "updated")) if name in fields)


def paged_window(source: Source, mindate: str | None, maxdate: str | None,
                 datetype: str | None) -> live.Window | None:
    """A search window for a cursor-paged service: a refresh's (``crdt`` or ``mdat``) or the source's own
    limits (publication dates are not what these windows are on, so a source's own limits are kept in its
    query by the protocol, not here)."""
    if not (mindate or maxdate):
        return None
    return live.Window(_WINDOW_FIELDS.get(datetype or "crdt", "created"),
                       _day(mindate) if mindate else None, _day(maxdate) if maxdate else None)


def _day(text: str) -> date:
    parts = [int(p) for p in text.replace("-", "/").split("/")] + [1, 1]
    return date(parts[0], parts[1], parts[2])


@dataclass(slots=True)
class _Resume:
    """Where a search starts: the first page, or after the last page an interrupted run stored."""

    page: int = 0  # pages stored before this run
    cursor: str | None = None  # None: from the first page
    finished: bool = False  # the interrupted run had stored its last page
    record_ids: tuple[int, ...] = ()
    run_id: int | None = None  # the interrupted run resumed
    total: int | None = None  # the last total it was told (ClinicalTrials.gov gives it on the first page only)


def _resume_point(ledger: Ledger, source: str, run_id: int, query: str, request: dict[str, str]) -> _Resume:
    """The source's previous search, when it was interrupted (killed, or stopped by Ctrl-C) while asking
    exactly the same request: the last page it stored and what it had returned."""
    earlier = [run for run in list_runs(ledger, kind="search", source=source) if run.id < run_id]
    if not earlier or earlier[-1].status != "interrupted":
        return _Resume()
    old = earlier[-1]
    if old.query != query or old.parameters.get("request") != request:
        return _Resume()
    pages = list_pages(ledger, old.id)
    if not pages:
        return _Resume(record_ids=tuple(sighted_by(ledger, old.id)), run_id=old.id)
    last = pages[-1]
    total = next((page.total for page in reversed(pages) if page.total is not None), None)
    finished = last.next_cursor is None or last.next_cursor == last.cursor  # the service's own end of the list
    return _Resume(last.page, last.next_cursor, finished, tuple(sighted_by(ledger, old.id)), old.id, total)


def _search_paged(ledger: Ledger, protocol: Protocol, source: Source, window: live.Window | None,
                  parent_run_id: int | None, progress: Progress | None,
                  services: Mapping[str, live.Settings] | None) -> SourceOutcome:
    client = paged_client(protocol, source, services)
    try:
        compiled = source_query(protocol, source)
        warnings = compiled.warnings
        if window is not None and window.field not in client.windows:
            raise SourceError(f"{client.service.name} cannot search by {window.field} date")
        request = client.parameters(compiled.query, window, compiled.parameter)
        sent = client.query_as_sent(compiled.query, window)
        parameters: dict[str, Any] = {"request": request, **client.settings.public()}
        if window is not None:
            parameters["window"] = window.describe()
        run_id = start_run(ledger, "search", source=source.name, database=source.database,
                           platform=source.platform, query=sent, parameters=parameters, parent_run_id=parent_run_id)
    except BaseException:
        client.close()
        raise
    abandoned = close_abandoned_searches(ledger, source.name, run_id)
    returned: dict[int, None] = {}
    try:
        with _ending(ledger, run_id, source, returned):
            client.ready()
            version = client.version()
            if version:
                update_run(ledger, run_id, parameters={**parameters, **version})
            outcome = _page_through(ledger, client, source, run_id, request, sent, abandoned, warnings, returned,
                                    progress)
    finally:
        client.close()
    finish_run(ledger, run_id, "ok", message="; ".join(outcome.notes) or None, count_retrieved=outcome.count_retrieved)
    return outcome


def _page_through(ledger: Ledger, client: live.PagedClient, source: Source, run_id: int, request: dict[str, str],
                  sent: str, abandoned: list[int], warnings: tuple[str, ...], returned: dict[int, None],
                  progress: Progress | None) -> SourceOutcome:
    """Page from the first page (or where an interrupted run stopped) to the last, one page per transaction."""
    notes = ["closed interrupted run " + ", ".join(f"#{i}" for i in abandoned)] if abandoned else []
    unknown_version = get_run(ledger, run_id).parameters.get("data_version_unknown")
    if unknown_version:
        notes.append(f"the service's data version is unknown: {unknown_version}")
    resume = _resume_point(ledger, source.name, run_id, sent, request)
    sight(ledger, run_id, list(resume.record_ids))
    returned.update(dict.fromkeys(resume.record_ids))
    carried = len(returned)
    held_before = set(held_records(ledger, source.name).values())
    page_no, cursor = resume.page, resume.cursor or client.first_cursor
    first_total: int | None = resume.total
    total: int | None = resume.total
    resumed_cursor = resume.cursor is not None
    if resume.run_id is not None:
        old_message = get_run(ledger, resume.run_id).message
        if f"resumed by run #{run_id}" not in (old_message or ""):
            update_run(ledger, resume.run_id, message="; ".join(filter(None, (old_message,
                                                                               f"resumed by run #{run_id}"))))
        notes.append(f"resumes interrupted run #{resume.run_id}: " + (
            "it had stored every page" if resume.finished else f"continued after page {resume.page}"
            if resume.page else "it had stored no page"))
    while not resume.finished:
        try:
            page = client.page(request, cursor, len(returned))
        except HttpRefused as refused:
            if not resumed_cursor or refused.status not in _CURSOR_REFUSED:
                raise
            notes.append(f"the stored cursor was refused ({refused}); searched again from the first page "
                         "(records already held are sighted, not stored twice)")
            resumed_cursor, cursor = False, client.first_cursor
            continue
        resumed_cursor = False
        page_no += 1
        records = [replace(record, database=source.database) for record in page.records]
        total = page.total if page.total is not None else total  # some services give it on the first page only
        first_total = total if first_total is None else first_total
        stored = store_page(ledger, run_id, source.name, records,
                            PageRow(page_no, cursor, page.next_cursor, len(records), page.total),
                            count_retrieved=len(returned) + len(records))
        returned.update(dict.fromkeys(stored))
        _report(progress, source.name, len(returned), total or len(returned))
        if (not page.next_cursor or page.next_cursor == cursor or not records
                or (total is not None and len(returned) >= total)):
            break
        cursor = page.next_cursor
    new = len(returned.keys() - held_before)
    if total is None:
        total = first_total
    if resume.finished:
        total = len(returned)
    update_run(ledger, run_id, count_reported=total)
    if first_total is not None and total is not None and first_total != total:
        notes.append(f"the total changed during the search: {first_total} on the first page, {total} on the last")
    if total is not None and len(returned) != total:
        notes.append(f"gap: {client.service.name} reported {total}, {len(returned)} retrieved")
    already = len(returned) - new
    if already - carried > 0:
        notes.append(f"{already - carried} record(s) already held were sighted, not stored again")
    notes.extend(f"query compiler: {warning}" for warning in warnings)
    return SourceOutcome(source=source.name, run_id=run_id, status="ok", count_reported=total,
                         count_retrieved=len(returned), new=new, already_held=already, slices=page_no,
                         notes=tuple(notes), record_ids=tuple(returned))
