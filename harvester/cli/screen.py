"""``screen export|import|conflicts``, ``rules`` and ``audit``: screening from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from harvester import screening
from harvester.cli.app import (
    RECORD_ID_MAX,
    AuditFormat,
    DecisionsFormat,
    JsonOption,
    ProtocolArg,
    Role,
    SheetFormat,
    Stage,
    choice,
    print_json,
    progress_bar,
    reporting,
    review,
    show_progress,
)
from harvester.errors import HarvestError
from harvester.files import write_whole
from harvester.screening import audit as audit_module
from harvester.screening.studies import studies_with_several_reports

screen_app = typer.Typer(help="Screening sheets and reviewers' decisions: export, import, conflicts.",
                         no_args_is_help=True)


StageOption = Annotated[Stage, typer.Option("--stage", help="The screening stage.", show_default=False,
                                            **choice(Stage, "stage"))]


@screen_app.command("export")
def export(
    protocol: ProtocolArg,
    stage: StageOption,
    format: Annotated[SheetFormat, typer.Option("--format", help="csv (our sheet) or ris (for Rayyan, "
                                                "ASReview, Covidence).",
                                                **choice(SheetFormat, "sheet format"))] = SheetFormat.csv,
    out: Annotated[Path | None, typer.Option("--out", dir_okay=False,
                                             help="Write the sheet here (default: print it).")] = None,
    json_output: JsonOption = False,
) -> None:
    """Write the screening sheet of the records awaiting a stage, keyed by ledger record id."""
    with reporting():
        with review(protocol) as (loaded, ledger), progress_bar(show_progress(json_output)) as progress:
            sheet = screening.export_sheet(ledger, loaded, stage.value, format.value, progress)
        if out is None:
            typer.echo(sheet.text, nl=False)
        else:
            write_whole(out, sheet.text)
        if json_output:  # on stderr when the sheet itself is on standard output
            typer.echo(json.dumps({**sheet.to_json(), "out": str(out) if out else None}), err=out is None)
        elif out is not None:
            typer.echo(f"wrote {out}: {sheet.records} record(s) awaiting {sheet.stage}", err=True)


@screen_app.command("import")
def import_(
    protocol: ProtocolArg,
    file: Annotated[Path, typer.Argument(help="The decisions file (CSV).", show_default=False, metavar="FILE",
                                         exists=True, dir_okay=False)],
    reviewer: Annotated[str | None, typer.Option("--reviewer", help="Who decided (for Rayyan: import only this "
                                                 "reviewer's labels; default all in the file).")] = None,
    stage: Annotated[Stage | None, typer.Option("--stage", help="The stage, when the file has no stage "
                                                "column.", **choice(Stage, "stage"))] = None,
    format: Annotated[DecisionsFormat, typer.Option("--format", help="ours, rayyan (Rayyan CSV export) or "
                                                    "asreview (ASReview LAB export).",
                                                    **choice(DecisionsFormat, "decisions format"))]
    = DecisionsFormat.ours,
    role: Annotated[Role, typer.Option("--role", help="screener, or resolver for the third reviewer settling "
                                       "conflicts.", **choice(Role, "role"))] = Role.screener,
    json_output: JsonOption = False,
) -> None:
    """Read reviewers' decisions back; a file with any problem is refused whole, listing every problem."""
    with reporting():
        with review(protocol, writing="screen import") as (loaded, ledger):
            result = screening.import_decisions(ledger, loaded, file, format=format.value, reviewer=reviewer,
                                                stage=stage.value if stage else None, role=role.value)
        if json_output:
            print_json(result.to_json())
            return
        typer.echo(f"stored {result.stored} decision(s) from {result.path} (run {result.run_id}; "
                   f"reviewers {', '.join(result.reviewers)})")
        for name, counts in result.by_stage.items():
            typer.echo(f"  {name}: " + ", ".join(f"{decision} {n}" for decision, n in sorted(counts.items())))


@screen_app.command("conflicts")
def conflicts(protocol: ProtocolArg, stage: StageOption, json_output: JsonOption = False) -> None:
    """Dual screening: percent agreement and Cohen's kappa per pair of screeners, and the conflicts."""
    with reporting():
        with review(protocol) as (loaded, ledger):
            report = screening.conflicts(ledger, loaded, stage.value)
        if json_output:
            print_json(report.to_json())
            return
        typer.echo(f"{report.stage}: screeners {', '.join(report.screeners) or '(none yet)'}")
        for pair in report.agreements:
            percent = f"{pair.percent:.1f}%" if pair.percent is not None else "-"
            kappa = f"{pair.kappa:.3f}" if pair.kappa is not None else "undefined"
            typer.echo(f"  {pair.first} vs {pair.second}: {pair.both_decided} record(s) decided by both, "
                       f"agreement {pair.agreed}/{pair.both_decided} = {percent}, Cohen's kappa {kappa}")
        typer.echo(f"open conflicts (not decided until resolved): {len(report.open)}")
        for item in report.open:
            typer.echo(f"  record {item.record_id}: " + ", ".join(f"{who} {what}" for who, what in item.decisions)
                       + ("; reasons " + "; ".join(f"{who} {why}" for who, why in item.reasons)
                          if item.reasons else ""))
        typer.echo(f"resolved conflicts: {len(report.resolved)}")
        for item in report.resolved:
            typer.echo(f"  record {item.record_id}: " + ", ".join(f"{who} {what}" for who, what in item.decisions)
                       + f" -> {item.resolution} by {item.resolved_by}")


