"""Europe PMC as a live source, against the fake REST API (tests/fake_europepmc.py): paging with
cursorMark to the end, the record mapping, POST for long queries, resuming, and what goes wrong."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from harvester.ledger import Ledger
from harvester.ledger.harvest import list_pages
from harvester.ledger.records import iter_records
from harvester.ledger.runs import get_run, list_runs
from harvester.search import search
from harvester.sources.europepmc import SERVICE
from tests.fake_europepmc import FakeEuropePmc
from tests.live_support import protocol_with, settings_for


def _protocol(tmp_path: Path, extra: str = ""):  # type: ignore[no-untyped-def]
    return protocol_with(tmp_path, "europepmc", "Europe PMC", extra)


def test_a_search_pages_to_the_end_and_stores_every_record_once(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path)
    with FakeEuropePmc(2_345) as fake:
        (outcome,) = search(protocol, services={"europepmc": settings_for(SERVICE, fake.url)})
        requests = fake.requests_to("search")
    assert outcome.status == "ok", outcome.error
    assert (outcome.count_reported, outcome.count_retrieved, outcome.new) == (2_345, 2_345, 2_345)
    assert len(requests) == 3  # 1000 + 1000 + 345: the last page gives its own cursor back
    first, second = requests[0]["params"], requests[1]["params"]
    assert first["cursorMark"] == "*" and second["cursorMark"] not in ("", "*")
    for params in (first, second):
        assert (params["format"], params["resultType"], params["synonym"], params["pageSize"]) == (
            "json", "core", "false", "1000")
        assert params["query"] == first["query"]
    with Ledger.open(protocol.ledger_path) as ledger:
        run = get_run(ledger, outcome.run_id)
        assert (run.status, run.database, run.platform) == ("ok", "Europe PMC", "Europe PMC REST API")
        assert run.query == first["query"] and run.count_reported == 2_345
        assert run.parameters["request"]["synonym"] == "false"
        pages = list_pages(ledger, outcome.run_id)
        assert [p.records for p in pages] == [1000, 1000, 345] and pages[-1].next_cursor == pages[-1].cursor
        stored = list(iter_records(ledger))
    assert sorted(s.record.source_id for s in stored) == sorted(fake.keys())
    by_key = {s.record.source_id: s.record for s in stored}
    med, preprint = by_key["MED:40000007"], by_key["PPR:PPR600009"]
    assert med.pmid == "40000007" and med.doi == "10.5555/epmc.40000007" and med.journal.startswith("Journal of")
    assert ("pmcid", "PMC9000007") in med.tags and med.mesh == ("Peer Group",) and med.year is not None
    assert med.authors[0] == "Ng, Ana" or "," in med.authors[0]
    assert preprint.pmid == "" and preprint.database == "Europe PMC" and preprint.title
    assert med.raw.startswith("{") and '"source": "MED"' in med.raw


@pytest.mark.parametrize("last_cursor", ["absent", "same"])
def test_requests_are_the_minimum_the_page_size_allows(tmp_path: Path, last_cursor: str) -> None:
    """5,000 records in pages of 1000: 5 requests, whether the last page has no cursor or the same one
    (20,000 for every service: tests/test_live_sources.py)."""
    protocol = _protocol(tmp_path)
    with FakeEuropePmc(5_000, last_cursor=last_cursor) as fake:
        (outcome,) = search(protocol, services={"europepmc": settings_for(SERVICE, fake.url)})
        total = fake.stats.total
    assert outcome.count_retrieved == 5_000
    assert total == math.ceil(5_000 / 1000), total


def test_an_exact_multiple_of_the_page_size_ends_on_the_hit_count(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path)
    with FakeEuropePmc(300, last_cursor="same") as fake:
        (outcome,) = search(protocol, services={"europepmc": settings_for(SERVICE, fake.url, page_size=100)})
        assert fake.stats.total == 3 and outcome.count_retrieved == 300


def test_a_long_query_goes_by_post(tmp_path: Path) -> None:
    words = " OR ".join(f'"peer support term number {i}"' for i in range(80))
    protocol = _protocol(tmp_path, f"query = '{words}'\n")
    with FakeEuropePmc(50) as fake:
        (outcome,) = search(protocol, services={"europepmc": settings_for(SERVICE, fake.url)})
        assert fake.stats.methods == {"POST": 1} and fake.stats.requests == {"searchPOST": 1}
    assert outcome.count_retrieved == 50


def test_a_second_search_sights_and_stores_nothing_twice(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path)
    with FakeEuropePmc(450) as fake:
        services = {"europepmc": settings_for(SERVICE, fake.url, page_size=200)}
        first = search(protocol, services=services)[0]
        again = search(protocol, services=services)[0]
    assert (again.new, again.already_held, again.count_retrieved) == (0, 450, 450)
    assert sorted(again.record_ids) == sorted(first.record_ids)
    with Ledger.open(protocol.ledger_path) as ledger:
        assert ledger.connection.execute("SELECT COUNT(*) FROM records").fetchone()[0] == 450


def test_an_interrupted_search_resumes_after_the_last_page_stored(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path)
    pages_seen: list[int] = []

    def stop_after_three(_name: str, done: int, _total: int) -> None:
        pages_seen.append(done)
        if len(pages_seen) == 3:
            raise KeyboardInterrupt

    with FakeEuropePmc(1_000) as fake:
        services = {"europepmc": settings_for(SERVICE, fake.url, page_size=100)}
        with pytest.raises(KeyboardInterrupt):
            search(protocol, services=services, progress=stop_after_three)
        before = fake.stats.total
        (outcome,) = search(protocol, services=services)
        after = fake.stats.total - before
        served = fake.stats.served
    assert before == 3 and after == 7  # the 7 pages not stored yet, nothing asked twice
    assert outcome.count_retrieved == 1_000 and outcome.new == 700
    assert all(times == 1 for times in served.values()) and len(served) == 1_000
    with Ledger.open(protocol.ledger_path) as ledger:
        killed, resumed = list_runs(ledger, kind="search")
        assert killed.status == "interrupted" and f"resumed by run #{resumed.id}" in (killed.message or "")
        assert "continued after page 3" in (resumed.message or "")
        assert [p.page for p in list_pages(ledger, resumed.id)] == list(range(4, 11))
        assert ledger.connection.execute("SELECT COUNT(*) FROM records").fetchone()[0] == 1_000


def test_a_refused_cursor_starts_again_without_storing_twice(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path)
    calls: list[int] = []

    def stop(_name: str, done: int, _total: int) -> None:
        calls.append(done)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with FakeEuropePmc(500) as fake:
        services = {"europepmc": settings_for(SERVICE, fake.url, page_size=100)}
        with pytest.raises(KeyboardInterrupt):
            search(protocol, services=services, progress=stop)
        fake.cursors_issued.clear()  # the service forgot its cursors (expired)
        (outcome,) = search(protocol, services=services)
        statuses = [e["status"] for e in fake.requests_to("search")]
    assert statuses.count(400) == 1 and outcome.count_retrieved == 500 and outcome.new == 300
    assert any("cursor was refused" in note for note in outcome.notes)
    with Ledger.open(protocol.ledger_path) as ledger:
        row = ledger.connection.execute("SELECT COUNT(*), COUNT(DISTINCT source_id) FROM records").fetchone()
        assert tuple(row) == (500, 500)


def test_an_error_inside_http_200_is_retried(tmp_path: Path) -> None:
    from tests.fake_http import Faults

    protocol = _protocol(tmp_path)
    with FakeEuropePmc(10, faults=Faults(script=["error200", "html", "truncated"])) as fake:
        (outcome,) = search(protocol, services={"europepmc": settings_for(SERVICE, fake.url)})
        assert fake.stats.total == 4
    assert outcome.status == "ok" and outcome.count_retrieved == 10


def test_counts_written_as_strings_are_read() -> None:
    from harvester.sources.europepmc import parse_page

    page = parse_page(b'{"hitCount": "2", "resultList": {"result": [{"id": "1", "source": "MED"}]}}', 0, "test")
    assert page.total == 2 and [r.source_id for r in page.records] == ["MED:1"] and page.next_cursor is None


def test_a_429_is_waited_out_as_retry_after_says(tmp_path: Path) -> None:
    from tests.fake_http import Faults

    protocol = _protocol(tmp_path)
    with FakeEuropePmc(10, faults=Faults(script=["429"], retry_after="0.4")) as fake:
        (outcome,) = search(protocol, services={"europepmc": settings_for(SERVICE, fake.url)})
        refused, answered = fake.requests_to("search")
    assert outcome.count_retrieved == 10 and refused["status"] == 429 and answered["status"] == 200
    assert answered["at"] - refused["at"] >= 0.4  # the backoff alone would be about 0.01 s
