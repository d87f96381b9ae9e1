"""Which formats are read block by block (record by record, memory bounded by a block and one record): every one.
RIS, CSV (with or without a column mapping), WoS tab, the line-tagged formats (MEDLINE, Web of Science plain text,
EndNote tagged, Ovid), the XML formats (EndNote XML, PubMed XML, ICTRP XML) and BibTeX stream and give exactly the
records, rejections and warnings of the whole-file reader on every corpus file of theirs, however the text is cut
into pieces; a file over ``MAX_WHOLE_BYTES`` in no known format is refused in one line naming the file, its size
and what to do."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import harvester.formats as formats
import harvester.formats.encoding as encoding_module
import harvester.importing as importing
import harvester.importing_stream as streaming
from harvester import protocol as protocol_module
from harvester.errors import FormatError
from harvester.formats import get_format, read_file
from harvester.formats.encoding import inspect_path
from harvester.importing import ImportResult, import_file
from harvester.ledger import Ledger
from harvester.ledger.records import iter_records

STREAMED = {"ris", "medline", "wos-plain", "enw", "ovid", "csv", "wos-tab", "endnote-xml", "pubmed-xml", "ictrp-xml",
            "bibtex"}
MEDLINE = "pubmed/medline_nbib/biopython__pubmed_result2.txt"
BIBTEX = "scopus/bibtex/synthesisr__Scopus_bib_example.bib"


def test_the_formats_that_stream() -> None:
    assert {fmt.name for fmt in formats.formats() if fmt.stream is not None} == STREAMED


@cache
def _corpus_files(shared: Path) -> list[tuple[str, str]]:
    """The import-scope corpus files in a streaming format, with it (the manifest's format names differ)."""
    with (shared / "corpus" / "MANIFEST.csv").open(encoding="utf-8") as handle:
        paths = [row["path"] for row in csv.DictReader(handle) if row["scope"] == "import"]
    found = []
    for path in paths:
        parsed = read_file(shared / "corpus" / path)
        if parsed.format in STREAMED:
            found.append((path, parsed.format))
    return found


#: A streaming format with no corpus file, and the test file read instead.
NOT_IN_CORPUS = {"ictrp-xml": Path(__file__).parent / "data" / "ictrp_sample.xml"}


def test_streamed_and_whole_readings_agree_on_every_corpus_file(shared_dir: Path) -> None:
    files = _corpus_files(shared_dir) + [(str(path), name) for name, path in NOT_IN_CORPUS.items()]
    assert {name for _, name in files} == STREAMED  # every streaming format has files here
    for path, name in files:
        source = inspect_path(shared_dir / "corpus" / path)  # an absolute path stays itself
        whole = get_format(name).read(source.text(), path, None)
        small = (shared_dir / "corpus" / path).stat().st_size < 200_000  # tiny pieces on small files: quick
        for size in (7, 100, 4096) if small else (997, 65536):
            warnings: list[str] = []
            stream = get_format(name).stream
            assert stream is not None
            items = list(stream(source.blocks(size), path, None, warnings))
            assert [i for i in items if not hasattr(i, "reason")] == list(whole.records), (path, size)
            assert [i for i in items if hasattr(i, "reason")] == list(whole.rejected), (path, size)
            assert warnings == list(whole.warnings), (path, size)


def _protocol(folder: Path, database: str) -> Path:
    path = folder / "review.toml"
    path.write_text(f'[review]\nid = "t"\nledger = "{folder / "ledger.sqlite"}"\n[query]\ntext = "peer"\n'
                    f'[[sources]]\nname = "S"\nkind = "file"\ndatabase = "{database}"\nfiles = []\n', encoding="utf-8")
    return path


def _imported_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database: str, path: Path,
                        rows: Callable[[Ledger], object], **options: Any) -> list[tuple[ImportResult, object]]:
    """``path`` imported into a new ledger read whole, then block by block (512-byte blocks; refused if read whole,
    so the blocks must be used), for a file source of ``database``: each import's result and ``rows(ledger)``."""
    monkeypatch.setattr(encoding_module, "BLOCK_BYTES", 512)
    monkeypatch.setattr(streaming, "BLOCK_BYTES", 512)
    monkeypatch.setattr(streaming, "HEAD_BYTES", 1024)
    found = []
    for streamed in (False, True):
        folder = tmp_path / str(streamed)
        folder.mkdir()
        monkeypatch.setattr(importing, "STREAM_ABOVE_BYTES", 0 if streamed else 1 << 40)
        monkeypatch.setattr(formats, "MAX_WHOLE_BYTES", 1000 if streamed else 1 << 40)
        loaded = protocol_module.load(_protocol(folder, database))
        with Ledger.open(loaded.ledger_path) as ledger:
            result = import_file(ledger, loaded, path, source="S", **options)
            assert ("read block by block" in result.message) is streamed
            found.append((result, rows(ledger)))
    return found


