"""The import pipeline into the ledger, and the ``import`` command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester import protocol as protocol_module
from harvester.cli.main import app
from harvester.errors import FormatError, InputError
from harvester.importing import import_file, import_files, import_protocol_files
from harvester.ledger import Ledger
from harvester.ledger.records import iter_records, list_files
from harvester.ledger.runs import list_runs

runner = CliRunner()

GOOD = "TY  - JOUR\nTI  - First\nAU  - Smith, J\nDO  - https://doi.org/10.1000/one\nAN  - A1\nER  - \n\n" \
       "TY  - JOUR\nTI  - Second\nPY  - 2020\nER  - \n"
WITH_BAD = GOOD + "\nTI  - A record with no type\nER  - \n\nTY  - JOUR\nTI  - Third\nER  - \n"


def _protocol(tmp_path: Path, files: dict[str, list[str]] | None = None) -> Path:
    files = files or {}
    sources = []
    for name, database in (("CINAHL", "CINAHL"), ("Scopus", "Scopus")):
        listed = ", ".join(f'"{f}"' for f in files.get(name, ["placeholder.ris"]))
        sources.append(f'[[sources]]\nname = "{name}"\nkind = "file"\ndatabase = "{database}"\n'
                       f'platform = "test"\nfiles = [{listed}]\nsearched = "2014/06/15"\n')
    sources.append('[[sources]]\nname = "Hand"\nkind = "other"\nmethod = "citation searching"\n'
                   f'files = [{", ".join(repr(f) for f in files.get("Hand", ["hand.ris"]))}]\n')
    text = (f'[review]\nid = "t"\nledger = "{tmp_path / "ledger.sqlite"}"\n[query]\ntext = "peer"\n'
            + "\n".join(sources))
    path = tmp_path / "review.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_stores_file_run_records_and_rejections(tmp_path: Path) -> None:
    path = _write(tmp_path, "cinahl.ris", WITH_BAD)
    loaded = protocol_module.load(_protocol(tmp_path))
    with Ledger.open(loaded.ledger_path) as ledger:
        result = import_file(ledger, loaded, path, source="CINAHL")
        assert result.status == "imported"
        assert (result.records_read, result.imported, len(result.rejected)) == (4, 3, 1)
        assert result.rejected[0].position == 3 and result.rejected[0].line == 13
        stored = list(iter_records(ledger))
        assert [s.record.title for s in stored] == ["First", "Second", "Third"]
        assert [s.record.position for s in stored] == [1, 2, 4]
        first = stored[0]
        assert first.source == "CINAHL" and first.database == "CINAHL" and first.origin == "file"
        assert first.record.doi == "10.1000/one" and first.record.source_id == "A1"
        assert first.record.raw.startswith("TY  - JOUR\nTI  - First")
        assert ("AU", "Smith, J") in first.record.tags
        files = list_files(ledger)
        assert len(files) == 1 and files[0].records_read == 4 and files[0].export_date == "2014/06/15"
        assert files[0].sha256 == result.sha256 and len(result.sha256) == 64
        rows = ledger.connection.execute("SELECT position, line, reason, file_id FROM rejections").fetchall()
        assert [(r["position"], r["line"], r["file_id"]) for r in rows] == [(3, 13, files[0].id)]
        run = list_runs(ledger, kind="import")[0]
        assert run.status == "ok" and run.count_retrieved == 3 and run.source == "CINAHL"
        # counts are derived from rows: read = imported + rejected
        imported = ledger.connection.execute(
            "SELECT COUNT(*) FROM records WHERE file_id = ?", (files[0].id,)).fetchone()[0]
        rejected = ledger.connection.execute(
            "SELECT COUNT(*) FROM rejections WHERE file_id = ?", (files[0].id,)).fetchone()[0]
        assert imported + rejected == files[0].records_read


def test_importing_the_same_bytes_again_changes_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path, "cinahl.ris", GOOD)
    copy = tmp_path / "renamed.ris"
    shutil.copy(path, copy)
    loaded = protocol_module.load(_protocol(tmp_path))
    with Ledger.open(loaded.ledger_path) as ledger:
        import_file(ledger, loaded, path, source="CINAHL")
        before = [tuple(r) for r in ledger.connection.execute("SELECT * FROM records").fetchall()]
        runs_before = len(list_runs(ledger))
        again = import_file(ledger, loaded, copy, source="Scopus")
        assert again.status == "already-imported" and "nothing changed" in again.message
        assert [tuple(r) for r in ledger.connection.execute("SELECT * FROM records").fetchall()] == before
        assert len(list_runs(ledger)) == runs_before


def test_strict_refuses_the_whole_file_but_keeps_the_reasons(tmp_path: Path) -> None:
    path = _write(tmp_path, "cinahl.ris", WITH_BAD)
    loaded = protocol_module.load(_protocol(tmp_path))
    with Ledger.open(loaded.ledger_path) as ledger:
        result = import_file(ledger, loaded, path, source="CINAHL", strict=True)
        assert result.status == "refused" and result.imported == 0 and not result.ok
        assert ledger.connection.execute("SELECT COUNT(*) FROM records").fetchone()[0] == 0
        assert list_files(ledger) == []
        assert ledger.connection.execute("SELECT COUNT(*) FROM rejections").fetchone()[0] == 1
        assert list_runs(ledger)[0].status == "failed"
        # not strict: the same file now comes in
        assert import_file(ledger, loaded, path, source="CINAHL").status == "imported"


def test_unreadable_file_is_a_failed_run_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "scan.ris"
    path.write_bytes(b"%PDF-1.4\x00\x00\x01binary")
    loaded = protocol_module.load(_protocol(tmp_path))
    with Ledger.open(loaded.ledger_path) as ledger:
        with pytest.raises(FormatError, match="binary"):
            import_file(ledger, loaded, path, source="CINAHL")
        run = list_runs(ledger)[0]
        assert run.status == "failed" and "binary" in (run.message or "")
        assert ledger.connection.execute("SELECT reason FROM rejections").fetchone()[0].startswith(str(path))
        results = import_files(ledger, loaded, [path, _write(tmp_path, "ok.ris", GOOD)], source="CINAHL")
        assert [r.status for r in results] == ["failed", "imported"]


def test_source_is_found_from_the_protocol_or_the_content(tmp_path: Path, shared_dir: Path) -> None:
    scopus = shared_dir / "corpus/scopus/ris/asreview__scopus.ris"
    listed = _write(tmp_path, "listed.ris", GOOD)
    loaded = protocol_module.load(_protocol(tmp_path, {"CINAHL": [str(listed)]}))
    with Ledger.open(loaded.ledger_path) as ledger:
        assert import_file(ledger, loaded, listed).source == "CINAHL"  # listed by the protocol
        by_content = import_file(ledger, loaded, scopus)  # DB - Scopus in the file
        assert by_content.source == "Scopus" and by_content.database == "Scopus"
        with pytest.raises(InputError, match="--source"):
            import_file(ledger, loaded, _write(tmp_path, "unknown.ris", GOOD.replace("First", "Other")))
        with pytest.raises(InputError, match="no source named"):
            import_file(ledger, loaded, listed, source="Nope")


def test_database_mismatch_is_warned(tmp_path: Path, shared_dir: Path) -> None:
    loaded = protocol_module.load(_protocol(tmp_path))
    with Ledger.open(loaded.ledger_path) as ledger:
        result = import_file(ledger, loaded, shared_dir / "corpus/scopus/ris/asreview__scopus.ris", source="CINAHL")
        assert result.database == "CINAHL"
        assert any("looks like Scopus" in w for w in result.warnings)


def test_protocol_pipeline_imports_every_named_file(tmp_path: Path, shared_dir: Path) -> None:
    corpus = shared_dir / "corpus"
    files = {"CINAHL": [str(corpus / "ebsco/ris/synthesisr__ASP_ris_example.ris")],
             "Scopus": [str(corpus / "scopus/ris/synthesisr__Scopus_ris_example.ris")],
             "Hand": [str(corpus / "pubmed/medline_nbib/biopython__pubmed_result2.txt"), str(tmp_path / "gone.ris")]}
    loaded = protocol_module.load(_protocol(tmp_path, files))
    with Ledger.open(loaded.ledger_path) as ledger:
        results = import_protocol_files(ledger, loaded)
        assert [(r.source, r.status, r.imported) for r in results] == [
            ("CINAHL", "imported", 4), ("Scopus", "imported", 3), ("Hand", "imported", 4), ("Hand", "failed", 0)]
        assert "cannot read" in results[-1].message
        hand = [s for s in iter_records(ledger, source="Hand")]
        assert {s.database for s in hand} == {"MEDLINE"}  # an 'other' source keeps what the content says
        assert [r.status for r in import_protocol_files(ledger, loaded)][:3] == ["already-imported"] * 3


def test_cli_import_reports_detection_counts_and_rejections(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path)
    path = _write(tmp_path, "cinahl.ris", WITH_BAD)
    result = runner.invoke(app, ["import", str(protocol), str(path), "--source", "CINAHL"])
    assert result.exit_code == 0, result.output
    assert "records read 4 = imported 3 + rejected 1" in result.output
    assert "rejected record 3 (line 13)" in result.output and "cinahl.ris:13" in result.output
    assert "detected: RIS" in result.output
    again = runner.invoke(app, ["import", str(protocol), str(path), "--source", "CINAHL", "--json"])
    assert again.exit_code == 0
    assert json.loads(again.output)[0]["status"] == "already-imported"


def test_cli_strict_format_and_errors(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path)
    path = _write(tmp_path, "cinahl.txt", WITH_BAD)
    strict = runner.invoke(app, ["import", str(protocol), str(path), "--source", "CINAHL", "--strict", "--json"])
    assert strict.exit_code == 1
    data = json.loads(strict.output)[0]
    assert data["status"] == "refused" and data["rejected"][0]["line"] == 13
    wrong = runner.invoke(app, ["import", str(protocol), str(path), "--source", "CINAHL", "--format", "medline"])
    assert wrong.exit_code == 1 and "does not look like MEDLINE" in wrong.output
    unknown = runner.invoke(app, ["import", str(protocol), str(path), "--source", "CINAHL", "--format", "docx"])
    assert unknown.exit_code == 2 and "unknown format" in unknown.output  # usage: Typer's own error (issue 12)


STREAMED_FILES = ("scopus/ris/synthesisr__scopus.ris", "ebsco/ris/CiteSource__20221207_gambling-harms_crimjust_41.ris",
                  "wos/ris/ASySD__wos_test.ris", "ovid/ris/asreview__ovid_psycinfo.ris",
                  "dimensions/ris/synthesisr__citesource_issue_24.ris", "zotero/ris/asreview__baseline_zotero.ris")


def _stored(ledger: Ledger) -> list[tuple[object, ...]]:
    return [(s.record.position, s.record.line, s.record.raw, s.record.bibliographic(), s.record.tags,
             s.record.source_id, s.database) for s in iter_records(ledger)]


@pytest.mark.parametrize("name", STREAMED_FILES)
def test_a_streamed_import_stores_what_a_whole_file_import_stores(
        name: str, tmp_path: Path, shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import harvester.importing as importing
    import harvester.importing_stream as streaming

    path = shared_dir / "corpus" / name
    results = []
    for streamed in (False, True):
        folder = tmp_path / ("streamed" if streamed else "whole")
        folder.mkdir()
        loaded = protocol_module.load(_protocol(folder))
        monkeypatch.setattr(importing, "STREAM_ABOVE_BYTES", 0 if streamed else 1 << 40)
        monkeypatch.setattr(importing, "BLOCK_BYTES", 4096)
        monkeypatch.setattr(streaming, "BLOCK_BYTES", 4096)
        with Ledger.open(loaded.ledger_path) as ledger:
            result = import_file(ledger, loaded, path, source="Hand")
            assert result.status == "imported"
            assert ("read block by block" in result.message) is streamed
            results.append((_stored(ledger), list_files(ledger)[0].records_read, result.imported))
    assert results[0] == results[1]


def test_a_streamed_file_that_stops_being_utf8_is_read_as_windows_1252(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import harvester.importing as importing
    import harvester.importing_stream as streaming

    monkeypatch.setattr(importing, "STREAM_ABOVE_BYTES", 0)
    monkeypatch.setattr(streaming, "HEAD_BYTES", 64)
    path = tmp_path / "late.ris"
    path.write_bytes(GOOD.encode() + "\nTY  - JOUR\nTI  - Caf\u00e9\nER  - \n".encode("cp1252"))
    loaded = protocol_module.load(_protocol(tmp_path))
    with Ledger.open(loaded.ledger_path) as ledger:
        result = import_file(ledger, loaded, path, source="CINAHL")
        assert result.imported == 3 and result.encoding == "cp1252"
        assert any("Windows-1252" in w for w in result.warnings)
        assert [s.record.title for s in iter_records(ledger)][-1] == "Caf\u00e9"
        assert ledger.connection.execute(
            "SELECT COUNT(*) FROM runs").fetchone()[0] == 1  # checked before writing: one run


def test_a_streamed_strict_import_refuses_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import harvester.importing as importing

    monkeypatch.setattr(importing, "STREAM_ABOVE_BYTES", 0)
    path = _write(tmp_path, "bad.ris", WITH_BAD)
    loaded = protocol_module.load(_protocol(tmp_path))
    with Ledger.open(loaded.ledger_path) as ledger:
        result = import_file(ledger, loaded, path, source="CINAHL", strict=True)
        assert result.status == "refused" and result.records_read == 4 and len(result.rejected) == 1
        assert ledger.connection.execute("SELECT COUNT(*) FROM records").fetchone()[0] == 0


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_streamed_import_of_bom_files_with_crlf(encoding: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import harvester.importing as importing
    import harvester.importing_stream as streaming

    monkeypatch.setattr(importing, "STREAM_ABOVE_BYTES", 0)
    monkeypatch.setattr(streaming, "HEAD_BYTES", 101)  # an odd cut: the UTF-16 head must still decode
    monkeypatch.setattr(streaming, "BLOCK_BYTES", 64)
    text = (GOOD + "\nTY  - JOUR\nTI  - Caf\u00e9 \u2013 \u00fcber\nER  - \n").replace("\n", "\r\n")
    path = tmp_path / "bom.ris"
    path.write_bytes(text.encode(encoding))
    loaded = protocol_module.load(_protocol(tmp_path))
    with Ledger.open(loaded.ledger_path) as ledger:
        result = import_file(ledger, loaded, path, source="CINAHL")
        assert "read block by block" in result.message and result.imported == 3
        stored = [s.record for s in iter_records(ledger)]
        assert [r.title for r in stored] == ["First", "Second", "Caf\u00e9 \u2013 \u00fcber"]
        assert [r.line for r in stored] == [1, 8, 13]
        assert stored[0].tags[0] == ("TY", "JOUR")


def test_cli_without_files_imports_the_protocols_files_of_one_source(tmp_path: Path, shared_dir: Path) -> None:
    corpus = shared_dir / "corpus"
    files = {"CINAHL": [str(corpus / "ebsco/ris/synthesisr__ASP_ris_example.ris")],
             "Scopus": [str(corpus / "scopus/ris/synthesisr__Scopus_ris_example.ris")],
             "Hand": [str(corpus / "pubmed/medline_nbib/biopython__pubmed_result1.txt")]}
    protocol = _protocol(tmp_path, files)
    one = runner.invoke(app, ["import", str(protocol), "--source", "Scopus", "--json"])
    assert one.exit_code == 0, one.output
    assert [(r["source"], r["imported"]) for r in json.loads(one.output)] == [("Scopus", 3)]
    everything = runner.invoke(app, ["import", str(protocol), "--json"])
    assert [r["status"] for r in json.loads(everything.output)] == ["imported", "already-imported", "imported"]
    unknown = runner.invoke(app, ["import", str(protocol), "--source", "Nope"])
    assert unknown.exit_code != 0 and "no source named" in unknown.output


SPREADSHEET = (
    "Ref;Paper title;Writers;Pub year;Periodical;Digital object id;Summary;Reviewer notes\n"
    'R-1;Peer support workers in mental health;"Smith, Jane; Doe, A.";2019;J Ment Health;'
    "https://doi.org/10.1080/09638237.2019.1608934;Peer workers...;include?\n"
    "R-2;Lay health workers and tuberculosis;Okafor, C;2021 Mar;BMC Public Health;;;\n"
    ";;;;;;;only a note\n"
)
MAP = ["--map", "title=Paper title", "--map", "authors=Writers", "--map", "year=Pub year", "--map",
       "journal=Periodical", "--map", "doi=Digital object id", "--map", "abstract=Summary", "--map", "source_id=Ref"]


def test_import_map_reads_a_spreadsheet_whose_header_matches_no_vendor(tmp_path: Path) -> None:
    path = _write(tmp_path, "screening-sheet.csv", SPREADSHEET)
    protocol = _protocol(tmp_path)
    unmapped = runner.invoke(app, ["import", str(protocol), str(path), "--source", "Hand"])
    assert unmapped.exit_code == 1 and "matches no known export" in unmapped.output
    result = runner.invoke(app, ["import", str(protocol), str(path), "--source", "Hand", *MAP, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)[0]
    assert (summary["status"], summary["records_read"], summary["imported"]) == ("imported", 3, 2)
    assert "column mapping" in summary["detection"] and "title=Paper title" in summary["detection"]
    assert summary["rejected"][0]["record"] == 3  # the row holding only a note in an unmapped column
    loaded = protocol_module.load(protocol)
    with Ledger.open(loaded.ledger_path) as ledger:
        stored = [s.record for s in iter_records(ledger)]
        run = list_runs(ledger, kind="import")[-1]
    first, second = stored
    assert first.title == "Peer support workers in mental health" and first.authors == ("Smith, Jane", "Doe, A.")
    assert (first.year, first.journal, first.source_id) == (2019, "J Ment Health", "R-1")
    assert first.doi == "10.1080/09638237.2019.1608934" and first.abstract == "Peer workers..."
    assert ("Reviewer notes", "include?") in first.tags  # unmapped columns are kept as read
    assert (second.year, second.doi, second.authors) == (2021, "", ("Okafor, C",))
    assert run.parameters["mapping"]["title"] == "Paper title"


def test_import_map_errors_name_the_problem(tmp_path: Path) -> None:
    path = _write(tmp_path, "sheet.csv", SPREADSHEET)
    protocol = _protocol(tmp_path)
    unknown = runner.invoke(app, ["import", str(protocol), str(path), "--source", "Hand",
                                  "--map", "headline=Paper title"])
    assert unknown.exit_code != 0
    assert "unknown field 'headline'" in unknown.output and "title, abstract, authors, year" in unknown.output
    missing = runner.invoke(app, ["import", str(protocol), str(path), "--source", "Hand", "--map", "title=Titel"])
    assert missing.exit_code == 1 and "'Titel'" in missing.output and "does not have" in missing.output
    malformed = runner.invoke(app, ["import", str(protocol), str(path), "--source", "Hand", "--map", "title"])
    assert malformed.exit_code == 2 and "FIELD=HEADER" in malformed.output
    not_csv = runner.invoke(app, ["import", str(protocol), str(_write(tmp_path, "x.ris", GOOD)), "--source", "Hand",
                                  "--format", "ris", "--map", "title=TI"])
    assert not_csv.exit_code == 1 and "reads CSV files" in not_csv.output
    every_file = runner.invoke(app, ["import", str(protocol), "--map", "title=Paper title"])
    assert every_file.exit_code == 2 and "name the files, or the one source" in every_file.output  # usage
    loaded = protocol_module.load(protocol)
    with Ledger.open(loaded.ledger_path) as ledger:
        assert list(iter_records(ledger)) == []
