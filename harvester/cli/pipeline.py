"""``run``: the whole review end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harvester.cli.app import JsonOption, ProtocolArg, print_json, progress_bar, reporting, review, show_progress
from harvester.pipeline import run_held


def run(
    protocol: ProtocolArg,
    out: Annotated[Path, typer.Option(
            file_okay=False, help="Folder for the diagrams, the search report and the HTML report.")] = Path(
        "out"
    ),
    offline: Annotated[bool, typer.Option(help="Skip live searches; use what the ledger and files hold.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Refuse to write the outputs while records still await a "
                                         "decision (provisional numbers).")] = False,
    json_output: JsonOption = False,
) -> None:
    """Run the review end to end: search, import, de-duplicate, rules, decisions, diagrams and reports.
    Exit 1 when a live source failed (the other steps still ran and what they did is kept)."""
    with reporting(), review(protocol, writing="run") as (loaded, ledger), \
            progress_bar(show_progress(json_output)) as progress:  # the one ledger every step works in
        result = run_held(loaded, ledger, out, offline=offline, say=None if json_output else typer.echo,
                          strict=strict, progress=progress)
    if json_output:
        print_json(result.to_json())
    else:
        for warning in result.warnings:
            typer.echo(f"warning: {warning}", err=True)
        typer.echo(f"done: the diagram, the search report and the HTML report are in {result.out.resolve()}")
    for failure in result.failed:
        typer.echo(f"error: {failure}", err=True)
    if result.failed:
        raise typer.Exit(1)