def test_a_medline_file_too_large_to_read_whole_is_imported_block_by_block(
        shared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole, streamed = _imported_both_ways(
        tmp_path, monkeypatch, "MEDLINE", shared_dir / "corpus" / MEDLINE,
        lambda ledger: [(s.record.title, s.record.line, s.record.raw, s.record.pmid) for s in iter_records(ledger)])
    assert [(r.status, r.imported) for r, _ in (whole, streamed)] == [("imported", 4)] * 2
    assert whole[1] == streamed[1]


def test_a_file_too_large_to_read_whole_in_no_known_format_is_refused_in_one_line(
        shared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formats, "MAX_WHOLE_BYTES", 1000)
    path = tmp_path / "notes.txt"  # no format recognises it
    path.write_text("Search notes, not an export.\n" * 100, encoding="utf-8")
    with pytest.raises(FormatError) as refused:
        read_file(path)
    message = str(refused.value)
    assert "\n" not in message and str(path) in message
    assert "the file is 0 MB of a format not recognised in its first 256 KB: over the 0 MB read whole" in message
    assert ("name its format with --format (these are read block by block: bibtex, csv, endnote-xml, enw, "
            "ictrp-xml, medline, ovid, pubmed-xml, ris, wos-plain, wos-tab)" in message)
    with pytest.raises(FormatError, match="import it .prisma-harvest import., which reads this format block by block"):
        read_file(shared_dir / "corpus" / BIBTEX)
    with pytest.raises(FormatError, match="import it .prisma-harvest import., which reads this format block by block"):
        read_file(shared_dir / "corpus" / MEDLINE)  # read whole by the library call; import streams it


#: Where an XML format's records start and its root closes (the records between are repeated).
XML_BODY = {"endnote-xml": ("<record>", "</records>"), "pubmed-xml": ("<PubmedArticle>", "</PubmedArticleSet>"),
            "ictrp-xml": ("<Trial>", "</Trials_downloaded_from_ICTRP>")}


@pytest.mark.parametrize("name", ["medline", "wos-plain", "enw", "ovid", "csv", "wos-tab", "bibtex", *XML_BODY])
def test_a_streamed_file_holds_one_block_and_one_record_whatever_its_length(shared_dir: Path,
                                                                                    name: str) -> None:
    """The memory of a streamed reading, records dropped as they come (as the import stores them): ten times
    the records, about the same peak."""
    import tracemalloc

    markers = XML_BODY.get(name, ())
    path = str(NOT_IN_CORPUS[name]) if name in NOT_IN_CORPUS else min(
        (item[0] for item in _corpus_files(shared_dir) if item[1] == name
         and all(m.encode() in (shared_dir / "corpus" / item[0]).read_bytes() for m in markers)),
        key=lambda found: (shared_dir / "corpus" / found).stat().st_size)  # the smallest, for speed
    text = inspect_path(shared_dir / "corpus" / path).text()
    if name in XML_BODY:  # the records repeated inside one root
        start, end = text.index(XML_BODY[name][0]), text.rindex(XML_BODY[name][1])
        make = lambda n: text[:start] + text[start:end] * n + text[end:]  # noqa: E731
    elif name == "wos-plain":  # one FN/VR header, then the records repeated, then one EF
        body = text[text.index("\nPT ") + 1: text.rindex("\nEF")] + "\n"
        make = lambda n: "FN Clarivate\nVR 1.0\n" + body * n + "EF\n"  # noqa: E731
    elif name in ("csv", "wos-tab"):  # the header once, then the rows repeated
        header, rows = text.split("\n", 1)
        make = lambda n: header + "\n" + (rows.rstrip("\n") + "\n") * n  # noqa: E731
    else:
        make = lambda n: (text.rstrip("\n") + "\n\n") * n  # noqa: E731
    peaks = []
    small = max(1, 100_000 // len(text))  # about 100 KB, then ten times that
    for copies in (small, 10 * small):
        big = make(copies)
        stream = get_format(name).stream
        assert stream is not None
        tracemalloc.start()
        try:
            count = sum(1 for _ in stream((big[i:i + 4096] for i in range(0, len(big), 4096)), path, None, []))
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert count >= copies
        del big
    assert peaks[1] < 2 * peaks[0] + 256 * 1024, peaks  # not ten times


def _mapping_for(text: str) -> dict[str, str]:
    """A column mapping from a file's own header (its first, second and last columns): any mapping must stream
    as it reads whole."""
    import csv as csv_module

    from harvester.formats.csv import _header_line

    line = _header_line(text)[1]
    delimiter = "\t" if line.count("\t") > line.count(",") else ","
    headers = next(csv_module.reader([line], delimiter=delimiter))
    return {"title": headers[0], "authors": headers[1], "source_id": headers[-1]}


def test_a_mapped_csv_streams_as_it_reads_whole_on_every_corpus_csv(shared_dir: Path) -> None:
    """``import --map`` on a large CSV reads it block by block: the same records, rejections and warnings as
    the whole-file reader with the same mapping, however the text is cut."""
    from harvester.formats.csv import read_csv, stream

    files = [path for path, name in _corpus_files(shared_dir) if name == "csv"]
    assert len(files) >= 10
    for path in files:
        source = inspect_path(shared_dir / "corpus" / path)
        text = source.text()
        mapping = _mapping_for(text)
        whole = read_csv(text, path, None, mapping=mapping)
        small = (shared_dir / "corpus" / path).stat().st_size < 200_000
        for size in (7, 4096) if small else (997, 65536):
            warnings: list[str] = []
            items = list(stream(source.blocks(size), path, None, warnings, mapping=mapping))
            assert [i for i in items if not hasattr(i, "reason")] == list(whole.records), (path, size)
            assert [i for i in items if hasattr(i, "reason")] == list(whole.rejected), (path, size)
            assert warnings == list(whole.warnings), (path, size)


MAPPED_CSV = "Paper title,Writers,Pub year,Ref\n" + "".join(
    f'"A study, part {n}","Smith, J; Doe, A",{2000 + n % 20},r{n}\n' for n in range(300))


def test_a_mapped_csv_too_large_to_read_whole_is_imported_block_by_block(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mapping = {"title": "Paper title", "authors": "Writers", "year": "Pub year", "source_id": "Ref"}
    path = tmp_path / "sheet.csv"
    path.write_text(MAPPED_CSV, encoding="utf-8")

    def rows(ledger: Ledger) -> object:
        run = ledger.connection.execute("SELECT parameters FROM runs WHERE kind = 'import'").fetchone()[0]
        return json.loads(run)["mapping"], [(s.record.title, s.record.authors, s.record.year, s.record.source_id,
                                             s.record.line, s.record.raw, s.record.tags) for s in iter_records(ledger)]

    whole, streamed = _imported_both_ways(tmp_path, monkeypatch, "Rayyan", path, rows, mapping=mapping)
    for result, _ in (whole, streamed):
        assert (result.status, result.imported) == ("imported", 300)
        assert "column mapping given (title=Paper title" in result.detection
    assert whole[1] == streamed[1] and whole[1][0] == mapping  # type: ignore[index]
    assert whole[1][1][0][:4] == ("A study, part 0", ("Smith, J", "Doe, A"), 2000, "r0")  # type: ignore[index]


def test_a_mapping_that_does_not_fit_a_large_file_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Streamed or refused as too large, a mapping naming a column the file lacks is the error given."""
    monkeypatch.setattr(importing, "STREAM_ABOVE_BYTES", 0)
    monkeypatch.setattr(formats, "MAX_WHOLE_BYTES", 1000)
    path = tmp_path / "sheet.csv"
    path.write_text(MAPPED_CSV, encoding="utf-8")
    loaded = protocol_module.load(_protocol(tmp_path, "Rayyan"))
    with Ledger.open(loaded.ledger_path) as ledger:
        with pytest.raises(FormatError, match="the mapping names column.s. 'Titel' that the header does not have"):
            import_file(ledger, loaded, path, source="S", mapping={"title": "Titel"})
        with pytest.raises(FormatError, match="a column mapping .--map. reads CSV files"):
            import_file(ledger, loaded, path, source="S", mapping={"title": "Paper title"}, format="ris")
        assert ledger.connection.execute("SELECT COUNT(*) FROM records").fetchone()[0] == 0


_RSS_SCRIPT = """
import resource, sys
from pathlib import Path
from harvester.formats import get_format
from harvester.formats.encoding import inspect_path
name, path, _, body, suffix, copies = sys.argv[1:7]
text = Path(path).read_text(encoding="utf-8")
start, end = text.index(body), text.rindex(suffix)
big = Path(sys.argv[7])
with big.open("w", encoding="utf-8") as out:
    out.write(text[:start])
    for _ in range(int(copies)):
        out.write(text[start:end])
    out.write(text[end:])
del text
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
count = sum(1 for _ in get_format(name).stream(inspect_path(big).blocks(1 << 20), str(big), None, []))
print(count, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


@pytest.mark.parametrize("name", ["endnote-xml", "pubmed-xml"])
def test_a_streamed_xml_file_holds_no_tree_whatever_its_length(shared_dir: Path, tmp_path: Path, name: str) -> None:
    """lxml's tree is not Python memory (tracemalloc does not see it): the process's peak resident memory while
    streaming a 40 MB file grows by far less than the file, records dropped as they come."""
    import subprocess
    import sys

    markers = XML_BODY[name]
    path = max((item[0] for item in _corpus_files(shared_dir) if item[1] == name
                and all(m.encode() in (shared_dir / "corpus" / item[0]).read_bytes() for m in markers)),
               key=lambda found: (shared_dir / "corpus" / found).stat().st_size)
    size = (shared_dir / "corpus" / path).stat().st_size
    copies = 40 * 2**20 // size + 1
    done = subprocess.run([sys.executable, "-c", _RSS_SCRIPT, name, str(shared_dir / "corpus" / path), "",
                           markers[0], markers[1], str(copies), str(tmp_path / "big.xml")],
                          capture_output=True, text=True, check=True, cwd=Path(__file__).parent.parent)
    count, grown_kb = map(int, done.stdout.split())
    assert (tmp_path / "big.xml").stat().st_size > 35 * 2**20 and count >= copies
    assert grown_kb < 24 * 1024, grown_kb  # 13 MB measured; read whole, the 47 MB EndNote file took 526 MB


ENDNOTE_ONE_LINE = "zotero/endnote_xml/ASySD__zotero_export.xml"  # a whole library on one line, as EndNote 20 writes


def test_an_xml_library_on_one_line_is_not_refused_for_its_line_length(
        shared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """XML is read element by element, not by lines: the line cap (a binary or damaged text file) does not apply,
    so an EndNote library written on one line and larger than the cap is read. Its look-alike, a text export
    with a line over the cap, is still refused."""
    path = shared_dir / "corpus" / ENDNOTE_ONE_LINE
    longest = max(len(line) for line in path.read_text(encoding="utf-8").split("\n"))
    monkeypatch.setattr(encoding_module, "MAX_LINE_CHARS", longest // 2)
    assert read_file(path).records_read == 1233
    text = tmp_path / "long.ris"
    text.write_text("TY  - JOUR\nTI  - " + "x" * longest + "\nER  - \n", encoding="utf-8")
    with pytest.raises(FormatError, match="line 2 is longer than"):
        read_file(text)


@pytest.mark.parametrize("name", [ENDNOTE_ONE_LINE, "pubmed/xml/biopython__pubmed1.xml"])
def test_a_streamed_xml_import_stores_what_a_whole_file_import_stores(
        shared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    whole, streamed = _imported_both_ways(
        tmp_path, monkeypatch, "Zotero" if "endnote" in name else "PubMed", shared_dir / "corpus" / name,
        lambda ledger: [(s.record.position, s.record.line, s.record.raw, s.record.bibliographic(), s.record.tags,
                         s.record.source_id) for s in iter_records(ledger)])
    assert [(r.status, r.records_read, r.warnings) for r, _ in (whole, streamed)] == [
        ("imported", whole[0].records_read, ())] * 2
    assert whole[1] == streamed[1] and whole[0].records_read > 0


@pytest.mark.parametrize(("body", "reason"), [
    ("<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID>", "malformed or truncated XML"),
    ("<eSearchResult><ERROR>bad</ERROR></eSearchResult>", "not PubMed XML")])
def test_a_streamed_pubmed_xml_that_breaks_is_a_failed_import_storing_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, reason: str) -> None:
    """PubMed XML is refused whole when it does not parse to its end (as read whole): streamed, the records read
    before the break are rolled back and the failed run says why."""
    monkeypatch.setattr(importing, "STREAM_ABOVE_BYTES", 0)
    path = tmp_path / "p.xml"
    path.write_text('<?xml version="1.0"?>\n' + body + "\n", encoding="utf-8")
    loaded = protocol_module.load(_protocol(tmp_path, "PubMed"))
    with Ledger.open(loaded.ledger_path) as ledger:
        with pytest.raises(FormatError, match=reason):
            import_file(ledger, loaded, path, source="S", format="pubmed-xml")
        assert ledger.connection.execute("SELECT COUNT(*) FROM records").fetchone()[0] == 0
        runs = ledger.connection.execute("SELECT status FROM runs WHERE kind = 'import'").fetchall()
        assert [tuple(r) for r in runs] == [("failed",)]
        why = ledger.connection.execute("SELECT reason FROM rejections").fetchone()[0]
        assert reason in why
