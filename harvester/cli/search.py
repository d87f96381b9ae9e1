"""``search``: run the protocol's live sources (PubMed, Europe PMC, ClinicalTrials.gov, OpenAlex) into its ledger.

Quiet unless something is wrong, except for a progress bar of records fetched of the expected total,
drawn on stderr only when stderr is a terminal. Exit 1 when any source failed (the others still ran).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from harvester import protocol as protocol_module
from harvester import search as searching
from harvester.cli.app import JsonOption, ProtocolArg, is_terminal, print_json, reporting


def search(
    protocol: ProtocolArg,
    source: Annotated[list[str] | None, typer.Option(
        "--source", help="Search only this live source (repeat for several); default: every live source.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Run the protocol's live searches (PubMed, Europe PMC, ClinicalTrials.gov, OpenAlex) into its ledger
    (resumes a search that was killed)."""
    with reporting():
        loaded = protocol_module.load(protocol)
        with _progress(enabled=is_terminal()) as progress:
            outcomes = searching.search(loaded, sources=source, progress=progress)
    if json_output:
        print_json([outcome.to_json() for outcome in outcomes])
    else:
        if not outcomes:
            typer.echo("no live sources in this protocol (kind pubmed, europepmc, clinicaltrials or openalex); "
                       "nothing searched")
        for outcome in outcomes:
            if outcome.status != "ok":
                continue
            searched = loaded.source(outcome.source)
            service = "PubMed" if searched.kind == "pubmed" else searched.database
            typer.echo(f"{outcome.source}: run #{outcome.run_id} ok: {service} reported {outcome.count_reported}, "
                       f"retrieved {outcome.count_retrieved} ({outcome.new} new, {outcome.already_held} already held)")
            for note in outcome.notes:
                typer.echo(f"    {note}")
    failed = [outcome for outcome in outcomes if outcome.status != "ok"]
    for outcome in failed:
        typer.echo(f"error: {outcome.error}", err=True)
    if failed:
        raise typer.Exit(1)


@contextmanager
def _progress(enabled: bool) -> Iterator[searching.Progress | None]:
    """A rich progress bar per source on stderr when it is a terminal; nothing otherwise."""
    if not enabled:
        yield None
        return
    try:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
    except ImportError:  # rich comes with typer; fall back to one rewritten line all the same
        yield lambda name, done, total: print(f"\r{name}: {done}/{total} records", end="", file=sys.stderr)
        print(file=sys.stderr)
        return
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=Console(stderr=True), transient=False)
    tasks: dict[str, TaskID] = {}

    def update(name: str, done: int, total: int) -> None:
        if name not in tasks:
            tasks[name] = bar.add_task(f"{name}: records fetched", total=total)
        bar.update(tasks[name], completed=done, total=total)

    with bar:
        yield update
