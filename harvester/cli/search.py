"""``search``: run the protocol's live sources (PubMed, Europe PMC, ClinicalTrials.gov, OpenAlex) into its ledger.

Quiet unless something is wrong, except for a progress bar of records fetched of the expected total,
drawn on stderr only when stderr is a terminal and no --json was asked for. Exit 1 when any source failed
(the others still ran).
"""

from __future__ import annotations

from typing import Annotated

import typer

from harvester import search as searching
from harvester.cli.app import (
    JsonOption,
    ProtocolArg,
    print_json,
    progress_bar,
    reporting,
    review,
    show_progress,
)


def search(
    protocol: ProtocolArg,
    source: Annotated[list[str] | None, typer.Option(
        "--source", help="Search only this live source (repeat for several); default: every live source.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Run the protocol's live searches (PubMed, Europe PMC, ClinicalTrials.gov, OpenAlex) into its ledger
    (resumes a search that was killed)."""
    with reporting(), review(protocol, writing="search") as (loaded, ledger), \
            progress_bar(show_progress(json_output)) as progress:  # the review opened once, as run does
        outcomes = searching.search_held(ledger, loaded, searching.live_sources(loaded, source), progress=progress)
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
