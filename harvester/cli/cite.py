"""``cite``: citation searching, the references and citing works of chosen records (docs/sources.md)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from harvester import citations
from harvester import protocol as protocol_module
from harvester.cli.app import JsonOption, ProtocolArg, choice, holding, print_json, reporting


class CiteService(StrEnum):
    """The services citation searching goes through (``harvester.citations.SERVICES``)."""

    europepmc = "europepmc"
    openalex = "openalex"


def cite(
    protocol: ProtocolArg,
    backward: Annotated[bool, typer.Option("--backward", help="The works the records cite (reference lists).")]
    = False,
    forward: Annotated[bool, typer.Option("--forward", help="The works citing the records.")] = False,
    start: Annotated[list[str] | None, typer.Option(
        "--from", metavar="included|RECORD",
        help="'included' (default: the included studies) or ledger record ids (repeat, or comma-separate).")]
    = None,
    via: Annotated[CiteService, typer.Option(
        **choice(CiteService, "service"), help="The service (openalex needs OPENALEX_API_KEY).")]
    = CiteService.europepmc,
    json_output: JsonOption = False,
) -> None:
    """Citation searching: fetch the references and citing works of the chosen records (both directions
    unless one is named), store them once each as other methods, and de-duplicate them against the ledger."""
    directions = tuple(d for d, on in (("backward", backward), ("forward", forward)) if on) or citations.DIRECTIONS
    with reporting():
        loaded = protocol_module.load(protocol)
        with holding(loaded, "cite"):  # waits for another writer, like every writing command
            outcome = citations.cite(loaded, directions=directions, start=start or ["included"], via=via.value)
    if json_output:
        print_json(outcome.to_json())
        return
    typer.echo(f"cite: run #{outcome.run_id} ok: {outcome.found} link(s) to {outcome.works} work(s) from "
               f"{len(outcome.records)} record(s) ({', '.join(outcome.directions)} via {outcome.service}); "
               f"{outcome.new} new to the ledger"
               + (f", {outcome.duplicates} of them duplicates of records held" if outcome.duplicates else ""))
    if outcome.not_found:
        typer.echo(f"    not found at {outcome.service}: {', '.join(outcome.not_found)}")
