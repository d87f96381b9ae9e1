"""The issue's scenario with the real stages: a real RIS export imported by ``harvester.importing``, the
real incremental de-duplication (``harvester.dedup.dedupe_new``), and a dated stand-in PubMed.

Initial harvest plus an export file imported earlier; then PubMed adds 137 records created today, 20 of
which are the same articles as records of that export (which carried no PMID, and whose titles differ in
case and punctuation): the refresh reports 117 new unique and 20 known, and lists them. A second refresh
finds nothing and changes nothing but the run log. A changed export file is re-imported; an unchanged
one adds nothing.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from harvester import dedup, importing
from harvester import protocol as protocol_module
from harvester.formats import ris
from harvester.ledger import Ledger
from harvester.ledger.duplicates import current_duplicates
from harvester.ledger.records import get_record
from harvester.ledger.runs import list_runs, refresh_runs
from harvester.protocol import Protocol
from harvester.records import Record
from harvester.refresh import Steps, refresh
from tests.synthetic import article, second_copy
from tests.test_refresh import TODAY, FakePubMed, table_rows

PROTOCOL = """
[review]
id = "living"
ledger = "{ledger}"

[query]
text = "peer AND support"

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


def synthetic(n: int) -> Record:
    """Article ``n`` as PubMed holds it."""
    return article(n, first_pmid=31_000_000)


def as_exported(record: Record) -> Record:
    """The same article in a CINAHL export."""
    return second_copy(record, "CINAHL")


def setup_review(folder: Path, export: list[Record]) -> Protocol:
    path = folder / "living.toml"
    path.write_text(PROTOCOL.format(ledger=str(folder / "living.sqlite")), encoding="utf-8")
    (folder / "cinahl.ris").write_text(ris.dumps(export), encoding="utf-8")
    return protocol_module.load(path)


def real_steps(pubmed: FakePubMed) -> Steps:
    return Steps(search=pubmed.search, count=pubmed.count)  # import and dedupe: the project's own


@pytest.fixture
def review(tmp_path: Path) -> tuple[Protocol, FakePubMed]:
    export = [as_exported(synthetic(n)) for n in [*range(1001, 1021), *range(5001, 5041)]]
    protocol = setup_review(tmp_path, export)
    with Ledger.open(protocol.ledger_path) as ledger:  # the export file imported earlier
        (result,) = importing.import_protocol_files(ledger, protocol)
        assert result.status == "imported" and result.imported == 60
        dedup.dedupe_ledger(ledger, protocol)
    pubmed = FakePubMed()
    pubmed.add([synthetic(n) for n in range(1, 301)], date(2024, 3, 1))
    first = refresh(protocol, steps=real_steps(pubmed))
    assert (len(first.new_unique), len(first.known)) == (300, 0)
    assert {s.source: s.status for s in first.sources} == {"MEDLINE": "searched", "CINAHL": "unchanged"}
    return protocol, pubmed


def test_137_new_of_which_20_known_from_the_export(review: tuple[Protocol, FakePubMed]) -> None:
    protocol, pubmed = review
    pubmed.add([synthetic(n) for n in range(1001, 1138)], TODAY)
    delta = refresh(protocol, steps=real_steps(pubmed))
    assert (len(delta.new_unique), len(delta.known), len(delta.duplicates_among_new)) == (117, 20, 0)
    assert {r.pmid for r in delta.new_unique} == {str(31000000 + n) for n in range(1021, 1138)}
    for known in delta.known:
        (held,) = known.duplicate_of
        assert held.source == "CINAHL" and held.title.lower().rstrip(".") == known.record.title.lower()
    with Ledger.open(protocol.ledger_path) as ledger:
        refresh_run = refresh_runs(ledger)[-1]
        kinds = [r.kind for r in list_runs(ledger) if r.parent_run_id == refresh_run.id]
        assert kinds == ["search", "search", "dedupe"]
        dedupe_run = [r for r in list_runs(ledger, kind="dedupe")][-1]
        assert dedupe_run.parameters["mode"] == "incremental"

    before = {t: table_rows(protocol.ledger_path, t) for t in ("records", "files", "duplicates", "rejections")}
    again = refresh(protocol, steps=real_steps(pubmed))
    assert (again.new_records, len(again.new_unique), len(again.known), len(again.revised)) == (0, 0, 0, 0)
    assert {t: table_rows(protocol.ledger_path, t) for t in before} == before


