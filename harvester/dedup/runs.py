"""De-duplication on a review's ledger: full and incremental ``dedupe`` runs, people's decisions, splits.

Each run is a row in ``runs`` (kind ``dedupe``); its removed duplicates and the pairs it found are rows
of that run; nothing is deleted. People's decisions are rows too, and every later run respects the
latest decision per pair.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harvester.dedup.block import block_index, block_keys
from harvester.dedup.cluster import Pair
from harvester.dedup.compare import Scores, compare
from harvester.dedup.decide import LINK, MATCH, UNCERTAIN, decide
from harvester.dedup.incremental import CODE_VERSION, KEYS_VERSION, Previous, update
from harvester.dedup.merge import Duplicate, kept_view
from harvester.dedup.pipeline import (
    DIFFERENT_DECISION,
    RULES_VERSION,
    SAME_DECISION,
    Decision,
    Result,
    collector_paused,
    find_pairs,
    resolve,
)
from harvester.dedup.prepare import (
    FIELDS_READ,
    TYPE_TAGS,
    Keys,
    index_keys,
    keys_from_json,
    keys_to_json,
    prepare,
    set_facts,
)
from harvester.errors import InputError, LedgerError
from harvester.ledger import duplicates as store
from harvester.ledger.core import Ledger
from harvester.ledger.records import (
    StoredRecord,
    count_records,
    existing_records,
    get_record,
    iter_record_parts,
    max_record_id,
    record_ids,
    record_ids_after,
    record_sources,
)
from harvester.ledger.runs import finish_run, get_run, start_run
from harvester.progress import Progress, counted
from harvester.protocol import Protocol
from harvester.records import Record


@dataclass(frozen=True, slots=True)
class Summary:
    """What a dedupe run did, for people and for ``--json``."""

    run_id: int
    mode: str  # full | incremental
    records: int
    new_records: int
    candidate_pairs: int
    clusters: int
    duplicates: int
    uncertain: int
    blocked: int
    decisions: int
    removed_by_database: dict[str, int]
    rules_version: str = ""
    rules_changed: bool = False  # the previous run was made by other rules: every stored merge decided again
    undone: tuple[dict[str, Any], ...] = ()  # merges of the previous run this run undid, with evidence
    made: tuple[dict[str, Any], ...] = ()    # merges among records held before that this run made

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _decisions(ledger: Ledger) -> list[Decision]:
    return [Decision(d.record_a, d.record_b, d.decision, d.reviewer) for d in store.decision_rows(ledger)]


def dedupe_ledger(ledger: Ledger, protocol: Protocol, progress: Progress | None = None,
                  total: int | None = None) -> Summary:
    """A full ``dedupe`` run over every record of the ledger; ``progress`` hears of the records read and
    prepared (``total`` of them, when the caller counted them), then of the comparing and storing."""
    return _run(ledger, protocol, new_ids=None, progress=progress, total=total)


def dedupe_new(ledger: Ledger, protocol: Protocol, new_record_ids: Sequence[int]) -> Summary:
    """An incremental run: the new records (plus any added since the previous run) are compared with the
    held records sharing a block with them, found through the stored block index; only the parts of the
    match graph they change are clustered again, the rest is the previous run's. Writes the same rows as
    a full run on the same records. Falls back to a full run when there is no previous run, or the
    de-duplication code or the protocol's source preference changed since."""
    return _run(ledger, protocol, new_ids=set(new_record_ids))


def _fits(parameters: dict[str, Any], preference: list[str]) -> bool:
    """Whether the previous run can be built on: made by the same code, with the same source
    preference, and with what an incremental run needs in its parameters."""
    return (parameters.get("code_version") == CODE_VERSION and parameters.get("keys_version") == KEYS_VERSION
            and parameters.get("rules_version") == RULES_VERSION
            and parameters.get("source_preference") == preference
            and "max_record_id" in parameters and "max_decision_id" in parameters)


