"""Lint: one case per code, with the column it points at, and the cases it must not touch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester.cli.main import app
from harvester.errors import ProtocolError
from harvester.protocol import load
from harvester.query.lint import lint

runner = CliRunner()
SEED = '("peer supporter" OR "peer mentor" OR "peer educator" OR "peer advocate" OR "peer listener") AND "health"'


def found(query: str, databases: tuple[str, ...] = ()) -> list[tuple[str, str, int]]:
    return [(i.code, i.severity, i.column) for i in lint(query, databases)]


@pytest.mark.parametrize(("query", "databases", "expected"), [
    ("(peer OR mentor", (), ("unbalanced-brackets", "error", 1)),
    ("peer OR mentor)", (), ("unbalanced-brackets", "error", 15)),
    ("peer AND ()", (), ("empty-group", "error", 10)),
    ("peer OR mentor AND health", (), ("mixed-and-or", "warning", 16)),
    ("peer mentor OR health", (), ("mixed-and-or", "warning", 13)),
    ("“peer support” AND health", (), ("curly-quotes", "warning", 1)),
    ("peer and health", (), ("lowercase-operator", "warning", 6)),
    ('"peer* support" AND health', (), ("wildcard-in-phrase", "warning", 1)),
    ("ab* AND health", (), ("truncation-too-short", "warning", 1)),
    ("peer OR mentor OR peer", (), ("duplicate-term", "warning", 19)),
    ('"peer support"[tiab:~16]', ("wos",), ("near-over-limit", "error", 1)),
    ('"peer support"[au:~2]', ("pubmed",), ("proximity-field", "error", 1)),
    ("nur* AND health", ("pubmed",), ("truncation-too-short", "error", 1)),
    ("nu* AND health", ("wos",), ("truncation-too-short", "error", 1)),
    ("harvard[ad] AND peer", ("cochrane",), ("field-not-available", "warning", 1)),
    ('peer AND "unterminated', (), ("syntax", "error", 10)),
])
def test_each_lint_code_with_its_column(query: str, databases: tuple[str, ...], expected: tuple[str, str, int]) -> None:
    assert expected in found(query, databases)


@pytest.mark.parametrize("query", [
    SEED, "(peer OR mentor) AND (health OR care)", "peer NOT (school AND pupil)", '"peer support*"[tiab]',
    "nurse* AND peer", "peer OR mentor OR PEERS", "peer[ti] OR peer[ab]", '"hip pain"[tiab:~15]',
])
def test_well_formed_queries_get_no_issue(query: str) -> None:
    assert lint(query, ("pubmed", "wos", "scopus", "cinahl")) == ()


def test_the_same_word_in_two_fields_or_truncated_once_is_not_a_duplicate() -> None:
    assert found("peer[ti] OR peer[ab] OR peer*[ti]") == []


def test_protocol_with_a_lint_error_is_refused_naming_the_key_and_column(tmp_path: Path) -> None:
    protocol = tmp_path / "review.toml"
    protocol.write_text('[review]\nid = "r"\n[query]\ntext = "nur* AND peer"\n[[sources]]\nname = "PubMed"\n'
                        'kind = "pubmed"\n', encoding="utf-8")
    with pytest.raises(ProtocolError, match=r"query\.text: column 1: PubMed needs at least 4 characters"):
        load(protocol)


def test_protocol_lint_warnings_are_kept_not_refused(tmp_path: Path) -> None:
    protocol = tmp_path / "review.toml"
    protocol.write_text('[review]\nid = "r"\n[query]\ntext = "peer OR mentor AND health"\n[[sources]]\n'
                        'name = "Scopus"\nkind = "file"\nfiles = ["x.ris"]\n', encoding="utf-8")
    assert [i.code for i in load(protocol).query_lint] == ["mixed-and-or"]


def test_lint_cli_points_at_columns_and_exits_2_on_errors() -> None:
    result = runner.invoke(app, ["query", "lint", "--text", "peer OR (mentor"])
    assert result.exit_code == 2
    assert "        ^ error unbalanced-brackets column 9" in result.output
    clean = runner.invoke(app, ["query", "lint", "--text", SEED, "--json"])
    assert clean.exit_code == 0 and json.loads(clean.output) == []


def test_translate_cli_json_for_all_and_from_ovid(repo: Path) -> None:
    result = runner.invoke(app, ["query", "translate", str(repo / "queries" / "example-peer-support.toml"),
                                 "--for", "all", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [row["database"] for row in rows][:3] == ["pubmed", "ovid-medline", "ovid-embase"] and len(rows) == 12
    assert all(set(row) >= {"database", "query", "warnings"} for row in rows)
    ovid = runner.invoke(app, ["query", "translate", "--text", "1. exp Peer Group/\n2. peer support*.ti,ab.\n3. or/1-2",
                               "--from", "ovid", "--for", "europepmc"])
    assert ovid.exit_code == 0, ovid.output
    assert 'MESH_HEADING:"Peer Group" OR (TITLE:"peer support"' in ovid.output
    assert "truncation-dropped" in ovid.output


def test_translate_cli_unknown_database_and_missing_input_are_usage_errors() -> None:
    assert runner.invoke(app, ["query", "translate", "--text", "a", "--for", "medline-ish"]).exit_code == 2
    assert runner.invoke(app, ["query", "translate"]).exit_code == 2


def test_a_source_query_is_linted_for_that_source_database(tmp_path: Path) -> None:
    protocol = tmp_path / "review.toml"
    protocol.write_text('[review]\nid = "r"\n[query]\ntext = "peer AND health"\n[[sources]]\nname = "WoS"\n'
                        'kind = "file"\ndatabase = "Web of Science"\nfiles = ["x.txt"]\n'
                        "query = '\"peer support\"[tiab:~20]'\n", encoding="utf-8")
    with pytest.raises(ProtocolError, match=r"sources\[0\] \(WoS\)\.query: column 1: Web of Science NEAR/n"):
        load(protocol)
