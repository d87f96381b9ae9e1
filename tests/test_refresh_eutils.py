"""The issue's done-when scenarios end to end, against the fake E-utilities server (tests/fake_eutils.py):
the real PubMed search, import and incremental de-duplication, driven through ``prisma-harvest refresh``.

- initial harvest (300 records) plus a CINAHL export imported earlier (30 records, no PMIDs); the server
  then adds 137 records created today, 20 of them the articles of that export (some published two years
  ago: their Entrez date is their publication date, so only a create-date window finds them): the refresh
  reports 117 new unique and 20 known and lists them, and exits 3 with ``--exit-code``;
- a second refresh finds nothing and changes nothing in the ledger but the run log;
- a refresh killed (SIGKILL) half-way through its fetches, then run again, gives the same ledger as an
  uninterrupted refresh.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from harvester import dedup, importing, search
from harvester import protocol as protocol_module
from harvester.cli.main import app
from harvester.formats import ris
from harvester.ledger import Ledger
from harvester.ledger.runs import list_runs, refresh_runs
from harvester.protocol import Protocol
from harvester.records import Record
from tests import fake_eutils
from tests.test_refresh import snapshot, table_rows

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()
TODAY = datetime.now(UTC).date()
HELD, ADDED, FROM_EXPORT = 300, 137, 20

PROTOCOL = """
[review]
id = "living"
ledger = "{ledger}"

[query]
text = '"peer supporter" AND health'
default_field = "tiab"

[[sources]]
name = "MEDLINE"
kind = "pubmed"

[[sources]]
name = "CINAHL"
kind = "file"
database = "CINAHL"
files = ["cinahl.ris"]

[dedup]
source_preference = ["MEDLINE", "CINAHL"]
"""


class LivingEutils(fake_eutils.FakeEutils):
    """The fake server, plus records PubMed adds later (a subclass: the fake itself is not changed).

    An added record has its own create date; its Entrez date is its publication date when it was added
    more than a year after publication (as PubMed does), else its create date.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._created: dict[int, int] = {}
        self._modified: dict[int, int] = {}
        super().__init__(*args, **kwargs)

    def _date(self, i: int, datetype: str) -> int:
        if datetype == "mdat" and i in self._modified:
            return self._modified[i]
        if i not in self._created:
            return int(super()._date(i, datetype))
        created, published = self._created[i], self._pdat[i]
        entrez = published if created - published > 365 else created
        return {"pdat": published, "edat": entrez, "crdt": created, "mdat": created}[datetype]

    def modify(self, pmid: int, day: date) -> None:
        """An erratum or retraction notice: the record's modification date becomes ``day``."""
        self._modified[pmid - self.first_pmid] = day.toordinal()
        self._reindex()

    def _reindex(self) -> None:
        for datetype in fake_eutils.DATETYPES:
            pairs = sorted((self._date(i, datetype), self.first_pmid + i) for i in range(self.n))
            self._index[datetype] = ([d for d, _ in pairs], [p for _, p in pairs])

    def add_created(self, published: list[date], created: date) -> list[int]:
        """Add one record per publication date, created on ``created``; returns their PMIDs."""
        first = self.n
        for k, day in enumerate(published):
            self._pdat.append(day.toordinal())
            self._created[first + k] = created.toordinal()
        self.n += len(published)
        self._reindex()
        return [self.first_pmid + first + k for k in range(len(published))]


def exported(fake: LivingEutils, pmid: int, with_doi: bool) -> Record:
    """The article ``pmid`` as a CINAHL export holds it: the same citation, no PMID, a DOI or not."""
    i = pmid - fake.first_pmid
    day = date.fromordinal(fake._pdat[i])
    surnames, given = fake_eutils._SURNAMES, fake_eutils._GIVEN
    return Record(
        title=f"Peer supporters in health, study {pmid}: experiences & roles in caf\u00e9 settings",
        authors=tuple(f"{surnames[(i + k) % 10]}, {given[(i + k) % 10]}" for k in range(1 + i % 3)),
        year=day.year, journal="Journal of Synthetic Peer Support", volume=str(1 + i % 40), issue=str(1 + i % 12),
        pages=f"{1 + i % 300}-{10 + i % 300}", doi=f"10.5555/synth.{pmid}" if with_doi else "", database="CINAHL",
    )


