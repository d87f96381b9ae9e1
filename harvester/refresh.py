"""Scheduled refresh: re-run the review's searches since the last run and report exactly what is new.

How it works (docs/refresh.md tells the reviewer's side):

1. Take the review's lock (:mod:`harvester.lock`): a second refresh of the same review exits at once,
   saying who holds it. Refreshes killed earlier are marked ``interrupted`` in the run log.
2. Start a run of kind ``refresh``; every search, import and de-duplication it does is its child run.
3. For each live (pubmed) source: the window is from the day of that source's last successful search
   minus ``overlap_days`` to today, searched twice: by **create date (CRDT)**, the day the record
   entered PubMed, which catches every newcomer, and by **modification date (MDAT)**, which catches
   revised records (errata, retractions, newly indexed MeSH that makes an old record match). Not by
   Entrez date (EDAT): PubMed sets the EDAT of a record added more than a year after publication to
   its publication date, so an EDAT window misses late-indexed old papers. The overlap is there
   because records become searchable some time after their CRDT; records seen again are sightings,
   not new records. A source never searched successfully is searched in full.
4. Export files of ``file``/``other`` sources are re-imported; a file with the same sha256 adds nothing.
5. The records new to the ledger are de-duplicated against the whole ledger by the incremental path
   (newcomers compared with existing records through the same blocks, not all pairs again).
6. Each live source is searched in ONE ledger transaction of its own (all its windows together): a source
   that fails (its service down, an answer it cannot read) is rolled back alone, its failed search is
   written to the run log with the reason, and the refresh goes on with the other sources, the files and
   the de-duplication, whose work is kept. The refresh then ends ``failed`` naming the sources that
   failed (the CLI exits 1 after printing the report); the next refresh searches a failed source again
   from its last *successful* search, so nothing is missed, and finds the others' records already held.
   A refresh killed part-way keeps the sources it had finished; the next refresh marks it
   ``interrupted`` and reports those records as its own newcomers (nothing is reported twice or never).

The trade-off of step 6: the ledger's write lock is held while a source is searched, so another command
writing to the same review waits (up to 30 s) or fails; schedule refreshes when nobody is screening.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from harvester import progress as progress_module
from harvester.dedup import dedupe_new
from harvester.delta import Delta, DeltaRecord, KnownRecord, SourceDelta, to_json, to_markdown
from harvester.errors import HarvestError
from harvester.exporting import export_rows, write_rows
from harvester.files import replacing, write_whole
from harvester.importing import import_protocol_files
from harvester.ledger import DATABASE_ERRORS, Ledger
from harvester.ledger.core import utc_now
from harvester.ledger.duplicates import current_duplicates
from harvester.ledger.records import (
    count_records_of_runs,
    get_record,
    list_files,
    live_record_ids,
    max_record_id,
    record_ids_after,
    records_from_refresh,
    revisions_already_seen,
)
from harvester.ledger.runs import (
    adopt_runs,
    close_abandoned_refreshes,
    finish_run,
    get_run,
    last_successful_search,
    last_total_count,
    max_run_id,
    refresh_runs,
    run_tree,
    set_run_parameters,
    start_run,
)
from harvester.lock import ReviewLock
from harvester.protocol import LIVE_KINDS, Protocol, Source
from harvester.search import count_source, search_source, window_datetypes

#: Days searched again before the last successful search: records become searchable some time after
#: their create date, and a scheduler may have run late; re-seen records cost a sighting, nothing more.
DEFAULT_OVERLAP_DAYS = 3


@dataclass(frozen=True, slots=True)
class Window:
    """A PubMed date window: ``mindate`` and ``maxdate`` as ``YYYY/MM/DD``, both inclusive."""

    datetype: str  # crdt | mdat
    mindate: str
    maxdate: str

    def describe(self) -> str:
        return f"{self.datetype} {self.mindate}-{self.maxdate}"


@dataclass(frozen=True, slots=True)
class SearchResult:
    """What one source search returned: its run and the ledger ids of every record, new or held."""

    run_id: int
    record_ids: tuple[int, ...]


@dataclass(slots=True)
class _Searched:
    """What the live searches of one refresh found, before de-duplication."""

    sources: list[SourceDelta] = field(default_factory=list)
    totals: dict[str, int | None] = field(default_factory=dict)
    gone: set[int] = field(default_factory=set)  # held records a full re-run no longer returned
    revised: set[int] = field(default_factory=set)  # held records in an MDAT window but not the CRDT one
    failed: list[str] = field(default_factory=list)  # "source 'X': reason", for each source that failed


#: Runs one live source over one window (None: in full) as a child of ``parent_run_id``.
SearchFn = Callable[[Ledger, Protocol, Source, Window | None, int], SearchResult]
#: The query's total count at the source now (no window), or None when it cannot tell.
CountFn = Callable[[Protocol, Source], int | None]
#: Imports the protocol's export files (unchanged files, by sha256, add nothing).
ImportFn = Callable[[Ledger, Protocol], Any]
#: De-duplicates the given new records against the whole ledger (writes a dedupe run).
DedupeFn = Callable[[Ledger, Protocol, list[int]], Any]


def search_window(ledger: Ledger, protocol: Protocol, source: Source, window: Window | None,
                  parent_run_id: int, progress: progress_module.Progress | None = None) -> SearchResult:
    """The live search of one source over one window (None: in full), as a child run of the refresh;
    ``progress`` hears of the records fetched, labelled with the source and the window."""
    label = f"searching {source.name} ({window.describe() if window else 'full'})"
    outcome = search_source(ledger, protocol, source, mindate=window.mindate if window else None,
                            maxdate=window.maxdate if window else None,
                            datetype=window.datetype if window else None, parent_run_id=parent_run_id,
                            progress=None if progress is None else lambda _name, done, total: progress(label, done,
                                                                                                        total))
    return SearchResult(outcome.run_id, tuple(outcome.record_ids))


def count_now(protocol: Protocol, source: Source) -> int | None:
    """The query's total count at the source now (one request), for the change in the delta report."""
    return int(count_source(protocol, source))