def _run(ledger: Ledger, protocol: Protocol, new_ids: set[int] | None, progress: Progress | None = None,
         total: int | None = None) -> Summary:
    previous = store.latest_dedupe_run(ledger)
    preference = list(protocol.dedup.source_preference)
    earlier = get_run(ledger, previous).parameters if previous is not None else {}
    mode = "incremental" if new_ids is not None and previous is not None and _fits(earlier, preference) else "full"
    run_id = start_run(ledger, "dedupe", parameters={
        "mode": mode, "rules_version": RULES_VERSION, "code_version": CODE_VERSION, "keys_version": KEYS_VERSION,
        "source_preference": preference, "max_record_id": max_record_id(ledger),
        "max_decision_id": store.max_decision_id(ledger), "previous_run": previous})
    step = f"comparing records ({mode})"
    try:
        with collector_paused():
            if mode == "incremental":
                assert previous is not None and new_ids is not None
                result, records, fresh, write_keys = _incremental(ledger, earlier, previous, new_ids, preference)
            else:
                result, records, fresh, write_keys = _full(ledger, preference, progress, total)
            undone, made = _changes(ledger, earlier, previous, result)
            step = "writing the clusters"
            with ledger.transaction():  # the run's rows and the keys it stored land together, or neither
                write_keys()
                _write(ledger, run_id, result, undone + made)
            if progress is not None and mode == "full":
                progress(STORING, records, records)
    except KeyboardInterrupt:
        finish_run(ledger, run_id, "interrupted", message=f"interrupted (Ctrl-C) while {step}; nothing of this run "
                                                          "is counted: run dedupe again to start over")
        raise
    except BaseException as error:
        finish_run(ledger, run_id, "failed", message=(str(error) or type(error).__name__)[:500])
        raise
    finish_run(ledger, run_id, "ok", count_retrieved=records,
               message=f"{result.stats['duplicates']} duplicates in {result.stats['clusters']} clusters,"
                       f" {result.stats['uncertain']} uncertain pairs for people")
    return Summary(run_id, mode, records, fresh, result.stats["candidate_pairs"], result.stats["clusters"],
                   result.stats["duplicates"], result.stats["uncertain"], result.stats["blocked"],
                   result.stats["decisions"], store.duplicates_removed_by_database(ledger), RULES_VERSION,
                   previous is not None and earlier.get("rules_version") != RULES_VERSION,
                   tuple(_change_dict(c) for c in undone), tuple(_change_dict(c) for c in made))


Change = tuple[int, int, str, str, str, dict[str, Any]]


def _change_dict(change: Change) -> dict[str, Any]:
    record, other, kind, rule, now, scores = change
    return {"record": record, "other": other, "change": kind, "rule": rule, "now": now, "scores": scores}


def _changes(ledger: Ledger, earlier: dict[str, Any], previous: int | None, result: Result) \
        -> tuple[list[Change], list[Change]]:
    """The merges of the previous run that this one undid, and the merges it made among records the
    previous run already held (new records joining a cluster are not changes), each with its evidence:
    an undone merge keeps the previous run's rule and scores and says what the pair is now (the rule that
    decides it, or a person's decision); a made merge gives this run's rule and scores."""
    if previous is None:
        return [], []
    held_up_to = int(earlier.get("max_record_id", 0))
    before = {d.record_id: d for d in store.duplicate_rows(ledger, previous)}
    now_kept = {d.record_id: d.duplicate_of for c in result.clusters for d in c.duplicates}
    people = {(min(d.record_a, d.record_b), max(d.record_a, d.record_b)): d for d in store.decision_rows(ledger)}
    undone: list[Change] = []
    for record_id, row in sorted(before.items()):
        if now_kept.get(record_id, record_id) == now_kept.get(row.duplicate_of, row.duplicate_of):
            continue
        pair = (min(record_id, row.duplicate_of), max(record_id, row.duplicate_of))
        person = people.get(pair)
        if person is not None:
            now = f"a person decided {person.decision} ({person.reviewer})"
        else:
            scores = compare(prepare(record_id, get_record(ledger, record_id).record),
                             prepare(row.duplicate_of, get_record(ledger, row.duplicate_of).record), result.facts)
            rule = decide(scores)
            now = f"{rule.verdict}: {rule.name}" + ("" if rule.verdict != MATCH else
                                                   " (kept apart by a guard of its cluster)")
        undone.append((record_id, row.duplicate_of, "undone", row.rule, now, row.scores))
    made: list[Change] = []
    was_kept = {r: d.duplicate_of for r, d in before.items()}
    for cluster in result.clusters:
        for d in cluster.duplicates:
            if d.record_id > held_up_to or d.duplicate_of > held_up_to:
                continue
            if was_kept.get(d.record_id, d.record_id) != was_kept.get(d.duplicate_of, d.duplicate_of):
                made.append((d.record_id, d.duplicate_of, "made", d.rule, f"matched with {d.matched_with}", d.scores))
    return undone, sorted(made)


