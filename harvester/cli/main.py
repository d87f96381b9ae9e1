"""Entry point: every command, registered here explicitly in the order of the work (``--help`` lists them so).

A new command is one line in :data:`COMMANDS`, where it falls in the work: a module in this package that
is not listed here is not a command (``tests/test_cli.py`` checks that every command module is listed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from harvester.cli import (
    cite,
    dedupe,
    diagrams,
    export,
    imports,
    pipeline,
    query,
    refresh,
    screen,
    search,
    setup,
    studies,
    withdraw,
)
from harvester.cli.app import app, register

#: (name, command or command group), in the order a review does the work.
COMMANDS: tuple[tuple[str, Callable[..., Any] | typer.Typer], ...] = (
    ("init", setup.init),
    ("query", query.query_app),
    ("search", search.search),
    ("cite", cite.cite),
    ("import", imports.import_command),
    ("withdraw", withdraw.withdraw),  # undoes an import: its records leave the counts, logged and reversible
    ("dedupe", dedupe.dedupe_command),
    ("duplicates", dedupe.duplicates_command),
    ("split", dedupe.split_command),
    ("rules", screen.rules),
    ("screen", screen.screen_app),
    ("link-study", studies.link_study),  # reports of one study, for studies vs reports in the diagram
    ("audit", screen.audit),
    ("diagram", diagrams.diagram),
    ("check", diagrams.check_command),
    ("counts", diagrams.counts_command),
    ("report", diagrams.report),
    ("refresh", refresh.refresh_command),
    ("run", pipeline.run),
    ("export", export.export_command),
    ("runs", setup.runs),
)

for _name, _command in COMMANDS:
    register(_name, _command)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