@dataclass(slots=True)
class Steps:
    """The stages a refresh calls: the project's own by default. Tests put stand-ins in their place (a fake
    PubMed, a failing search) to exercise windows, rollback and the lock without the network."""

    search: SearchFn = search_window
    count: CountFn = count_now
    import_files: ImportFn = import_protocol_files
    dedupe: DedupeFn = dedupe_new
    progress: Callable[[str], None] | None = None  # each step's name as it starts (the bars below say more)

    @classmethod
    def reporting(cls, progress: progress_module.Progress | None) -> Steps:
        """The project's own stages, each telling ``progress`` how many records it has done (for a bar):
        records fetched per source and window, records read per export file, newcomers de-duplicated."""
        if progress is None:
            return cls()

        def dedupe(ledger: Ledger, protocol: Protocol, new_ids: list[int]) -> Any:
            with progress_module.whole(progress, "de-duplicating the new records", len(new_ids)):
                return dedupe_new(ledger, protocol, new_ids)

        return cls(search=partial(search_window, progress=progress),
                   import_files=partial(import_protocol_files, progress=progress), dedupe=dedupe)


def plan_windows(last_search_started: str | None, today: date, overlap_days: int) -> tuple[Window, ...] | None:
    """The windows to search for a source whose last successful search started at ``last_search_started``.

    None means "search in full" (never searched successfully). Pure, so the arithmetic is testable.
    """
    if overlap_days < 0:
        raise ValueError("overlap_days must be >= 0")
    if last_search_started is None:
        return None
    last = datetime.fromisoformat(last_search_started.replace("Z", "+00:00")).astimezone(UTC).date()
    start = min(last, today) - timedelta(days=overlap_days)
    low, high = start.strftime("%Y/%m/%d"), today.strftime("%Y/%m/%d")
    return (Window("crdt", low, high), Window("mdat", low, high))


