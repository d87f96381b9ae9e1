"""``export``: the records held in the ledger as CSV, RIS or BibTeX, for screening tools and reference managers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from harvester import protocol as protocol_module
from harvester.cli.app import ExportFormat, JsonOption, ProtocolArg, choice, print_json, reporting, review
from harvester.exporting import ExportSummary, export
from harvester.files import replacing
from harvester.ledger import Ledger


def export_command(
    protocol: ProtocolArg,
    format: Annotated[ExportFormat, typer.Option(
        "--format", help="The file format.", show_default=True, **choice(ExportFormat, "export format"))]
    = ExportFormat.csv,
    stage: Annotated[str, typer.Option(
        help="Only records at this point of the flow: all, unique (no duplicates), or an end state such as "
             "awaiting-screening, excluded-screening, awaiting-assessment, included.")] = "all",
    out: Annotated[Path | None, typer.Option(
        "--out", dir_okay=False,
        help="Write to this file (replaced only once complete); default: standard output.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Export the ledger's records (one per record, duplicates marked) as CSV, RIS or BibTeX."""
    with reporting():
        with review(protocol) as (loaded, ledger):
            if out is None:
                summary = export(ledger, loaded, format.value, sys.stdout, stage=stage)
            else:
                summary = _export_to_file(ledger, loaded, format.value, stage, out)
        result = {**summary.to_json(), "out": str(out) if out else None}
        if json_output and out is None:
            typer.echo(json.dumps(result), err=True)  # standard output carries the export itself
        elif json_output:
            print_json(result)
        elif out is not None:
            typer.echo(f"wrote {summary.records} record(s) ({summary.format}, stage {summary.stage}) to {out}")
        else:
            typer.echo(f"exported {summary.records} record(s)", err=True)


def _export_to_file(ledger: Ledger, loaded: protocol_module.Protocol, format: str, stage: str,
                    out: Path) -> ExportSummary:
    """Write beside ``out`` and rename at the end, so an interrupted export never leaves half a file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    encoding = "utf-8-sig" if format == "csv" else "utf-8"  # the BOM tells Excel the CSV is UTF-8
    with replacing(out, encoding) as handle:
        return export(ledger, loaded, format, handle, stage=stage)
