"""OpenAlex as a live source, against the fake API (tests/fake_openalex.py): the key, cursor paging,
the record mapping, and the compiler's warnings in the run."""

from __future__ import annotations

from pathlib import Path

import pytest

from harvester.ledger import Ledger
from harvester.ledger.records import iter_records
from harvester.ledger.runs import get_run
from harvester.search import search
from harvester.sources.live import Settings
from harvester.sources.openalex import SERVICE, abstract_from_index
from tests.fake_openalex import FakeOpenAlex
from tests.live_support import ledger_bytes, protocol_with, settings_for

KEY = "oa-SECRET-key-42"


def test_a_search_pages_with_the_cursor_and_never_stores_the_key(tmp_path: Path) -> None:
    protocol = protocol_with(tmp_path, "openalex", "OpenAlex")
    with FakeOpenAlex(450) as fake:
        (outcome,) = search(protocol, services={"openalex": settings_for(SERVICE, fake.url, api_key=KEY)})
        pages = fake.requests_to("works")
        assert fake.stats.keys_seen == {KEY}
    assert outcome.status == "ok", outcome.error
    assert (outcome.count_reported, outcome.count_retrieved) == (450, 450) and len(pages) == 5
    assert [p["params"]["cursor"] != "*" for p in pages] == [False, True, True, True, True]
    assert all(p["params"]["per_page"] == "100" and p["params"]["search"] == pages[0]["params"]["search"]
               for p in pages)
    with Ledger.open(protocol.ledger_path) as ledger:
        run = get_run(ledger, outcome.run_id)
        assert run.parameters["api_key_used"] is True and "api_key" not in run.parameters["request"]
        stored = {s.record.source_id: s.record for s in iter_records(ledger)}
    assert KEY.encode() not in ledger_bytes(protocol)
    assert set(stored) == set(fake.keys())
    work = stored["W4000000003"]
    assert work.doi == "10.5555/oa.w4000000003" and work.pmid == "30000003" and work.year is not None
    assert work.authors[0] == "García, María" and work.pages == "4-13" and work.issn == ("1234-5678", "8765-4321")
    assert work.abstract == "Peer supporters improved engagement in study W4000000003 across sites"
    assert work.journal == "Journal of Synthetic Peer Support" and work.url.endswith("W4000000003")


def test_without_a_key_the_search_fails_at_once_saying_so(tmp_path: Path) -> None:
    protocol = protocol_with(tmp_path, "openalex", "OpenAlex")
    with FakeOpenAlex(10) as fake:
        (outcome,) = search(protocol, services={"openalex": settings_for(SERVICE, fake.url)})
        assert fake.stats.total == 0
    assert outcome.status == "failed" and outcome.error and "OPENALEX_API_KEY" in outcome.error
    with Ledger.open(protocol.ledger_path) as ledger:
        assert get_run(ledger, outcome.run_id).status == "failed"


def test_a_refused_key_is_reported_without_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 401 from the service (a revoked key) is not retried, and its message does not hold the key."""
    protocol = protocol_with(tmp_path, "openalex", "OpenAlex")

    class Refusing(FakeOpenAlex):
        def handle(self, method, path, params, key):  # type: ignore[no-untyped-def]
            return super().handle(method, path, params, "")

    with Refusing(10) as fake:
        monkeypatch.setenv("PRISMA_HARVEST_OPENALEX_URL", fake.url)
        monkeypatch.setenv("OPENALEX_API_KEY", KEY)
        (outcome,) = search(protocol)
        assert fake.stats.total == 1
    assert outcome.status == "failed" and "HTTP 401" in (outcome.error or "") and KEY not in (outcome.error or "")
    assert KEY.encode() not in ledger_bytes(protocol)


def test_the_key_comes_from_the_environment_and_stays_out_of_repr() -> None:
    settings = Settings.from_env(SERVICE, environ={"OPENALEX_API_KEY": KEY})
    assert settings.api_key == KEY and KEY not in repr(settings) and settings.public()["api_key_used"] is True
    assert settings.page_size == 100 and settings.rate == 10.0


def test_the_abstract_is_rebuilt_from_its_inverted_index() -> None:
    assert abstract_from_index({"b": [1], "a": [0, 2]}) == "a b a"
    assert abstract_from_index(None) == ""


def test_a_title_abstract_query_goes_in_its_filter_and_the_warnings_reach_the_run(tmp_path: Path) -> None:
    path = protocol_with(tmp_path, "openalex", "OpenAlex").path
    path.write_text(path.read_text(encoding="utf-8").replace("[query]\n", '[query]\ndefault_field = "tiab"\n'),
                    encoding="utf-8")
    from harvester import protocol as protocol_module

    protocol = protocol_module.load(path)
    with FakeOpenAlex(5) as fake:
        (outcome,) = search(protocol, services={"openalex": settings_for(SERVICE, fake.url, api_key=KEY)})
        (request,) = fake.requests_to("works")
    assert request["params"]["filter"].startswith("title_and_abstract.search:") and "search" not in request["params"]
    assert outcome.count_retrieved == 5
    assert any(note.startswith("query compiler: stemming") for note in outcome.notes)
    with Ledger.open(protocol.ledger_path) as ledger:
        assert "query compiler: stemming" in (get_run(ledger, outcome.run_id).message or "")
