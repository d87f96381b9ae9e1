"""Every command has help text and is documented; init and runs work through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from harvester.cli.main import app

runner = CliRunner()


def _commands(application: typer.Typer, prefix: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for command in application.registered_commands:
        assert command.callback is not None
        name = command.name or command.callback.__name__.replace("_", "-")
        found.append((prefix + name, command.help or command.callback.__doc__ or ""))
    for group in application.registered_groups:
        assert group.typer_instance is not None and group.name
        found.extend(_commands(group.typer_instance, prefix + group.name + " "))
    return found


def test_every_command_has_help_and_is_documented(repo: Path) -> None:
    docs = "\n".join(p.read_text(encoding="utf-8") for p in sorted((repo / "docs").glob("*.md")))
    commands = _commands(app)
    assert {"init", "runs"} <= {name for name, _ in commands}
    for name, help_text in commands:
        assert help_text.strip(), f"command {name!r} has no help text"
        assert f"prisma-harvest {name}" in docs, f"command {name!r} is not documented in docs/"
        result = runner.invoke(app, [*name.split(), "--help"])
        assert result.exit_code == 0, result.output


def test_init_writes_a_loadable_protocol_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "review.toml"
    result = runner.invoke(app, ["init", str(target), "--query", "asthma AND child*"])
    assert result.exit_code == 0, result.output
    assert "asthma AND child*" in target.read_text(encoding="utf-8")
    again = runner.invoke(app, ["init", str(target)])
    assert again.exit_code == 2
    assert "exists" in again.output


def test_runs_on_a_new_ledger_and_a_bad_protocol(tmp_path: Path) -> None:
    target = tmp_path / "review.toml"
    runner.invoke(app, ["init", str(target)])
    result = runner.invoke(app, ["runs", str(target), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []
    bad = tmp_path / "bad.toml"
    bad.write_text('[review]\nid = "x"\n[query]\ntext = "(a"\n[[sources]]\nname="M"\nkind="pubmed"\n')
    result = runner.invoke(app, ["runs", str(bad)])
    assert result.exit_code == 2
    assert "query.text" in result.output and "column 1" in result.output
