"""The incremental run (harvester/dedup/incremental.py and dedupe_new on a ledger) gives exactly what a
full run gives on the same records — clusters with their evidence, pairs with scores, pairs for people —
while reading only the records new ones can meet, respecting people's decisions (also those made since
the previous run) and never bridging a "different"."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.dedup_sets import load_set
from harvester import protocol as protocol_module
from harvester.dedup import Decision, Result, dedupe, dedupe_ledger, dedupe_new, prepare_all, runs
from harvester.dedup.block import MAX_BLOCK
from harvester.dedup.incremental import MemoryHeld, Previous, update
from harvester.dedup.prepare import keys_from_json, keys_to_json
from harvester.ledger import Ledger
from harvester.ledger import duplicates as store
from harvester.ledger.records import add_records
from harvester.ledger.runs import finish_run, get_run, start_run
from harvester.records import Record
from tests.test_dedup_properties import records

Items = list[tuple[int, Record]]


def _evidence(result: Result) -> tuple[Any, ...]:
    """Everything a run writes, comparable: clusters with each duplicate's evidence, every pair with its
    scores, the pairs for people, and how many matches a guard refused."""
    clusters = [(c.kept, c.members, [(d.record_id, d.duplicate_of, d.matched_with, d.rule, d.scores)
                                     for d in c.duplicates]) for c in result.clusters]
    pairs = [(p.a, p.b, p.verdict, p.rule, p.scores) for p in result.pairs]
    return clusters, pairs, [(p.a, p.b, p.rule) for p in result.uncertain], len(result.blocked)


def _previous(result: Result) -> Previous:
    return Previous(result.pairs, [d for c in result.clusters for d in c.duplicates])


def _incremental(held: Items, new: Items, previous: Result, decisions: list[Decision] = (),  # type: ignore[assignment]
                 changed: set[int] = frozenset()) -> Result:  # type: ignore[assignment]
    sources = {i: r.database for i, r in held + new}
    return update(prepare_all(new), MemoryHeld(prepare_all(held), sources), _previous(previous), decisions, changed)


@pytest.mark.parametrize("name", ["stroke", "cytology_screening", "diabetes", "special_cases"])
def test_stored_keys_read_back_equal(shared_dir: Path, name: str) -> None:
    """What the ledger stores for a record gives back exactly the keys prepared from it."""
    for k in prepare_all(load_set(shared_dir / "benchmarks" / "dedup", name).records).values():
        assert keys_from_json(keys_to_json(k)) == k


@pytest.mark.parametrize("name", ["stroke", "diabetes"])
@pytest.mark.parametrize("every", [2, 7])
def test_equals_a_full_run_on_a_labelled_set(shared_dir: Path, name: str, every: int) -> None:
    items = load_set(shared_dir / "benchmarks" / "dedup", name).records
    new = [(i, r) for i, r in items if i % every == 0]
    held = [(i, r) for i, r in items if i % every]
    result = _incremental(held, new, dedupe(held))
    full = dedupe(items)
    assert _evidence(result) == _evidence(full)
    assert result.stats["duplicates"] > 100  # a real test: many clusters were built on both paths
    assert result.stats["keys_read"] < len(held)  # and not every held record was read


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records(), st.data())
def test_rounds_of_new_records_and_decisions_equal_full_runs(items: Items, data: st.DataObject) -> None:
    """Records arrive in rounds, people decide between rounds; each incremental run builds on the
    previous incremental run, and each equals a full run with the same records and decisions."""
    ids = [i for i, _ in items]
    by_id = dict(items)
    cuts = sorted(set(data.draw(st.lists(st.integers(1, len(ids)), min_size=1, max_size=3)))) + [len(ids) + 1]
    decisions: list[Decision] = []
    held_until = cuts[0]
    result = dedupe([(i, by_id[i]) for i in ids if i < held_until])
    for cut in cuts[1:]:
        current = [i for i in ids if i < cut]
        again = data.draw(st.lists(st.sampled_from(current), max_size=2, unique=True))
        new_ids = {i for i in current if i >= held_until} | set(again)  # records given again are compared again
        changed: set[int] = set()
        for _ in range(data.draw(st.integers(0, 2)) if len(current) > 1 else 0):
            a, b = data.draw(st.lists(st.sampled_from(current), min_size=2, max_size=2, unique=True))
            decisions.append(Decision(a, b, data.draw(st.sampled_from(["same", "different"])), "JM"))
            changed |= {a, b}
        result = _incremental([(i, by_id[i]) for i in current if i not in new_ids],
                              [(i, by_id[i]) for i in current if i in new_ids], result, decisions, changed)
        assert _evidence(result) == _evidence(dedupe([(i, by_id[i]) for i in current], decisions))
        latest = {(min(d.a, d.b), max(d.a, d.b)): d.decision for d in decisions}
        for (a, b), decision in latest.items():  # a person's "different" is never bridged
            if decision == "different":
                assert not any(a in c.members and b in c.members for c in result.clusters)
        held_until = cut


def _abstract_book(n: int, year: int) -> Record:
    """One of many records of a block: the same title, no authors, told apart by volume and issue; the
    even and odd ones of each volume are the same record indexed twice."""
    return Record(title="Abstracts of the annual scientific meeting of the peer support society", year=year,
                  journal="Peer Support Journal", volume=str(n // 2), issue="1")


def test_a_block_grown_past_the_limit_separates_held_pairs_as_a_full_run_does() -> None:
    held = [(i, _abstract_book(i, 2015)) for i in range(1, MAX_BLOCK + 1)]
    before = dedupe(held)
    assert before.stats["duplicates"] >= 40  # the held pairs were merged while the block was small enough
    new = [(i, _abstract_book(i, 2015)) for i in range(MAX_BLOCK + 1, MAX_BLOCK + 6)]
    result = _incremental(held, new, before)
    full = dedupe(held + new)
    assert _evidence(result) == _evidence(full)
    assert result.stats["duplicates"] < before.stats["duplicates"]  # the path that drops held pairs ran


# --- on a ledger -------------------------------------------------------------------------------------

PROTOCOL = '''[review]
id = "incremental"
ledger = "{ledger}"
[query]
text = "peer support"
[[sources]]
name = "MEDLINE"
kind = "pubmed"
[[sources]]
name = "CINAHL"
kind = "other"
method = "other"
files = ["cinahl.ris"]
[dedup]
source_preference = ["MEDLINE", "CINAHL"]
'''


def _protocol(folder: Path) -> protocol_module.Protocol:
    path = folder / "review.toml"
    path.write_text(PROTOCOL.format(ledger=(folder / "ledger.sqlite").as_posix()), encoding="utf-8")
    return protocol_module.load(path)


def _add(ledger: Ledger, source: str, items: list[Record]) -> list[int]:
    run_id = start_run(ledger, "import", source=source)
    ids = add_records(ledger, items, run_id=run_id, source=source)
    finish_run(ledger, run_id)
    return ids


def _rows(ledger: Ledger) -> tuple[Any, ...]:
    run_id = store.latest_dedupe_run(ledger)
    assert run_id is not None
    duplicates = [(d.record_id, d.duplicate_of, d.matched_with, d.rule, d.scores) for d in store.duplicate_rows(ledger)]
    pairs = [(p.record_a, p.record_b, p.verdict, p.rule, p.scores, p.open) for p in store.pair_rows(ledger, run_id)]
    return duplicates, pairs


@pytest.fixture(scope="module")
def stroke(shared_dir: Path) -> list[Record]:
    return [r for _, r in load_set(shared_dir / "benchmarks" / "dedup", "stroke").records]


def test_dedupe_new_equals_a_full_run_row_for_row_without_reading_every_record(
        tmp_path: Path, stroke: list[Record], monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    rows = []
    read: list[int] = []
    original = store.stored_keys

    def counting(ledger: Ledger, ids: Any, version: str) -> dict[int, str]:
        ids = list(ids)
        read.extend(ids)
        return original(ledger, ids, version)

    for folder in (one, two):
        folder.mkdir()
        protocol = _protocol(folder)
        with Ledger.open(protocol.ledger_path) as ledger:
            _add(ledger, "CINAHL", stroke[:700])
            dedupe_ledger(ledger, protocol)
            old = store.current_duplicates(ledger)
            # a person's decisions since the previous run: one "different" inside a cluster, one "same"
            removed, kept = sorted(old.items())[0]
            alone = [i for i in range(1, 701) if i not in old and i not in old.values()][:2]
            store.add_decisions(ledger, [(removed, kept, "different", "JM", "file", None, None, None),
                                         (alone[0], alone[1], "same", "JM", "file", None, None, None)])
            new_ids = _add(ledger, "MEDLINE", stroke[700:])
            if folder == one:
                read.clear()
                with monkeypatch.context() as patch:
                    patch.setattr(runs, "_prepare_stored",
                                  lambda ledger: pytest.fail("the incremental run read every record"))
                    patch.setattr(store, "stored_keys", counting)
                    summary = dedupe_new(ledger, protocol, new_ids)
                assert summary.mode == "incremental" and summary.new_records == len(new_ids)
                assert 0 < len(set(read)) < 700 // 2  # held records read: only those the new ones can meet
            else:
                summary = dedupe_ledger(ledger, protocol)
                assert summary.mode == "full"
            now = store.current_duplicates(ledger)
            assert now.get(removed, removed) != now.get(kept, kept)  # the person's "different" holds
            rows.append((_rows(ledger), summary.records, summary.clusters, summary.duplicates, summary.uncertain,
                         summary.blocked, summary.decisions, summary.removed_by_database))
    assert rows[0] == rows[1]
    assert len(rows[0][0][0]) > 200


def test_keys_are_stored_once_and_made_again_when_the_code_changes(
        tmp_path: Path, stroke: list[Record], monkeypatch: pytest.MonkeyPatch) -> None:
    protocol = _protocol(tmp_path)
    with Ledger.open(protocol.ledger_path) as ledger:
        _add(ledger, "CINAHL", stroke[:300])
        dedupe_ledger(ledger, protocol)
        versions = {r["version"] for r in ledger.connection.execute("SELECT version FROM dedup_keys")}
        assert ledger.connection.execute("SELECT COUNT(*) FROM dedup_keys").fetchone()[0] == 300 and len(versions) == 1
        new_ids = _add(ledger, "MEDLINE", stroke[300:400])
        assert dedupe_new(ledger, protocol, new_ids).mode == "incremental"
        assert ledger.connection.execute("SELECT COUNT(*) FROM dedup_keys").fetchone()[0] == 400
        # the normaliser changed: the next run is a full one and stores every key again
        monkeypatch.setattr(runs, "KEYS_VERSION", "changed")
        new_ids = _add(ledger, "MEDLINE", stroke[400:450])
        summary = dedupe_new(ledger, protocol, new_ids)
        assert summary.mode == "full"
        assert {tuple(r) for r in ledger.connection.execute(
            "SELECT version, COUNT(*) FROM dedup_keys GROUP BY version")} == {
            ("changed", 450)}
        # another source preference: a full run too (the kept records may change)
        other = replace(protocol, dedup=replace(protocol.dedup, source_preference=("CINAHL", "MEDLINE")))
        assert dedupe_new(ledger, protocol, []).mode == "incremental"
        assert dedupe_new(ledger, other, []).mode == "full"
        assert get_run(ledger, store.latest_dedupe_run(ledger) or 0).parameters["source_preference"] == [
            "CINAHL", "MEDLINE"]


def test_records_added_without_being_named_are_still_compared(tmp_path: Path, stroke: list[Record]) -> None:
    """A record added since the previous run but not passed as new (an import between runs) is new."""
    protocol = _protocol(tmp_path)
    with Ledger.open(protocol.ledger_path) as ledger:
        _add(ledger, "CINAHL", stroke[:600])
        dedupe_ledger(ledger, protocol)
        _add(ledger, "CINAHL", stroke[600:900])
        named = _add(ledger, "MEDLINE", stroke[900:])
        summary = dedupe_new(ledger, protocol, named)
        assert summary.mode == "incremental" and summary.new_records == len(stroke) - 600
        incremental = _rows(ledger)
        dedupe_ledger(ledger, protocol)
        assert _rows(ledger) == incremental


def test_a_failed_run_stores_no_keys_and_is_logged_failed(
        tmp_path: Path, stroke: list[Record], monkeypatch: pytest.MonkeyPatch) -> None:
    protocol = _protocol(tmp_path)
    with Ledger.open(protocol.ledger_path) as ledger:
        _add(ledger, "CINAHL", stroke[:200])
        dedupe_ledger(ledger, protocol)
        previous = store.latest_dedupe_run(ledger)
        new_ids = _add(ledger, "MEDLINE", stroke[200:260])

        def broken(*args: object) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(store, "write_run_result", broken)
        with pytest.raises(OSError):
            dedupe_new(ledger, protocol, new_ids)
        assert ledger.connection.execute("SELECT COUNT(*) FROM dedup_keys").fetchone()[0] == 200
        last = ledger.connection.execute("SELECT status FROM runs WHERE kind = 'dedupe' ORDER BY id DESC").fetchone()
        assert last[0] == "failed"
        assert store.latest_dedupe_run(ledger) == previous
        monkeypatch.undo()
        assert dedupe_new(ledger, protocol, new_ids).mode == "incremental"
        assert ledger.connection.execute("SELECT COUNT(*) FROM dedup_keys").fetchone()[0] == 260


# --- the run's pagination of a journal volume (principle 2) ------------------------------------------

_ITEM = Record(title="Memory rehabilitation: integrating theory and practice in the clinic",
               authors=("Wilson, B. A.",), year=2014, journal="Clinical Rehabilitation", volume="45", pages="139-140")


def _others(pages: list[tuple[int, int]], start: int) -> Items:
    return [(start + n, Record(title=f"Another item of the volume number {n} on stroke units", year=2014,
                               authors=(f"Other{n}, A.",), journal="Clinical Rehabilitation", volume="45",
                               issue=str(issue), pages=f"{first}-{first + 7}"))
            for n, (issue, first) in enumerate(pages)]


@pytest.mark.parametrize(("held_pages", "new_pages"), [
    ([], [(1, 10), (2, 110), (3, 200)]),               # new records show the volume continuous: now merged
    ([(1, 10), (2, 110), (3, 200)], [(3, 1), (4, 2)]),  # new records show it paginated by issue: now to people
    ([(1, 10)], [(4, 300), (5, 400)]),                  # held and new records together make the evidence
])
def test_new_records_that_show_a_volume_s_pagination_decide_held_pairs_as_a_full_run(
        held_pages: list[tuple[int, int]], new_pages: list[tuple[int, int]]) -> None:
    """A held pair of one item in issues 2 and 3 is decided again when new records of its volume change what
    the run shows of the volume's pagination (same-item-other-issue or a person), as a full run decides it."""
    held = [(1, replace(_ITEM, issue="2")), (2, replace(_ITEM, issue="3", journal="Clin Rehabil")),
            *_others(held_pages, 100)]
    new = _others(new_pages, 200)
    before = dedupe(held)
    result = _incremental(held, new, before)
    full = dedupe(held + new)
    assert _evidence(result) == _evidence(full)
    assert bool(before.clusters) != bool(full.clusters)  # the evidence changed the pair's verdict


