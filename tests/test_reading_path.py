"""One reading path for big and small files: the same decoding fallbacks, binary/NUL checks, a line-length
cap, and memory bounded by the block size whatever the file (sparse files included)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

import harvester.formats.encoding as encoding_module
import harvester.formats.ris as ris
import harvester.importing as importing
import harvester.importing_stream as streaming
from harvester import protocol as protocol_module
from harvester.errors import FormatError
from harvester.formats import read_file
from harvester.formats.encoding import inspect_bytes
from harvester.importing import import_file
from harvester.ledger import Ledger
from harvester.ledger.records import count_records, iter_records
from harvester.ledger.runs import list_runs

RECORD = "TY  - JOUR\nTI  - Record {n}\nAU  - Smith, J\nPY  - 2020\nER  - \n\n"


def _protocol(folder: Path) -> Path:
    text = (f'[review]\nid = "t"\nledger = "{folder / "ledger.sqlite"}"\n[query]\ntext = "peer"\n'
            '[[sources]]\nname = "CINAHL"\nkind = "file"\ndatabase = "CINAHL"\nfiles = ["x.ris"]\n'
            'searched = "2014/06/15"\n')
    path = folder / "review.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _ris(count: int) -> bytes:
    return "".join(RECORD.format(n=n) for n in range(1, count + 1)).encode()


def _import(folder: Path, path: Path, *, streamed: bool, monkeypatch: pytest.MonkeyPatch,
            strict: bool = False) -> importing.ImportResult:
    monkeypatch.setattr(importing, "STREAM_ABOVE_BYTES", 0 if streamed else 1 << 40)
    loaded = protocol_module.load(_protocol(folder))
    with Ledger.open(loaded.ledger_path) as ledger:
        return import_file(ledger, loaded, path, source="CINAHL", strict=strict)


@pytest.fixture(autouse=True)
def _small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 4 KB (and a 4 KB head), so a few-KB file crosses many blocks as a large one does."""
    monkeypatch.setattr(encoding_module, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(streaming, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(streaming, "HEAD_BYTES", 4096)


@pytest.mark.parametrize("streamed", [False, True])
def test_a_latin1_byte_far_into_a_utf8_file_falls_back_the_same_way(
        streamed: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _ris(300) + "TY  - JOUR\nTI  - Caf\u00e9\nER  - \n".encode("latin-1")
    assert len(data) > 4 * 4096  # the bad byte is many blocks past the head
    path = tmp_path / "x.ris"
    path.write_bytes(data)
    result = _import(tmp_path, path, streamed=streamed, monkeypatch=monkeypatch)
    assert result.status == "imported" and result.imported == 301 and result.encoding == "cp1252"
    line = data[: data.index(b"\xe9")].count(b"\n") + 1
    assert any(f"x.ris:{line}: not valid UTF-8; read as Windows-1252" in w for w in result.warnings)
    assert ("block by block" in result.message) is streamed


@pytest.mark.parametrize("streamed", [False, True])
def test_nul_bytes_after_the_head_are_refused_as_in_a_small_file(
        streamed: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _ris(300)
    at = data.index(b"TI  - Record 250")
    path = tmp_path / "x.ris"
    path.write_bytes(data[:at] + b"TI  - \x00\x00\x00\n" + data[at:])
    with pytest.raises(FormatError, match="NUL characters") as caught:
        _import(tmp_path, path, streamed=streamed, monkeypatch=monkeypatch)
    assert caught.value.line == data[:at].count(b"\n") + 1
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:  # a failed run, no record
        assert count_records(ledger) == 0
        assert [run.status for run in list_runs(ledger)] == ["failed"]


@pytest.mark.parametrize("streamed", [False, True])
def test_a_sparse_file_is_refused_in_bounded_memory(
        streamed: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Records and then a hole (written with truncate, so it takes no disk): refused, never read whole."""
    monkeypatch.setattr(encoding_module, "BLOCK_BYTES", 1 << 20)
    monkeypatch.setattr(streaming, "BLOCK_BYTES", 1 << 20)
    path = tmp_path / "sparse.ris"
    with path.open("wb") as handle:
        handle.write(_ris(300))  # past the 8 KB the binary check samples
        handle.truncate(64 * 1024 * 1024)  # 64 MB, almost all of it a hole of NUL bytes
    tracemalloc.start()
    try:
        with pytest.raises(FormatError, match="NUL characters"):
            _import(tmp_path, path, streamed=streamed, monkeypatch=monkeypatch)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 12 * 1024 * 1024  # a few blocks, not the 64 MB file (nor four times it as text)


def test_a_line_longer_than_the_cap_is_refused_with_its_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoding_module, "MAX_LINE_CHARS", 10_000)
    data = _ris(3) + b"TY  - JOUR\nAB  - " + b"x" * 20_000 + b"\nER  - \n"
    with pytest.raises(FormatError, match="longer than 10,000 characters") as caught:
        inspect_bytes(data, "long.ris")
    assert caught.value.line == 20
    inspect_bytes(_ris(3) + b"AB  - " + b"x" * 9_000 + b"\n", "ok.ris")  # under the cap: read


def test_a_streamed_record_longer_than_the_cap_is_rejected_and_reading_goes_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ris, "MAX_RECORD_CHARS", 5_000)
    long_record = "TY  - JOUR\nTI  - Long\n" + "AB  - words words words\n" * 1_000 + "ER  - \n\n"
    text = RECORD.format(n=1) + long_record + RECORD.format(n=3)
    items = list(ris.iter_chunks((text[i:i + 512] for i in range(0, len(text), 512)), "x.ris", None, []))
    assert [type(item).__name__ for item in items] == ["Record", "Rejected", "Record"]
    assert "longer than 5,000 characters" in items[1].reason and items[1].position == 2
    assert items[2].line == text[: text.index("TI  - Record 3")].count("\n")  # line numbers run on
    assert items[2].position == 3


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "cp1252"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_blocks_and_whole_text_agree_across_block_edges(encoding: str, newline: str) -> None:
    """Block edges inside a CRLF pair or a multi-byte character change nothing."""
    text = "".join(f"TY  - JOUR{newline}TI  - Caf\u00e9 \u00fcber {n}{newline}ER  - {newline}" for n in range(400))
    if encoding == "cp1252":
        text = text.replace("\u00fc", "\u00e9")
    data = text.encode(encoding)
    source = inspect_bytes(data, "x.ris")
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    for size in (1, 7, 4096):
        assert "".join(source.blocks(size)) == expected


def test_the_whole_file_reader_refuses_a_file_too_large_to_read_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import harvester.formats as formats

    monkeypatch.setattr(formats, "MAX_WHOLE_BYTES", 1000)
    path = tmp_path / "x.ris"
    path.write_bytes(_ris(100))
    with pytest.raises(FormatError, match="over the 0 MB read whole; import it"):
        read_file(path)


def test_a_streamed_and_a_whole_import_store_the_same_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _ris(200).replace(b"\n", b"\r\n")
    stored = []
    for streamed in (False, True):
        folder = tmp_path / str(streamed)
        folder.mkdir()
        path = folder / "x.ris"
        path.write_bytes(data)
        result = _import(folder, path, streamed=streamed, monkeypatch=monkeypatch)
        assert result.imported == 200
        with Ledger.open(folder / "ledger.sqlite") as ledger:
            stored.append([(s.record.title, s.record.line, s.record.raw) for s in iter_records(ledger)])
    assert stored[0] == stored[1]
