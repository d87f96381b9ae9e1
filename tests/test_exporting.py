"""Export: CSV and BibTeX read back to the same normalised records; the `export` command on a tmp ledger."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from harvester.cli.main import app
from harvester.formats import read_bytes, read_file
from harvester.formats._fields import author, is_placeholder, strip_markup
from harvester.formats.bibtex import write_bibtex
from harvester.formats.csv import record_row, write_csv
from harvester.formats.csv_columns import EXPORT_COLUMNS
from harvester.ledger import Ledger, utc_now
from harvester.ledger.runs import finish_run, start_run
from harvester.records import Record

runner = CliRunner()

# --- round trips (pure: records -> text -> records) --------------------------------------------------------

_WORD = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zs", "Zl", "Zp")),
                min_size=1, max_size=8)


def _text(word: st.SearchStrategy[str] = _WORD, max_words: int = 5) -> st.SearchStrategy[str]:
    # importers drop HTML/JATS tags from titles and abstracts: generated text holds none
    return st.lists(word, min_size=1, max_size=max_words).map(" ".join).filter(
        lambda t: not is_placeholder(t) and strip_markup(t) == t)


_MAYBE_TEXT = st.one_of(st.just(""), _text())
_ITEM = _text(_WORD.filter(lambda w: ";" not in w), 3)  # BibTeX lists are ";"-separated (see docs)
_AUTHOR = st.one_of(st.builds(lambda s, g: f"{s}, {g}", _text(max_words=2), _text(max_words=2)),
                    _text(max_words=3)).filter(lambda name: author(name, "as-written") == name)  # as readers give them


def _records(item: st.SearchStrategy[str]) -> st.SearchStrategy[Record]:
    unique = {"unique": True}
    return st.builds(
        Record,
        title=_MAYBE_TEXT,
        abstract=_MAYBE_TEXT,
        authors=st.lists(_AUTHOR, max_size=4, **unique).map(tuple),  # type: ignore[arg-type]
        year=st.one_of(st.none(), st.integers(1000, 2999)),
        journal=_MAYBE_TEXT,
        journal_abbrev=_MAYBE_TEXT,
        issn=st.lists(st.from_regex(r"\A\d{4}-\d{3}[\dX]\Z"), max_size=2, unique=True).map(tuple),
        volume=_MAYBE_TEXT,
        issue=_MAYBE_TEXT,
        # end pages written out in full: every reader writes out a shortened one ("349-69" -> "349-369"), and
        # a range of one page is that page ("22-22" -> "22")
        pages=st.one_of(st.just(""), st.from_regex(r"\Ae?[1-9]\d{0,3}\Z"),
                        st.tuples(st.integers(1, 9999), st.integers(1, 999)).map(lambda p: f"{p[0]}-{p[0] + p[1]}")),
        doi=st.one_of(st.just(""), st.from_regex(r"\A10\.\d{4,6}/[a-z0-9.()_\-]{0,12}[a-z0-9]\Z")),
        pmid=st.one_of(st.just(""), st.from_regex(r"\A[1-9]\d{0,8}\Z")),
        language=st.lists(item, max_size=2, unique=True).map(tuple),
        publication_types=st.lists(item, max_size=2, unique=True).map(tuple),
        keywords=st.lists(item, max_size=4, unique=True).map(tuple),
        mesh=st.lists(item, max_size=3, unique=True).map(tuple),
        url=_MAYBE_TEXT,
        publisher=_MAYBE_TEXT,
        database=_text(max_words=2),
        source_id=_MAYBE_TEXT,
    )


def csv_export(records: Sequence[Record]) -> bytes:
    """Records written as our CSV export (ledger ids 1, 2, ...), as ``export --format csv --out`` writes them."""
    out = io.StringIO()
    rows = []
    for number, record in enumerate(records, start=1):
        row = record_row(record)
        row.update(record_id=number, origin="run 1", source="S", duplicate_of=None)
        rows.append(row)
    write_csv(rows, out)
    return out.getvalue().encode("utf-8-sig")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_records(_text(max_words=3)), min_size=1, max_size=5))
def test_csv_export_then_import_gives_the_same_normalised_records(records: list[Record]) -> None:
    parsed = read_bytes(csv_export(records), "export.csv")
    assert parsed.format == "csv" and not parsed.rejected
    assert [r.bibliographic() for r in parsed.records] == [r.bibliographic() for r in records]
    assert [(r.source_id, r.database) for r in parsed.records] == [(r.source_id, r.database) for r in records]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_records(_ITEM), min_size=1, max_size=5))
def test_bibtex_export_then_import_gives_the_same_normalised_records(records: list[Record]) -> None:
    text = "".join(write_bibtex(records))
    parsed = read_bytes(text.encode("utf-8"), "export.bib")
    assert parsed.format == "bibtex" and not parsed.rejected, parsed.rejected
    assert [r.bibliographic() for r in parsed.records] == [r.bibliographic() for r in records]
    for back, record in zip(parsed.records, records, strict=True):
        assert back.database == record.database
        if record.source_id:
            assert back.source_id == record.source_id


def test_bibtex_writer_keeps_hard_values() -> None:
    record = Record(title="50% {of} a\\b & c_d #1 $x$", authors=("World Health Organization", "Smith and Sons, A"),
                    keywords=("Diabetes Mellitus, Type 2",), year=2020, source_id="2-s2.0-1", database="Scopus")
    back = read_bytes("".join(write_bibtex([record])).encode(), "x.bib").records[0]
    assert back.bibliographic() == record.bibliographic()


# --- the command, on a temporary ledger ---------------------------------------------------------------------


def _protocol(tmp_path: Path) -> Path:
    path = tmp_path / "review.toml"
    path.write_text(
        '[review]\nid = "t"\ntitle = "t"\nledger = "ledger.sqlite"\n[query]\ntext = \'"peer support"\'\n'
        '[[sources]]\nname = "PubMed CSV"\nkind = "file"\ndatabase = "PubMed"\nfiles = []\n'
        '[[sources]]\nname = "Sheet"\nkind = "file"\ndatabase = "Sheet"\nfiles = []\n', encoding="utf-8")
    return path


def _import(protocol: Path, source: str, path: Path) -> None:
    result = runner.invoke(app, ["import", str(protocol), str(path), "--source", source])
    assert result.exit_code == 0, result.output


def _mark_duplicate(protocol: Path, record_id: int, kept: int) -> None:
    """What a dedupe run leaves in the ledger (the contract ``current_duplicates`` reads)."""
    with Ledger.open(protocol.parent / "ledger.sqlite") as ledger:
        run_id = start_run(ledger, "dedupe")
        with ledger.transaction() as connection:
            connection.execute("INSERT INTO duplicates (run_id, record_id, duplicate_of, rule, decided_at)"
                               " VALUES (?, ?, ?, 'test', ?)", (run_id, record_id, kept, utc_now()))
        finish_run(ledger, run_id)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_export_csv_has_every_record_with_origin_and_duplicate_of(tmp_path: Path, shared_dir: Path) -> None:
    protocol = _protocol(tmp_path)
    source_file = shared_dir / "corpus/pubmed/csv/colrev__pubmed-chatbot.csv"
    _import(protocol, "PubMed CSV", source_file)
    _mark_duplicate(protocol, 2, 1)
    out = tmp_path / "out" / "records.csv"
    result = runner.invoke(app, ["export", str(protocol), "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 6 record(s)" in result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")  # Excel reads the CSV as UTF-8
    rows = _rows(text)
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert [row["record_id"] for row in rows] == ["1", "2", "3", "4", "5", "6"]
    assert rows[0]["source_id"] == rows[0]["pmid"] == "35227408"
    assert rows[0]["database"] == "PubMed" and rows[0]["source"] == "PubMed CSV"
    assert rows[0]["origin"] == f"file {source_file}"
    assert rows[1]["duplicate_of"] == "1" and rows[0]["duplicate_of"] == ""
    assert rows[1]["decision"] == "duplicate" and rows[0]["decision"] == "awaiting-screening"
    assert not list(tmp_path.glob("out/*.partial"))

    unique = runner.invoke(app, ["export", str(protocol), "--stage", "unique"])
    assert unique.exit_code == 0, unique.output
    assert [row["record_id"] for row in _rows(unique.stdout)] == ["1", "3", "4", "5", "6"]

    # the export imports back to the same normalised records
    original = read_file(source_file)
    back = read_file(out)
    assert [r.bibliographic() for r in back.records] == [r.bibliographic() for r in original.records]


def test_export_ris_and_bibtex_carry_the_ledger_id(tmp_path: Path, shared_dir: Path) -> None:
    protocol = _protocol(tmp_path)
    _import(protocol, "PubMed CSV", shared_dir / "corpus/pubmed/csv/colrev__pubmed-chatbot.csv")
    ris = runner.invoke(app, ["export", str(protocol), "--format", "ris"])
    assert ris.exit_code == 0, ris.output
    assert ris.stdout.count("ER  - ") == 6 and "TY  - JOUR\nID  - 1\n" in ris.stdout
    bib = tmp_path / "records.bib"
    result = runner.invoke(app, ["export", str(protocol), "--format", "bibtex", "--out", str(bib), "--json"])
    assert result.exit_code == 0, result.output
    assert '"records": 6' in result.output
    parsed = read_file(bib)
    assert [r.tag_values("ID")[0] for r in parsed.records] == ["1", "2", "3", "4", "5", "6"]
    assert parsed.records[0].source_id == "35227408"


def test_export_neutralises_formulas_for_spreadsheets(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text('title,authors,year,doi\n"=HYPERLINK(""http://x"")","@Smith, J",2020,10.1234/a\n'
                     '"-1 + 2 reasons","Doe, A",2021,10.1234/b\n', encoding="utf-8")
    _import(protocol, "Sheet", sheet)
    out = tmp_path / "records.csv"
    assert runner.invoke(app, ["export", str(protocol), "--out", str(out)]).exit_code == 0
    rows = _rows(out.read_text(encoding="utf-8"))
    assert rows[0]["title"] == "'=HYPERLINK(\"http://x\")" and rows[0]["authors"] == "'@Smith, J"
    assert rows[1]["title"] == "'-1 + 2 reasons"
    for row in rows:
        assert not any(value.startswith(("=", "+", "-", "@")) for value in row.values())
    back = read_file(out).records
    assert [r.title for r in back] == ['=HYPERLINK("http://x")', "-1 + 2 reasons"]
    assert back[0].authors == ("@Smith, J",)


def test_export_refuses_an_unknown_format_or_stage(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path)
    result = runner.invoke(app, ["export", str(protocol), "--format", "xlsx"])
    assert result.exit_code == 2 and "unknown export format" in result.output
    result = runner.invoke(app, ["export", str(protocol), "--stage", "screened"])
    assert result.exit_code == 2 and "awaiting-screening" in result.output