def refresh(
    protocol: Protocol,
    *,
    now: datetime | None = None,
    overlap_days: int = DEFAULT_OVERLAP_DAYS,
    full: bool = False,
    out: Path | None = None,
    steps: Steps | None = None,
    offline: bool = False,
) -> Delta:
    """Refresh one review: search each live source since its last successful run, re-import changed
    export files, de-duplicate the newcomers, and return the delta report.

    ``full`` searches every live source in full (no window), which also lists the held records a source
    no longer returns. ``offline`` searches no live source (each is listed as skipped) and does everything
    that needs no network: re-importing export files and de-duplicating. ``out``: write the delta
    (Markdown, JSON) and the new unique records (RIS, CSV) there. A source that fails is rolled back alone
    and listed in the delta as ``failed`` (``delta.status`` is then ``failed``); the rest of the work is
    kept. Raises :class:`~harvester.errors.LockError` if another refresh runs, and a
    :class:`~harvester.errors.HarvestError` naming the refresh run if a stage other than a source's search
    fails (what the sources committed before it stays, and the next refresh reports it).
    """
    steps = steps or Steps()
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    with ReviewLock(protocol.ledger_path, command="refresh") as lock, Ledger.open(protocol.ledger_path) as ledger:
        notes: list[str] = []
        if lock.stale is not None:
            notes.append(f"took over the lock left by {lock.stale.describe()}, which is no longer running")
        abandoned = close_abandoned_refreshes(ledger)
        if abandoned:
            notes.append("run(s) " + ", ".join(f"#{i}" for i in abandoned) + " of a refresh killed before it "
                         "finished were marked interrupted; the records of the sources it had finished are kept "
                         "and reported here")
        refresh_id = start_run(ledger, "refresh", parameters={"overlap_days": overlap_days, "full": full,
                                                              "today": today.isoformat(), "offline": offline})
        started_at = get_run(ledger, refresh_id).started_at
        delta = _run(ledger, protocol, refresh_id, started_at, today, overlap_days, full, steps, notes, offline)
        if out is not None:
            write_outputs(delta, protocol, out, ledger)
    return delta


def _unreported(ledger: Ledger, refresh_id: int) -> set[int]:
    """Records that earlier refreshes brought in but never reported: those of a refresh killed (or failed
    in a later stage) after some of its sources had committed. A refresh that reported sets ``reported``."""
    carried: set[int] = set()
    for run in reversed(refresh_runs(ledger)):
        if run.id == refresh_id:
            continue
        if run.parameters.get("reported") or run.status == "ok":
            break
        carried.update(records_from_refresh(ledger, run.id))
    return carried


