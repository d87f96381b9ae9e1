"""Refresh against stand-in stages: the window arithmetic, the delta (new unique vs known), a second
refresh that changes nothing, a failed source rolled back alone, and a refresh killed with SIGKILL.

The stand-ins (a dated in-memory PubMed, an export import, a title-matching de-duplication) write to the
ledger through the ledger's own functions, as the real stages do; they are importable so that a
subprocess can run a refresh with them (see ``run_refresh_in_subprocess``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harvester import protocol as protocol_module
from harvester.delta import to_markdown
from harvester.errors import HarvestError, SourceError
from harvester.ledger import Ledger
from harvester.ledger.core import utc_now
from harvester.ledger.records import add_file, add_records, iter_records, records_from_refresh, records_since
from harvester.ledger.runs import finish_run, list_runs, refresh_runs, start_run, update_run
from harvester.protocol import Protocol, Source
from harvester.records import Record
from harvester.refresh import SearchResult, Steps, Window, plan_windows, refresh

REPO = Path(__file__).resolve().parent.parent
NOW = datetime.now(UTC)
TODAY = NOW.date()  # search runs are stamped with the real clock, so "today" is the real today
WINDOW = f"{(TODAY - timedelta(days=3)):%Y/%m/%d}-{TODAY:%Y/%m/%d}"

PROTOCOL = """
[review]
id = "living"
ledger = "{ledger}"

[query]
text = "peer AND support"

[[sources]]
name = "MEDLINE"
kind = "pubmed"
datetype = "crdt"

[[sources]]
name = "CINAHL"
kind = "file"
files = ["cinahl.ris"]

