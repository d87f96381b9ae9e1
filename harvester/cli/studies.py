"""``link-study``: say which records are reports of one study (studies vs reports in the diagram)."""

from __future__ import annotations

from typing import Annotated

import typer

from harvester.cli.app import RECORD_ID_MAX, JsonOption, ProtocolArg, print_json, reporting, review
from harvester.screening.studies import link_study as link
from harvester.withdraw import default_who


def link_study(
    protocol: ProtocolArg,
    study: Annotated[str, typer.Argument(help="The study's label (a trial id, first author and year...).",
                                         show_default=False)],
    records: Annotated[list[int], typer.Argument(help="Ledger record ids of its reports.", show_default=False,
                                                 min=1, max=RECORD_ID_MAX)],
    why: Annotated[str, typer.Option("--why", help="Why they are one study (kept, shown by audit).")] = "",
    unlink: Annotated[bool, typer.Option("--unlink", help="Make each record its own study again.")] = False,
    by: Annotated[str | None, typer.Option("--by", help="Who links (default: the login name).")] = None,
    json_output: JsonOption = False,
) -> None:
    """Link records as reports of one study: the diagram counts the study once, and each report."""
    with reporting():
        with review(protocol, writing="link-study") as (_loaded, ledger):
            done = link(ledger, study, records, who=by or default_who(), why=why, unlink=unlink)
        if json_output:
            print_json({"study": done.study, "records": list(done.records), "reports": list(done.reports)})
        elif unlink:
            typer.echo(f"unlinked record(s) {', '.join(map(str, done.records))}: each is its own study again")
        else:
            typer.echo(f"study {done.study!r}: reports {', '.join(map(str, done.reports))}")
