"""ClinicalTrials.gov as a live source (a register), against the fake API v2 (tests/fake_ctgov.py)."""

from __future__ import annotations

from pathlib import Path

from harvester.ledger import Ledger
from harvester.ledger.records import iter_records
from harvester.ledger.runs import get_run
from harvester.search import search
from harvester.sources.clinicaltrials import SERVICE
from harvester.sources.live import Settings
from tests.fake_ctgov import DATA_TIMESTAMP, FakeClinicalTrials
from tests.live_support import protocol_with, settings_for


def test_a_search_repeats_every_parameter_and_records_the_data_version(tmp_path: Path) -> None:
    protocol = protocol_with(tmp_path, "clinicaltrials", "ClinicalTrials.gov")
    with FakeClinicalTrials(2_500) as fake:
        (outcome,) = search(protocol, services={"clinicaltrials": settings_for(SERVICE, fake.url)})
        pages = fake.requests_to("studies")
        assert fake.stats.requests == {"version": 1, "studies": 3} and 400 not in fake.stats.statuses
    assert outcome.status == "ok", outcome.error
    assert (outcome.count_reported, outcome.count_retrieved) == (2_500, 2_500)
    first, later = pages[0]["params"], pages[1]["params"]
    assert "pageToken" not in first and later["pageToken"]
    assert later["query.term"] == first["query.term"] and later["format"] == "json"
    assert first["query.term"].startswith("EXPANSION[None](")  # synonyms off: reproducible
    with Ledger.open(protocol.ledger_path) as ledger:
        run = get_run(ledger, outcome.run_id)
        assert run.parameters["data_timestamp"] == DATA_TIMESTAMP and run.query == first["query.term"]
        assert (run.database, run.platform) == ("ClinicalTrials.gov", "ClinicalTrials.gov API v2")
        stored = {s.record.source_id: s.record for s in iter_records(ledger)}
    assert set(stored) == set(fake.keys())
    trial = stored["NCT05000007"]
    assert trial.title.startswith("A Randomised Trial")
    assert ("briefTitle", "Peer Support for Health, Trial 7") in trial.tags
    assert ("condition", "Depression") in trial.tags and ("intervention", "BEHAVIORAL: Peer support") in trial.tags
    assert ("overallStatus", "ACTIVE_NOT_RECRUITING") in trial.tags and trial.url.endswith("NCT05000007")
    assert any(name == "studyFirstPostDate" for name, _ in trial.tags) and trial.year is not None
    assert "Clinical trial registration" in trial.publication_types


def test_the_fake_refuses_a_later_page_that_does_not_repeat_the_query(tmp_path: Path) -> None:
    """The fake's rule, checked so that the test above means something."""
    import requests

    with FakeClinicalTrials(30) as fake:
        first = requests.get(fake.url + "studies", params={"query.term": "a", "pageSize": "10"}, timeout=5).json()
        wrong = requests.get(fake.url + "studies", params={"query.term": "b", "pageToken": first["nextPageToken"]},
                             timeout=5)
        right = requests.get(fake.url + "studies", params={"query.term": "a", "pageToken": first["nextPageToken"],
                                                           "pageSize": "10"}, timeout=5)
    assert wrong.status_code == 400 and right.status_code == 200 and "totalCount" not in right.json()


def test_the_pace_is_kept_under_the_registers_limit(tmp_path: Path) -> None:
    """The fake limits 10 requests per 2 s here; the client, told 4/s (10% margin), draws no 429."""
    protocol = protocol_with(tmp_path, "clinicaltrials", "ClinicalTrials.gov")
    with FakeClinicalTrials(900, limit=10, per_seconds=2.0) as fake:
        settings = settings_for(SERVICE, fake.url, page_size=100, rate=4.0)
        (outcome,) = search(protocol, services={"clinicaltrials": settings})
        assert fake.stats.pace_429 == 0 and outcome.count_retrieved == 900


def test_the_default_pace_is_50_a_minute_on_the_registers_own_host() -> None:
    settings = Settings.from_env(SERVICE, environ={"PRISMA_HARVEST_CTGOV_RATE": "100"})
    assert settings.base_url == "https://clinicaltrials.gov/api/v2/" and settings.rate == 50 / 60
    mirror = Settings.from_env(SERVICE, environ={"PRISMA_HARVEST_CTGOV_URL": "http://mirror.test/api/v2",
                                                 "PRISMA_HARVEST_CTGOV_RATE": "100"})
    assert mirror.rate == 100 and mirror.base_url == "http://mirror.test/api/v2/"


def test_a_register_counts_in_the_registers_box(tmp_path: Path) -> None:
    from harvester.review import counts_from_ledger, search_report

    protocol = protocol_with(tmp_path, "clinicaltrials", "ClinicalTrials.gov")
    with FakeClinicalTrials(25) as fake:
        search(protocol, services={"clinicaltrials": settings_for(SERVICE, fake.url)})
    with Ledger.open(protocol.ledger_path) as ledger:
        counts = counts_from_ledger(ledger, protocol)
        (searched,) = search_report(ledger, protocol).databases
    assert counts.register_results == 25 and not counts.database_results
    assert [(line.name, line.n) for line in counts.register_specific_results] == [("ClinicalTrials.gov", 25)]
    assert searched.data_version == DATA_TIMESTAMP and searched.query.startswith("EXPANSION[None](")


def test_a_mirror_without_the_version_endpoint_is_searched_and_says_so(tmp_path: Path) -> None:
    from tests.fake_http import Answer

    class NoVersion(FakeClinicalTrials):
        def handle(self, method, path, params, key):  # type: ignore[no-untyped-def]
            if path == "version":
                return Answer(404, "Not Found", "text/plain")
            return super().handle(method, path, params, key)

    protocol = protocol_with(tmp_path, "clinicaltrials", "ClinicalTrials.gov")
    with NoVersion(30) as fake:
        (outcome,) = search(protocol, services={"clinicaltrials": settings_for(SERVICE, fake.url)})
    assert outcome.status == "ok" and outcome.count_retrieved == 30
    assert any(note.startswith("the service's data version is unknown: ") and "HTTP 404" in note
               for note in outcome.notes)
    with Ledger.open(protocol.ledger_path) as ledger:
        assert get_run(ledger, outcome.run_id).parameters["data_timestamp"] is None
