"""Citation searching (``prisma-harvest cite``) on the example review's included studies, against fakes
serving a reference graph: each referenced and citing work is stored once, linked to the record it came
from, de-duplicated against the ledger, and counted in the diagram's other-methods column."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester import protocol as protocol_module
from harvester.citations import cite
from harvester.cli.main import app
from harvester.ledger import Ledger
from harvester.ledger.citations import list_links
from harvester.ledger.duplicates import current_duplicates
from harvester.ledger.records import get_record, iter_records
from harvester.ledger.runs import get_run, list_runs, start_run
from harvester.pipeline import run_review
from harvester.protocol import CITATION_SOURCE
from harvester.review import counts_from_ledger, search_report
from harvester.screening.outcomes import record_outcomes
from harvester.sources import europepmc, openalex
from tests.conftest import example_protocol
from tests.fake_europepmc import FakeEuropePmc
from tests.fake_openalex import FakeOpenAlex
from tests.live_support import environment, settings_for

runner = CliRunner()
SHARED_REFERENCE = "MED:59999999"  # every included study cites it
SHARED_CITING = "PMC:PMC8888888"  # it cites every included study


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example review, run to its end once (offline: files, de-duplication, rules, decisions)."""
    folder = tmp_path_factory.mktemp("example")
    path = example_protocol(folder)
    run_review(path, folder / "out", offline=True)
    return path


def _fresh(example: Path, tmp_path: Path) -> protocol_module.Protocol:
    """A copy of the example's ledger, so each test starts from the screened review."""
    loaded = protocol_module.load(example)
    target = tmp_path / "example.toml"
    target.write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / loaded.ledger_path.name).write_bytes(loaded.ledger_path.read_bytes())
    return protocol_module.load(target)


def _graph(ledger: Ledger, seeds: list[int], fake: FakeEuropePmc) -> dict[int, tuple[str, list[str], list[str]]]:
    """Each included study's Europe PMC key, the works it cites and the works citing it (a study without
    PMID or DOI cannot be found there: it is left out)."""
    graph = {}
    for n, record_id in enumerate(seeds):
        record = get_record(ledger, record_id).record
        if not (record.pmid or record.doi):
            continue
        if record.pmid:
            key = f"MED:{record.pmid}"
        else:
            key = f"PPR:PPR{700_000 + n}"
            fake.aliases[record.doi.lower()] = key
        cited = [f"MED:{51_000_000 + 10 * n + k}" for k in range(3)] + [SHARED_REFERENCE]
        citing = [f"MED:{52_000_000 + 10 * n + k}" for k in range(2)] + [SHARED_CITING]
        fake.references[key] = cited
        for work in citing:
            fake.references.setdefault(work, []).append(key)
        graph[record_id] = (key, cited, citing)
    return graph


