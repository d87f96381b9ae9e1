"""``import``: bring database export files into the review's ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harvester.cli.app import (
    FileFormatName,
    JsonOption,
    ProtocolArg,
    choice,
    print_json,
    progress_bar,
    reporting,
    review,
    show_progress,
)
from harvester.importing import ImportResult, import_files


def import_command(
    protocol: ProtocolArg,
    files: Annotated[list[Path] | None, typer.Argument(
        help="Export files to import; none: every file the protocol's file and other sources name.",
        show_default=False, metavar="FILE...", exists=True, dir_okay=False)] = None,
    source: Annotated[str | None, typer.Option(help="The protocol source the files belong to.")] = None,
    format: Annotated[FileFormatName | None, typer.Option(
        "--format", help="The file format; default: detected from the content.", **choice(FileFormatName, "format"))]
    = None,
    strict: Annotated[bool, typer.Option(help="Refuse a whole file if any record in it cannot be read.")] = False,
    mapping: Annotated[list[str] | None, typer.Option(
        "--map", metavar="FIELD=HEADER", show_default=False,
        help="Read a CSV whose header matches no known export: the column holding a record field "
             "(title, authors, year, doi, abstract, journal, pmid, source_id...). Repeat for each field.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Store a file under --source even when its content names "
                                        "another database (refused otherwise).")] = False,
    json_output: JsonOption = False,
) -> None:
    """Import export files (RIS, MEDLINE, Web of Science, EndNote, Ovid, CSV...): detection, counts, rejections."""
    columns = _mapping(mapping or [])
    with reporting():
        with review(protocol, writing="import") as (loaded, ledger), \
                progress_bar(show_progress(json_output)) as progress:
            results = import_files(ledger, loaded, files, source=source, format=format.value if format else None,
                                   strict=strict, mapping=columns, force=force, progress=progress)
        if json_output:
            print_json([result.to_json() for result in results])
        else:
            if not results:
                typer.echo("no files: name them, or list them in the protocol's file sources")
            for result in results:
                _print(result)
        if any(not result.ok for result in results):
            raise typer.Exit(1)


def _mapping(pairs: list[str]) -> dict[str, str] | None:
    """``--map FIELD=HEADER`` options as a field -> header mapping (the library checks the field names)."""
    if not pairs:
        return None
    columns: dict[str, str] = {}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        field = field.strip()
        if not sep or not field:
            raise typer.BadParameter(f"{pair!r} is not FIELD=HEADER (e.g. --map 'title=Paper title')",
                                     param_hint="--map")
        if field in columns:
            raise typer.BadParameter(f"field {field!r} is mapped twice", param_hint="--map")
        columns[field] = header.strip()
    return columns


def _print(result: ImportResult) -> None:
    typer.echo(f"{result.path} -> source {result.source!r}: {result.status}")
    if result.status == "failed":
        typer.echo(f"error: {result.message}", err=True)
        return
    typer.echo(f"  format {result.format}, database {result.database}, encoding {result.encoding}")
    if result.detection:
        typer.echo(f"  detected: {result.detection}")
    typer.echo(f"  records read {result.records_read} = imported {result.imported} + rejected "
               f"{len(result.rejected)}" if result.status != "already-imported" else f"  {result.message}")
    for rejected in result.rejected:
        typer.echo(f"  rejected record {rejected.position} (line {rejected.line}): {rejected.reason}")
    for warning in result.warnings:
        typer.echo(f"  warning: {warning}")
    if result.status == "refused":
        typer.echo(f"  {result.message}")
