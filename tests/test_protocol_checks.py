"""Protocol edge cases end in one clear error, never a traceback: deep brackets, NUL characters, a ledger
path that is not SQLite, a protocol path that is a folder, a BOM, a string where a list is expected, and
language codes checked against ISO 639 with a "did you mean"."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester import languages, protocol
from harvester.cli.main import app
from harvester.errors import ProtocolError

runner = CliRunner()


def _text(query: str = "a AND b", ledger: str = "ledger.sqlite", files: str = '["a.ris"]', rule: str = "") -> str:
    return (f'[review]\nid = "r"\nledger = "{ledger}"\n[query]\ntext = {query!r}\n'
            f'[[sources]]\nname = "Scopus"\nkind = "file"\ndatabase = "Scopus"\nfiles = {files}\n' + rule)


def _load(tmp_path: Path, text: str, encoding: str = "utf-8") -> protocol.Protocol:
    path = tmp_path / "review.toml"
    path.write_text(text, encoding=encoding)
    return protocol.load(path)


def _language_rule(value: str) -> str:
    return (f'[[rules]]\nid = "lang"\nkind = "language"\nstage = "automation"\nreason = "not English"\n'
            f"languages = {value}\n")


def test_deeply_nested_brackets_are_a_protocol_error_not_a_recursion_error(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="brackets nest 250 deep") as caught:
        _load(tmp_path, _text("(" * 250 + "a" + ")" * 250))
    assert caught.value.key == "query.text"
    rule = '[[rules]]\nid = "q"\nkind = "query"\nstage = "automation"\nreason = "r"\nquery = "' + "(" * 300 + 'x"\n'
    with pytest.raises(ProtocolError, match="nest 300 deep"):
        _load(tmp_path, _text(rule=rule))
    assert _load(tmp_path, _text("(" * 20 + "a" + ")" * 20)).query is not None  # real nesting still reads
    assert _load(tmp_path, _text('"((((" AND b')).query is not None  # brackets inside a phrase do not count


def test_nul_characters_in_paths_are_protocol_errors(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="NUL character"):
        protocol.load(str(tmp_path / "rev\x00iew.toml"))
    with pytest.raises(ProtocolError, match="files: holds a NUL character"):
        _load(tmp_path, _text(files='["a\\u0000.ris"]'))
    with pytest.raises(ProtocolError, match="ledger: holds a NUL character"):
        _load(tmp_path, _text(ledger="le\\u0000dger.sqlite"))


def test_a_ledger_path_that_is_not_sqlite_or_is_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("my notes\n", encoding="utf-8")
    with pytest.raises(ProtocolError, match="is not an SQLite ledger") as caught:
        _load(tmp_path, _text(ledger="notes.txt"))
    assert caught.value.key == "review.ledger"
    (tmp_path / "folder").mkdir()
    with pytest.raises(ProtocolError, match="is a folder"):
        _load(tmp_path, _text(ledger="folder"))
    sqlite3.connect(tmp_path / "real.sqlite").execute("CREATE TABLE t (x)").connection.commit()
    (tmp_path / "empty.sqlite").write_bytes(b"")
    for fine in ("real.sqlite", "empty.sqlite", "new.sqlite"):  # an SQLite file, an empty one, none yet
        assert _load(tmp_path, _text(ledger=fine)).ledger_path.name == fine


def test_a_protocol_path_that_is_a_folder_is_one_line_from_the_cli(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="is a folder; give the review.s protocol file"):
        protocol.load(tmp_path)
    result = runner.invoke(app, ["import", str(tmp_path)])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "is a directory" in result.output and result.exit_code == 2  # Typer refuses it before the library


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    assert _load(tmp_path, "\ufeff" + _text(), encoding="utf-8").id == "r"


@pytest.mark.parametrize(("rule", "message"), [
    ("", "expected a list of strings, got the string 'a.ris'"),
    (_language_rule('"eng"'), "languages: expected a list of non-empty strings, got 'eng'"),
    ('[[rules]]\nid = "y"\nkind = "year"\nreason = "r"\nfrom = 2000\nkeep_unknown = "no"\n',
     "keep_unknown: expected true or false"),
    ('[[rules]]\nid = "f"\nkind = "field"\nreason = "r"\nfield = ["title"]\nwords = ["x"]\n',
     "field: expected a non-empty string"),
])
def test_types_are_enforced(rule: str, message: str, tmp_path: Path) -> None:
    files = '"a.ris"' if not rule else '["a.ris"]'
    with pytest.raises(ProtocolError, match=message):
        _load(tmp_path, _text(files=files, rule=rule))


def test_language_codes_are_checked_with_a_did_you_mean(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match=r"'englsh' is not an ISO 639 .*did you mean English \(eng\)"):
        _load(tmp_path, _text(rule=_language_rule('["englsh"]')))
    with pytest.raises(ProtocolError, match=r"'enl' is the ISO 639-3 code of Enlhet, one letter away from .*"
                                            r"English \(eng\)"):
        _load(tmp_path, _text(rule=_language_rule('["enl"]')))
    loaded = _load(tmp_path, _text(rule=_language_rule('["eng", "en", "English", "ger", "Greek", "Enlhet", "und"]')))
    assert loaded.rules[0].params["languages"][-1] == "und"


@pytest.mark.parametrize("written", ["eng", "en", "English", "ENGLISH", "english"])
def test_every_way_of_writing_a_language_has_one_key(written: str) -> None:
    assert languages.key(written) == "eng"
    assert languages.key("ger") == languages.key("deu") == languages.key("de") == languages.key("German") == "deu"
    assert languages.key("fre") == languages.key("French") == "fra"
    assert languages.key("englsh") is None
