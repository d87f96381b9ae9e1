"""Live PubMed searches into the ledger, against the fake E-utilities server (no test touches NCBI).

The issue's measurements live here: 25,000 records with the pace enforced and 2% of requests failing in
each way; SIGKILL in the middle and a restart; request counts against the minimum the batch size allows.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester import protocol as protocol_module
from harvester.cli.main import app
from harvester.errors import LockError
from harvester.ledger import Ledger
from harvester.ledger.harvest import list_missing, list_slices
from harvester.ledger.records import count_records, iter_records
from harvester.ledger.runs import get_run, list_runs
from harvester.lock import ReviewLock
from harvester.protocol import Protocol
from harvester.search import count_source, search, search_source
from harvester.sources.http import RetryPolicy
from harvester.sources.pubmed import CAP, PubMed, Settings
from tests.fake_eutils import FAULT_KINDS, FakeEutils, Faults
from tests.live_support import held

QUERY = '("peer supporter" OR "peer mentor") AND health'
SENT = '("peer supporter"[tiab] OR "peer mentor"[tiab]) AND health[tiab]'
runner = CliRunner()


def _protocol(tmp_path: Path, *, limits: str = 'mindate = "2000"\nmaxdate = "2019"\n') -> Protocol:
    path = tmp_path / "review.toml"
    path.write_text(f"""[review]
id = "fake-review"
ledger = "ledger.sqlite"
email = "reviewer@example.org"

[query]
text = '{QUERY}'
default_field = "tiab"