def _run(ledger: Ledger, protocol: Protocol, refresh_id: int, started_at: str, today: date, overlap_days: int,
         full: bool, steps: Steps, notes: list[str], offline: bool = False) -> Delta:
    """Each source in its own transaction, then the files and the de-duplication; the refresh run ends ``ok``,
    or ``failed`` naming the sources that failed. A stage that fails outside a source's search ends it too."""
    held_until = max_record_id(ledger)
    carried = _unreported(ledger, refresh_id)
    try:
        searched = _search_sources(ledger, protocol, refresh_id, today, overlap_days, full, steps, notes, offline)
        sources = list(searched.sources)
        has_files = any(s.kind in ("file", "register", "other") and s.files for s in protocol.sources)
        if has_files:
            _say(steps, "re-importing export files")
            after = max_run_id(ledger)
            for result in steps.import_files(ledger, protocol) or ():
                if getattr(result, "status", "") in ("failed", "refused"):  # a file source that failed
                    searched.failed.append(f"export file {result.path} ({result.source}) {result.status}: "
                                           f"{result.message}")
            adopt_runs(ledger, refresh_id, after)
        sources += _file_sources(ledger, protocol, refresh_id)
        new_ids = sorted(set(record_ids_after(ledger, held_until)) | carried)
        if new_ids:
            _say(steps, f"de-duplicating {len(new_ids)} new record(s) against the ledger")
            after = max_run_id(ledger)
            deduped = steps.dedupe(ledger, protocol, new_ids)
            adopt_runs(ledger, refresh_id, after)
            changed = bool(getattr(deduped, "rules_changed", False))
            undone, made = getattr(deduped, "undone", ()), getattr(deduped, "made", ())
            if changed or undone or made:  # issue 11: stored merges follow the rules
                notes.append(("de-duplication rules changed: " if changed else "de-duplication: ")
                             + f"{len(undone)} stored merge(s) undone, {len(made)} made among held records,"
                             " each with its evidence in the dedupe run")
        status = "failed" if searched.failed else "ok"
        delta = _delta(ledger, protocol, refresh_id, started_at, new_ids, sources, searched, notes, status)
        with ledger.transaction():
            set_run_parameters(ledger, refresh_id, {"totals": searched.totals, "reported": True})
            counts = (f"{len(delta.new_unique)} new unique, {len(delta.known)} known, "
                      f"{len(delta.duplicates_among_new)} duplicates among new")
            finish_run(ledger, refresh_id, status, count_retrieved=len(new_ids),
                       message=counts if not searched.failed else f"{delta.message}; kept: {counts}")
    except BaseException as error:
        status = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
        reason = str(error) or type(error).__name__
        finish_run(ledger, refresh_id, status, message=f"stopped: {reason}; the sources it had finished are kept "
                                                       "and the next refresh reports them")
        if isinstance(error, Exception):
            raise HarvestError(f"refresh run #{refresh_id} of {protocol.id} {status}: {reason} (the sources it had "
                               "finished are kept; the next refresh reports them)") from error
        raise
    return delta


def _search_sources(ledger: Ledger, protocol: Protocol, refresh_id: int, today: date, overlap_days: int,
                    full: bool, steps: Steps, notes: list[str], offline: bool = False) -> _Searched:
    searched = _Searched()
    for source in protocol.sources:
        if source.kind not in LIVE_KINDS:
            continue
        if offline:
            searched.sources.append(SourceDelta(source.name, source.kind, "skipped", note=(
                "offline (--offline): not searched; the next refresh with the network searches from its last "
                "successful search")))
            continue
        if source.maxdate is not None:
            searched.sources.append(SourceDelta(source.name, source.kind, "skipped", note=(
                f"closed search (maxdate {source.maxdate}); remove maxdate from the protocol to refresh it")))
            continue
        if source.mindate is not None:
            notes.append(f"source {source.name!r}: mindate {source.mindate} ({source.datetype}) is not applied to "
                         "the refresh windows; check newcomers published before it at screening")
        current: dict[str, Any] = {}
        try:
            with ledger.transaction():  # the source's windows land together, or (it failed) none of them
                found = _search_source(ledger, protocol, source, refresh_id, today, overlap_days, full, steps,
                                       current)
        except DATABASE_ERRORS:
            raise  # the ledger itself failed: not one source's failure
        except KeyboardInterrupt:
            _log_failed_search(ledger, protocol, refresh_id, source, current.get("window"), "stopped (Ctrl-C)",
                               "interrupted")
            raise
        except Exception as error:
            reason = str(error) or type(error).__name__
            run_id = _log_failed_search(ledger, protocol, refresh_id, source, current.get("window"), reason)
            searched.failed.append(f"source {source.name!r}: {reason}")
            searched.sources.append(SourceDelta(source.name, source.kind, "failed", run_ids=(run_id,), note=(
                f"failed, nothing of it kept; the next refresh searches it again from its last successful search: "
                f"{reason}")))
            continue
        delta, total, gone, revised = found
        searched.sources.append(delta)
        searched.totals[source.name] = total
        searched.gone |= gone
        searched.revised |= revised
    return searched


