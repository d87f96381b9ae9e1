"""Concurrent commands and killed runs: every writing command takes the review's lock, a second writer waits a
bounded time and then says "review is busy: <command> since <time>"; the same file raced twice is imported
once; concurrent first opens of a new ledger migrate it once; runs left running by a killed process, and
dedupe stopped by Ctrl-C, end ``interrupted`` with the step reached; SQLite's own errors are one line."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester import protocol as protocol_module
from harvester.cli.main import app
from harvester.ledger import Ledger
from harvester.ledger.records import count_records, list_files
from harvester.ledger.runs import get_run, list_runs, start_run
from harvester.lock import ReviewLock

runner = CliRunner()
REPO = Path(__file__).resolve().parent.parent


def _ris(count: int, tag: str) -> str:
    return "".join(f"TY  - JOUR\nTI  - {tag} record {n} on peer support\nAU  - Smith, J\nPY  - 2020\n"
                   f"DO  - 10.1000/{tag}.{n}\nER  - \n\n" for n in range(count))


def _review(folder: Path) -> Path:
    for name, count in (("a.ris", 300), ("b.ris", 200)):
        (folder / name).write_text(_ris(count, name[0]), encoding="utf-8")
    path = folder / "review.toml"
    path.write_text(f'[review]\nid = "c"\nledger = "{folder / "ledger.sqlite"}"\n[query]\ntext = "peer"\n'
                    '[[sources]]\nname = "Scopus"\nkind = "file"\ndatabase = "Scopus"\nfiles = ["a.ris", "b.ris"]\n'
                    '[[rules]]\nid = "old"\nkind = "year"\nstage = "automation"\nreason = "before 2000"\nfrom = 2000\n',
                    encoding="utf-8")
    return path


def _cli(*args: str, wait: str = "60") -> subprocess.Popen[str]:
    env = dict(os.environ, PRISMA_HARVEST_LOCK_WAIT=wait, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-m", "harvester.cli.main", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)


def _finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, out + err


@pytest.mark.parametrize("pair", [
    (("import", "a.ris"), ("import", "a.ris")),  # the same file raced twice
    (("import", "a.ris"), ("import", "b.ris")),
    (("import", "a.ris"), ("dedupe",)),
    (("dedupe",), ("rules",)),
    (("import", "b.ris"), ("rules",)),
    (("dedupe",), ("dedupe",)),
    (("rules",), ("rules",)),
])
def test_pairs_of_writing_commands_on_one_review(pair: tuple[tuple[str, ...], ...], tmp_path: Path) -> None:
    protocol = _review(tmp_path)
    runner.invoke(app, ["import", str(protocol), str(tmp_path / "b.ris"), "--source", "Scopus"])  # something to read

    def args(command: tuple[str, ...]) -> list[str]:
        files = [str(tmp_path / name) for name in command[1:]]
        return [command[0], str(protocol), *files, *(["--source", "Scopus"] if files else [])]

    started = [_cli(*args(command)) for command in pair]
    results = [_finish(process) for process in started]
    for code, output in results:
        assert code == 0, output
        assert "Traceback" not in output and "database is locked" not in output
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        files = list_files(ledger)
        assert sorted(f.path.rsplit("/", 1)[-1] for f in files) == sorted({"b.ris", *(
            name for command in pair for name in command[1:])})  # each file once
        assert count_records(ledger) == sum(300 if f.path.endswith("a.ris") else 200 for f in files)
        assert all(run.status == "ok" for run in list_runs(ledger))
    if pair[0] == pair[1] and pair[0][0] == "import":
        assert sum("already imported" in output for _, output in results) == 1


def test_a_second_writer_waits_then_says_who_is_busy(tmp_path: Path) -> None:
    protocol = _review(tmp_path)
    loaded = protocol_module.load(protocol)
    with ReviewLock(loaded.ledger_path, command="refresh"):
        code, output = _finish(_cli("import", str(protocol), str(tmp_path / "a.ris"), "--source", "Scopus",
                                    wait="1"))
    assert code == 1 and "Traceback" not in output
    assert "waiting for the review: refresh since" in output
    assert "review is busy: refresh since" in output and "the import did nothing after waiting 1 s" in output
    code, output = _finish(_cli("import", str(protocol), str(tmp_path / "a.ris"), "--source", "Scopus"))
    assert code == 0, output  # once the lock is free the same command goes through


def _open(path: str) -> list[str]:
    with Ledger.open(path) as ledger:
        return ledger.applied_migrations()


def test_concurrent_first_opens_migrate_a_new_ledger_once(tmp_path: Path) -> None:
    path = str(tmp_path / "new.sqlite")
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        applied = pool.map(_open, [path] * 8)
    assert all(found == applied[0] and found for found in applied)


def test_a_run_left_running_by_a_killed_process_is_marked_interrupted(tmp_path: Path) -> None:
    protocol = _review(tmp_path)
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        with ledger.transaction():
            killed = start_run(ledger, "dedupe", parameters={"mode": "full"})  # as a SIGKILLed dedupe leaves it
        search = start_run(ledger, "search", source="MEDLINE")  # search resumes its own: left alone here
    result = runner.invoke(app, ["rules", str(protocol)])
    assert result.exit_code == 0, result.output
    assert f"run #{killed} was left running" in result.output
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        run = get_run(ledger, killed)
        assert run.status == "interrupted" and "start over" in (run.message or "")
        assert get_run(ledger, search).status == "running"
    again = runner.invoke(app, ["runs", str(protocol)])  # a reader takes no lock and marks nothing
    assert again.exit_code == 0


def test_ctrl_c_in_dedupe_marks_the_run_interrupted_with_the_step(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import harvester.dedup.runs as dedupe_runs

    protocol = _review(tmp_path)
    assert runner.invoke(app, ["import", str(protocol), str(tmp_path / "a.ris"), "--source", "Scopus"]).exit_code == 0

    def stop(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(dedupe_runs, "_full", stop)
    result = runner.invoke(app, ["dedupe", str(protocol)])
    assert result.exit_code == 130 and "starts over" in result.output
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        (run,) = list_runs(ledger, kind="dedupe")
        assert run.status == "interrupted" and "while comparing records (full)" in (run.message or "")


def test_sqlite_errors_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import harvester.cli.setup as setup

    protocol = _review(tmp_path)

    def broken(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(setup, "list_runs", broken)
    result = runner.invoke(app, ["runs", str(protocol)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "error: the ledger: disk I/O error" in result.output