def rules(protocol: ProtocolArg, json_output: JsonOption = False) -> None:
    """Apply the protocol's inclusion rules to every record (a new rules run; earlier results stay)."""
    with reporting():
        with review(protocol, writing="rules") as (loaded, ledger), \
                progress_bar(show_progress(json_output)) as progress:
            result = screening.apply_rules(ledger, loaded, progress)
        if json_output:
            print_json(result.to_json())
            return
        typer.echo(f"rules run {result.run_id}: {result.records} record(s)")
        for rule in result.rules:
            typer.echo(f"  {rule.id} ({rule.stage}, {rule.action}): fired on {result.fired.get(rule.id, 0)} "
                       f"- {rule.reason}")


def audit(
    protocol: ProtocolArg,
    record: Annotated[int | None, typer.Argument(help="A ledger record id: print its whole history.",
                                                         min=1, max=RECORD_ID_MAX)] = None,
    format: Annotated[AuditFormat, typer.Option("--format", help="text or csv.", **choice(AuditFormat, "format"))]
    = AuditFormat.text,
    records: Annotated[bool, typer.Option("--records", help="List every excluded record with its stage, reason "
                                          "and who or which rule.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Exclusions per stage by reason, rule and reviewer; or one record's history (origin, merges, decisions)."""
    with reporting():
        with review(protocol) as (loaded, ledger):
            if record is not None:
                try:
                    events = audit_module.history(ledger, loaded, record)
                except KeyError:
                    raise HarvestError(f"{loaded.ledger_path}: no record {record} in this ledger; list the "
                                       "records with `prisma-harvest export`") from None
                if json_output:
                    print_json([event.to_json() for event in events])
                    return
                _print_history(events, format)
                return
            if records:
                excluded = audit_module.excluded_records(ledger, loaded)
                if json_output:
                    print_json([outcome.to_json() for outcome in excluded])
                    return
                if format is AuditFormat.csv:
                    typer.echo(audit_module.excluded_csv(excluded), nl=False)
                    return
                for o in excluded:
                    who = o.rule or ", ".join(o.reviewers) or o.by or ""
                    extra = f" of {o.duplicate_of}" if o.duplicate_of is not None else ""
                    typer.echo(f"record {o.record_id} [{o.source}] {o.end}{extra} at {o.stage}: "
                               f"{o.reason or '-'} ({who})")
                return
            tallies = audit_module.summary(ledger, loaded)
            withdrawn = audit_module.withdrawals(ledger)
            studies = studies_with_several_reports(ledger)
        if json_output:
            print_json([tally.to_json() for tally in tallies])
            return
        if format is AuditFormat.csv:
            typer.echo(audit_module.summary_csv(tallies), nl=False)
            return
        for line in withdrawn:
            typer.echo(f"withdrawal: {line}")
        for study, ids in studies.items():
            typer.echo(f"study {study}: {len(ids)} reports (records {', '.join(map(str, ids))})")
        if not tallies:
            typer.echo("no exclusions yet")
        stage = None
        for tally in tallies:
            if tally.stage != stage:
                stage = tally.stage
                typer.echo(f"{stage}:")
            if tally.group == "total":
                typer.echo(f"  excluded: {tally.n}")
            else:
                typer.echo(f"    {tally.group} {tally.key}: {tally.n}")


def _print_history(events: list[audit_module.Event], format: AuditFormat) -> None:
    if format is AuditFormat.csv:
        typer.echo(audit_module.history_csv(events), nl=False)
        return
    for event in events:
        where = f" [{event.file}:{event.line}]" if event.file and event.line else ""
        stage = f" {event.stage}" if event.stage else ""
        old = "" if event.current else " (superseded)"
        who = f" {event.who}" if event.who else ""
        run = f" run {event.run}" if event.run is not None else ""
        typer.echo(f"{event.time} {event.event}{stage}{who}: {event.what}{old}{run}{where}")
        if event.detail:
            typer.echo(f"    {event.detail}")