[[sources]]
name = "MEDLINE"
kind = "pubmed"
database = "MEDLINE"
{limits}""", encoding="utf-8")
    return protocol_module.load(path)


def _settings(fake: FakeEutils, *, rate: float = 50.0, batch: int = 200, key: str | None = None,
              timeout: float = 2.0, attempts: int = 8) -> Settings:
    return Settings(base_url=fake.url, api_key=key, rate=rate, batch_size=batch, email="reviewer@example.org",
                    policy=RetryPolicy(attempts=attempts, backoff=0.05, connect_timeout=timeout, read_timeout=timeout))


def _ledger_bytes(protocol: Protocol) -> bytes:
    path = protocol.ledger_path
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def test_a_search_stores_its_run_records_and_translation(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path)
    with FakeEutils(300, limit=50) as fake:
        (outcome,) = search(protocol, settings=_settings(fake))
        terms = [e["params"]["term"] for e in fake.stats.log if e["endpoint"] == "esearch"]
    assert outcome.status == "ok" and (outcome.count_reported, outcome.count_retrieved, outcome.new) == (300, 300, 300)
    assert terms == [SENT] and fake.stats.requests == {"esearch": 1, "efetch": 2}
    with Ledger.open(protocol.ledger_path) as ledger:
        run = get_run(ledger, outcome.run_id)
        assert (run.kind, run.status, run.source, run.database, run.platform) == (
            "search", "ok", "MEDLINE", "MEDLINE", "PubMed (E-utilities)")
        assert run.query == SENT
        assert run.query_translation and run.query_translation.startswith(SENT.replace("[tiab]", "[Title/Abstract]"))
        assert "2000/01/01:2019/12/31[Date - Publication]" in run.query_translation
        assert (run.count_reported, run.count_retrieved) == (300, 300)
        assert run.parameters["mindate"] == "2000/01/01" and run.parameters["maxdate"] == "2019/12/31"
        assert run.parameters["tool"] == "prisma-harvester" and run.parameters["email"] == "reviewer@example.org"
        assert run.parameters["api_key_used"] is False
        stored = list(iter_records(ledger, source="MEDLINE"))
        assert len(stored) == 300 and len({s.record.source_id for s in stored}) == 300
        assert sorted(s.id for s in stored) == sorted(outcome.record_ids)
        first = stored[0].record
        assert first.source_id == first.pmid and first.database == "MEDLINE" and first.doi.startswith("10.5555/")
        assert first.raw.startswith("<Pubmed") and first.position > 0 and first.authors
        assert any(s.record.publisher == "Synthetic Press" for s in stored)  # book articles too
        assert list_slices(ledger, outcome.run_id)[0].count_reported == 300


def test_a_second_search_only_sights_what_is_held(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path)
    with FakeEutils(250, limit=50) as fake:
        first = search(protocol, settings=_settings(fake))[0]
        (again,) = search(protocol, settings=_settings(fake))
        assert fake.stats.requests == {"esearch": 2, "efetch": 2}  # nothing fetched the second time
    assert (again.new, again.already_held, again.count_retrieved) == (0, 250, 250)
    assert sorted(again.record_ids) == sorted(first.record_ids)
    with Ledger.open(protocol.ledger_path) as ledger:
        assert count_records(ledger) == 250
        sightings = ledger.connection.execute(
            "SELECT COUNT(*) FROM sightings WHERE run_id = ?", (again.run_id,)).fetchone()[0]
        assert sightings == 250
        assert "250 record(s) already held" in (get_run(ledger, again.run_id).message or "")


@pytest.mark.slow
def test_25000_records_with_every_fault_land_once_and_our_pace_draws_no_429(tmp_path: Path) -> None:
    """The issue's first measurement: pace enforced, 2% of requests failing in each of the ways (batches of
    200, so that there are requests enough for every way to happen; the default batch:
    tests/test_pubmed_batches.py)."""
    protocol = _protocol(tmp_path)
    faults = Faults(rate=0.02, retry_after="1", slow_seconds=0.2, stall_seconds=2.5)
    started = time.monotonic()
    with FakeEutils(25_000, limit=40, faults=faults) as fake:
        (outcome,) = search(protocol, settings=_settings(fake, rate=40, timeout=1.5))
        stats = fake.stats
    elapsed = time.monotonic() - started
    assert outcome.status == "ok", outcome.error
    assert (outcome.count_reported, outcome.count_retrieved, outcome.new) == (25_000, 25_000, 25_000)
    assert outcome.slices > 1 and not outcome.missing
    assert stats.pace_429 == 0, "the harvester's own pace drew a 429"
    assert set(stats.faults) == set(FAULT_KINDS), f"not every fault happened: {stats.faults}"
    assert max(stats.served.values()) == 1, "a record was sent whole twice"
    with Ledger.open(protocol.ledger_path) as ledger:
        rows = ledger.connection.execute("SELECT COUNT(*) AS n, COUNT(DISTINCT source_id) AS d FROM records").fetchone()
        assert (rows["n"], rows["d"]) == (25_000, 25_000)
        pmids = {r["source_id"] for r in ledger.connection.execute("SELECT source_id FROM records")}
        assert pmids == {str(p) for p in fake.pmids()}
        slices = list_slices(ledger, outcome.run_id)
        assert all(s.count_reported <= CAP and s.ids_listed == s.count_reported for s in slices)
        assert sum(s.count_reported for s in slices) == 25_000
    print(f"\n25,000 records, {stats.total} requests ({dict(stats.faults)} injected), {elapsed:.1f} s")


@pytest.mark.slow
def test_requests_without_faults_are_within_5_percent_of_the_minimum(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path)
    count, batch = 20_000, 200
    with FakeEutils(count, limit=60) as fake:
        (outcome,) = search(protocol, settings=_settings(fake, rate=60, batch=batch))
        requests = fake.stats.total
    minimum = math.ceil(count / batch) + math.ceil(count / CAP)  # EFetch batches + the ESearches the cap needs
    assert outcome.count_retrieved == count
    assert fake.stats.requests["efetch"] == math.ceil(count / batch)
    assert requests <= minimum * 1.05, (requests, minimum)
    print(f"\n{count} records: {requests} requests, minimum {minimum} (+{100 * (requests / minimum - 1):.1f}%)")


def test_requests_for_a_result_under_the_cap_are_the_minimum(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path)
    with FakeEutils(1000, limit=50) as fake:
        search(protocol, settings=_settings(fake, batch=200))
        assert fake.stats.requests == {"esearch": 1, "efetch": 5}


def test_slices_are_split_again_when_dates_are_uneven(tmp_path: Path) -> None:
    """Most records in one year: the first split leaves a slice over the cap, which is split again."""
    protocol = _protocol(tmp_path)

    def skewed(i: int) -> date:
        return date(2018, 1, 1) + timedelta(days=i % 300) if i % 10 else date(2001, 1, 1) + timedelta(days=i)

    with FakeEutils(1_000, limit=100, cap=100, dates=skewed) as fake:
        settings = _settings(fake, rate=100, batch=100)
        (outcome,) = search(protocol, client=PubMed(settings, cap=100))
    assert outcome.count_retrieved == 1_000 and not outcome.missing
    with Ledger.open(protocol.ledger_path) as ledger:
        slices = list_slices(ledger, outcome.run_id)
        assert all(s.count_reported <= 100 and s.ids_listed == s.count_reported for s in slices)
        assert sum(s.count_reported for s in slices) == 1_000
        days = [(s.mindate, s.maxdate) for s in slices]
        assert days == sorted(days) and all(a[1] < b[0] for a, b in zip(days, days[1:], strict=False))
        assert "to stay under the 100 cap" in (get_run(ledger, outcome.run_id).message or "")


def test_one_day_over_the_cap_is_split_by_pmid_range(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path, limits='mindate = "2015/03/01"\nmaxdate = "2015/03/01"\n')
    with FakeEutils(1_050, limit=100, cap=100, dates=lambda i: date(2015, 3, 1), books_every=0) as fake:
        settings = _settings(fake, rate=100, batch=500)
        (outcome,) = search(protocol, client=PubMed(settings, cap=100))
    assert outcome.count_retrieved == 1_050
    with Ledger.open(protocol.ledger_path) as ledger:
        slices = list_slices(ledger, outcome.run_id)
        assert len(slices) > 1 and all(s.uid_range and s.mindate == s.maxdate == "2015/03/01" for s in slices)
        assert sum(s.ids_listed for s in slices) == 1_050
        assert "also by PMID range" in (get_run(ledger, outcome.run_id).message or "")


def test_without_date_limits_a_large_search_is_split_from_the_earliest_date(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path, limits="")
    with FakeEutils(1_010, limit=100, cap=100, books_every=0) as fake:
        (outcome,) = search(protocol, client=PubMed(_settings(fake, rate=100, batch=1000), cap=100))
        first = fake.stats.log[0]["params"]
        second = fake.stats.log[1]["params"]
    assert "mindate" not in first and "datetype" not in first  # the search as written comes first
    assert second["mindate"] == "1700/01/01" and second["datetype"] == "pdat"
    assert outcome.count_retrieved == 1_010 and outcome.slices >= 11


def test_pmids_efetch_does_not_return_are_reported(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path)
    deleted = frozenset({30_000_010, 30_000_020})
    with FakeEutils(100, limit=50, deleted=deleted) as fake:
        (outcome,) = search(protocol, settings=_settings(fake, batch=200))
        assert fake.stats.requests == {"esearch": 1, "efetch": 2}  # the missing ones are asked for once more
    assert outcome.count_reported == 100 and outcome.count_retrieved == 98
    assert sorted(outcome.missing) == ["30000010", "30000020"]
    with Ledger.open(protocol.ledger_path) as ledger:
        run = get_run(ledger, outcome.run_id)
        assert run.status == "ok" and run.count_retrieved == 98
        assert "gap: ESearch reported 100, 98 retrieved" in (run.message or "")
        assert "2 PMID(s) listed by ESearch but not returned by EFetch: 30000010, 30000020" in (run.message or "")
        assert [pmid for pmid, _ in list_missing(ledger, outcome.run_id)] == ["30000010", "30000020"]


def test_pubmeds_warnings_reach_the_run_log(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path)
    with FakeEutils(5, limit=50, messages=("QuotedPhraseNotFound", '"peer mentor"')) as fake:
        (outcome,) = search(protocol, settings=_settings(fake))
    assert 'PubMed: QuotedPhraseNotFound: "peer mentor"' in outcome.notes
    with Ledger.open(protocol.ledger_path) as ledger:
        assert "QuotedPhraseNotFound" in (get_run(ledger, outcome.run_id).message or "")


def test_a_failed_search_leaves_a_failed_run_and_no_key(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path)
    with FakeEutils(50, limit=50, faults=Faults(rate=1.0, kinds=("5xx",))) as fake:
        (outcome,) = search(protocol, settings=_settings(fake, key="SECRETKEY42", attempts=2))
    assert outcome.status == "failed" and outcome.error and "failed after 2 attempts" in outcome.error
    assert "SECRETKEY42" not in outcome.error
    with Ledger.open(protocol.ledger_path) as ledger:
        run = get_run(ledger, outcome.run_id)
        assert run.status == "failed" and run.ended_at and "HTTP 5" in (run.message or "")
    assert b"SECRETKEY42" not in _ledger_bytes(protocol)


def test_the_api_key_is_used_and_never_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    protocol = _protocol(tmp_path)
    with FakeEutils(300, limit=1, key_limit=50) as fake:
        monkeypatch.setenv("PRISMA_HARVEST_EUTILS_URL", fake.url)
        monkeypatch.setenv("NCBI_API_KEY", "SECRETKEY42")
        monkeypatch.setenv("PRISMA_HARVEST_EUTILS_RATE", "50")
        (outcome,) = search(protocol)
        assert fake.stats.keys_seen == {"SECRETKEY42"} and fake.stats.pace_429 == 0
    assert outcome.count_retrieved == 300
    assert b"SECRETKEY42" not in _ledger_bytes(protocol)
    with Ledger.open(protocol.ledger_path) as ledger:
        assert get_run(ledger, outcome.run_id).parameters["api_key_used"] is True


def test_another_command_holding_the_review_stops_a_search(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path)
    with ReviewLock(protocol.ledger_path, command="refresh"), pytest.raises(LockError, match=r"\(refresh\)"):
        search(protocol)


def test_search_source_over_a_window_for_a_refresh(tmp_path: Path) -> None:
    """The entry a refresh uses: an explicit window, a parent run, and the ids of every record returned."""
    protocol = _protocol(tmp_path)
    source = protocol.source("MEDLINE")
    with FakeEutils(400, limit=50) as fake:
        settings = _settings(fake)
        full = search(protocol, settings=settings)[0]
        with Ledger.open(protocol.ledger_path) as ledger:
            parent = ledger.connection.execute("INSERT INTO runs (kind, started_at, tool_version, status) VALUES "
                                    "('refresh', '2026-01-01', 'x', 'running')").lastrowid
            window = search_source(ledger, protocol, source, mindate="2010/01/01", maxdate="2010/12/31",
                                   datetype="crdt", parent_run_id=parent, settings=settings)
            run = get_run(ledger, window.run_id)
        assert count_source(protocol, source, settings) == 400
        params = [e["params"] for e in fake.stats.log if e["endpoint"] == "esearch"][1]
    assert (params["datetype"], params["mindate"], params["maxdate"]) == ("crdt", "2010/01/01", "2010/12/31")
    assert run.parent_run_id == parent and run.parameters["datetype"] == "crdt"
    assert 0 < len(window.record_ids) < 400 and window.new == 0
    assert set(window.record_ids) <= set(full.record_ids)


# ------------------------------------------------------------------------------------------------- CLI


def test_cli_search_prints_json_and_exits_1_when_a_source_fails(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    protocol = _protocol(tmp_path)
    with FakeEutils(120, limit=50) as fake:
        monkeypatch.setenv("PRISMA_HARVEST_EUTILS_URL", fake.url)
        monkeypatch.setenv("PRISMA_HARVEST_EUTILS_RATE", "50")
        result = runner.invoke(app, ["search", str(protocol.path), "--json"])
        assert result.exit_code == 0, result.output
        (row,) = json.loads(result.output)
        assert (row["source"], row["status"], row["count_retrieved"], row["new"]) == ("MEDLINE", "ok", 120, 120)
        again = runner.invoke(app, ["search", str(protocol.path)])
        assert again.exit_code == 0 and "retrieved 120 (0 new, 120 already held)" in again.output
    unknown = runner.invoke(app, ["search", str(protocol.path), "--source", "Scopus"])
    assert unknown.exit_code == 2 and "no source named 'Scopus'" in unknown.output
    monkeypatch.setenv("PRISMA_HARVEST_EUTILS_ATTEMPTS", "1")  # the conftest's refusing address
    failed = runner.invoke(app, ["search", str(protocol.path)])
    assert failed.exit_code == 1 and "error: source 'MEDLINE' (run #3)" in failed.output
    runs = runner.invoke(app, ["runs", str(protocol.path), "--json"])
    assert [r["status"] for r in json.loads(runs.output)] == ["ok", "ok", "failed"]


# --------------------------------------------------------------------------------------------- SIGKILL


@pytest.mark.slow
@pytest.mark.parametrize("batch", [200, 10_000])
def test_sigkill_mid_harvest_then_resume(tmp_path: Path, repo: Path, batch: int) -> None:
    """Killed with SIGKILL in the middle of the faulty 25,000-record harvest, then started again: the
    same records, none twice, at most one batch fetched again. With the default batch (10,000, adapting)
    the kill lands inside an answer, whose records are committed 500 at a time."""
    protocol = _protocol(tmp_path)
    faults = Faults(rate=0.02, retry_after="1", slow_seconds=0.2, stall_seconds=3.0)
    with FakeEutils(25_000, limit=40, faults=faults) as fake:
        env = {**os.environ, "PRISMA_HARVEST_EUTILS_URL": fake.url, "PRISMA_HARVEST_EUTILS_RATE": "40",
               "PRISMA_HARVEST_EUTILS_BATCH": str(batch), "PRISMA_HARVEST_EUTILS_TIMEOUT": "2",
               "PRISMA_HARVEST_EUTILS_BACKOFF": "0.05", "PRISMA_HARVEST_EUTILS_ATTEMPTS": "8"}
        command = [sys.executable, "-m", "harvester.cli.main", "search", str(protocol.path)]
        first = subprocess.Popen(command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 240
        while held(protocol.ledger_path) < 9_000:
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first harvest did not get far enough"
            time.sleep(0.02)
        time.sleep(0.05)  # into the next batch's fetch or store, not just after a commit
        first.send_signal(signal.SIGKILL)
        first.wait()
        held_at_kill = held(protocol.ledger_path)
        assert 9_000 <= held_at_kill < 25_000
        second = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=300)
        assert second.returncode == 0, second.stderr
        served = fake.stats.served
    with Ledger.open(protocol.ledger_path) as ledger:
        rows = ledger.connection.execute("SELECT COUNT(*) AS n, COUNT(DISTINCT source_id) AS d FROM records").fetchone()
        assert (rows["n"], rows["d"]) == (25_000, 25_000)
        killed, resumed = list_runs(ledger, kind="search")
        assert killed.status == "interrupted" and f"resumed by run #{resumed.id}" in (killed.message or "")
        assert resumed.status == "ok" and resumed.count_retrieved == 25_000
        assert f"resumes interrupted run #{killed.id}" in (resumed.message or "")
    fetched_again = [pmid for pmid, times in served.items() if times > 1]
    assert len(fetched_again) <= batch, f"{len(fetched_again)} records were fetched twice"
    assert set(served) == {str(p) for p in fake.pmids()}
    print(f"\nkilled at {held_at_kill} records; fetched again after restart: {len(fetched_again)} records")