def test_new_records_that_make_a_title_recurring_decide_held_pairs_as_a_full_run() -> None:
    """A held pair of one column's copies (one without issue and pages) matched while the column was seen in
    two issues; new records of a third and fourth issue (by the column's next author, so they match neither
    copy) make the title recurring: the incremental run decides the held pair again (to people), as a full
    run does. Through the ledger too."""
    held = [(1, replace(_COLUMN, issue="1", pages="5-6")), (2, _COLUMN),
            (3, replace(_COLUMN, issue="2", pages="45-46", title=_COLUMN.title + " again"))]
    new = [(4, replace(_NEXT, issue="3", pages="85-86")), (5, replace(_NEXT, issue="4", pages="125-126"))]
    before = dedupe(held)
    assert [c.members for c in before.clusters] == [(1, 2)]
    result = _incremental(held, new, before)
    full = dedupe(held + new)
    assert _evidence(result) == _evidence(full)
    assert not full.clusters and any({p.a, p.b} == {1, 2} for p in full.uncertain)


_COLUMN = Record(title="Stroke unit pearls: swallowing and mobility at the bedside", authors=("Smith, J.",),
                 year=2014, journal="Clinical Rehabilitation", volume="45")
_NEXT = replace(_COLUMN, authors=("Jones, K.",))  # the column by its next author: matches no copy of Smith's

