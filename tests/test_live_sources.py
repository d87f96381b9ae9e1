"""The issue's measurements for every cursor-paged live source, each against its fake server:

- 20,000 records with 2% of requests failing in each way (every kind forced once first): every record
  lands exactly once;
- a search killed with SIGKILL half-way, then run again: the same 20,000 records, none twice, at most
  the page in flight asked again;
- without faults, requests within 5% of the minimum the page size allows.

The fakes answer at once and the pace is set high, so these run in seconds.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from harvester.ledger import Ledger
from harvester.ledger.runs import list_runs
from harvester.search import search
from harvester.sources import clinicaltrials, europepmc, live, openalex
from tests.fake_ctgov import FakeClinicalTrials
from tests.fake_europepmc import FakeEuropePmc
from tests.fake_http import FAULT_KINDS, FakeService, Faults
from tests.fake_openalex import FakeOpenAlex
from tests.live_support import environment, held, protocol_with, settings_for

N = 20_000


@dataclass(frozen=True)
class Case:
    kind: str
    name: str
    service: live.Service
    fake: Callable[..., FakeService]
    extra_requests: int = 0  # requests besides the pages (ClinicalTrials.gov's data version)


CASES = [
    Case("europepmc", "Europe PMC", europepmc.SERVICE, FakeEuropePmc),
    Case("clinicaltrials", "ClinicalTrials.gov", clinicaltrials.SERVICE, FakeClinicalTrials, extra_requests=1),
    Case("openalex", "OpenAlex", openalex.SERVICE, FakeOpenAlex),
]


def _ids(fake: FakeService) -> set[str]:
    return set(fake.keys())  # type: ignore[attr-defined]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.kind)
def test_20000_records_with_every_fault_land_exactly_once(tmp_path: Path, case: Case) -> None:
    protocol = protocol_with(tmp_path, case.kind, case.name)
    script = [kind for kind in FAULT_KINDS for _ in (0,)]  # each kind once, then 2% of each at random
    faults = Faults(rate=0.02, script=[item for kind in script for item in (kind, "")])
    page_size = min(case.service.page_size, 200)  # 100 pages: enough requests for 2% of each fault
    with case.fake(N, faults=faults) as fake:
        settings = settings_for(case.service, fake.url, page_size=page_size, api_key="k-test",
                                timeout=1.0)  # below the fake's stall (1.5 s): a stall is a timeout
        (outcome,) = search(protocol, services={case.kind: settings})
        stats = fake.stats
    assert outcome.status == "ok", outcome.error
    assert (outcome.count_reported, outcome.count_retrieved, outcome.new) == (N, N, N)
    assert set(stats.faults) == set(FAULT_KINDS), stats.faults
    with Ledger.open(protocol.ledger_path) as ledger:
        row = ledger.connection.execute("SELECT COUNT(*), COUNT(DISTINCT source_id) FROM records").fetchone()
        assert tuple(row) == (N, N)
        assert {r[0] for r in ledger.connection.execute("SELECT source_id FROM records")} == _ids(fake)
    print(f"\n{case.kind}: {N} records, {stats.total} requests, faults {dict(stats.faults)}")


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.kind)
def test_requests_without_faults_are_within_5_percent_of_the_minimum(tmp_path: Path, case: Case) -> None:
    protocol = protocol_with(tmp_path, case.kind, case.name)
    with case.fake(N) as fake:
        (outcome,) = search(protocol, services={case.kind: settings_for(case.service, fake.url, api_key="k-test")})
        requests = fake.stats.total
    minimum = math.ceil(N / case.service.page_size) + case.extra_requests
    assert outcome.count_retrieved == N
    assert requests <= minimum * 1.05, (requests, minimum)
    print(f"\n{case.kind}: {N} records, {requests} requests, minimum {minimum}")


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.kind)
def test_sigkill_half_way_then_rerun(tmp_path: Path, repo: Path, case: Case) -> None:
    protocol = protocol_with(tmp_path, case.kind, case.name)
    page_size = min(case.service.page_size, 200)  # 100 pages: enough requests for 2% of each fault
    faults = Faults(rate=0.02, slow_seconds=0.05)
    with case.fake(N, faults=faults) as fake:
        env = {**os.environ, **environment(case.service, fake.url, page_size=page_size), "OPENALEX_API_KEY": "k-test"}
        command = [sys.executable, "-m", "harvester.cli.main", "search", str(protocol.path)]
        first = subprocess.Popen(command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while held(protocol.ledger_path) < N // 2:
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first search did not get far enough"
            time.sleep(0.01)
        time.sleep(0.05)  # into the next page's request or its storing, not just after a commit
        first.send_signal(signal.SIGKILL)
        first.wait()
        at_kill = held(protocol.ledger_path)
        second = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=300)
        assert second.returncode == 0, second.stderr
        served = fake.stats.served
    assert N // 2 <= at_kill < N and at_kill % page_size == 0  # whole pages only
    with Ledger.open(protocol.ledger_path) as ledger:
        row = ledger.connection.execute("SELECT COUNT(*), COUNT(DISTINCT source_id) FROM records").fetchone()
        assert tuple(row) == (N, N)
        killed, resumed = list_runs(ledger, kind="search")
        assert killed.status == "interrupted" and resumed.status == "ok" and resumed.count_retrieved == N
        assert resumed.count_reported == N  # carried from the killed run where the service told it once only
        assert f"resumes interrupted run #{killed.id}" in (resumed.message or "")
    asked_again = [key for key, times in served.items() if times > 1]
    assert len(asked_again) <= page_size, len(asked_again)
    assert set(served) == _ids(fake)
    print(f"\n{case.kind}: killed at {at_kill} records; {len(asked_again)} served again after the restart")
