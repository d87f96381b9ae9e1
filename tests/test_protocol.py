from __future__ import annotations

from pathlib import Path

import pytest

from harvester import protocol
from harvester.errors import ProtocolError
from harvester.templates import new_protocol_text


def test_seed_protocol_loads(repo: Path) -> None:
    loaded = protocol.load(repo / "queries" / "peer-support.toml")
    assert loaded.id == "peer-support"
    assert [s.kind for s in loaded.sources] == ["pubmed", "file", "file", "other"]
    assert loaded.source("MEDLINE").maxdate == "2014/06/30"
    assert loaded.ledger_path == (repo / "cache" / "peer-support.sqlite").resolve()
    assert {r.id for r in loaded.rules} == {"english-only", "online-or-telephone", "school-adolescents"}


def test_every_protocol_in_queries_loads(repo: Path) -> None:
    found = sorted((repo / "queries").glob("*.toml"))
    assert found
    for path in found:
        protocol.load(path)


def test_init_template_loads(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(new_protocol_text("r", "asthma AND child*"), encoding="utf-8")
    loaded = protocol.load(path)
    assert loaded.query_text == "asthma AND child*"


BASE = """
[review]
id = "r"
[query]
text = "a AND b"
[[sources]]
name = "MEDLINE"
kind = "pubmed"
"""


@pytest.mark.parametrize(
    ("extra", "key", "words"),
    [
        ("colour = 1\n", "colour", "unknown key"),
        ('[[sources]]\nname = "X"\nkind = "ftp"\nfiles=["a"]\n', "sources[1].kind", "expected one of"),
        ('[[sources]]\nname = "X"\nkind = "pubmed"\nmindate = "2014/13/01"\n', "sources[1] (X).mindate", "bad date"),
        ('[[sources]]\nname = "X"\nkind = "pubmed"\nquery = "(a OR b"\n', "sources[1] (X).query", "column 1"),
        ('[[sources]]\nname = "MEDLINE"\nkind = "pubmed"\n', "sources", "unique"),
        ('[[rules]]\nid = "x"\nkind = "language"\nstage = "automation"\nreason = "r"\n', "rules[0] (x).languages",
         "required"),
    ],
)
def test_errors_name_the_file_the_key_and_what_was_expected(tmp_path: Path, extra: str, key: str, words: str) -> None:
    path = tmp_path / "bad.toml"
    text = BASE.replace("[review]", extra + "[review]") if extra.startswith("colour") else BASE + extra
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProtocolError) as caught:
        protocol.load(path)
    assert str(path) in str(caught.value)
    assert caught.value.key == key
    assert words in str(caught.value)


def test_unbalanced_query_in_protocol(tmp_path: Path) -> None:
    path = tmp_path / "q.toml"
    path.write_text(BASE.replace('"a AND b"', '"(a AND b"'), encoding="utf-8")
    with pytest.raises(ProtocolError, match=r"query\.text: query column 1: unbalanced"):
        protocol.load(path)