def test_a_changed_export_is_reimported_and_an_unchanged_one_adds_nothing(review: tuple[Protocol, FakePubMed]) -> None:
    protocol, pubmed = review
    export = protocol.source("CINAHL").files[0]
    extra = [as_exported(synthetic(n)) for n in (7001, 7002)] + [as_exported(synthetic(5))]
    export.write_text(export.read_text(encoding="utf-8") + ris.dumps(extra), encoding="utf-8")
    delta = refresh(protocol, steps=real_steps(pubmed))
    cinahl = next(s for s in delta.sources if s.source == "CINAHL")
    assert cinahl.status == "imported" and cinahl.returned == 63
    # the re-exported file's 60 old records come again as new rows of a new file: known, like article 5
    assert len(delta.new_unique) == 2
    assert {r.title for r in delta.new_unique} == {as_exported(synthetic(n)).title for n in (7001, 7002)}
    assert len(delta.known) == 61
    again = refresh(protocol, steps=real_steps(pubmed))
    assert next(s for s in again.sources if s.source == "CINAHL").status == "unchanged"
    assert again.new_records == 0


def test_the_updated_diagram_after_the_refresh(review: tuple[Protocol, FakePubMed], tmp_path: Path) -> None:
    """Issue 7's updated-review diagram on the scenario: two export records included before the refresh; the
    refresh brings their PubMed copies (kept, MEDLINE being preferred) among 137 newcomers. Since the first
    refresh: MEDLINE 137 identified, 20 duplicates removed, 117 to screen; previous studies still 2."""
    from typer.testing import CliRunner

    from harvester.cli.main import app
    from harvester.review import counts_since
    from prisma.since import check_since

    protocol, pubmed = review
    with Ledger.open(protocol.ledger_path) as ledger:
        boundary = refresh_runs(ledger)[-1].id
        exported = {int(row["id"]): row["title"] for row in ledger.connection.execute(
            "SELECT id, title FROM records WHERE source = 'CINAHL' ORDER BY id LIMIT 2")}
    sheet = tmp_path / "decisions.csv"
    sheet.write_text("record_id,stage,reviewer,decision\n" + "".join(
        f"{rid},{stage},JM,include\n" for rid in exported for stage in ("title-abstract", "full-text")),
        encoding="utf-8")
    result = CliRunner().invoke(app, ["screen", "import", str(protocol.path), str(sheet)])
    assert result.exit_code == 0, result.output
    pubmed.add([synthetic(n) for n in range(1001, 1138)], TODAY)
    delta = refresh(protocol, steps=real_steps(pubmed))
    assert len(delta.known) == 20
    with Ledger.open(protocol.ledger_path) as ledger:
        updated = counts_since(ledger, protocol, str(boundary))
        removed = current_duplicates(ledger)
        kept_sources = {get_record(ledger, removed[rid]).source for rid in exported if rid in removed}
    assert kept_sources == {"MEDLINE"} and set(exported) <= set(removed)  # the PubMed copies are kept now
    c = updated.counts
    assert [(line.name, line.n) for line in c.database_specific_results] == [("MEDLINE", 137)]
    assert (c.duplicates, c.records_screened, c.records_awaiting_screening) == (20, 117, 117)
    assert (c.previous_studies, c.previous_reports, c.new_studies, c.total_studies) == (2, 2, 0, 2)
    assert set(c.records["previous_reports"]) == set(exported)
    assert not check_since(updated)
    assert any("still await a decision" in warning for warning in updated.warnings)  # the 358 unscreened
