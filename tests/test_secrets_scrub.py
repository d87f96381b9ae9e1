"""Secrets never reach the ledger or the output, even when a live answer echoes them: every answer body is
scrubbed (``sources.http.scrub_answer``) before any source parses it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from harvester import protocol as protocol_module
from harvester.cli.main import app
from harvester.ledger import Ledger
from harvester.ledger.runs import get_run
from harvester.search import search
from harvester.sources.http import scrub_answer, scrub_chunks
from tests.fake_eutils import FakeEutils

KEY = "SECRETKEY42abc"
runner = CliRunner()


def _protocol(tmp_path: Path) -> protocol_module.Protocol:
    path = tmp_path / "review.toml"
    path.write_text('[review]\nid = "r"\nledger = "ledger.sqlite"\n[query]\ntext = "peer[tiab]"\n'
                    '[[sources]]\nname = "MEDLINE"\nkind = "pubmed"\ndatabase = "MEDLINE"\n', encoding="utf-8")
    return protocol_module.load(path)


def _ledger_bytes(protocol: protocol_module.Protocol) -> bytes:
    path = protocol.ledger_path
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def test_an_answer_echoing_the_key_is_stored_and_printed_scrubbed(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    protocol = _protocol(tmp_path)
    with FakeEutils(120, limit=50, key_limit=50, echo_key=True) as fake:
        monkeypatch.setenv("PRISMA_HARVEST_EUTILS_URL", fake.url)
        monkeypatch.setenv("NCBI_API_KEY", KEY)
        monkeypatch.setenv("PRISMA_HARVEST_EUTILS_RATE", "50")
        (outcome,) = search(protocol)
        assert fake.stats.keys_seen == {KEY}  # the key was sent, and the fake echoed it back
        printed = runner.invoke(app, ["search", str(protocol.path), "--json"])
        shown = runner.invoke(app, ["runs", str(protocol.path)])
    with Ledger.open(protocol.ledger_path) as ledger:
        translation = get_run(ledger, outcome.run_id).query_translation or ""
    assert "api_key=***" in translation  # the echo arrived, scrubbed
    assert any("Unused parameter api_key=***" in note for note in outcome.notes)
    assert KEY.encode() not in _ledger_bytes(protocol)
    assert KEY not in printed.output and KEY not in shown.output


def test_scrub_answer_replaces_only_the_secrets() -> None:
    body = b"<T>peer api_key=KEY%2B12345 and KEY+12345</T><AbstractText>token=abc password=x</AbstractText>"
    assert scrub_answer(body, ("KEY+12345",)) == b"<T>peer api_key=*** and ***</T><AbstractText>token=abc " \
                                                 b"password=x</AbstractText>"
    assert scrub_answer(body, ()) == body and scrub_answer(body, ("",)) == body
    short = b"<Id>K</Id><T>api_key=K and api_key=KK</T>"  # a short (test) key: only where api_key= names it
    assert scrub_answer(short, ("K",)) == b"<Id>K</Id><T>api_key=*** and api_key=KK</T>"


@settings(max_examples=200, deadline=None)
@given(pieces=st.lists(st.sampled_from([b"<T>", b"api_key=", b"KEY+12345", b"KEY%2B12345", b"K", b"KEY+1",
                                        b"2345", b"x", b"apikey=", b"API_KEY=", b"</T>"]), max_size=40),
       cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8))
def test_scrubbing_a_body_in_chunks_is_scrubbing_it_whole(pieces: list[bytes], cuts: list[int]) -> None:
    """An EFetch answer is scrubbed while it arrives (``scrub_chunks``): however the body is cut into chunks,
    a secret split between two of them is replaced, and the result is what ``scrub_answer`` gives."""
    body = b"".join(pieces)
    edges = sorted({0, len(body), *(min(c, len(body)) for c in cuts)})
    chunks = [body[a:b] for a, b in zip(edges, edges[1:], strict=False)]
    for secrets in (("KEY+12345",), ("K",), ("KEY+12345", "K"), ()):
        assert b"".join(scrub_chunks(iter(chunks), secrets)) == scrub_answer(body, secrets)


def test_a_body_cut_short_is_scrubbed_up_to_where_it_broke() -> None:
    """The bytes that came before a broken connection are all given (scrubbed) before the error: they may
    end a whole record."""
    def arriving() -> Iterator[bytes]:
        yield b"<A>api_key=K and KEY+12345</A><B>"
        yield b"tail"
        raise ConnectionError("reset")

    given: list[bytes] = []
    with pytest.raises(ConnectionError):
        for piece in scrub_chunks(arriving(), ("KEY+12345", "K")):
            given.append(piece)
    assert b"".join(given) == b"<A>api_key=*** and ***</A><B>tail"