#: (held records, new records, duplicates after the first run, duplicates after the new records)
_FACT_CASES = {
    "a volume shown continuous by held and new records together": (
        [replace(_ITEM, issue="2"), replace(_ITEM, issue="3", journal="Clin Rehabil"),
         *(r for _, r in _others([(1, 10)], 0))],
        [r for _, r in _others([(4, 300), (5, 400)], 0)], {}, {2: 1}),
    "a title made recurring by new records": (
        [replace(_COLUMN, issue="1", pages="5-6"), _COLUMN],
        [replace(_NEXT, issue="3", pages="85-86"), replace(_NEXT, issue="4", pages="125-126")], {2: 1}, {}),
}


@pytest.mark.parametrize("case", list(_FACT_CASES))
def test_dedupe_new_reads_a_fact_s_held_records_from_the_ledger(tmp_path: Path, case: str) -> None:
    """The ledger's incremental run finds the held records of a journal volume or of a title through the
    stored fact indexes and gives the full run's rows when new records change the run's facts."""
    held, new, before, after = _FACT_CASES[case]
    results = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        protocol = _protocol(folder)
        with Ledger.open(protocol.ledger_path) as ledger:
            _add(ledger, "CINAHL", held)
            dedupe_ledger(ledger, protocol)
            assert store.current_duplicates(ledger) == before
            new_ids = _add(ledger, "MEDLINE", new)
            summary = dedupe_new(ledger, protocol, new_ids) if name == "one" else dedupe_ledger(ledger, protocol)
            assert summary.mode == ("incremental" if name == "one" else "full")
            assert store.current_duplicates(ledger) == after
            results.append(_rows(ledger))
    assert results[0] == results[1]