def _key_row(k: Keys, blocks: list[tuple[str, str]] | None = None) -> tuple[int, int | None, str, list[str]]:
    """What :func:`store.store_keys` stores of one record; ``blocks``: its blocking keys, if known already.
    The fact indexes (a journal volume's records, a title's records in its journal) are stored as blocks
    of their own names, which block.py never makes."""
    found = block_keys(k) if blocks is None else blocks
    return k.id, k.year, keys_to_json(k), [f"{name}|{value}" for name, value in (*found, *index_keys(k))]


#: The two steps of a full run a progress bar shows: the first counts records as they are prepared, the
#: second (blocking, comparing, clustering, storing) is reported when it starts and when it ends.
PREPARING, STORING = "de-duplicating: records read", "de-duplicating: records compared and stored"


def _prepare_stored(ledger: Ledger, progress: Progress | None = None,
                    total: int | None = None) -> tuple[dict[int, Keys], dict[int, str]]:
    """Every record's keys and protocol source, read in one query as they come: a record is prepared and
    dropped, so memory holds the keys, never every record (with its abstract and tags) at once. Only the fields
    and tags that :func:`prepare` reads are built into each record."""
    keys: dict[int, Keys] = {}
    sources: dict[int, str] = {}
    records = iter_record_parts(ledger, FIELDS_READ, TYPE_TAGS)
    for record_id, source, record in counted(records, progress, PREPARING, total):
        keys[record_id] = prepare(record_id, record)
        sources[record_id] = source
    return keys, sources


def _full(ledger: Ledger, preference: list[str], progress: Progress | None = None,
          total: int | None = None) -> tuple[Result, int, int, Callable[[], None]]:
    """Every record prepared, blocked and compared; the keys not yet stored are stored for later
    incremental runs (all of them again when the code that makes them changed)."""
    keys, sources = _prepare_stored(ledger, progress, total)
    if progress is not None:
        progress(STORING, 0, len(keys))
    facts = set_facts(keys.values())
    index = block_index(keys.values())  # blocking keys made once: for the pairs, and to store
    scored: dict[tuple[int, int], Scores] = {}  # the pairs' scores, read again by the clustering's guards
    found, work = find_pairs(keys, index=index, facts=facts, scored=scored)
    result = resolve(keys, found, _decisions(ledger), sources, preference, facts, scored)
    del scored
    result.stats.update(work)
    clear = store.stale_keys(ledger, KEYS_VERSION)
    missing = set(keys) if clear else store.records_without_keys(ledger, KEYS_VERSION) & set(keys)
    held: dict[int, list[tuple[str, str]]] = {i: [] for i in missing}
    for block, ids in index.items():
        for record_id in ids:
            if record_id in held:
                held[record_id].append(block)
    del index
    rows = [_key_row(keys[i], held.pop(i)) for i in sorted(missing)]
    return result, len(keys), len(keys), lambda: store.store_keys(ledger, KEYS_VERSION, rows, clear=clear)


