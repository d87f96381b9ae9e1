"""The whole command line, tried as a new user gets it wrong.

Every command and every option is run with a value missing, of the wrong type, out of range, or naming a
path that does not exist (or is a folder), one at a time on an otherwise valid command. Whatever the
value, the command must end the way ``docs/cli.md`` says: exit 0, 1 or 2 (3 only for
``refresh --exit-code``), never a traceback, and a failure must say what is wrong in a few lines.
The commands and options are read from the application itself, so a command added later is tried too.
"""

from __future__ import annotations

import os
import pkgutil
import re
import subprocess
import sys
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

import harvester.cli
from harvester.cli import main
from harvester.cli.main import app

runner = CliRunner()

#: Lines a failure may print on stderr (Typer's usage error is four: usage, hint, blank, the error).
MAX_ERROR_LINES = 6
#: Exit codes a command may end with (docs/cli.md); 3 only for ``refresh --exit-code``.
EXIT_CODES = {0, 1, 2}


def _commands() -> list[tuple[tuple[str, ...], Any]]:
    found = []
    for name, command in get_command(app).commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            found.extend(((name, sub), each) for sub, each in subcommands.items())
        else:
            found.append(((name,), command))
    return found


def _kind(param: Any) -> Any:
    annotation = param.type_descriptor.annotation
    if get_origin(annotation) is list:
        (annotation,) = get_args(annotation)
    return annotation


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A protocol from ``init`` (its ledger beside it, in the test's folder), a decisions sheet, a text file."""
    folder = tmp_path_factory.mktemp("surface") / "review"
    protocol = folder / "review.toml"
    assert runner.invoke(app, ["init", str(protocol)]).exit_code == 0
    sheet = folder / "decisions.csv"
    sheet.write_text("record_id,stage,decision\n", encoding="utf-8")
    junk = folder / "junk.txt"
    junk.write_text("not a protocol, not a sheet\n", encoding="utf-8")
    return {"protocol": protocol, "sheet": sheet, "junk": junk, "folder": folder}


def _valid(param: Any, review: dict[str, Path], tmp_path: Path) -> list[str]:
    """A value this parameter accepts, for the parameters a command cannot run without."""
    kind = _kind(param)
    if param.name == "protocol":
        return [str(review["protocol"])]
    if kind is Path:
        return [str(review["sheet"])] if param.name in ("file", "files") else [str(tmp_path / "new.toml")]
    if isinstance(kind, type) and issubclass(kind, Enum):
        return [str(next(iter(kind)).value)]
    if kind in (int, float):
        return ["1"]
    return ["JM"]


def _bad(param: Any, review: dict[str, Path]) -> list[str]:
    """Values a user gets wrong for this parameter."""
    kind = _kind(param)
    if kind is Path:
        return ["/nonexistent/folder/file.toml", str(review["folder"]), str(review["junk"])]
    if isinstance(kind, type) and issubclass(kind, Enum):
        return ["nope", ""]
    if kind is int:
        return ["abc", "-1", "0", "99999999999999999999"]
    if kind is float:
        return ["abc", "-1", "0", "1e300", "nan"]
    return ["", "nope", "--"]


def _cases(review: dict[str, Path], tmp_path: Path) -> list[tuple[str, list[str]]]:
    cases: list[tuple[str, list[str]]] = []
    for path, command in _commands():
        params = [p for p in command.params if p.name != "help"]
        arguments = [p for p in params if not p.opts or not p.opts[0].startswith("-")]
        required = [p for p in params if p.required and p not in arguments]

        def base(skip: Any = None, arguments: list[Any] = arguments, required: list[Any] = required) -> list[str]:
            args = [value for p in arguments if p is not skip and p.required for value in _valid(p, review, tmp_path)]
            for p in required:
                if p is not skip:
                    args += [p.opts[0], *_valid(p, review, tmp_path)]
            return args

        cases.append((" ".join(path) + " (nothing)", list(path)))
        for param in params:
            is_flag = getattr(param, "is_flag", False)
            if is_flag:
                continue
            name = " ".join(path)
            if param in arguments:
                cases.append((f"{name} without {param.name}", [*path, *base(skip=param)]))
                cases += [(f"{name} {param.name}={value!r}", [*path, value, *base(skip=param)])
                          if param.name == "protocol" else
                          (f"{name} {param.name}={value!r}", [*path, *base(skip=param), value])
                          for value in _bad(param, review)]
            else:
                option = param.opts[0]
                cases.append((f"{name} {option} (no value)", [*path, *base(skip=param), option]))
                cases += [(f"{name} {option}={value!r}", [*path, *base(skip=param), option, value])
                          for value in _bad(param, review)]
    return cases


def test_every_command_and_option_fails_cleanly_on_bad_values(review: dict[str, Path], tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRISMA_HARVEST_EUTILS_ATTEMPTS", "1")  # the conftest's refusing address: fail at once
    monkeypatch.chdir(tmp_path)  # files a command writes by default land here
    cases = _cases(review, tmp_path)
    assert len(cases) > 200  # every command, every option
    problems = []
    for label, args in cases:
        result = runner.invoke(app, args)
        code = result.exit_code
        crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
        if crashed or "Traceback" in result.output:
            problems.append(f"{label}: traceback ({type(result.exception).__name__}: {result.exception})")
        elif code not in EXIT_CODES:
            problems.append(f"{label}: exit {code}")
        elif code:
            lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("warning:")]
            if len(lines) > MAX_ERROR_LINES or not lines:
                problems.append(f"{label}: exit {code} with {len(lines)} line(s) on stderr: {lines[:8]}")
            elif "[Errno" in result.stderr:  # Python's words, not the reviewer's
                problems.append(f"{label}: exit {code} with Python's error text: {lines[-1]}")
    assert not problems, f"{len(problems)} of {len(cases)} cases:\n" + "\n".join(problems)


def test_help_lists_the_commands_in_the_order_of_the_work() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.startswith("  ")
              and not line.startswith("   ")]
    work = ["init", "search", "import", "dedupe", "duplicates", "rules", "screen", "audit", "diagram", "check",
            "counts", "report", "refresh", "run", "export", "runs"]
    assert [name for name in listed if name in work] == work
    assert listed == [name for name, _ in main.COMMANDS]


