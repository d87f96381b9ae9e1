"""The Typer application and what every command shares: error reporting, JSON output, options.

Exit codes (documented in docs/cli.md): 0 success; 1 failure (a source, file or ledger problem);
2 bad usage (bad arguments, a malformed protocol or query); 3 only with ``refresh --exit-code``,
when new records were found.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_args, get_origin

import typer
from typer._display import describe_number_range
from typer.core import TyperArgument, TyperGroup, TyperOption

from harvester import protocol as protocol_module
from harvester.errors import HarvestError, UsageError
from harvester.ledger import DATABASE_ERRORS, Ledger
from harvester.ledger.runs import interrupt_orphans
from harvester.lock import Holder, ReviewLock
from harvester.progress import Progress
from harvester.protocol import Protocol

#: Command names in the order of the work, as ``main.py`` registers them; ``--help`` lists them in this order.
WORK_ORDER: list[str] = []


class WorkOrderGroup(TyperGroup):
    """Lists commands and command groups (``screen``) together in the order of the work, and shows every
    parameter in help by a name a person reads (``FILE``, ``N``), not by its Python type."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _read_cleanly(self)

    def list_commands(self, ctx: Any) -> list[str]:
        rank = {name: i for i, name in enumerate(WORK_ORDER)}
        return sorted(super().list_commands(ctx), key=lambda name: rank.get(name, len(rank)))


#: A range's end this large is no limit a person needs to read (a ledger id's 2**63 - 1).
_NO_LIMIT = 2**62


def _range(low: float | None, high: float | None) -> str | None:
    return describe_number_range(low, None if high is not None and high >= _NO_LIMIT else high)


class _Argument(TyperArgument):
    """An argument in help: its NAME in the usage line (``[NAME]`` when optional), no type label."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        return self.display_name_raw if self.required else f"[{self.display_name_raw}]"

    def _get_number_range_help_str(self) -> str | None:
        return _range(self.min, self.max)


class _Option(TyperOption):
    """An option in help: ``--out FILE``, ``--dpi N``, its own metavar when it has one; never ``<int range>``."""

    def display_type_rich(self, ctx: Any) -> str | None:
        if self.metavar is not None:
            return self.metavar
        described = self.type_descriptor
        if described.is_path:
            return {"file": "FILE", "dir": "DIR"}.get(described.path_type, "PATH")
        annotation = described.annotation
        if get_origin(annotation) is list:
            (annotation,) = get_args(annotation)
        return {int: "N", float: "NUMBER", str: "TEXT"}.get(annotation, "VALUE")

    def _get_number_range_help_str(self) -> str | None:
        return _range(self.min, self.max)


def _read_cleanly(command: Any) -> None:
    """Give every parameter of ``command`` (and of its subcommands) the help display above."""
    for sub in getattr(command, "commands", {}).values():
        _read_cleanly(sub)
    for param in getattr(command, "params", ()):
        if type(param) is TyperArgument:
            if param.metavar is None:
                param.metavar = (param.name or "value").upper() + ("..." if param.nargs != 1 else "")
            param.__class__ = _Argument
        elif type(param) is TyperOption:
            param.__class__ = _Option


app = typer.Typer(
    name="prisma-harvest",
    cls=WorkOrderGroup,
    rich_markup_mode=None,
    help="Run a systematic review's searches into an auditable ledger and draw its PRISMA flow diagram.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _application() -> None:
    # A callback keeps the application a group of commands when only the command being run is loaded
    # (``harvester.cli.main``): Typer would otherwise make a lone command the application itself.
    pass

#: The largest ledger id (SQLite's INTEGER): a larger number cannot name a record.
RECORD_ID_MAX = 2**63 - 1

ProtocolArg = Annotated[
    Path, typer.Argument(help="The review's protocol file (queries/*.toml).", show_default=False, metavar="PROTOCOL",
                         exists=True, file_okay=True, dir_okay=False, readable=True)
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON, for scripts and schedulers.")]


# --- the choices of every --format, as enums (help lists them; another value is Typer's usage error, exit 2) --

Choice = TypeVar("Choice", bound=StrEnum)


def choice(kind: type[Choice], what: str) -> dict[str, Any]:
    """``typer.Option`` arguments for an enum's values: listed in help, and any other value refused as
    Typer's usage error (exit 2) in our words: ``unknown template '2021': use one of new, ..., 2009``."""
    names = [item.value for item in kind]

    def parse(value: str | Choice) -> Choice:
        if isinstance(value, kind):
            return value
        try:
            return kind(value)
        except ValueError:
            raise typer.BadParameter(f"unknown {what} {value!r}: use one of {', '.join(names)}") from None

    return {"parser": parse, "metavar": "[" + "|".join(names) + "]"}