class _LedgerHeld:
    """The held records as the incremental run reads them: stored keys through the block index."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def block_members(self, blocks: Collection[tuple[str, str]]) -> dict[tuple[str, str], list[tuple[int, int | None]]]:
        named = {f"{name}|{value}": (name, value) for name, value in blocks}
        return {named[b]: members for b, members in store.block_members(self.ledger, named).items()}

    def keys(self, ids: Collection[int]) -> dict[int, Keys]:
        found = {i: keys_from_json(text) for i, text in store.stored_keys(self.ledger, ids, KEYS_VERSION).items()}
        if len(found) != len(set(ids)):
            lost = sorted(set(ids) - set(found))[:10]
            raise LedgerError(f"{self.ledger.path}: no de-duplication keys stored for records {lost}")
        return found

    def sources(self, ids: Collection[int]) -> dict[int, str]:
        return record_sources(self.ledger, ids)

    def indexed(self, index: str, values: Collection[str]) -> dict[str, list[int]]:
        named = {f"{index}|{v}": v for v in values}
        return {named[b]: [i for i, _ in members] for b, members in store.block_members(self.ledger, named).items()}


def _incremental(ledger: Ledger, earlier: dict[str, Any], previous: int, new_ids: set[int],
                 preference: list[str]) -> tuple[Result, int, int, Callable[[], None]]:
    """The new records (those given, those added since the previous run, and any without stored keys)
    against what the ledger holds, reading only the records they can meet (see dedup/incremental.py)."""
    fresh_ids = existing_records(ledger, new_ids) | set(record_ids_after(ledger, int(earlier["max_record_id"])))
    fresh_ids |= store.records_without_keys(ledger, KEYS_VERSION)
    fresh = {i: prepare(i, get_record(ledger, i).record) for i in sorted(fresh_ids)}
    decisions = store.decision_rows(ledger)
    changed = {i for d in decisions if d.id > int(earlier["max_decision_id"]) for i in (d.record_a, d.record_b)}
    before = Previous(
        [Pair(p.record_a, p.record_b, p.verdict, p.rule, p.scores) for p in store.pair_rows(ledger, previous)]
        + [Pair(min(k.notice_id, k.work_id), max(k.notice_id, k.work_id), LINK, k.rule, k.scores)
           for k in store.link_rows(ledger, previous)],
        [Duplicate(d.record_id, d.duplicate_of, int(d.matched_with if d.matched_with is not None else d.duplicate_of),
                   d.rule, d.scores, "reviewer" if d.rule == "reviewer" else "tool")
         for d in store.duplicate_rows(ledger, previous)])
    result = update(fresh, _LedgerHeld(ledger), before,
                    [Decision(d.record_a, d.record_b, d.decision, d.reviewer) for d in decisions], changed, preference)
    rows = [_key_row(k) for k in fresh.values()]
    records = count_records(ledger)
    result.stats["records"] = records
    return result, records, len(fresh), lambda: store.store_keys(ledger, KEYS_VERSION, rows)


def _write(ledger: Ledger, run_id: int, result: Result, changes: Sequence[Change] = ()) -> None:
    open_pairs = {(p.a, p.b) for p in result.uncertain}
    duplicates = [(d.record_id, d.duplicate_of, d.matched_with, d.rule, d.scores)
                  for c in result.clusters for d in c.duplicates]
    pairs = [(p.a, p.b, p.verdict, p.rule, p.scores, (p.a, p.b) in open_pairs) for p in result.pairs
             if p.verdict in (MATCH, UNCERTAIN)]
    links = [(int(p.scores["notice"]), int(p.scores["work"]), p.rule, str(p.scores.get("reason", "")), p.scores)
             for p in result.pairs if p.verdict == LINK]
    store.write_run_result(ledger, run_id, duplicates, pairs, links, changes)


# --- people: uncertain pairs out, decisions in, splits ---------------------------------------------

#: Columns of the uncertain-pairs file, per record side.
SIDE_COLUMNS: tuple[str, ...] = ("id", "source", "title", "authors", "year", "journal", "volume", "issue",
                                 "pages", "doi", "pmid")
DECISION_VALUES = (SAME_DECISION, DIFFERENT_DECISION)


def _side(stored: StoredRecord) -> dict[str, str]:
    r = stored.record
    return {"id": str(stored.id), "source": stored.source, "title": r.title, "authors": "; ".join(r.authors),
            "year": str(r.year or ""), "journal": r.journal or r.journal_abbrev, "volume": r.volume,
            "issue": r.issue, "pages": r.pages, "doi": r.doi, "pmid": r.pmid}


def uncertain_pairs(ledger: Ledger) -> list[dict[str, Any]]:
    """The open uncertain pairs of the latest run, each with both records side by side."""
    run_id = store.latest_dedupe_run(ledger)
    if run_id is None:
        return []
    rows = []
    for pair in store.pair_rows(ledger, run_id, only_open=True):  # uncertain, or a match left between clusters
        a, b = get_record(ledger, pair.record_a), get_record(ledger, pair.record_b)
        row: dict[str, Any] = {"run": run_id, "rule": pair.rule, "title_score": pair.scores.get("title_words", ""),
                               "authors_score": pair.scores.get("authors", "")}
        row.update({f"a_{k}": v for k, v in _side(a).items()})
        row.update({f"b_{k}": v for k, v in _side(b).items()})
        row.update({"decision": "", "reviewer": "", "note": ""})
        rows.append(row)
    return rows


def uncertain_csv(rows: list[dict[str, Any]]) -> str:
    columns = ["run", "rule", "title_score", "authors_score", *(f"a_{c}" for c in SIDE_COLUMNS),
               *(f"b_{c}" for c in SIDE_COLUMNS), "decision", "reviewer", "note"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def import_decisions(ledger: Ledger, path: Path, reviewer: str | None = None) -> int:
    """Read a decisions CSV (the uncertain-pairs file with its ``decision`` column filled: ``same`` or
    ``different``; blank rows are skipped) and store every decision. Any bad row refuses the whole file,
    listing every problem. Returns how many decisions were stored."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(str(path), [f"cannot read the file: {error}"]) from error
    reader = csv.DictReader(io.StringIO(text))
    columns = set(reader.fieldnames or ())
    missing = [c for c in ("a_id", "b_id", "decision") if c not in columns]
    if missing:
        raise InputError(str(path), [f"missing column {c!r}" for c in missing])
    known = record_ids(ledger)
    problems: list[str] = []
    found: list[tuple[int, int, str, str, str, str | None, int | None, str | None]] = []
    for line, row in enumerate(reader, start=2):
        decision = (row.get("decision") or "").strip().lower()
        if not decision:
            continue
        ids: list[int] = []
        for column in ("a_id", "b_id"):
            value = (row.get(column) or "").strip()
            if not value.isdigit():
                problems.append(f"line {line}: {column} {value!r} is not a record id")
            elif int(value) not in known:
                problems.append(f"line {line}: {column} {value} is not a record in this ledger")
            else:
                ids.append(int(value))
        if decision not in DECISION_VALUES:
            problems.append(f"line {line}: decision {decision!r} must be 'same' or 'different'")
        who = (row.get("reviewer") or "").strip() or (reviewer or "")
        if not who:
            problems.append(f"line {line}: no reviewer (fill the reviewer column or pass --reviewer)")
        if len(ids) == 2 and ids[0] == ids[1]:
            problems.append(f"line {line}: a record cannot be decided against itself ({ids[0]})")
        if len(ids) == 2 and ids[0] != ids[1] and decision in DECISION_VALUES and who:
            found.append((ids[0], ids[1], decision, who, "file", str(path), line, (row.get("note") or None)))
    if problems:
        raise InputError(str(path), problems)
    return store.add_decisions(ledger, found)