def other_export_only(n: int) -> Record:
    return Record(title=f"Lay health advisers in rural clinics {n}: a grey literature report on supervision",
                  authors=(f"Export{n}, Only",), year=2018, journal="CINAHL-only Nursing Journal", volume=str(n),
                  pages=f"{n}-{n + 5}", database="CINAHL")


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Any:
    fake = LivingEutils(HELD, books_every=0, enforce_pace=False, start=date(2005, 1, 1), end=date(2020, 12, 31))
    with fake:
        monkeypatch.setenv("PRISMA_HARVEST_EUTILS_URL", fake.url)
        monkeypatch.setenv("PRISMA_HARVEST_EUTILS_RATE", "1000")
        monkeypatch.setenv("PRISMA_HARVEST_EUTILS_BACKOFF", "0")
        monkeypatch.setenv("PRISMA_HARVEST_EUTILS_BATCH", "20")
        yield fake


def add_todays_records(fake: LivingEutils) -> None:
    """137 records created today: most published this year, every fifth two years ago (late-indexed)."""
    published = [TODAY - timedelta(days=730) if k % 5 == 0 else TODAY - timedelta(days=k % 40)
                 for k in range(ADDED)]
    fake.add_created(published, TODAY)
    # the fake's _pdat must hold these dates before exported() is called for the export file
    assert fake.n == HELD + ADDED