class FileFormatName(StrEnum):
    """Export file formats the importer reads (``harvester.formats``; aliases are for protocol files)."""

    bibtex = "bibtex"
    csv = "csv"
    endnote_xml = "endnote-xml"
    enw = "enw"
    medline = "medline"
    ovid = "ovid"
    pubmed_xml = "pubmed-xml"
    ris = "ris"
    wos_plain = "wos-plain"
    wos_tab = "wos-tab"


class ExportFormat(StrEnum):
    csv = "csv"
    ris = "ris"
    bibtex = "bibtex"


class DiagramFormat(StrEnum):
    svg = "svg"
    png = "png"
    pdf = "pdf"
    dot = "dot"


class CountsFormat(StrEnum):
    json = "json"
    prisma2020_csv = "prisma2020-csv"


class ListFormat(StrEnum):
    text = "text"
    csv = "csv"


class Stage(StrEnum):
    title_abstract = "title-abstract"
    retrieval = "retrieval"
    full_text = "full-text"


class SheetFormat(StrEnum):
    csv = "csv"
    ris = "ris"


class DecisionsFormat(StrEnum):
    ours = "ours"
    rayyan = "rayyan"
    asreview = "asreview"


class Role(StrEnum):
    screener = "screener"
    resolver = "resolver"


class AuditFormat(StrEnum):
    text = "text"
    csv = "csv"


class Layout(StrEnum):
    """The PRISMA templates (``prisma.templates.TEMPLATES``)."""

    new = "new"
    new_other = "new-other"
    updated = "updated"
    updated_other = "updated-other"
    prisma_2009 = "2009"


def register(name: str, command: Callable[..., Any] | typer.Typer) -> None:
    """Add one command (or command group) to the application, after those already registered."""
    if name not in WORK_ORDER:
        WORK_ORDER.append(name)
    if isinstance(command, typer.Typer):
        app.add_typer(command, name=name)
    else:
        app.command(name)(command)


