"""``refresh``: re-run the review's searches since the last run and report what is new.

Built for schedulers: quiet unless asked, progress lines only on a terminal, the delta as JSON with
``--json``, and with ``--exit-code`` exit 3 when new unique records were found (as ``git diff
--exit-code`` signals changes). A source that failed makes it exit 1 after the report (the other
sources' work is kept). A second refresh of the same review exits 1 naming the lock's holder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harvester import protocol as protocol_module
from harvester.cli.app import (
    JsonOption,
    ProtocolArg,
    holding,
    print_json,
    progress_bar,
    reporting,
    show_progress,
)
from harvester.delta import to_markdown
from harvester.refresh import DEFAULT_OVERLAP_DAYS, Steps, refresh

#: Exit code with ``--exit-code`` when the refresh found new unique records.
EXIT_NEW_RECORDS = 3


def refresh_command(
    protocol: ProtocolArg,
    json_output: JsonOption = False,
    exit_code: Annotated[bool, typer.Option(
        "--exit-code", help="Exit 3 when new unique records were found (0 when none), for schedulers.")] = False,
    out: Annotated[Path | None, typer.Option(
        file_okay=False,
        help="Folder to write the delta report (Markdown, JSON) and the new unique records into.")] = None,
    overlap_days: Annotated[int, typer.Option(
        min=0, help="Days searched again before the last successful search (records appear late).")]
    = DEFAULT_OVERLAP_DAYS,
    full: Annotated[bool, typer.Option(
        help="Search every live source in full (no window): also lists records no longer returned.")] = False,
    offline: Annotated[bool, typer.Option(
        help="Search no live source; re-import changed export files and de-duplicate (no network needed).")]
    = False,
    verbose: Annotated[bool, typer.Option(
        "--verbose/--quiet", help="Print the full report instead of the summary (each step is shown on "
                                  "stderr as it runs when stderr is a terminal, without --json).")] = False,
) -> None:
    """Re-run every live search since its last successful run, re-import changed export files,
    de-duplicate the newcomers against the whole ledger, and report what is new."""
    with reporting():
        loaded = protocol_module.load(protocol)
        with holding(loaded, "refresh"), progress_bar(show_progress(json_output)) as bar:
            steps = Steps() if bar is None else Steps.reporting(bar)  # counts for the bars only when drawn
            delta = refresh(loaded, overlap_days=overlap_days, full=full, out=out, steps=steps, offline=offline)
    if json_output:
        print_json(delta.to_json())
    elif verbose:
        typer.echo(to_markdown(delta), nl=False)
    else:
        typer.echo(f"refresh #{delta.refresh_run_id} of {delta.review}: {len(delta.new_unique)} new unique, "
                   f"{len(delta.known)} known, {len(delta.duplicates_among_new)} duplicates among new, "
                   f"{len(delta.revised)} revised")
    if delta.status == "failed":  # the report above lists it too; the other sources' work is kept
        typer.echo(f"error: refresh #{delta.refresh_run_id}: {delta.message}; the rest of the refresh is kept, and "
                   "the next refresh tries the failed source(s) again", err=True)
        raise typer.Exit(1)
    if exit_code and delta.found_new:
        raise typer.Exit(EXIT_NEW_RECORDS)

