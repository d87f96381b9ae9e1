"""The full ``dedupe`` run on a ledger, made fast for 100,000 records (issue 17: records read in one query and
dropped once prepared, blocking keys made once, the block index stored in order, the cycle collector paused),
decides exactly what the plain way decides: every record prepared from the records as loaded (never through
the ledger), every pair of records that share a group of some block compared (pairs enumerated from each
block's groups, nothing reused), decided and clustered. Compared row for row on the labelled sets and on a
generated set with look-alikes: clusters, each duplicate's kept record, matched record, rule and scores,
every pair with its verdict, rule and scores and whether people still see it, the notices' links, and the
keys and block index stored for incremental runs."""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from benchmarks.dedup_scale import generate
from benchmarks.dedup_sets import load_set
from harvester import protocol as protocol_module
from harvester.dedup import dedupe_ledger
from harvester.dedup.block import block_groups, block_keys
from harvester.dedup.decide import LINK, MATCH, UNCERTAIN
from harvester.dedup.incremental import KEYS_VERSION
from harvester.dedup.pipeline import judge, resolve
from harvester.dedup.prepare import index_keys, keys_to_json, prepare, set_facts
from harvester.ledger import Ledger
from harvester.ledger import duplicates as store
from harvester.ledger.records import add_records
from harvester.ledger.runs import finish_run, start_run
from harvester.records import Record

PROTOCOL = '''[review]
id = "reference"
ledger = "{ledger}"

[query]
text = "x"

[[sources]]
name = "MEDLINE"
kind = "pubmed"

[[sources]]
name = "Embase"
kind = "other"
method = "other"
files = ["embase.ris"]

[dedup]
source_preference = ["MEDLINE", "Embase"]
'''

SOURCES = ("Embase", "MEDLINE")


def _reference(records: list[Record], first_id: int, sources: dict[int, str]) -> tuple[Any, ...]:
    """The plain way: records prepared as given, candidate pairs enumerated from every block's groups."""
    keys = {first_id + i: prepare(first_id + i, r) for i, r in enumerate(records)}
    members: dict[tuple[str, str], list[tuple[int, int | None]]] = defaultdict(list)
    for k in keys.values():
        for block in block_keys(k):
            members[block].append((k.id, k.year))
    candidates = {pair for block in members.values() for group in block_groups(block)
                  for pair in combinations(sorted(group), 2)}
    facts = set_facts(keys.values())  # the run's facts, of the whole set
    result = resolve(keys, judge(keys, candidates, facts), (), sources, ("MEDLINE", "Embase"), facts)
    open_pairs = {(p.a, p.b) for p in result.uncertain}
    duplicates = sorted((d.record_id, d.duplicate_of, d.matched_with, d.rule, d.scores)
                        for c in result.clusters for d in c.duplicates)
    pairs = sorted((p.a, p.b, p.verdict, p.rule, p.scores, (p.a, p.b) in open_pairs) for p in result.pairs
                   if p.verdict in (MATCH, UNCERTAIN))
    links = sorted((int(p.scores["notice"]), int(p.scores["work"]), p.rule, p.scores) for p in result.pairs
                   if p.verdict == LINK)
    stored_keys = {i: keys_to_json(k) for i, k in keys.items()}
    stored_blocks = sorted((f"{name}|{value}", k.id, k.year) for k in keys.values()
                           for name, value in (*block_keys(k), *index_keys(k)))
    return duplicates, pairs, links, stored_keys, stored_blocks, len(candidates)


def _ledger_run(folder: Path, records: list[Record]) -> tuple[tuple[Any, ...], int, dict[int, str]]:
    """Every other record stored from one source, the rest from the other (so the source preference chooses
    the kept record), then a full run."""
    path = folder / "review.toml"
    path.write_text(PROTOCOL.format(ledger=(folder / "ledger.sqlite").as_posix()), encoding="utf-8")
    protocol = protocol_module.load(path)
    with Ledger.open(protocol.ledger_path) as ledger:
        ids = []
        for source, part in zip(SOURCES, (records[0::2], records[1::2]), strict=True):
            run = start_run(ledger, "import", source=source)
            ids += add_records(ledger, part, run_id=run, source=source)
            finish_run(ledger, run)
        sources = {record_id: SOURCES[place >= len(records[0::2])] for place, record_id in enumerate(ids)}
        summary = dedupe_ledger(ledger, protocol)
        assert summary.mode == "full" and summary.records == len(records)
        run_id = summary.run_id
        duplicates = sorted((d.record_id, d.duplicate_of, d.matched_with, d.rule, d.scores)
                            for d in store.duplicate_rows(ledger, run_id))
        pairs = sorted((p.record_a, p.record_b, p.verdict, p.rule, p.scores, p.open)
                       for p in store.pair_rows(ledger, run_id))
        links = sorted((k.notice_id, k.work_id, k.rule, k.scores) for k in store.link_rows(ledger, run_id))
        stored_keys = store.stored_keys(ledger, ids, KEYS_VERSION)
        held = store.block_members(ledger, {b for b, _, _ in ledger.connection.execute(
            "SELECT block, record_id, year FROM dedup_blocks")})
        stored_blocks = sorted((block, record_id, year) for block, rows in held.items() for record_id, year in rows)
    return (duplicates, pairs, links, stored_keys, stored_blocks, summary.candidate_pairs), ids[0], sources


def _compare(tmp_path: Path, records: list[Record]) -> tuple[Any, ...]:
    found, first_id, sources = _ledger_run(tmp_path, records)
    expected = _reference(records[0::2] + records[1::2], first_id, sources)
    names = ("duplicates", "pairs", "links", "stored keys", "stored block index", "candidate pairs")
    for name, got, want in zip(names, found, expected, strict=True):
        assert got == want, f"the ledger run's {name} differ from the plain way's"
    return found


@pytest.mark.parametrize("name", ["stroke", "cytology_screening", "diabetes"])
def test_the_ledger_run_decides_what_the_plain_way_decides_on_a_labelled_set(
        shared_dir: Path, tmp_path: Path, name: str) -> None:
    records = [r for _, r in load_set(shared_dir / "benchmarks" / "dedup", name).records]
    duplicates, pairs, *_ = _compare(tmp_path, records)
    assert len(duplicates) > 300 and len(pairs) > len(duplicates) // 2  # the sets' duplicates are found


def test_the_ledger_run_decides_what_the_plain_way_decides_on_generated_look_alikes(tmp_path: Path) -> None:
    """The scale benchmark's generator (benchmarks/dedup_scale.py): copies from three databases and
    look-alikes that are not duplicates, with blocks large enough to be split by year."""
    records = [r for _, r in generate(4000, seed=11)[0]]
    duplicates, pairs, links, *_ = _compare(tmp_path, records)
    assert len(duplicates) > 500 and links  # errata and comments linked to their articles


def test_the_comparison_sees_a_changed_decision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison can fail: a ledger run that compares only half its candidate pairs differs."""
    from harvester.dedup import block

    original = block.candidate_pairs

    def half_the_pairs(*args: Any, **kwargs: Any) -> tuple[set[tuple[int, int]], int]:
        pairs, skipped = original(*args, **kwargs)
        return set(sorted(pairs)[::2]), skipped

    monkeypatch.setattr("harvester.dedup.pipeline.candidate_pairs", half_the_pairs)
    records = [r for _, r in generate(600, seed=3)[0]]
    with pytest.raises(AssertionError, match="differ from the plain way"):
        _compare(tmp_path, records)