def test_cite_stores_each_work_once_links_it_and_the_diagram_counts_it(example: Path, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    protocol = _fresh(example, tmp_path)
    with Ledger.open(protocol.ledger_path) as ledger:
        included = sorted(o.record_id for o in record_outcomes(ledger, protocol) if o.end == "included")
        before = counts_from_ledger(ledger, protocol).citations_results or 0
        with FakeEuropePmc(0) as fake:
            graph = _graph(ledger, included, fake)
            held = next(s for s in iter_records(ledger) if s.source == "MEDLINE" and s.id not in included).record
            # one reference is an article the review already holds (from MEDLINE): a duplicate, not a new study
            fake.overrides[SHARED_REFERENCE] = {"title": held.title, "doi": held.doi, "pubYear": str(held.year),
                                                "authorString": "; ".join(held.authors), "pmid": held.pmid,
                                                "journalAbbreviation": held.journal_abbrev or held.journal}
            ledger.close()
            for name, value in environment(europepmc.SERVICE, fake.url).items():
                monkeypatch.setenv(name, value)
            result = runner.invoke(app, ["cite", str(protocol.path), "--json"])
            again = runner.invoke(app, ["cite", str(protocol.path), "--backward", "--from", str(included[0])])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)
    works = {w for _, cited, citing in graph.values() for w in cited + citing}
    links = sum(len(cited) + len(citing) for _, cited, citing in graph.values())
    unreachable = [f"#{seed}" for seed in included if seed not in graph]
    assert len(graph) >= 5 and outcome["records"] == included and outcome["not_found"] == unreachable
    assert (outcome["links"], outcome["works"], outcome["new"]) == (links, len(works), len(works))
    with Ledger.open(protocol.ledger_path) as ledger:
        found = [s for s in iter_records(ledger, source=CITATION_SOURCE)]
        assert sorted(s.record.source_id for s in found) == sorted(works)  # each work once
        by_key = {s.record.source_id: s.id for s in found}
        run = next(r for r in list_runs(ledger, kind="cite"))
        stored_links = {(link.from_record, link.to_record, link.direction) for link in list_links(ledger, run.id)}
        expected = {(seed, by_key[w], "backward") for seed, (_, cited, _) in graph.items() for w in cited}
        expected |= {(seed, by_key[w], "forward") for seed, (_, _, citing) in graph.items() for w in citing}
        assert stored_links == expected and all(link.service == "europepmc" for link in list_links(ledger, run.id))
        assert run.status == "ok" and run.parameters["directions"] == ["backward", "forward"]
        assert run.parameters["records"] == included and run.platform == "Europe PMC"
        duplicates = current_duplicates(ledger)
        assert by_key[SHARED_REFERENCE] in duplicates and duplicates[by_key[SHARED_REFERENCE]] != by_key[
            SHARED_REFERENCE]
        counts = counts_from_ledger(ledger, protocol)
        assert counts.citations_results == before + len(works)
        assert outcome["duplicates"] == 1
        (other,) = [o for o in search_report(ledger, protocol).others if o.source == CITATION_SOURCE]
        assert other.records == len(works)
        assert f"via Europe PMC, backward and forward from {len(included)} record(s)" in other.method
    assert again.exit_code == 0, again.output
    assert "4 link(s) to 4 work(s) from 1 record(s) (backward via europepmc); 0 new" in again.output


def test_cite_via_openalex_follows_referenced_and_citing_works(example: Path, tmp_path: Path) -> None:
    protocol = _fresh(example, tmp_path)
    with Ledger.open(protocol.ledger_path) as ledger:
        seed = next(o.record_id for o in record_outcomes(ledger, protocol) if o.end == "included")
        record = get_record(ledger, seed).record
        killed = start_run(ledger, "cite", source=CITATION_SOURCE)  # a cite killed earlier: still "running"
    with FakeOpenAlex(10) as fake:
        fake.aliases[f"doi:{record.doi.lower()}" if record.doi else f"pmid:{record.pmid}"] = "W4000000000"
        fake.references = {"W4000000000": ["W4000000001", "W4000000002"], "W4000000003": ["W4000000000"],
                           "W4000000004": ["W4000000000", "W4000000001"]}
        outcome = cite(protocol, start=[str(seed)], via="openalex",
                       services={"openalex": settings_for(openalex.SERVICE, fake.url, api_key="k-test")})
    assert (outcome.found, outcome.works, outcome.not_found) == (4, 4, [])
    with Ledger.open(protocol.ledger_path) as ledger:
        links = {(get_record(ledger, link.to_record).record.source_id, link.direction)
                 for link in list_links(ledger, outcome.run_id)}
        assert get_run(ledger, killed).status == "interrupted"
    assert links == {("W4000000001", "backward"), ("W4000000002", "backward"), ("W4000000003", "forward"),
                     ("W4000000004", "forward")}


def test_cite_names_what_it_cannot_do(example: Path, tmp_path: Path) -> None:
    protocol = _fresh(example, tmp_path)
    unknown = runner.invoke(app, ["cite", str(protocol.path), "--from", "999999"])
    assert unknown.exit_code == 2 and "record(s) 999999 are not in the ledger" in unknown.output
    no_key = runner.invoke(app, ["cite", str(protocol.path), "--via", "openalex"])
    assert no_key.exit_code == 1 and "OPENALEX_API_KEY" in no_key.output
    bad = runner.invoke(app, ["cite", str(protocol.path), "--via", "scopus"])
    assert bad.exit_code == 2 and "europepmc, openalex" in bad.output
