"""``refresh`` over every live source, each against its fake server: windows on each service's index dates,
new, known and gone records per source, and ``--offline``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester import protocol as protocol_module
from harvester.cli.main import app
from harvester.ledger import Ledger
from harvester.ledger.runs import list_runs
from harvester.refresh import refresh
from harvester.sources import clinicaltrials, europepmc, openalex
from tests.fake_ctgov import FakeClinicalTrials
from tests.fake_europepmc import FakeEuropePmc
from tests.fake_openalex import FakeOpenAlex
from tests.live_support import environment

runner = CliRunner()
TODAY = datetime.now(UTC).date()
PROTOCOL = """[review]
id = "living-live"
ledger = "ledger.sqlite"

[query]
text = '"peer supporter" AND health'

[[sources]]
name = "Europe PMC"
kind = "europepmc"

[[sources]]
name = "Trials"
kind = "clinicaltrials"

[[sources]]
name = "OpenAlex"
kind = "openalex"
"""


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    with FakeEuropePmc(120) as epmc, FakeClinicalTrials(80) as ctgov, FakeOpenAlex(60) as oa:
        for service, fake in ((europepmc.SERVICE, epmc), (clinicaltrials.SERVICE, ctgov), (openalex.SERVICE, oa)):
            for name, value in environment(service, fake.url).items():
                monkeypatch.setenv(name, value)
        monkeypatch.setenv("OPENALEX_API_KEY", "k-test")
        yield epmc, ctgov, oa


def _protocol(tmp_path: Path) -> protocol_module.Protocol:
    path = tmp_path / "review.toml"
    path.write_text(PROTOCOL, encoding="utf-8")
    return protocol_module.load(path)


def test_refresh_searches_every_live_source_in_windows_and_reports_new_known_and_gone(tmp_path: Path,
                                                                                      services) -> None:  # type: ignore[no-untyped-def]
    epmc, ctgov, oa = services
    protocol = _protocol(tmp_path)
    first = refresh(protocol)
    assert {s.source: (s.status, s.new) for s in first.sources} == {
        "Europe PMC": ("searched", 120), "Trials": ("searched", 80), "OpenAlex": ("searched", 60)}
    for fake in services:  # each service adds records today
        for i in range(fake.n, fake.n + 4):
            fake.dates[i] = TODAY
        fake.n += 4
    same = epmc.item(epmc.key(2))  # OpenAlex adds the article Europe PMC holds as MED:40000002
    oa.overrides[oa.n - 1] = {
        "doi": f"https://doi.org/{same['doi']}", "title": same["title"], "publication_year": int(same["pubYear"]),
        "ids": {"pmid": f"https://pubmed.ncbi.nlm.nih.gov/{same['pmid']}"},
        "authorships": [{"author": {"display_name": f"{a['firstName']} {a['lastName']}"}}
                        for a in same["authorList"]["author"]],
        "biblio": {"volume": same["journalInfo"]["volume"], "issue": same["journalInfo"]["issue"],
                   "first_page": same["pageInfo"].split("-")[0], "last_page": same["pageInfo"].split("-")[1]}}
    before = {name: fake.stats.total for name, fake in zip(("epmc", "ctgov", "oa"), services, strict=True)}
    second = refresh(protocol)
    by_source = {s.source: s for s in second.sources}
    (window,) = by_source["Europe PMC"].windows  # by first index date only: it has no modification date
    assert window.startswith("crdt ") and window.endswith(TODAY.strftime("%Y/%m/%d"))
    assert [w.split()[0] for w in by_source["Trials"].windows] == ["crdt", "mdat"]
    assert {name: s.new for name, s in by_source.items()} == {"Europe PMC": 4, "Trials": 4, "OpenAlex": 4}
    assert by_source["OpenAlex"].known == 1 and by_source["Europe PMC"].known == 0
    assert len(second.new_unique) == 11 and len(second.known) == 1
    epmc_queries = [e["params"]["query"] for e in epmc.requests_to("search")]
    assert "FIRST_IDATE:[" in epmc_queries[-2]  # the window (the last request is the total count)
    assert any("AREA[LastUpdatePostDate]RANGE[" in e["params"]["query.term"] for e in ctgov.requests_to("studies"))
    assert any("from_created_date:" in e["params"].get("filter", "") for e in oa.requests_to("works"))
    assert epmc.stats.total - before["epmc"] == 2  # one window and the total now, not the whole set again
    assert epmc.requests_to("search")[-1]["params"]["pageSize"] == "1"  # the total asks for one record
    for fake in services:
        fake.removed.update({0, 1})
    full = refresh(protocol, full=True)
    assert {s.source: s.no_longer_returned for s in full.sources} == {"Europe PMC": 2, "Trials": 2, "OpenAlex": 2}
    assert len(full.no_longer_returned) == 6


def test_refresh_offline_searches_nothing_and_still_finishes(tmp_path: Path, services) -> None:  # type: ignore[no-untyped-def]
    protocol = _protocol(tmp_path)
    result = runner.invoke(app, ["refresh", str(protocol.path), "--offline", "--json"])
    assert result.exit_code == 0, result.output
    delta = json.loads(result.output)
    assert {s["source"]: s["status"] for s in delta["sources"]} == {
        "Europe PMC": "skipped", "Trials": "skipped", "OpenAlex": "skipped"}
    assert all("offline" in s["note"] for s in delta["sources"])
    assert sum(fake.stats.total for fake in services) == 0
    with Ledger.open(protocol.ledger_path) as ledger:
        (run,) = list_runs(ledger, kind="refresh")
        assert run.status == "ok" and run.parameters["offline"] is True