def test_refresh_reports_117_new_unique_and_20_known_then_nothing(tmp_path: Path, server: LivingEutils) -> None:
    # the export is written before PubMed has the records: exported() needs their dates, so add them
    # to a twin first (same PMIDs, same dates) to build the export file
    twin = LivingEutils(HELD, books_every=0, start=date(2005, 1, 1), end=date(2020, 12, 31))
    add_todays_records(twin)
    protocol = harvested_review_with(tmp_path, server, twin)
    add_todays_records(server)
    server.modify(30_000_007, TODAY)  # a held record revised today
    result = runner.invoke(app, ["refresh", str(protocol.path), "--json", "--exit-code",
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 3, result.output
    delta = json.loads(result.output)
    assert (delta["counts"]["new_unique"], delta["counts"]["known"]) == (117, 20), delta["counts"]
    added = future_pmids_from(HELD)
    assert {r["pmid"] for r in delta["new_unique"]} == {str(p) for p in added[FROM_EXPORT:]}
    assert {r["pmid"] for r in delta["known"]} == {str(p) for p in added[:FROM_EXPORT]}
    assert all(k["duplicate_of"][0]["source"] == "CINAHL" for k in delta["known"])
    assert [r["pmid"] for r in delta["revised"]] == ["30000007"]
    medline = next(s for s in delta["sources"] if s["source"] == "MEDLINE")
    assert medline["windows"][0].startswith("crdt ") and medline["windows"][1].startswith("mdat ")
    assert (medline["new"], medline["previous_total"], medline["current_total"], medline["total_change"]) == (
        137, 300, 437, 137)
    assert (tmp_path / "out" / f"living-refresh-{delta['refresh_run_id']}-new.ris").read_text().count("ER  -") == 117

    before = {t: table_rows(protocol.ledger_path, t) for t in ("records", "files", "duplicates", "rejections")}
    again = runner.invoke(app, ["refresh", str(protocol.path), "--json", "--exit-code"])
    assert again.exit_code == 0, again.output
    counts = json.loads(again.output)["counts"]
    assert counts == {"new_records": 0, "new_unique": 0, "known": 0, "duplicates_among_new": 0, "revised": 0,
                      "no_longer_returned": 0}
    assert {t: table_rows(protocol.ledger_path, t) for t in before} == before


def future_pmids_from(held: int) -> list[int]:
    return [30_000_000 + held + k for k in range(ADDED)]


def harvested_review_with(folder: Path, fake: LivingEutils, twin: LivingEutils) -> Protocol:
    """As :func:`harvested_review`, the export built from ``twin`` (which already holds today's records)."""
    folder.mkdir(parents=True, exist_ok=True)
    upcoming = future_pmids_from(HELD)[:FROM_EXPORT]
    export = [exported(twin, pmid, with_doi=k % 2 == 0) for k, pmid in enumerate(upcoming)]
    export += [other_export_only(n) for n in range(1, 11)]
    (folder / "cinahl.ris").write_text(ris.dumps(export), encoding="utf-8")
    path = folder / "living.toml"
    path.write_text(PROTOCOL.format(ledger=folder / "living.sqlite"), encoding="utf-8")
    protocol = protocol_module.load(path)
    (outcome,) = search.search(protocol)
    assert outcome.status == "ok" and outcome.new == HELD
    with Ledger.open(protocol.ledger_path) as ledger:
        (imported,) = importing.import_protocol_files(ledger, protocol)
        assert imported.imported == 30
        dedup.dedupe_ledger(ledger, protocol)
    return protocol


def cli_refresh(protocol: Protocol, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "harvester.cli.main", "refresh", str(protocol.path)], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_refresh_killed_half_way_and_rerun_equals_an_uninterrupted_one(tmp_path: Path,
                                                                         server: LivingEutils) -> None:
    twin = LivingEutils(HELD, books_every=0, start=date(2005, 1, 1), end=date(2020, 12, 31))
    add_todays_records(twin)
    killed = harvested_review_with(tmp_path / "killed", server, twin)
    straight = harvested_review_with(tmp_path / "straight", server, twin)
    add_todays_records(server)
    env = {**os.environ, "PYTHONPATH": str(REPO), "PRISMA_HARVEST_EUTILS_BATCH": "5"}
    server.faults = fake_eutils.Faults(rate=1.0, kinds=("slow",), slow_seconds=0.05)  # time to kill it
    efetch_before = server.stats.requests["efetch"]
    process = cli_refresh(killed, env)
    deadline = time.monotonic() + 60
    while server.stats.requests["efetch"] < efetch_before + 8:  # 8 of 28 batches fetched and stored
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    server.faults = fake_eutils.Faults()
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert len(table_rows(killed.ledger_path, "records")) == HELD + 30  # nothing of the killed refresh kept
    rerun = cli_refresh(killed, env)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert "117 new unique, 20 known" in out
    whole = cli_refresh(straight, env)
    out, err = whole.communicate(timeout=120)
    assert whole.returncode == 0 and "117 new unique, 20 known" in out, err
    assert snapshot(killed.ledger_path) == snapshot(straight.ledger_path)
    with Ledger.open(killed.ledger_path) as ledger:
        assert [r.status for r in refresh_runs(ledger)] == ["interrupted", "ok"]


def test_a_refresh_that_fails_leaves_the_ledger_as_it_was_and_logs_the_failure(
        tmp_path: Path, server: LivingEutils, monkeypatch: pytest.MonkeyPatch) -> None:
    twin = LivingEutils(HELD, books_every=0, start=date(2005, 1, 1), end=date(2020, 12, 31))
    add_todays_records(twin)
    protocol = harvested_review_with(tmp_path, server, twin)
    add_todays_records(server)
    before = {t: table_rows(protocol.ledger_path, t) for t in ("records", "sightings", "files", "duplicates")}
    monkeypatch.setenv("PRISMA_HARVEST_EUTILS_ATTEMPTS", "2")
    server.faults = fake_eutils.Faults(rate=1.0, kinds=("5xx",))
    result = runner.invoke(app, ["refresh", str(protocol.path)])
    assert result.exit_code == 1
    assert "error: refresh #4: source 'MEDLINE'" in result.stderr and "the rest of the refresh is kept" in result.stderr
    assert {t: table_rows(protocol.ledger_path, t) for t in before} == before
    with Ledger.open(protocol.ledger_path) as ledger:
        (failed,) = refresh_runs(ledger)
        assert failed.status == "failed"
        logged = [r for r in list_runs(ledger) if r.parent_run_id == failed.id]
        assert [(r.kind, r.status, r.source) for r in logged] == [("search", "failed", "MEDLINE")]
    server.faults = fake_eutils.Faults()
    again = runner.invoke(app, ["refresh", str(protocol.path)])
    assert again.exit_code == 0 and "117 new unique, 20 known" in again.output
