"""``diagram``, ``counts``, ``check``, ``report``: the way out (PRISMA flow diagrams and reports)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harvester import outputs as commands
from harvester.cli.app import (
    CountsFormat,
    DiagramFormat,
    JsonOption,
    Layout,
    ProtocolArg,
    choice,
    print_json,
    reporting,
)
from harvester.files import write_whole
from prisma.diagram import BOX_WIDTHS, DPIS, FONT_SIZES, DiagramOptions
from prisma.since import parse_since

OptionalProtocol = Annotated[
    Path | None, typer.Argument(help="The review's protocol file (optional with --counts).", show_default=False,
                                metavar="PROTOCOL", exists=True, dir_okay=False, readable=True)
]
CountsOption = Annotated[
    Path | None, typer.Option("--counts", help="Use someone else's numbers: a PRISMA2020-package CSV (or a PRISMA "
                              "2009 counts file) instead of the ledger.", metavar="FILE.csv", exists=True,
                              dir_okay=False, readable=True)
]
TemplateOption = Annotated[
    Layout | None, typer.Option("--template", help="Layout (default: chosen from the counts).",
                                **choice(Layout, "template"))
]


DraftOption = Annotated[
    bool, typer.Option("--draft", "--allow-mismatch", help="Draw a diagram that does not add up, stamped DRAFT "
                       "(each problem becomes a warning).")
]
StrictOption = Annotated[
    bool, typer.Option("--strict", help="Refuse provisional numbers (records still awaiting a decision) instead of "
                       "warning.")
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


def _template(layout: Layout | None) -> str | None:
    return layout.value if layout is not None else None


def _source(protocol: Path | None, counts: Path | None) -> None:
    if protocol is None and counts is None:
        raise typer.BadParameter("give a PROTOCOL, or --counts FILE.csv", param_hint="PROTOCOL")


def diagram(
    protocol: OptionalProtocol = None,
    counts: CountsOption = None,
    template: TemplateOption = None,
    fmt: Annotated[DiagramFormat, typer.Option("--format", help="Output format.", **choice(DiagramFormat, "format"))]
    = DiagramFormat.svg,
    out: Annotated[Path | None, typer.Option("--out", dir_okay=False,
                                             help="File to write (default: REVIEW-prisma-TEMPLATE.FORMAT).")]
    = None,
    greyscale: Annotated[bool, typer.Option("--greyscale", help="No colour (journals printing in black).")] = False,
    font: Annotated[str, typer.Option("--font", help="Font family.")] = "Helvetica",
    font_size: Annotated[float, typer.Option("--font-size", help="Font size in points.", min=FONT_SIZES[0],
                                             max=FONT_SIZES[1])] = 10.0,
    box_width: Annotated[float, typer.Option("--box-width", help="Box width in inches.", min=BOX_WIDTHS[0],
                                             max=BOX_WIDTHS[1])] = 3.2,
    dpi: Annotated[int, typer.Option("--dpi", help="PNG resolution (dots per inch).", min=DPIS[0], max=DPIS[1])]
    = 300,
    footnotes: Annotated[bool, typer.Option("--footnotes", help="Print the * and ** footnotes, written from the "
                                           "review: records per database and register, exclusions by automation tools "
                                           "and by reviewers (the marks appear only with them).")] = False,
    draft: DraftOption = False,
    since: SinceOption = None,
    strict: StrictOption = False,
    json_output: JsonOption = False,
) -> None:
    """Draw the PRISMA flow diagram from the ledger (or from a CSV), after checking that it adds up."""
    _source(protocol, counts)
    with reporting():
        options = DiagramOptions(font=font, font_size=font_size, box_width=box_width, greyscale=greyscale, dpi=dpi,
                                 footnotes=footnotes)
        result = commands.make_diagram(protocol, counts, _template(template), fmt.value, out, options, draft,
                                       _since(since), strict)
        if json_output:
            print_json(result.to_json())
            return
        for warning in result.warnings:
            typer.echo(f"warning: {warning}", err=True)
        typer.echo(f"wrote {result.path} ({result.template} layout, {fmt.value})")


def counts_command(
    protocol: OptionalProtocol = None,
    counts: CountsOption = None,
    fmt: Annotated[CountsFormat, typer.Option("--format", help="prisma2020-csv (the R package's CSV) or json (with "
                                              "the record ids behind each box).",
                                              **choice(CountsFormat, "format"))] = CountsFormat.json,
    out: Annotated[Path | None, typer.Option("--out", dir_okay=False, help="File to write (default: print).")] = None,
    since: SinceOption = None,
    strict: StrictOption = False,
) -> None:
    """Print every box's count: as the PRISMA2020 package's CSV, or as JSON with the record ids behind each box."""
    _source(protocol, counts)
    with reporting():
        written = commands.counts_text(protocol, counts, fmt.value, _since(since), strict)
        for warning in written.warnings:
            typer.echo(f"warning: {warning}", err=True)
        text = written.text
        if out is None:
            typer.echo(text, nl=not text.endswith("\n"))
        else:
            write_whole(out, text)
            typer.echo(f"wrote {out}")


def check_command(
    protocol: OptionalProtocol = None,
    counts: CountsOption = None,
    records: Annotated[bool, typer.Option("--records", help="List the ledger record ids behind each box.")] = False,
    template: TemplateOption = None,
    since: SinceOption = None,
    strict: StrictOption = False,
    json_output: JsonOption = False,
) -> None:
    """Check the arithmetic of the layout `diagram` draws with the same options: every box equals the boxes
    feeding it, no non-zero box is left out, every record follows exactly one path."""
    _source(protocol, counts)
    with reporting():
        result = commands.check(protocol, counts, _since(since), _template(template), strict)
        if json_output:
            print_json(result.to_json())
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
                typer.echo(f"ok: the diagram adds up ({result.template} layout)")
        if result.problems:
            raise typer.Exit(1)


def report(
    protocol: ProtocolArg,
    out: Annotated[Path | None, typer.Option("--out", dir_okay=False,
                                             help="File to write (default: REVIEW-prisma-report.html).")]
    = None,
    template: TemplateOption = None,
    greyscale: Annotated[bool, typer.Option("--greyscale", help="No colour in the diagram.")] = False,
    markdown: Annotated[bool, typer.Option("--search-markdown", help="Write the PRISMA-S search report as Markdown "
                                           "instead.")] = False,
    since: SinceOption = None,
    draft: DraftOption = False,
    strict: StrictOption = False,
) -> None:
    """Write one self-contained HTML report: diagram, search report, reasons, de-duplication, records per box."""
    with reporting():
        options = DiagramOptions(greyscale=greyscale, footnotes=True)
        written = commands.write_report(protocol, out, _template(template), options, markdown, _since(since), draft,
                                        strict)
        for warning in written.warnings:
            typer.echo(f"warning: {warning}", err=True)
        typer.echo(f"wrote {written.path}")
