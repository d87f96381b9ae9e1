"""No network: the first connection that cannot be made ends a live source at once with a one-line hint
(proxy variables, --offline, the URL override) instead of minutes of retries; ``run --offline`` needs none;
the PRISMA-S report lists searches from successful runs and the failed attempts in an appendix."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester.cli.main import app
from harvester.ledger import Ledger
from harvester.review import search_report
from harvester.search import search
from harvester.sources.europepmc import SERVICE
from prisma.search_report import to_markdown
from tests.fake_europepmc import FakeEuropePmc
from tests.live_support import protocol_with, settings_for

runner = CliRunner()


@pytest.mark.parametrize(("kind", "variable"), [("pubmed", "PRISMA_HARVEST_EUTILS_URL"),
                                                ("europepmc", "PRISMA_HARVEST_EUROPEPMC_URL"),
                                                ("clinicaltrials", "PRISMA_HARVEST_CTGOV_URL"),
                                                ("openalex", "PRISMA_HARVEST_OPENALEX_URL")])
def test_an_unreachable_host_ends_the_source_at_once_with_a_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 kind: str, variable: str) -> None:
    """The conftest points every service at 127.0.0.1:9, which refuses connections; 6 attempts with backoff
    would take about half a minute."""
    monkeypatch.setenv("OPENALEX_API_KEY", "k-test")
    protocol = protocol_with(tmp_path, kind, "Source")
    started = time.monotonic()
    result = runner.invoke(app, ["search", str(protocol.path)])
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    (line,) = [text for text in result.output.splitlines() if text.startswith("error:")]
    assert "cannot reach 127.0.0.1:9" in line and "HTTPS_PROXY" in line and "--offline" in line and variable in line
    assert elapsed < 5, elapsed


def test_a_host_that_answered_once_is_retried_when_it_drops(tmp_path: Path) -> None:
    """The fast stop is for a host never reached: once it has answered, a failure is retried as usual."""
    protocol = protocol_with(tmp_path, "europepmc", "Europe PMC")
    fake = FakeEuropePmc(300)
    with fake:
        settings = settings_for(SERVICE, fake.url, page_size=100, attempts=2)
        url = fake.url

        def stop_server(_name: str, done: int, _total: int) -> None:
            if done == 100:  # the next answer breaks the open connection, and nothing listens any more
                fake.faults.script = ["dropped"]
                fake.stop()

        (outcome,) = search(protocol, services={"europepmc": settings}, progress=stop_server)
    assert outcome.status == "failed" and "failed after 2 attempts" in (outcome.error or "")
    assert "cannot reach" not in (outcome.error or "") and url.split("/")[2] in (outcome.error or "")


def test_the_search_report_lists_successful_searches_and_failed_attempts_apart(tmp_path: Path) -> None:
    protocol = protocol_with(tmp_path, "europepmc", "Europe PMC")
    runner.invoke(app, ["search", str(protocol.path)])  # fails: nothing listens at the conftest's address
    with FakeEuropePmc(30) as fake:
        (ok,) = search(protocol, services={"europepmc": settings_for(SERVICE, fake.url)})
    with Ledger.open(protocol.ledger_path) as ledger:
        report = search_report(ledger, protocol)
    text = to_markdown(report)
    assert [d.run_id for d in report.databases] == [ok.run_id] and report.databases[0].status == "ok"
    assert [a.run_id for a in report.failed] == [1] and report.failed[0].status == "failed"
    main, _, appendix = text.partition("## Appendix: search attempts that did not complete")
    assert "run #1" not in main and f"run #{ok.run_id}, ok" in main
    assert "run #1 on" in appendix and "cannot reach" in appendix


def test_run_offline_touches_no_live_source(tmp_path: Path) -> None:
    protocol = protocol_with(tmp_path, "clinicaltrials", "Trials")
    result = runner.invoke(app, ["run", str(protocol.path), "--offline", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "search: skipped 1 live source(s) (--offline)" in result.output
