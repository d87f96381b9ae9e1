"""Entry point: every command, registered here explicitly in the order of the work (``--help`` lists them so).

A new command is one line in :data:`WORK`, where it falls in the work: a module in this package that is not
listed here is not a command (``tests/test_cli_surface.py`` checks that every command module is listed).

A command's module is imported when the command runs, not before: ``prisma-harvest import`` loads the modules
of the import, not those of the diagrams, the live sources or the HTML report (a third of a second instead of
a second, paid by every command a scheduler or a script runs). Help, an unknown command and the tests
(``from harvester.cli.main import app``) load every command.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module
from typing import Any

import typer

from harvester.cli.app import WORK_ORDER, register
from harvester.cli.app import app as _app

#: (name, module of ``harvester.cli``, the command or command group in it), in the order a review does the work.
WORK: tuple[tuple[str, str, str], ...] = (
    ("init", "setup", "init"),
    ("query", "query", "query_app"),
    ("search", "search", "search"),
    ("cite", "cite", "cite"),
    ("import", "imports", "import_command"),
    ("withdraw", "withdraw", "withdraw"),  # undoes an import: its records leave the counts, logged and reversible
    ("dedupe", "dedupe", "dedupe_command"),
    ("duplicates", "dedupe", "duplicates_command"),
    ("split", "dedupe", "split_command"),
    ("rules", "screen", "rules"),
    ("screen", "screen", "screen_app"),
    ("link-study", "studies", "link_study"),  # reports of one study, for studies vs reports in the diagram
    ("audit", "screen", "audit"),
    ("diagram", "diagrams", "diagram"),
    ("check", "diagrams", "check_command"),
    ("counts", "diagrams", "counts_command"),
    ("report", "diagrams", "report"),
    ("refresh", "refresh", "refresh_command"),
    ("run", "pipeline", "run"),
    ("export", "export", "export_command"),
    ("runs", "setup", "runs"),
)
WORK_ORDER[:] = [name for name, _, _ in WORK]

Command = Callable[..., Any] | typer.Typer


def commands(only: str | None = None) -> list[tuple[str, Command]]:
    """(name, command or command group) of every command, or of the one named, their modules imported."""
    return [(name, getattr(import_module(f"harvester.cli.{module}"), attribute))
            for name, module, attribute in WORK if only is None or name == only]


_registered: set[str] = set()


def load(only: str | None = None) -> typer.Typer:
    """The application with every command registered (or only the one named, for the command line to run it)."""
    for name, command in commands(only):
        if name not in _registered:
            register(name, command)
            _registered.add(name)
    return _app


def __getattr__(name: str) -> Any:
    """``app`` and ``COMMANDS``, every command loaded (what the tests and ``--help`` see)."""
    if name == "app":
        return load()
    if name == "COMMANDS":
        load()
        return tuple(commands())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    for stream in (sys.stdout, sys.stderr):
        # A file name whose bytes are not UTF-8 (Python holds them as lone surrogates) is printed as its bytes, as
        # ``ls`` prints it, instead of ending the command in a UnicodeEncodeError (a UTF-8 locale's streams are
        # strict; only the C locale's escape them).
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="surrogateescape")
    named = sys.argv[1] if len(sys.argv) > 1 else None
    load(named if named in WORK_ORDER else None)
    _app()


if __name__ == "__main__":
    main()