def test_every_command_module_is_registered() -> None:
    """A module of harvester/cli/ that main.py does not list would be a command nobody can run."""
    registered = {command.__module__ if callable(command) and not hasattr(command, "registered_commands")
                  else command.registered_commands[0].callback.__module__  # a command group
                  for _, command in main.COMMANDS}
    modules = {f"harvester.cli.{m.name}" for m in pkgutil.iter_modules(harvester.cli.__path__)} - {
        "harvester.cli.app", "harvester.cli.main"}
    assert modules == registered


def test_run_exits_1_when_a_live_source_fails_and_keeps_the_rest(review: dict[str, Path], tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRISMA_HARVEST_EUTILS_ATTEMPTS", "1")  # the conftest's refusing address
    result = runner.invoke(app, ["run", str(review["protocol"]), "--out", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 1
    assert "error: source 'MEDLINE'" in result.stderr
    assert (tmp_path / "out" / "report.html").is_file() and (tmp_path / "out" / "prisma-counts.json").is_file()
    offline = runner.invoke(app, ["run", str(review["protocol"]), "--out", str(tmp_path / "out2"), "--offline"])
    assert offline.exit_code == 0, offline.output


#: What Typer prints for a parameter when nobody gave it a name a person reads: ``<list[Path]>``, ``<int range>``,
#: ``<bool>``, ``<file>``...; and its ``{PROTOCOL}`` for a required argument in the usage line.
TYPE_LABEL = re.compile(r"<(?:str|int|float|bool|path|file|dir|text|list\[[^\]]*\]|[a-z]+ range|[A-Za-z]+)>")


def test_every_help_reads_without_python_type_labels_or_placeholders() -> None:
    """Item 2: ``--help`` of the application, of each group and of each command names values as people do
    (FILE, PROTOCOL, N, [svg|png]), never by their Python type, and no huge internal limit is shown."""
    groups = [(name,) for name, command in main.COMMANDS if isinstance(command, typer.Typer)]
    problems = []
    for path in [(), *groups, *(path for path, _ in _commands())]:
        result = runner.invoke(app, [*path, "--help"], terminal_width=100)
        label = " ".join(path) or "(the application)"
        assert result.exit_code == 0, (label, result.output)
        text = result.output
        problems += [f"{label}: {found!r}" for found in TYPE_LABEL.findall(text)]
        problems += [f"{label}: braces in {line.strip()!r}" for line in text.splitlines() if "{" in line or "}" in line]
        if str(2**63 - 1) in text:
            problems.append(f"{label}: shows the ledger's internal id limit")
    assert not problems, "\n".join(problems)
    usage = runner.invoke(app, ["import", "--help"]).output.splitlines()[0]
    assert usage == "Usage: prisma-harvest import [OPTIONS] PROTOCOL [FILE...]"


#: Misuse a new user tried on the example review, with the exit code and the words the one-line error must hold.
MISUSE = [
    (["query", "translate", "{protocol}", "--for", "bogus"], 2, "Invalid value for '--for': unknown database 'bogus'"),
    (["query", "translate", "--text", ""], 2, "error: query: the query is empty"),
    (["report", "{protocol}", "--out", "{junk}/report.html"], 1, "junk.txt: is a file where a folder is needed"),
    (["counts", "{protocol}", "--format", "json", "--out", "{junk}/counts.json"], 1,
     "junk.txt: is a file where a folder is needed"),  # every output makes its folder, then is written whole
    (["duplicates", "{protocol}", "--decisions", "{folder}"], 2, "Invalid value for '--decisions'"),
    (["link-study", "{protocol}", "S1", "999999"], 1, "refused, nothing stored: no record 999999 in this ledger"),
    (["diagram", "--counts", "{junk}"], 1, "junk.txt: refused, nothing stored: expected a CSV"),
    (["query", "check", "{protocol}", "--known", "{folder}"], 2, "Invalid value for '--known'"),
]


@pytest.mark.parametrize(("args", "code", "words"), MISUSE, ids=[" ".join(m[0][:2]) + f" {i}"
                                                                  for i, m in enumerate(MISUSE)])
def test_misuse_ends_in_one_clear_line_and_the_right_exit_code(args: list[str], code: int, words: str,
                                                               review: dict[str, Path]) -> None:
    filled = [arg.format(**{name: str(path) for name, path in review.items()}) for arg in args]
    result = runner.invoke(app, filled)
    assert result.exit_code == code, result.output
    assert words in result.stderr, result.stderr
    message = [line for line in result.stderr.splitlines() if line.startswith(("error:", "Error:"))]
    assert len(message) == 1 and words in message[0], result.stderr  # the problem is one line
    if code == 1:  # not a usage error: the error line is all there is
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_the_cli_top_layer_contract_names_every_module_below_the_cli() -> None:
    """import-linter checks only the modules a contract names: a module added later must be named too, or it could
    import the CLI unseen (the "CLI is the top layer" contract in pyproject.toml)."""
    import tomllib

    import harvester

    config = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "cli-top"]
    below = {f"harvester.{m.name}" for m in pkgutil.iter_modules(harvester.__path__)} - {"harvester.cli"}
    assert below | {"prisma"} == set(contract["source_modules"])


def _entry(argv: list[str], *, load_all: bool) -> tuple[str, str]:
    """What ``prisma-harvest ARGV`` prints (standard output, then standard error), and the project's modules it
    loaded (every command loaded first when ``load_all``)."""
    script = (f"import sys\nsys.argv = ['prisma-harvest', *{argv!r}]\nfrom harvester.cli import main\n"
              f"{'main.load()' if load_all else ''}\ntry:\n    main.main()\nexcept SystemExit:\n    pass\n"
              "print('LOADED', sorted(m for m in sys.modules if m.startswith(('harvester', 'prisma'))))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          env={**os.environ, "COLUMNS": "100"})
    printed, loaded = done.stdout.split("LOADED ")
    return printed + done.stderr, loaded


def test_a_command_loads_only_its_own_modules() -> None:
    """``prisma-harvest import`` imports the import's modules, not the live sources, diagrams or report, and its
    help reads exactly as with every command loaded."""
    printed, loaded = _entry(["import", "--help"], load_all=False)
    assert "'harvester.importing'" in loaded
    for heavy in ("harvester.citations", "harvester.dedup", "harvester.sources.http", "prisma.html_report",
                  "harvester.cli.diagrams"):
        assert f"'{heavy}'" not in loaded, heavy
    assert printed.startswith("Usage: prisma-harvest import [OPTIONS] PROTOCOL [FILE...]")
    assert printed == _entry(["import", "--help"], load_all=True)[0]
    for argv in (["--help"], ["query", "--help"], ["imprt"]):  # the whole application, a group, a typo
        assert _entry(argv, load_all=False)[0] == _entry(argv, load_all=True)[0], argv