[dedup]
source_preference = ["MEDLINE", "CINAHL"]
"""


def write_protocol(folder: Path) -> Protocol:
    path = folder / "living.toml"
    path.write_text(PROTOCOL.format(ledger=str(folder / "living.sqlite")), encoding="utf-8")
    return protocol_module.load(path)


def article(n: int, *, pmid: bool = True) -> Record:
    """Article number ``n``; without a PMID it is the same article as an export file holds it."""
    title = f"Peer support workers in setting {n}: a qualitative study of {n * 7 % 13} themes"
    return Record(title=title, authors=(f"Author{n}, A", "Second, B"), year=2000 + n % 25,
                  journal="J Peer Health", pmid=str(30000000 + n) if pmid else "",
                  source_id=str(30000000 + n) if pmid else "", database="MEDLINE" if pmid else "CINAHL",
                  raw=f"record {n}", position=0 if pmid else n)


@dataclass
class FakePubMed:
    """A PubMed that knows each record's create and modification dates; ``fail_on`` raises on that call."""

    entries: list[tuple[Record, date, date]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    fail_on: int | None = None
    kill_on: int | None = None

    def add(self, records: list[Record], created: date, modified: date | None = None) -> None:
        self.entries += [(r, created, modified or created) for r in records]

    def search(self, ledger: Ledger, protocol: Protocol, source: Source, window: Window | None,
               parent: int) -> SearchResult:
        self.calls.append(window.describe() if window else "full")
        run_id = start_run(ledger, "search", source=source.name, database=source.database,
                           platform=source.platform, query=protocol.query_for(source), parent_run_id=parent,
                           parameters={"datetype": window.datetype, "mindate": window.mindate,
                                       "maxdate": window.maxdate} if window else {})
        found = list({r.source_id: r for r, created, modified in self.entries if window is None
                      or _within(created if window.datetype == "crdt" else modified, window)}.values())
        update_run(ledger, run_id, count_reported=len(found))
        ids = add_records(ledger, found, run_id=run_id, source=source.name)
        if self.kill_on == len(self.calls):
            os.kill(os.getpid(), signal.SIGKILL)
        if self.fail_on == len(self.calls):
            raise SourceError(f"{source.name}: E-utilities answered 500 three times (fake)")
        finish_run(ledger, run_id, "ok", count_retrieved=len(ids))
        return SearchResult(run_id, tuple(ids))

    def count(self, protocol: Protocol, source: Source) -> int:
        return len({r.source_id for r, _, _ in self.entries})


def _within(day: date, window: Window) -> bool:
    return window.mindate <= day.strftime("%Y/%m/%d") <= window.maxdate


def import_export(ledger: Ledger, protocol: Protocol, records: list[Record], sha: str = "a" * 64) -> None:
    """What the import stage does for one new export file: a run, a file row, the file's records."""
    run_id = start_run(ledger, "import", source="CINAHL", database="CINAHL")
    file_id = add_file(ledger, run_id=run_id, sha256=sha, path="cinahl.ris", size=100, format="ris",
                       database="CINAHL", source="CINAHL", records_read=len(records))
    add_records(ledger, [r for r in records], run_id=run_id, source="CINAHL", file_id=file_id)
    finish_run(ledger, run_id, "ok", count_retrieved=len(records))


def title_dedupe(ledger: Ledger, protocol: Protocol, new_ids: list[int]) -> None:
    """Same title = same article; keeps the MEDLINE record, else the oldest. Writes every cluster again."""
    run_id = start_run(ledger, "dedupe", parameters={"incremental": True, "new": len(new_ids)})
    clusters: dict[str, list[tuple[int, str]]] = {}
    for stored in iter_records(ledger):
        clusters.setdefault(stored.record.title.lower(), []).append((stored.id, stored.source))
    with ledger.transaction() as connection:
        for members in clusters.values():
            kept = min(members, key=lambda m: (m[1] != "MEDLINE", m[0]))[0]
            for record_id, _ in members:
                if record_id != kept:
                    connection.execute(
                        "INSERT INTO duplicates (run_id, record_id, duplicate_of, rule, decided_at)"
                        " VALUES (?, ?, ?, 'same title', ?)", (run_id, record_id, kept, utc_now()))
    finish_run(ledger, run_id, "ok")


def steps_for(pubmed: FakePubMed) -> Steps:
    return Steps(search=pubmed.search, count=pubmed.count, import_files=lambda ledger, protocol: None,
                 dedupe=title_dedupe)


def snapshot(path: Path) -> dict[str, Any]:
    """What a reviewer relies on, without run ids (a killed refresh leaves one more run row behind)."""
    with Ledger.open(path) as ledger:
        records = [(s.source, s.record.source_id, s.record.title, s.file_id is not None, s.record.position)
                   for s in iter_records(ledger)]
        by_id = {s.id: (s.source, s.record.source_id or s.record.position) for s in iter_records(ledger)}
        latest = ledger.connection.execute(
            "SELECT MAX(id) AS id FROM runs WHERE kind = 'dedupe' AND status = 'ok'").fetchone()
        pairs = sorted((by_id[row["record_id"]], by_id[row["duplicate_of"]]) for row in ledger.connection.execute(
            "SELECT record_id, duplicate_of FROM duplicates WHERE run_id = ?", (latest["id"],)))
        files = [row["sha256"] for row in ledger.connection.execute("SELECT sha256 FROM files ORDER BY id")]
    return {"records": records, "duplicates": pairs, "files": files}


def table_rows(path: Path, table: str) -> list[tuple[Any, ...]]:
    with Ledger.open(path) as ledger:
        return [tuple(row) for row in ledger.connection.execute(f"SELECT * FROM {table} ORDER BY 1")]


@pytest.fixture
def harvested(tmp_path: Path) -> tuple[Protocol, FakePubMed]:
    """The initial harvest (300 records created in 2024) plus an export file of 60 records imported
    earlier, 20 of which are articles PubMed will add today (the export carried no PMID)."""
    protocol = write_protocol(tmp_path)
    pubmed = FakePubMed()
    pubmed.add([article(n) for n in range(1, 301)], date(2024, 3, 1))
    with Ledger.open(protocol.ledger_path) as ledger:
        import_export(ledger, protocol, [article(n, pmid=False) for n in [*range(1001, 1021), *range(2001, 2041)]])
    delta = refresh(protocol, now=NOW, steps=steps_for(pubmed))
    assert pubmed.calls == ["full"]
    assert len(delta.new_unique) == 300 and not delta.known
    return protocol, pubmed


def test_plan_windows_overlap_and_first_search() -> None:
    assert plan_windows(None, date(2026, 11, 26), 3) is None
    windows = plan_windows("2026-11-20T08:00:00.000000Z", date(2026, 11, 26), 3)
    assert windows == (Window("crdt", "2026/11/17", "2026/11/26"), Window("mdat", "2026/11/17", "2026/11/26"))
    # a last run "in the future" (clock skew) still searches the overlap before today
    assert plan_windows("2026-12-01T00:00:00Z", date(2026, 11, 26), 2) == (Window("crdt", "2026/11/24", "2026/11/26"),
                                                             Window("mdat", "2026/11/24", "2026/11/26"))
    with pytest.raises(ValueError):
        plan_windows(None, date(2026, 11, 26), -1)


def test_refresh_reports_new_unique_and_known(harvested: tuple[Protocol, FakePubMed]) -> None:
    protocol, pubmed = harvested
    pubmed.add([article(n) for n in range(1001, 1138)], TODAY)  # 137 created today, 1001-1020 held from the export
    pubmed.add([article(5)], date(2024, 3, 1), modified=TODAY)  # an erratum to a held record
    delta = refresh(protocol, now=NOW, steps=steps_for(pubmed))
    assert pubmed.calls[1:] == [f"crdt {WINDOW}", f"mdat {WINDOW}"]
    assert (len(delta.new_unique), len(delta.known), len(delta.duplicates_among_new)) == (117, 20, 0)
    assert {r.pmid for r in delta.new_unique} == {str(30000000 + n) for n in range(1021, 1138)}
    known = {k.record.pmid: k.duplicate_of for k in delta.known}
    assert set(known) == {str(30000000 + n) for n in range(1001, 1021)}
    assert all(len(of) == 1 and of[0].source == "CINAHL" for of in known.values())
    assert known["30001001"][0].title == article(1001).title
    assert [r.pmid for r in delta.revised] == ["30000005"]
    medline = next(s for s in delta.sources if s.source == "MEDLINE")
    assert (medline.returned, medline.new, medline.previous_total, medline.current_total) == (138, 137, 300, 437)
    assert medline.total_change == 137 and medline.no_longer_returned == 0
    with Ledger.open(protocol.ledger_path) as ledger:
        run = refresh_runs(ledger)[-1]
        assert run.status == "ok" and run.parameters["totals"] == {"MEDLINE": 437}
        mine = records_from_refresh(ledger, run.id)
        assert len(mine) == 137 and mine == records_since(ledger, refresh_runs(ledger)[0].id)
        children = [r for r in list_runs(ledger) if r.parent_run_id == run.id]
        assert [c.kind for c in children] == ["search", "search", "dedupe"]
        assert children[0].parameters["refresh_window"] == f"crdt {WINDOW}"


def test_second_refresh_with_nothing_new_changes_only_the_run_log(harvested: tuple[Protocol, FakePubMed]) -> None:
    protocol, pubmed = harvested
    pubmed.add([article(n) for n in range(1001, 1138)], TODAY)
    refresh(protocol, now=NOW, steps=steps_for(pubmed))
    before = {t: table_rows(protocol.ledger_path, t) for t in ("records", "files", "duplicates", "rejections")}
    runs_before = len(table_rows(protocol.ledger_path, "runs"))
    again = refresh(protocol, now=NOW, steps=steps_for(pubmed))
    assert (again.new_records, len(again.new_unique), len(again.known), len(again.revised)) == (0, 0, 0, 0)
    assert {t: table_rows(protocol.ledger_path, t) for t in before} == before
    runs = table_rows(protocol.ledger_path, "runs")
    assert len(runs) == runs_before + 3  # the refresh and its two window searches; no dedupe run for nothing


def test_a_failed_source_is_rolled_back_alone_logged_and_searched_again(harvested: tuple[Protocol, FakePubMed],
                                                                        tmp_path: Path) -> None:
    protocol, pubmed = harvested
    pubmed.add([article(n) for n in range(1001, 1138)], TODAY)
    before = {t: table_rows(protocol.ledger_path, t) for t in ("records", "sightings", "files", "duplicates")}
    pubmed.fail_on = len(pubmed.calls) + 2  # the MDAT search fails after the CRDT one stored 137 records
    failed_delta = refresh(protocol, now=NOW, steps=steps_for(pubmed))
    # the source's two windows land together or not at all: its CRDT window's 137 records are not kept
    assert {t: table_rows(protocol.ledger_path, t) for t in before} == before
    assert failed_delta.status == "failed" and "500 three times" in failed_delta.message
    (medline,) = [s for s in failed_delta.sources if s.source == "MEDLINE"]
    assert medline.status == "failed" and "500 three times" in medline.note
    with Ledger.open(protocol.ledger_path) as ledger:
        failed = refresh_runs(ledger)[-1]
        assert failed.status == "failed" and "500 three times" in (failed.message or "")
        logged = [r for r in list_runs(ledger) if r.parent_run_id == failed.id]
        assert [(r.kind, r.status, r.parameters["refresh_window"]) for r in logged] == [
            ("search", "failed", f"mdat {WINDOW}")]
    pubmed.fail_on = None
    delta = refresh(protocol, now=NOW, steps=steps_for(pubmed))
    # the window starts from the last *successful* search, so nothing is missed
    assert pubmed.calls[-2] == f"crdt {WINDOW}"
    assert delta.status == "ok" and (len(delta.new_unique), len(delta.known)) == (117, 20)


def test_closed_searches_are_skipped_and_stale_refreshes_closed(tmp_path: Path) -> None:
    protocol = write_protocol(tmp_path)
    text = protocol.path.read_text().replace('datetype = "crdt"', 'maxdate = "2014/06/30"')
    protocol.path.write_text(text)
    protocol = protocol_module.load(protocol.path)
    with Ledger.open(protocol.ledger_path) as ledger:
        dead = start_run(ledger, "refresh")
    pubmed = FakePubMed()
    delta = refresh(protocol, now=NOW, steps=steps_for(pubmed))
    assert pubmed.calls == []
    assert delta.sources[0].status == "skipped" and "maxdate 2014/06/30" in delta.sources[0].note
    assert any(f"#{dead}" in note for note in delta.notes)
    with Ledger.open(protocol.ledger_path) as ledger:
        assert refresh_runs(ledger)[0].status == "interrupted"


SUBPROCESS = textwrap.dedent("""
    import sys
    from datetime import date
    from tests.test_refresh import FakePubMed, article, steps_for, write_protocol, TODAY, NOW
    from pathlib import Path
    from harvester.refresh import refresh
    folder, kill_on = Path(sys.argv[1]), int(sys.argv[2])
    protocol = write_protocol(folder)
    pubmed = FakePubMed(kill_on=kill_on or None)
    pubmed.add([article(n) for n in range(1, 301)], date(2024, 3, 1))
    pubmed.calls.append("full")  # the initial harvest ran in the parent
    pubmed.add([article(n) for n in range(1001, 1138)], TODAY)
    refresh(protocol, now=NOW, steps=steps_for(pubmed))
""")


def run_refresh_in_subprocess(folder: Path, kill_on: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", SUBPROCESS, str(folder), str(kill_on)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_refresh_killed_half_way_then_rerun_equals_an_uninterrupted_one(tmp_path: Path) -> None:
    results = {}
    for name, kill_on in (("killed", 2), ("straight", 0)):
        folder = tmp_path / name
        folder.mkdir()
        protocol = write_protocol(folder)
        pubmed = FakePubMed()
        pubmed.add([article(n) for n in range(1, 301)], date(2024, 3, 1))
        with Ledger.open(protocol.ledger_path) as ledger:
            import_export(ledger, protocol, [article(n, pmid=False) for n in range(1001, 1021)])
        refresh(protocol, now=NOW, steps=steps_for(pubmed))
        done = run_refresh_in_subprocess(folder, kill_on)
        if kill_on:
            # killed in the CRDT search's call, after it stored 137 records in the open transaction
            assert done.returncode == -signal.SIGKILL, done.stderr
            assert len(table_rows(protocol.ledger_path, "records")) == 320
            assert run_refresh_in_subprocess(folder, 0).returncode == 0
        else:
            assert done.returncode == 0, done.stderr
        results[name] = snapshot(protocol.ledger_path)
        with Ledger.open(protocol.ledger_path) as ledger:
            statuses = [r.status for r in refresh_runs(ledger)]
        assert statuses == (["ok", "interrupted", "ok"] if kill_on else ["ok", "ok"])
    assert results["killed"] == results["straight"]
    assert len(results["straight"]["records"]) == 457 and len(results["straight"]["duplicates"]) == 20


def test_delta_json_is_serialisable_and_outputs_are_written(harvested: tuple[Protocol, FakePubMed],
                                                           tmp_path: Path) -> None:
    protocol, pubmed = harvested
    pubmed.add([article(n) for n in range(1001, 1011)], TODAY)
    delta = refresh(protocol, now=NOW, steps=steps_for(pubmed), out=tmp_path / "out")
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert f"living-refresh-{delta.refresh_run_id}.md" in written
    data = json.loads((tmp_path / "out" / f"living-refresh-{delta.refresh_run_id}.json").read_text())
    assert data["counts"]["known"] == 10 and data["counts"]["new_unique"] == 0


def test_a_full_rerun_lists_the_records_the_source_no_longer_returns(harvested: tuple[Protocol, FakePubMed]) -> None:
    protocol, pubmed = harvested
    gone = {str(30000000 + n) for n in (3, 4)}
    pubmed.entries = [entry for entry in pubmed.entries if entry[0].source_id not in gone]
    delta = refresh(protocol, now=NOW, full=True, steps=steps_for(pubmed))
    assert pubmed.calls[-1] == "full"
    assert {r.pmid for r in delta.no_longer_returned} == gone and delta.new_records == 0
    medline = next(s for s in delta.sources if s.source == "MEDLINE")
    assert (medline.no_longer_returned, medline.previous_total, medline.current_total) == (2, 300, 298)
    assert "No longer returned (2)" in to_markdown(delta)


@given(st.dates(date(2000, 1, 1), date(2040, 1, 1)), st.dates(date(2000, 1, 1), date(2040, 1, 1)),
       st.integers(0, 30))
def test_windows_always_cover_the_last_search_day_through_today(last: date, today: date, overlap: int) -> None:
    windows = plan_windows(f"{last.isoformat()}T23:59:59.999999Z", today, overlap)
    assert windows is not None and [w.datetype for w in windows] == ["crdt", "mdat"]
    for window in windows:
        low, high = (datetime.strptime(d, "%Y/%m/%d").date() for d in (window.mindate, window.maxdate))
        assert high == today and low <= min(last, today) and (min(last, today) - low).days == overlap


def test_a_dedupe_that_changed_stored_merges_is_noted(harvested: tuple[Protocol, FakePubMed]) -> None:
    """Issue 11, item 5: when the refresh's dedupe run decided stored merges again under changed rules, the
    refresh's notes say how many it undid and made (the evidence is in that dedupe run)."""
    from types import SimpleNamespace

    protocol, pubmed = harvested
    pubmed.add([article(n) for n in range(1001, 1004)], TODAY)

    def dedupe(ledger: Ledger, protocol: Protocol, new_ids: list[int]) -> object:
        title_dedupe(ledger, protocol, new_ids)
        return SimpleNamespace(rules_changed=True, undone=({"record": 1},), made=())

    steps = steps_for(pubmed)
    steps.dedupe = dedupe
    delta = refresh(protocol, now=NOW, steps=steps)
    assert any("rules changed: 1 stored merge(s) undone, 0 made" in note for note in delta.notes), delta.notes


def test_records_of_a_refresh_stopped_after_its_searches_are_reported_by_the_next(
        harvested: tuple[Protocol, FakePubMed]) -> None:
    """The source's search committed, then a later stage (here the de-duplication) failed: its records stay,
    and the next refresh reports them as its newcomers (de-duplicated), not as records held before."""
    protocol, pubmed = harvested
    pubmed.add([article(n) for n in range(1001, 1138)], TODAY)

    def broken(ledger: Ledger, protocol: Protocol, new_ids: list[int]) -> None:
        raise SourceError("the de-duplication stopped (fake)")

    steps = steps_for(pubmed)
    steps.dedupe = broken
    with pytest.raises(HarvestError, match="the next refresh reports them"):
        refresh(protocol, now=NOW, steps=steps)
    assert len(table_rows(protocol.ledger_path, "records")) == 360 + 137  # the search's records are kept
    delta = refresh(protocol, now=NOW, steps=steps_for(pubmed))
    assert (len(delta.new_unique), len(delta.known), delta.status) == (117, 20, "ok")
    again = refresh(protocol, now=NOW, steps=steps_for(pubmed))
    assert again.new_records == 0  # reported once, not again


def test_an_export_file_that_fails_fails_the_refresh_and_the_searches_are_kept(
        harvested: tuple[Protocol, FakePubMed]) -> None:
    from types import SimpleNamespace

    protocol, pubmed = harvested
    pubmed.add([article(n) for n in range(1001, 1011)], TODAY)
    steps = steps_for(pubmed)
    steps.import_files = lambda ledger, protocol: [SimpleNamespace(
        status="failed", path="cinahl.ris", source="CINAHL", message="cannot read the file: gone")]
    delta = refresh(protocol, now=NOW, steps=steps)
    assert delta.status == "failed" and "cinahl.ris (CINAHL) failed: cannot read the file" in delta.message
    assert delta.new_records == 10  # the search's records are kept and reported
    with Ledger.open(protocol.ledger_path) as ledger:
        assert refresh_runs(ledger)[-1].status == "failed"