def _search_source(ledger: Ledger, protocol: Protocol, source: Source, refresh_id: int, today: date,
                   overlap_days: int, full: bool, steps: Steps,
                   current: dict[str, Any]) -> tuple[SourceDelta, int | None, set[int], set[int]]:
    """One live source's windows (or its full search): its line of the delta, its total now, the held records
    it no longer returns (after a full search) and those it revised. ``current`` names the window in flight."""
    last = last_successful_search(ledger, source.name)
    windows = None if full else plan_windows(last.started_at if last else None, today, overlap_days)
    if windows is not None:  # a service without a modification date is searched by its index date only
        windows = tuple(w for w in windows if w.datetype in window_datetypes(source)) or None
    held_before = live_record_ids(ledger, source.name)
    previous_total = last_total_count(ledger, source.name)
    returned: dict[str, set[int]] = {}
    run_ids: list[int] = []
    for window in windows or (None,):
        label = window.describe() if window else "full"
        current["window"] = window
        _say(steps, f"searching {source.name} ({label})")
        result = steps.search(ledger, protocol, source, window, refresh_id)
        set_run_parameters(ledger, result.run_id, {"refresh_window": label, "refresh_run_id": refresh_id})
        run_ids.append(result.run_id)
        returned[window.datetype if window else "full"] = set(result.record_ids)
    current.clear()
    everything = set().union(*returned.values())
    current_total = len(everything) if windows is None else steps.count(protocol, source)
    new_here = len(everything - held_before)
    gone: set[int] = set()
    if windows is None and last is not None:
        gone = held_before - everything
        missing: int | None = len(gone)
    elif previous_total is not None and current_total is not None:
        missing = max(0, previous_total + new_here - current_total)
    else:
        missing = None
    revised: set[int] = set()
    if windows is not None:
        crdt, mdat = returned.get("crdt", set()), returned.get("mdat", set())
        since = windows[0].mindate.replace("/", "-")
        revised = ((mdat - crdt) & held_before) - revisions_already_seen(ledger, source.name, since, refresh_id)
    line = SourceDelta(
        source.name, source.kind, "searched", windows=tuple(w.describe() for w in windows or ()) or ("full",),
        run_ids=tuple(run_ids), returned=len(everything), new=new_here, previous_total=previous_total,
        current_total=current_total, no_longer_returned=missing,
        note="" if windows is not None or last is not None else "first search of this source",
    )
    return line, current_total, gone, revised


def _file_sources(ledger: Ledger, protocol: Protocol, refresh_id: int) -> list[SourceDelta]:
    tree = set(run_tree(ledger, refresh_id))
    files = list_files(ledger)
    result = []
    for source in protocol.sources:
        if source.kind in LIVE_KINDS or not source.files:
            continue
        changed = [file for file in files if file.source == source.name and file.run_id in tree]
        if changed:
            runs = tuple(sorted({file.run_id for file in changed}))
            result.append(SourceDelta(source.name, source.kind, "imported", run_ids=runs,
                                      returned=sum(file.records_read for file in changed),
                                      new=count_records_of_runs(ledger, runs),
                                      note=f"{len(changed)} new or changed file(s)"))
        else:
            result.append(SourceDelta(source.name, source.kind, "unchanged", note="no new or changed file"))
    return result


