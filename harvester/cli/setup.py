"""``init`` and ``runs``: writing a protocol, reading the search log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harvester import protocol as protocol_module
from harvester.cli.app import JsonOption, ProtocolArg, print_json, reporting, review
from harvester.files import write_whole
from harvester.ledger.runs import list_runs
from harvester.templates import new_protocol_text


def init(
    path: Annotated[Path, typer.Argument(help="Where to write the new protocol file.")],
    query: Annotated[str | None, typer.Option(help="The boolean query to start from.")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a new protocol file, with a comment explaining each key."""
    with reporting():
        if path.exists() and not force:
            typer.echo(f"error: {path} exists; use --force to overwrite it", err=True)
            raise typer.Exit(2)
        text = new_protocol_text(review_id=path.stem, query=query)
        write_whole(path, text)
        protocol_module.load(path)  # what we write must load
        typer.echo(f"wrote {path}")


def runs(protocol: ProtocolArg, json_output: JsonOption = False) -> None:
    """Print the search log: database, platform, date, exact query, PubMed's translation, counts."""
    with reporting():
        with review(protocol) as (loaded, ledger):
            rows = list_runs(ledger)
        if json_output:
            print_json([run.to_json() for run in rows])
            return
        if not rows:
            typer.echo("no runs yet")
        for run in rows:
            counts = f"reported {run.count_reported if run.count_reported is not None else '-'}, " \
                     f"retrieved {run.count_retrieved if run.count_retrieved is not None else '-'}"
            typer.echo(f"#{run.id} {run.kind} {run.status} {run.started_at} "
                       f"{run.source or ''} {run.database or ''} {run.platform or ''} {counts}".rstrip())
            if run.query:
                typer.echo(f"    query: {run.query}")
            if run.query_translation:
                typer.echo(f"    translation: {run.query_translation}")
            if run.message:
                typer.echo(f"    note: {run.message}")
