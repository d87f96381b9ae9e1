"""The Typer application and what every command shares: error reporting, JSON output, options.

Exit codes (documented in docs/cli.md): 0 success; 1 failure (a source, file or ledger problem);
2 bad usage (bad arguments, a malformed protocol or query); 3 only with ``refresh --exit-code``,
when new records were found.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from harvester import protocol as protocol_module
from harvester.errors import HarvestError
from harvester.ledger import Ledger
from harvester.protocol import Protocol

app = typer.Typer(
    name="prisma-harvest",
    help="Run a systematic review's searches into an auditable ledger and draw its PRISMA flow diagram.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ProtocolArg = Annotated[
    Path, typer.Argument(help="The review's protocol file (queries/*.toml).", show_default=False)
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON, for scripts and schedulers.")]


@contextmanager
def reporting() -> Iterator[None]:
    """Turn a library error into one line on stderr and its exit code."""
    try:
        yield
    except HarvestError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(error.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("interrupted: the ledger keeps everything committed so far; run again to resume", err=True)
        raise typer.Exit(130) from None


@contextmanager
def review(protocol_path: Path) -> Iterator[tuple[Protocol, Ledger]]:
    """A command's protocol, loaded and checked, and its ledger, open (and closed when the command is done)."""
    loaded = protocol_module.load(protocol_path)
    with Ledger.open(loaded.ledger_path) as ledger:
        yield loaded, ledger


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def is_terminal() -> bool:
    return sys.stderr.isatty()
