"""``dedupe``, ``duplicates`` and ``split``: de-duplicate the ledger, show the evidence, let people decide."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from harvester import dedup
from harvester.cli.app import (
    RECORD_ID_MAX,
    JsonOption,
    ListFormat,
    ProtocolArg,
    choice,
    print_json,
    progress_bar,
    reporting,
    review,
    show_progress,
)
from harvester.files import write_whole
from harvester.ledger.records import count_records


def _print_summary(summary: dedup.Summary) -> None:
    typer.echo(f"dedupe run #{summary.run_id} ({summary.mode}): {summary.records} records, "
               f"{summary.candidate_pairs} pairs compared")
    typer.echo(f"  {summary.duplicates} duplicates removed in {summary.clusters} clusters; "
               f"{summary.uncertain} uncertain pairs for people; {summary.decisions} people's decisions respected")
    if summary.blocked:
        typer.echo(f"  {summary.blocked} matches not merged: they would join records known to differ")
    for database, count in summary.removed_by_database.items():
        typer.echo(f"  removed from {database}: {count}")
    if summary.rules_changed:
        typer.echo(f"  rules changed (now {summary.rules_version}): every stored merge was decided again")
    if summary.undone or summary.made:
        typer.echo(f"  merges undone: {len(summary.undone)}; made among records held before: {len(summary.made)}")
    for change in (*summary.undone, *summary.made):
        typer.echo(f"    {change['change']}: record {change['record']} with record {change['other']}"
                   f" (rule {change['rule']}; {change['now']})")


def dedupe_command(protocol: ProtocolArg, json_output: JsonOption = False) -> None:
    """De-duplicate every record of the review's ledger (a new dedupe run; nothing is deleted)."""
    with reporting():
        with review(protocol, writing="dedupe") as (loaded, ledger), \
                progress_bar(show_progress(json_output)) as progress:
            total = count_records(ledger) if progress is not None else None
            summary = dedup.dedupe_ledger(ledger, loaded, progress, total)
        if json_output:
            print_json(summary.to_json())
        else:
            _print_summary(summary)


def duplicates_command(
    protocol: ProtocolArg,
    uncertain: Annotated[bool, typer.Option("--uncertain", help="List the uncertain pairs waiting for people.")]
    = False,
    format: Annotated[ListFormat, typer.Option("--format", help="text or csv (csv: pairs side by side with a "
                                               "decision column to fill with same or different).",
                                               **choice(ListFormat, "format"))] = ListFormat.text,
    out: Annotated[Path | None, typer.Option("--out", dir_okay=False,
                                             help="Write to this file instead of the screen.")] = None,
    decisions: Annotated[Path | None, typer.Option(
        "--decisions", exists=True, dir_okay=False,
        help="Import a filled-in uncertain-pairs CSV (same/different), then de-duplicate again.")]
    = None,
    reviewer: Annotated[str | None, typer.Option(help="Who decided, for rows with an empty reviewer column.")]
    = None,
    json_output: JsonOption = False,
) -> None:
    """Show the clusters with their evidence, export uncertain pairs for people, or import their decisions."""
    with reporting():
        with review(protocol, writing="duplicates --decisions" if decisions is not None else None) as (loaded, ledger):
            if decisions is not None:
                stored, summary = dedup.apply_decisions(ledger, loaded, decisions, reviewer)
                if json_output:
                    print_json({"decisions_stored": stored, "run": summary.to_json()})
                else:
                    typer.echo(f"{stored} decisions stored from {decisions}")
                    _print_summary(summary)
                return
            rows = dedup.uncertain_pairs(ledger) if uncertain else dedup.clusters(ledger)
        if json_output:
            text = json.dumps(rows, indent=2, ensure_ascii=False)
        elif uncertain and format is ListFormat.csv:
            text = dedup.uncertain_csv(rows)
        elif format is ListFormat.csv:
            raise typer.BadParameter("csv is for --uncertain pairs; use --json for clusters", param_hint="--format")
        else:
            text = _uncertain_text(rows) if uncertain else _clusters_text(rows)
        if out is not None:
            write_whole(out, text)
            typer.echo(f"wrote {len(rows)} {'pairs' if uncertain else 'clusters'} to {out}")
        else:
            typer.echo(text.rstrip("\n"))


def _line(side: dict[str, str]) -> str:
    return (f"#{side['id']} [{side['source']}] {side['title'][:90]} | {side['authors'][:40]} | {side['year']} | "
            f"{side['journal'][:40]} {side['volume']}:{side['pages']} {side['doi']}")


def _clusters_text(rows: list[dict[str, object]]) -> str:
    if not rows:
        return "no duplicates (run `prisma-harvest dedupe PROTOCOL` first)"
    lines = []
    for row in rows:
        kept = row["kept"]
        assert isinstance(kept, dict)
        lines.append(f"cluster kept {_line(kept)}  (run {row['run']})")
        for duplicate in row["duplicates"]:  # type: ignore[attr-defined]
            scores = ", ".join(f"{k} {v}" for k, v in duplicate["scores"].items())
            lines.append(f"  duplicate {_line(duplicate)}")
            lines.append(f"    rule {duplicate['rule']} with #{duplicate['matched_with']}: {scores}")
    return "\n".join(lines)


def _uncertain_text(rows: list[dict[str, object]]) -> str:
    if not rows:
        return "no uncertain pairs waiting for people"
    lines = []
    for row in rows:
        a = {k[2:]: str(v) for k, v in row.items() if k.startswith("a_")}
        b = {k[2:]: str(v) for k, v in row.items() if k.startswith("b_")}
        lines.append(f"pair ({row['rule']}, title {row['title_score']}, authors {row['authors_score']})")
        lines.append(f"  {_line(a)}")
        lines.append(f"  {_line(b)}")
    return "\n".join(lines)


def split_command(
    protocol: ProtocolArg,
    record: Annotated[int, typer.Argument(help="The record id to take out of its cluster.", min=1,
                                                max=RECORD_ID_MAX)],
    reviewer: Annotated[str, typer.Option(help="Who decided (stored with the decision).")],
    note: Annotated[str | None, typer.Option(help="Why, in a few words.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Take a record out of a cluster the tool made (stored as 'different' decisions), then de-duplicate again."""
    with reporting():
        with review(protocol, writing="split") as (loaded, ledger):
            summary = dedup.split(ledger, loaded, record, reviewer, note)
        if json_output:
            print_json(summary.to_json())
        else:
            typer.echo(f"record {record} split from its cluster by {reviewer}")
            _print_summary(summary)