@contextmanager
def reporting() -> Iterator[None]:
    """Turn a library error into one line on stderr and its exit code (a usage error into Typer's own, exit 2)."""
    try:
        yield
    except UsageError as error:
        raise typer.BadParameter("; ".join(error.problems), param_hint=error.path) from None
    except HarvestError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(error.exit_code) from None
    except OSError as error:  # a file or folder the command was asked to write or read
        typer.echo(f"error: {_path_problem(error)}", err=True)
        raise typer.Exit(1) from None
    except DATABASE_ERRORS as error:  # SQLite's own error, not foreseen by the library: still one line
        typer.echo(f"error: the ledger: {error} (nothing of the step that failed was written)", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        typer.echo("interrupted: the step that was running was rolled back and is marked interrupted; what was "
                   "committed before it stays. Run the command again: that step starts over", err=True)
        raise typer.Exit(130) from None


def _path_problem(error: OSError) -> str:
    """An operating system's refusal in the reviewer's words, naming the path and what to do."""
    where = f"{error.filename}: " if error.filename else ""
    if isinstance(error, FileExistsError):
        return f"{where}is a file where a folder is needed; choose another path"
    if isinstance(error, NotADirectoryError):
        return f"{where}part of this path is a file, not a folder; choose another path"
    if isinstance(error, IsADirectoryError):
        return f"{where}is a folder; give a file name"
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"{where}no space left on the disk (or over the quota): free some space or choose another place; " \
               "the file was not written (a file of that name is as it was)"
    if isinstance(error, PermissionError):
        return f"{where}permission denied; choose a place you may write to, or check the file's permissions"
    return f"{where}{error.strerror or error}; check the path and its permissions"


#: How long a writing command waits for another that holds the review (seconds; PRISMA_HARVEST_LOCK_WAIT).
LOCK_WAIT = 30.0


def _say_waiting(holder: Holder | None) -> None:
    who = f"{holder.command or 'another command'} since {holder.since or '?'}" if holder else "another command"
    typer.echo(f"waiting for the review: {who} holds it...", err=True)


@contextmanager
def _locked(loaded: Protocol, command: str) -> Iterator[None]:
    """The review's lock, waited for up to ``LOCK_WAIT`` seconds and lent to the library steps the command calls."""
    wait = float(os.environ.get("PRISMA_HARVEST_LOCK_WAIT", LOCK_WAIT))
    with ReviewLock(loaded.ledger_path, command, wait=wait, on_wait=_say_waiting, lend=True):
        yield


def _mark_orphans(ledger: Ledger) -> None:
    for run_id, kind, fate in interrupt_orphans(ledger):
        typer.echo(f"note: run #{run_id} ({kind}) was left running by a process that stopped (killed?): marked "
                   f"interrupted; {fate}", err=True)


@contextmanager
def holding(loaded: Protocol, command: str) -> Iterator[None]:
    """The review's lock for a writing command whose library step opens the ledger itself (search, refresh):
    waited for up to ``LOCK_WAIT`` seconds, lent to the steps it calls, orphaned runs marked."""
    with _locked(loaded, command):
        with Ledger.open(loaded.ledger_path) as ledger:
            _mark_orphans(ledger)
        yield


@contextmanager
def review(protocol_path: Path, writing: str | None = None) -> Iterator[tuple[Protocol, Ledger]]:
    """A command's protocol, loaded and checked, and its ledger, open once (and closed when the command is done).

    ``writing`` (the command's name): the command writes, so it first takes the review's lock, waiting up to
    ``LOCK_WAIT`` seconds for another writer (then "review is busy: <command> since <time>", exit 1), and marks
    runs left ``running`` by a killed process ``interrupted``. Readers take no lock."""
    loaded = protocol_module.load(protocol_path)
    if writing is None:
        with Ledger.open(loaded.ledger_path) as ledger:
            yield loaded, ledger
        return
    with _locked(loaded, writing), Ledger.open(loaded.ledger_path) as ledger:
        _mark_orphans(ledger)
        yield loaded, ledger


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def is_terminal() -> bool:
    return sys.stderr.isatty()


def show_progress(json_output: bool = False) -> bool:
    """A bar is drawn only for a person watching: stderr is a terminal and no --json was asked for."""
    return is_terminal() and not json_output


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Progress | None]:
    """A bar per task on stderr (what, done of total, rate, time taken) when ``enabled``; None otherwise, so the
    library reports nothing and nothing extra is printed."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, ProgressColumn, Task, TaskID, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar
    from rich.text import Text

    class Rate(ProgressColumn):
        """Items per second since the task began: since the previous task's last report (tasks run one after
        another, and what a step does before its first report, reading a file, is its own work), not rich's
        sampled estimate, which a task reported only at its start and end gets wrong."""

        def render(self, task: Task) -> Text:
            speed = task.fields.get("rate")
            return Text(f"{speed:,.0f}/s" if speed else "")

    bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), Rate(), TimeElapsedColumn(),
              console=Console(stderr=True))
    tasks: dict[str, tuple[TaskID, float]] = {}
    last = [time.monotonic()]  # the latest report of any task

    def update(label: str, done: int, total: int | None) -> None:
        if label not in tasks:
            tasks[label] = (bar.add_task(label, total=total, rate=None), last[0])
        task, started = tasks[label]
        last[0] = time.monotonic()
        took = last[0] - started
        bar.update(task, completed=done, total=total, rate=done / took if done and took > 0 else None)

    with bar:
        yield update
