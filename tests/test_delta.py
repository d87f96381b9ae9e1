"""The delta report model and its Markdown and JSON renderings."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from harvester.delta import Delta, DeltaRecord, KnownRecord, SourceDelta, to_json, to_markdown

NEW = DeltaRecord(7, "MEDLINE", "Peer workers | in clinics", ("Smith, J", "Doe, A"), 2025, "BMJ Open", "10.1/x", "41")
OLD = DeltaRecord(3, "CINAHL", "Peer workers in clinics", ("Smith, J",), 2025, "BMJ Open")
DELTA = Delta(
    review="peer-support", refresh_run_id=12, started_at="2026-11-26T06:00:00Z", ended_at="2026-11-26T06:01:00Z",
    status="ok",
    sources=(SourceDelta("MEDLINE", "pubmed", "searched", ("crdt 2026/11/20-2026/11/26",), (13, 14), 5, 2,
                         previous_total=400, current_total=402, no_longer_returned=0, known=1),
             SourceDelta("CINAHL", "file", "unchanged", note="no new or changed file")),
    new_unique=(NEW,), known=(KnownRecord(DeltaRecord(8, "MEDLINE", "Peer workers in clinics", pmid="42"), (OLD,)),),
    notes=("took over a stale lock",),
)


def test_counts_and_exit_signal() -> None:
    assert DELTA.new_records == 2 and DELTA.found_new
    assert DELTA.sources[0].total_change == 2 and DELTA.sources[1].total_change is None
    empty = Delta("r", 1, "a", "b", "ok", known=DELTA.known)
    assert not empty.found_new and empty.new_records == 1  # known records alone give screening nothing new


def test_json_lists_every_record_with_what_it_duplicates() -> None:
    data = json.loads(json.dumps(to_json(DELTA)))
    assert data["counts"] == {"new_records": 2, "new_unique": 1, "known": 1, "duplicates_among_new": 0,
                              "revised": 0, "no_longer_returned": 0}
    assert data["new_unique"][0]["authors"] == ["Smith, J", "Doe, A"] and data["new_unique"][0]["pmid"] == "41"
    assert data["known"][0]["pmid"] == "42" and data["known"][0]["duplicate_of"][0]["id"] == 3
    assert data["sources"][0]["total_change"] == 2 and data["sources"][0]["windows"] == ["crdt 2026/11/20-2026/11/26"]


def test_markdown_summary_table_and_lists() -> None:
    text = to_markdown(DELTA)
    assert text.startswith("# Refresh of peer-support: run #12 (ok)\n")
    assert "- **1 new unique record(s)** to screen" in text
    assert "| MEDLINE | searched | crdt 2026/11/20-2026/11/26 | 5 | 2 | 1 | 0 | 400 | 402 | +2 |" in text
    assert "| CINAHL | unchanged | - | 0 | 0 | - | - | - | - | - | no new or changed file |" in text
    assert "- 7. Smith et al. (2025). Peer workers | in clinics BMJ Open. [PMID 41, doi:10.1/x]" in text
    assert "- 8. [no author] (n.d.). Peer workers in clinics [PMID 42] — same as #3 (CINAHL)" in text
    assert "## Notes (1)" in text and "## Revised" not in text


@given(st.text(), st.lists(st.text(), max_size=3), st.integers(min_value=0))
def test_any_text_renders_and_round_trips_through_json(title: str, authors: list[str], record_id: int) -> None:
    record = DeltaRecord(record_id, "S", title, tuple(authors))
    delta = Delta("r", 1, "a", "b", "ok", new_unique=(record,))
    assert to_json(delta)["new_unique"][0]["title"] == title
    assert json.loads(json.dumps(to_json(delta), ensure_ascii=False))["new_unique"][0]["authors"] == authors
    assert to_markdown(delta).count("\n## New unique records (1)\n") == 1
