"""``withdraw``: mark a mistaken import as removed (or as never identified), reversibly, with who and why."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harvester.cli.app import RECORD_ID_MAX, JsonOption, ProtocolArg, print_json, reporting, review
from harvester.withdraw import withdraw as withdraw_import


def withdraw(
    protocol: ProtocolArg,
    file: Annotated[Path | None, typer.Argument(help="The imported file to withdraw (or --run N).",
                                                show_default=False)] = None,
    run: Annotated[int | None, typer.Option("--run", metavar="N", help="Withdraw the records of run N (an import, "
                                            "search or refresh) and its child runs.", min=1, max=RECORD_ID_MAX)
                   ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the ledger, shown by audit).")] = "",
    exclude_from_counts: Annotated[bool, typer.Option(
        "--exclude-from-counts", help="A file imported by mistake: its records were never identified for this "
        "review and count nowhere (default: they count as 'Records removed for other reasons').")] = False,
    undo: Annotated[bool, typer.Option("--undo", help="End the withdrawal in force on this file or run.")] = False,
    by: Annotated[str | None, typer.Option("--by", help="Who withdraws (default: the login name).")] = None,
    json_output: JsonOption = False,
) -> None:
    """Withdraw, never delete: every record of a mistaken import leaves the counts, logged and reversible."""
    with reporting():
        with review(protocol, writing="withdraw") as (_loaded, ledger):
            done = withdraw_import(ledger, file=file, run=run, reason=reason, exclude_from_counts=exclude_from_counts,
                                   undo=undo, who=by)
        row = done.withdrawal
        if json_output:
            print_json({"id": row.id, "what": done.what, "action": row.action, "records": row.records,
                        "reason": row.reason, "who": row.who, "at": row.at})
            return
        if row.action == "undo":
            typer.echo(f"restored {done.what}: its {row.records} record(s) count again ({row.who}, {row.at[:10]}: "
                       f"{row.reason})")
        else:
            how = ("never identified (in no box)" if row.action == "exclude-from-counts"
                   else "removed for other reasons")
            typer.echo(f"withdrew {done.what}: {row.records} record(s) now count as {how} ({row.who}, "
                       f"{row.at[:10]}: {row.reason}); undo with --undo")