def _delta(ledger: Ledger, protocol: Protocol, refresh_id: int, started_at: str, new_ids: list[int],
           sources: list[SourceDelta], searched: _Searched, notes: list[str], status: str = "ok") -> Delta:
    """Classify each newcomer by its duplicate cluster: unique, known (an older record in its cluster),
    or a duplicate of another newcomer. Whichever record the de-duplication kept does not matter here."""
    removed = current_duplicates(ledger)
    newcomers = set(new_ids)
    members: dict[int, set[int]] = {}
    for record_id, kept in removed.items():
        members.setdefault(kept, {kept}).add(record_id)
    unique: list[DeltaRecord] = []
    known: list[KnownRecord] = []
    among: list[KnownRecord] = []
    for record_id in new_ids:
        kept = removed.get(record_id, record_id)
        cluster = members.get(kept, {kept})
        old = sorted(m for m in cluster if m not in newcomers)
        old.sort(key=lambda m: m != kept)  # the kept record first
        if old:
            known.append(KnownRecord(_summary(ledger, record_id), tuple(_summary(ledger, m) for m in old)))
        elif kept == record_id:
            unique.append(_summary(ledger, record_id))
        else:
            among.append(KnownRecord(_summary(ledger, record_id), (_summary(ledger, kept),)))
    revised, gone = sorted(searched.revised), sorted(searched.gone)
    known_by_source: dict[str, int] = {}
    for item in known:
        known_by_source[item.record.source] = known_by_source.get(item.record.source, 0) + 1
    sources = [replace(s, known=known_by_source.get(s.source, 0)) if s.status in ("searched", "imported") else s
               for s in sources]
    return Delta(
        review=protocol.id, refresh_run_id=refresh_id, started_at=started_at, ended_at=utc_now(), status=status,
        sources=tuple(sources), new_unique=tuple(unique), known=tuple(known), duplicates_among_new=tuple(among),
        revised=tuple(_summary(ledger, i) for i in revised),
        no_longer_returned=tuple(_summary(ledger, i) for i in gone),
        notes=tuple(notes),
        message="; ".join(searched.failed) if searched.failed else "",
    )


def _summary(ledger: Ledger, record_id: int) -> DeltaRecord:
    stored = get_record(ledger, record_id)
    r = stored.record
    return DeltaRecord(id=stored.id, source=stored.source, title=r.title, authors=r.authors, year=r.year,
                       journal=r.journal, doi=r.doi, pmid=r.pmid)


def _log_failed_search(ledger: Ledger, protocol: Protocol, refresh_id: int, source: Source, window: Window | None,
                       reason: str, status: str = "failed") -> int:
    """After its rollback, write the search that failed to the run log (PRISMA-S wants failed searches too)."""
    run_id = start_run(ledger, "search", source=source.name, database=source.database, platform=source.platform,
                       query=protocol.query_for(source), parent_run_id=refresh_id,
                       parameters={"refresh_window": window.describe() if window else "full",
                                   "refresh_run_id": refresh_id})
    finish_run(ledger, run_id, status, message=f"rolled back (nothing of it kept), refresh #{refresh_id} went on: "
                                                 f"{reason}")
    return run_id


def _say(steps: Steps, message: str) -> None:
    if steps.progress is not None:
        steps.progress(message)


def write_outputs(delta: Delta, protocol: Protocol, out: Path, ledger: Ledger | None = None) -> list[Path]:
    """Write ``delta.md`` and ``delta.json`` into ``out``, named by review and refresh run, and, given the
    ledger, the new unique records as RIS and CSV for the screening tool (the exporter's columns, with the
    ledger record id that decisions come back with)."""
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{protocol.id}-refresh-{delta.refresh_run_id}"
    written = [out / f"{stem}.md", out / f"{stem}.json"]
    write_whole(written[0], to_markdown(delta))
    write_whole(written[1], json.dumps(to_json(delta), indent=2, ensure_ascii=False) + "\n")
    if ledger is None:
        return written
    wanted = {record.id for record in delta.new_unique}
    rows = [row for row in export_rows(ledger, protocol, "all") if row.stored.id in wanted]
    paths = [out / f"{stem}-new.ris", out / f"{stem}-new.csv"]
    for path, format in zip(paths, ("ris", "csv"), strict=True):
        with replacing(path) as handle:
            write_rows(rows, format, handle)
    return [*written, *paths]
