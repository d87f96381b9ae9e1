"""``query``: the review's query written for every database, linted, and checked on the records."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Annotated

import typer

from harvester import protocol as protocol_module
from harvester.cli import app as cli_app
from harvester.cli.app import JsonOption, print_json, reporting
from harvester.query.lint import LintIssue
from harvester.query.translate import DATABASES
from harvester.strategy import commands as strategies

query_app = typer.Typer(help="Translate, lint and check the review's boolean query.", no_args_is_help=True)

OptionalProtocol = Annotated[Path | None, typer.Argument(help="The review's protocol file (queries/*.toml).",
                                                         show_default=False)]
TextOption = Annotated[str | None, typer.Option("--text", help="A pasted query or strategy instead of a protocol.")]
FromOption = Annotated[str, typer.Option("--from", help="The syntax of --text: protocol (PubMed's), pubmed, ovid "
                                         "(a line-numbered strategy).")]


def _database(value: str) -> str:
    """``--for``: a database the translator knows, or ``all``; anything else is a usage error (exit 2)."""
    if value.lower() == "all" or value.lower() in DATABASES:
        return value
    raise typer.BadParameter(f"unknown database {value!r}: use one of all, {', '.join(DATABASES)}")


DefaultFieldOption = Annotated[str | None, typer.Option("--default-field",
                                                        help="PubMed tag for unfielded terms of --text (tiab...).")]


@query_app.command("translate")
def translate_command(
    protocol: OptionalProtocol = None,
    text: TextOption = None,
    database: Annotated[str, typer.Option("--for", help="A database (pubmed, ovid-medline, ovid-embase, embase, "
                                          "cinahl, psycinfo, scopus, wos, cochrane, europepmc, openalex, "
                                          "clinicaltrials) or all.", parser=_database, metavar="DATABASE")] = "all",
    syntax: FromOption = "protocol",
    default_field: DefaultFieldOption = None,
    json_output: JsonOption = False,
) -> None:
    """Write the query for each database, with every approximation as a warning."""
    with reporting():
        result = strategies.translate_strategy(protocol, text, database, syntax, default_field)
    if json_output:
        print_json([t.to_json() for t in result.translations])
        return
    for warning in result.strategy.reading:
        typer.echo(f"reading the strategy: warning {warning.code}: {warning.message}", err=True)
    for issue in result.lint:
        typer.echo(f"lint: {issue}", err=True)
    for translation in result.translations:
        where = f" ({translation.parameter})" if translation.parameter else ""
        typer.echo(f"## {translation.database}{where}\n{translation.query}")
        for warning in translation.warnings:
            typer.echo(f"  warning {warning.code}: {warning.message}")
        typer.echo("")


@query_app.command("lint")
def lint_command(
    protocol: OptionalProtocol = None,
    text: TextOption = None,
    database: Annotated[str, typer.Option("--for", help="Check these databases' limits too: a name or all.",
                                          parser=_database, metavar="DATABASE")] = "all",
    syntax: FromOption = "protocol",
    default_field: DefaultFieldOption = None,
    json_output: JsonOption = False,
) -> None:
    """Problems in the query, with codes and columns; exit 2 when there are errors."""
    with reporting():
        linted, issues = strategies.lint_strategy(protocol, text, database, syntax, default_field)
    if json_output:
        print_json([issue.to_json() for issue in issues])
    else:
        _print_issues(linted, issues)
    errors = [issue for issue in issues if issue.severity == "error"]
    if errors:
        typer.echo(f"error: {len(errors)} lint error(s), the first: {errors[0]}", err=True)
        raise typer.Exit(2)


#: A query longer than this is not printed whole above each issue: each issue gets the part around its column.
SHOWN_WIDTH = 100
#: Issues of one code listed in the text output before the rest are counted in one line (``--json`` lists all).
SHOWN_PER_CODE = 20


def _print_issues(query: str, issues: tuple[LintIssue, ...] | list[LintIssue]) -> None:
    """The query and a caret under each issue's column. What is printed grows with the query and the issues, never
    with their product: a long (generated) query shows each issue under its part of the query, and the same kind
    of problem many times over is listed SHOWN_PER_CODE times, then counted."""
    whole = len(query) <= SHOWN_WIDTH and "\n" not in query
    typer.echo(query)
    seen: dict[str, int] = {}
    for issue in issues:
        seen[issue.code] = seen.get(issue.code, 0) + 1
        if seen[issue.code] > SHOWN_PER_CODE:
            continue
        if whole:
            typer.echo(f"{' ' * (issue.column - 1)}^ {issue}")
            continue
        start = max(0, issue.column - 1 - SHOWN_WIDTH // 2)
        part = ("..." if start else "") + query[start:start + SHOWN_WIDTH].replace("\n", " ")
        typer.echo(f"{part}\n{' ' * (issue.column - 1 - start + (3 if start else 0))}^ {issue}")
    for code, count in seen.items():
        if count > SHOWN_PER_CODE:
            typer.echo(f"... and {count - SHOWN_PER_CODE:,} more {code} issue(s) (--json lists every one)")
    if not issues:
        typer.echo("no problems found")


@query_app.command("check")
def check_command(
    protocol: Annotated[Path, typer.Argument(help="The review's protocol file (queries/*.toml).", show_default=False)],
    known: Annotated[Path | None, typer.Option("--known", exists=True, dir_okay=False,
                                               help="Known relevant studies: RIS, CSV (doi, pmid, title or "
                                               "citation columns) or a list of PMIDs.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Evaluate each source's query on its records: what it would not select and why, coverage gaps, known studies."""
    # with --known the check is stored as a run: it writes, so it takes the review's lock
    def writing() -> AbstractContextManager[None]:
        return cli_app.holding(protocol_module.load(protocol), "query check") if known is not None else nullcontext()

    with reporting(), writing():
        result = strategies.check_protocol(protocol, known)
    if json_output:
        print_json(result.to_json())
        return
    for issue in result.lint:
        typer.echo(f"lint: {issue}", err=True)
    for source in result.sources:
        typer.echo(f"## {source.source} ({source.database or 'read as PubMed'}): {source.held} records returned, "
                   f"{source.selected} selected by the query as this database reads it, {len(source.not_selected)} "
                   f"not, {len(source.gaps)} coverage gap(s)")
        typer.echo(f"query: {source.query}")
        if source.note:
            typer.echo(f"note: {source.note}")
        for clause, items in _by_clause(source.not_selected).items():
            typer.echo(f"  not selected, failing {clause}:")
            for item in items:
                typer.echo(f"    #{item.record_id} {item.title[:100]}: {'; '.join(item.reasons)}")
        for gap in source.gaps:
            typer.echo(f"  coverage gap: #{gap.record_id} from {gap.source}: {gap.title[:100]}")
        if source.later_than_search:
            typer.echo(f"  ({source.later_than_search} matching record(s) of other sources were published after this "
                       "source was searched: not counted as gaps)")
        typer.echo("")
    if result.known is not None:
        known_check = result.known
        typer.echo(f"## Known studies ({known_check.file}): {len(known_check.results)}, "
                   f"{known_check.in_ledger} in the ledger")
        for recall in known_check.recall:
            typer.echo(f"  {recall.source}: returned {recall.returned} of {recall.known} "
                       f"(relative recall {recall.relative_recall:.1%}); the query selects {recall.selected} of them")
        for study in known_check.results:
            name = study.study.title or study.study.doi or study.study.pmid
            typer.echo(f"  {study.study.label}: {name[:90]}"
                       + (f" [matched by {study.matched_by}]" if study.matched_by else " [not in the ledger]"))
            for source_name, what in study.per_source.items():
                typer.echo(f"      {source_name}: {what}")


def _by_clause(items: tuple[strategies.NotSelected, ...]) -> dict[str, list[strategies.NotSelected]]:
    grouped: dict[str, list[strategies.NotSelected]] = {}
    for item in items:
        grouped.setdefault(item.clause, []).append(item)
    return grouped
