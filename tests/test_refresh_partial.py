"""Issue 12: a source that failed makes ``refresh`` and ``run`` exit 1 *with the rest of their work kept*.

Two live sources, each against its fake server: PubMed (tests/fake_eutils.py) answers, Europe PMC
(tests/fake_europepmc.py) answers every request with a 5xx. The PubMed records must be in the ledger after
exit 1, the failed source's search logged ``failed`` with its reason, and, once Europe PMC answers again, a
second refresh brings in Europe PMC's records while PubMed's are found already held (nothing fetched twice).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester.cli.main import app
from harvester.ledger import Ledger
from harvester.ledger.records import records_per_source
from harvester.ledger.runs import list_runs, refresh_runs
from harvester.sources import europepmc
from tests.fake_europepmc import FakeEuropePmc
from tests.fake_eutils import FakeEutils
from tests.fake_http import Faults
from tests.live_support import environment

runner = CliRunner()
PUBMED, EPMC = 40, 30

PROTOCOL = """[review]
id = "two-sources"
ledger = "ledger.sqlite"

[query]
text = '"peer supporter" AND health'
default_field = "tiab"

[[sources]]
name = "MEDLINE"
kind = "pubmed"

[[sources]]
name = "Europe PMC"
kind = "europepmc"
"""


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeEutils, FakeEuropePmc]]:
    eutils = FakeEutils(PUBMED, books_every=0, enforce_pace=False, start=date(2010, 1, 1), end=date(2019, 12, 31))
    epmc = FakeEuropePmc(EPMC, faults=Faults(rate=1.0, kinds=("5xx",)))  # down: every request a 5xx
    with eutils, epmc:
        for name, value in {"PRISMA_HARVEST_EUTILS_URL": eutils.url, "PRISMA_HARVEST_EUTILS_RATE": "1000",
                            "PRISMA_HARVEST_EUTILS_BACKOFF": "0", **environment(europepmc.SERVICE, epmc.url),
                            "PRISMA_HARVEST_EUROPEPMC_ATTEMPTS": "2"}.items():
            monkeypatch.setenv(name, value)
        yield eutils, epmc


def _protocol(tmp_path: Path) -> Path:
    path = tmp_path / "review.toml"
    path.write_text(PROTOCOL, encoding="utf-8")
    return path


def _held(protocol: Path) -> dict[str, int]:
    with Ledger.open(protocol.parent / "ledger.sqlite") as ledger:
        return records_per_source(ledger)


def test_refresh_keeps_the_sources_that_answered_exits_1_and_retries_only_the_failed_one(
        tmp_path: Path, servers: tuple[FakeEutils, FakeEuropePmc]) -> None:
    eutils, epmc = servers
    protocol = _protocol(tmp_path)
    first = runner.invoke(app, ["refresh", str(protocol), "--json"])
    assert first.exit_code == 1, first.output
    delta = json.loads(first.stdout)
    assert delta["status"] == "failed" and "Europe PMC" in delta["message"]
    assert {s["source"]: s["status"] for s in delta["sources"]} == {"MEDLINE": "searched", "Europe PMC": "failed"}
    assert "error: refresh" in first.stderr and "Europe PMC" in first.stderr
    assert _held(protocol) == {"MEDLINE": PUBMED}  # PubMed's work is kept although the refresh failed
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        (run,) = refresh_runs(ledger)
        assert run.status == "failed" and "Europe PMC" in (run.message or "")
        searches = {r.source: r for r in list_runs(ledger, kind="search") if r.parent_run_id == run.id}
        assert searches["MEDLINE"].status == "ok"
        assert searches["Europe PMC"].status == "failed" and searches["Europe PMC"].message
        assert [r.kind for r in list_runs(ledger) if r.parent_run_id == run.id].count("dedupe") == 1
    fetched = eutils.stats.requests["efetch"]

    epmc.faults.rate = 0.0  # Europe PMC is back
    second = runner.invoke(app, ["refresh", str(protocol), "--json"])
    assert second.exit_code == 0, second.output
    again = {s["source"]: s for s in json.loads(second.stdout)["sources"]}
    assert again["Europe PMC"]["windows"] == ["full"] and again["Europe PMC"]["new"] == EPMC  # searched in full
    assert again["MEDLINE"]["windows"] != ["full"] and again["MEDLINE"]["new"] == 0  # only its window since
    assert again["MEDLINE"]["previous_total"] == PUBMED  # the total the failed refresh saw for the source it kept
    assert eutils.stats.requests["efetch"] == fetched  # PubMed's records are not fetched again
    assert _held(protocol) == {"MEDLINE": PUBMED, "Europe PMC": EPMC}
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        assert [r.status for r in refresh_runs(ledger)] == ["failed", "ok"]


def test_run_keeps_the_sources_that_answered_and_exits_1(tmp_path: Path, servers: tuple[FakeEutils, FakeEuropePmc],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    protocol = _protocol(tmp_path)
    opened: list[Path] = []
    open_ledger = Ledger.open.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Ledger], path: Path) -> Ledger:
        opened.append(Path(path))
        return open_ledger(cls, path)  # type: ignore[no-any-return]

    monkeypatch.setattr(Ledger, "open", classmethod(counting))
    result = runner.invoke(app, ["run", str(protocol), "--out", str(tmp_path / "out"), "--json"])
    monkeypatch.undo()
    assert result.exit_code == 1, result.output
    # item 1 of the issue: the pipeline opens the review once and passes it on (searches included)
    assert opened == [tmp_path / "ledger.sqlite"]
    report = json.loads(result.stdout)
    assert report["ok"] is False and any("Europe PMC" in failure for failure in report["failed"])
    assert "error: source 'Europe PMC'" in result.stderr
    assert _held(protocol) == {"MEDLINE": PUBMED}
    assert (tmp_path / "out" / "prisma-counts.json").is_file()  # the outputs are still written
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        statuses = {r.source: r.status for r in list_runs(ledger, kind="search")}
        assert statuses == {"MEDLINE": "ok", "Europe PMC": "failed"}
        assert [r.status for r in list_runs(ledger, kind="dedupe")] == ["ok"]  # the later steps ran