def split(ledger: Ledger, protocol: Protocol, record_id: int, reviewer: str, note: str | None = None) -> Summary:
    """Take one record out of the cluster the tool put it in: a ``different`` decision against every
    other member, then a full run so the change shows everywhere."""
    current = store.current_duplicates(ledger)
    kept = current.get(record_id, record_id)
    members = {kept} | {r for r, k in current.items() if k == kept}
    if record_id not in members or len(members) < 2:
        raise LedgerError(f"record {record_id} is in no cluster of the latest dedupe run; nothing to split")
    store.add_decisions(ledger, [(record_id, other, DIFFERENT_DECISION, reviewer, "split", None, None, note)
                                 for other in sorted(members - {record_id})])
    return dedupe_ledger(ledger, protocol)


def clusters(ledger: Ledger) -> list[dict[str, Any]]:
    """The latest run's clusters with their evidence: kept record, each duplicate, rule, scores, run."""
    grouped: dict[int, list[store.DuplicateRow]] = {}
    for row in store.duplicate_rows(ledger):
        grouped.setdefault(row.duplicate_of, []).append(row)
    out = []
    for kept, rows in grouped.items():
        k = get_record(ledger, kept)
        out.append({
            "kept": _side(k), "run": rows[0].run_id,
            "duplicates": [{**_side(get_record(ledger, r.record_id)), "matched_with": r.matched_with,
                            "rule": r.rule, "scores": r.scores} for r in rows],
        })
    return out


def apply_decisions(ledger: Ledger, protocol: Protocol, path: Path, reviewer: str | None = None) -> tuple[int, Summary]:
    """Import a decisions file (refused whole when any row is bad), then a full run that respects it."""
    stored = import_decisions(ledger, path, reviewer)
    return stored, dedupe_ledger(ledger, protocol)


def kept_views(ledger: Ledger) -> dict[int, Record]:
    """Kept record id -> its kept view: the kept record with empty fields filled from its duplicates
    (in duplicate id order), for screening and export. Records in no cluster are not listed."""
    grouped: dict[int, list[int]] = {}
    for removed, kept in sorted(store.current_duplicates(ledger).items()):
        grouped.setdefault(kept, []).append(removed)
    return {kept: kept_view(get_record(ledger, kept).record, [get_record(ledger, r).record for r in removed])
            for kept, removed in grouped.items()}
