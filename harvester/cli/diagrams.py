"""``diagram``, ``counts``, ``check``, ``report``: the way out (PRISMA flow diagrams and reports)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harvester import outputs as commands
from harvester.cli.app import JsonOption, app, print_json, reporting
from prisma.diagram import FORMATS, DiagramOptions
from prisma.since import parse_since
from prisma.templates import TEMPLATES

OptionalProtocol = Annotated[
    Path | None, typer.Argument(help="The review's protocol file (optional with --counts).", show_default=False)
]
CountsOption = Annotated[
    Path | None, typer.Option("--counts", help="Use someone else's numbers: a PRISMA2020-package CSV (or a PRISMA "
                              "2009 counts file) instead of the ledger.")
]
TemplateOption = Annotated[
    str | None, typer.Option("--template", help=f"Layout: {', '.join(TEMPLATES)} (default: chosen from the counts).")
]


SinceOption = Annotated[
    str | None, typer.Option("--since", metavar="REF", help="Updated review: REF (a run id such as 12, or a date "
                             "such as 2026-03-01) ends the previous version; studies included from records brought "
                             "in up to REF are the previous studies, records brought in after it the new "
                             "identification. Chooses the updated template.")
]


def _since(value: str | None) -> str | None:
    if value is not None:
        try:
            parse_since(value)
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None
    return value


def _template(name: str | None) -> str | None:
    if name is not None and name not in TEMPLATES:
        raise typer.BadParameter(f"unknown template {name!r}: use one of {', '.join(TEMPLATES)}")
    return name


@app.command()
def diagram(
    protocol: OptionalProtocol = None,
    counts: CountsOption = None,
    template: TemplateOption = None,
    fmt: Annotated[str, typer.Option("--format", help=f"Output: {', '.join(FORMATS)}.")] = "svg",
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: <name>-prisma-<template>.<fmt>).")
                   ] = None,
    greyscale: Annotated[bool, typer.Option("--greyscale", help="No colour (journals printing in black).")] = False,
    font: Annotated[str, typer.Option("--font", help="Font family.")] = "Helvetica",
    font_size: Annotated[float, typer.Option("--font-size", help="Font size in points.")] = 10.0,
    box_width: Annotated[float, typer.Option("--box-width", help="Box width in inches.")] = 3.2,
    dpi: Annotated[int, typer.Option("--dpi", help="PNG resolution (dots per inch).")] = 300,
    footnotes: Annotated[bool, typer.Option("--footnotes", help="Print the template's * and ** footnotes.")] = False,
    allow_mismatch: Annotated[bool, typer.Option("--allow-mismatch", help="Draw counts that do not add up.")] = False,
    since: SinceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Draw the PRISMA flow diagram from the ledger (or from a CSV), after checking that it adds up."""
    with reporting():
        if fmt not in FORMATS:
            raise typer.BadParameter(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        options = DiagramOptions(font=font, font_size=font_size, box_width=box_width, greyscale=greyscale, dpi=dpi,
                                 footnotes=footnotes)
        result = commands.make_diagram(protocol, counts, _template(template), fmt, out, options, allow_mismatch,
                                       _since(since))
        if json_output:
            print_json({"path": str(result.path), "template": result.template, "format": fmt,
                        "warnings": list(result.warnings)})
            return
        for warning in result.warnings:
            typer.echo(f"warning: {warning}", err=True)
        typer.echo(f"wrote {result.path} ({result.template} layout, {fmt})")


@app.command("counts")
def counts_command(
    protocol: OptionalProtocol = None,
    counts: CountsOption = None,
    fmt: Annotated[str, typer.Option("--format", help="prisma2020-csv (the R package's CSV) or json.")] = "json",
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: print).")] = None,
    since: SinceOption = None,
) -> None:
    """Print every box's count: as the PRISMA2020 package's CSV, or as JSON with the record ids behind each box."""
    with reporting():
        if fmt not in ("prisma2020-csv", "json"):
            raise typer.BadParameter(f"unknown format {fmt!r}: use prisma2020-csv or json")
        text = commands.counts_text(protocol, counts, fmt, _since(since))
        if out is None:
            typer.echo(text, nl=not text.endswith("\n"))
        else:
            out.write_text(text, encoding="utf-8")
            typer.echo(f"wrote {out}")


@app.command("check")
def check_command(
    protocol: OptionalProtocol = None,
    counts: CountsOption = None,
    records: Annotated[bool, typer.Option("--records", help="List the ledger record ids behind each box.")] = False,
    since: SinceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Check the arithmetic: every box equals the boxes feeding it, every record follows exactly one path."""
    with reporting():
        result = commands.check(protocol, counts, _since(since))
        if json_output:
            print_json({"ok": not result.problems, "problems": [str(p) for p in result.problems],
                        "warnings": list(result.warnings),
                        **({"since": result.updated.to_json()} if result.updated is not None else {}),
                        "boxes": [{"box": b.key, "n": b.n, "records": list(b.records) if b.traced else None}
                                  for b in result.boxes]})
        else:
            if result.updated is not None:
                split = result.updated
                typer.echo(f"previous version: {len(split.previous_ids):,} record(s) brought in up to "
                           f"{split.boundary.description}; new identification: {len(split.new_ids):,} after it")
            for box in result.boxes:
                shown = "-" if box.n is None else f"{box.n:,}"
                behind = f"  [{len(box.records):,} records]" if box.traced else ""
                typer.echo(f"{box.key:<48} {shown:>8}{behind}")
                if records and box.records:
                    typer.echo("    " + " ".join(str(rid) for rid in box.records))
            for warning in result.warnings:
                typer.echo(f"warning: {warning}", err=True)
            for problem in result.problems:
                typer.echo(f"mismatch: {problem}", err=True)
            if not result.problems:
                typer.echo("ok: the diagram adds up")
        if result.problems:
            raise typer.Exit(1)


@app.command()
def report(
    protocol: Annotated[Path, typer.Argument(help="The review's protocol file (queries/*.toml).", show_default=False)],
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: <review>-prisma-report.html).")]
    = None,
    template: TemplateOption = None,
    greyscale: Annotated[bool, typer.Option("--greyscale", help="No colour in the diagram.")] = False,
    markdown: Annotated[bool, typer.Option("--search-markdown", help="Write the PRISMA-S search report as Markdown "
                                           "instead.")] = False,
    since: SinceOption = None,
) -> None:
    """Write one self-contained HTML report: diagram, search report, reasons, de-duplication, records per box."""
    with reporting():
        path = commands.write_report(protocol, out, _template(template), DiagramOptions(greyscale=greyscale), markdown,
                                     _since(since))
        typer.echo(f"wrote {path}")
