"""Run rounds of CLI commands at once, each command in its own process, for ``tests/test_concurrency.py``.

    python -m tests.concurrent_commands SPEC.json RESULTS.json

SPEC is ``{"protocol": path, "rounds": [[[arg, ...], ...], ...], "env": {...}}``. This process imports the
application once, then for each round forks one child per command; the children wait at a barrier (a pipe)
until all are forked, then run their command at the same moment, as separate processes (each takes the
review's lock as a command started from a shell does: a lock held by one is seen by the others). Forking
from one process that has already imported everything keeps a round to the time of its commands, not of
Python's start-up (3 s per process on a loaded machine), so many rounds fit in a test. After each round,
with every child gone, it checks the ledger: ``PRAGMA integrity_check``, runs still ``running``, and
``prisma-harvest check`` (the counts add up), run the same way. RESULTS holds, per round, each command's
exit code and output, and the checks.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import sys
import time
import traceback
from pathlib import Path
from typing import Any

#: A round that takes longer than this is reported as hung (its children are killed).
ROUND_SECONDS = 120


def _child(args: list[str], output: Path, barrier: int) -> None:
    """In the forked child: output to a file, wait for the others, run one command, exit with its code."""
    from harvester.cli.main import app

    handle = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(handle, 1)
    os.dup2(handle, 2)
    os.read(barrier, 1)
    code = 0
    try:
        app(args, prog_name="prisma-harvest")
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:  # noqa: BLE001 - a traceback is what the test looks for
        traceback.print_exc()
        code = 99
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run_round(commands: list[list[str]], folder: Path, tag: str) -> list[dict[str, Any]]:
    """Fork one process per command, release them together, wait for all: their exit codes and outputs."""
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    children: list[tuple[int, Path, list[str]]] = []
    for index, args in enumerate(commands):
        output = folder / f"{tag}-{index}.out"
        pid = os.fork()
        if pid == 0:
            os.close(write_end)
            _child(args, output, read_end)
        children.append((pid, output, args))
    os.close(read_end)
    os.write(write_end, b"x" * len(children))
    os.close(write_end)
    signal.alarm(ROUND_SECONDS)
    results = []
    try:
        for pid, output, args in children:
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)
            results.append({"args": args, "code": code, "output": output.read_text(encoding="utf-8",
                                                                                    errors="replace")})
    except TimeoutError:
        for pid, _, _ in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        results.append({"args": ["<round>"], "code": -1, "output": f"hung: over {ROUND_SECONDS} s"})
    finally:
        signal.alarm(0)
    return results


def _alarm(signum: int, frame: object) -> None:
    raise TimeoutError


def checks(protocol: str, ledger: Path, folder: Path, tag: str) -> dict[str, Any]:
    """The ledger after a round: integrity, runs left running, and whether ``check`` finds the counts adding up."""
    connection = sqlite3.connect(ledger)
    try:
        integrity = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        running = [row[0] for row in connection.execute("SELECT kind FROM runs WHERE status = 'running'")]
    finally:
        connection.close()
    (check,) = run_round([["check", protocol]], folder, f"{tag}-check")
    return {"integrity": integrity, "running": running, "check": check}


def main() -> int:
    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    os.environ.update(spec.get("env", {}))
    import harvester.citations
    import harvester.cli.main  # noqa: F401 - imported once, before the forks, with what the commands load lazily
    import harvester.formats
    import harvester.pipeline
    import harvester.refresh
    import harvester.strategy.commands

    harvester.formats.formats()  # the format modules, found and imported once

    signal.signal(signal.SIGALRM, _alarm)
    folder = Path(sys.argv[2]).parent / "outputs"
    folder.mkdir(exist_ok=True)
    results = []
    for number, commands in enumerate(spec["rounds"]):
        tag = f"round{number}"
        started = time.monotonic()
        ran = run_round(commands, folder, tag)
        seconds = time.monotonic() - started
        results.append({"commands": ran, "seconds": round(seconds, 2),
                        "after": checks(spec["protocol"], Path(spec["ledger"]), folder, tag)})
    Path(sys.argv[2]).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
