"""Concurrent commands and killed runs: every writing command takes the review's lock, a second writer waits a
bounded time and then says "review is busy: <command> since <time>"; the same file raced twice is imported
once; concurrent first opens of a new ledger migrate it once; runs left running by a killed process, and
dedupe stopped by Ctrl-C, end ``interrupted`` with the step reached; SQLite's own errors are one line."""

from __future__ import annotations

import json
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
from harvester.ledger.runs import finish_run, get_run, list_runs, start_run
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


#: Every command that writes to the review's ledger (or, ``init``, a protocol file), with its arguments: ``{P}`` the
#: protocol, ``{F}`` the review's folder, ``{SPLIT}`` a record in a cluster, ``{R1}``/``{R2}`` two records, ``{N}``
#: the round (a new screening sheet each round). ``test_every_command_is_a_writer_or_a_reader`` keeps it complete.
WRITERS: dict[str, list[str]] = {
    "init": ["init", "{F}/new.toml", "--force"],
    "search": ["search", "{P}"],
    "cite": ["cite", "{P}", "--backward"],
    "import": ["import", "{P}", "{F}/extra-{N}.ris", "--source", "Reference lists and grey literature"],
    "withdraw": ["withdraw", "{P}", "{F}/extra.ris", "--reason", "imported by mistake"],
    "dedupe": ["dedupe", "{P}"],
    "duplicates --decisions": ["duplicates", "{P}", "--decisions", "{F}/pairs.csv", "--reviewer", "JM"],
    "split": ["split", "{P}", "{SPLIT}", "--reviewer", "JM"],
    "rules": ["rules", "{P}"],
    "screen import": ["screen", "import", "{P}", "{F}/sheet-{N}.csv"],
    "link-study": ["link-study", "{P}", "Study A", "{R1}", "{R2}"],
    "query check --known": ["query", "check", "{P}", "--known", "{F}/known.txt"],
    "refresh": ["refresh", "{P}"],
    "run": ["run", "{P}", "--out", "{F}/out"],
}
#: Commands that only read the ledger (they may write files elsewhere: a sheet, a diagram, an export).
READERS = {"query translate", "query lint", "query check", "duplicates", "screen export", "screen conflicts", "audit",
           "diagram", "check", "counts", "report", "export", "runs"}
#: A command refused for a reason of its own (not the lock), in one line: a file already withdrawn, a record no
#: longer in a cluster, a sheet whose decisions are already stored. Allowed in the rounds; a traceback never is.
OWN_REFUSALS = {"withdraw": "error:", "split": "error:", "screen import": "error:"}


def test_every_command_is_a_writer_or_a_reader() -> None:
    """A new command must be sorted here: a writer takes part in the concurrency rounds below."""
    from harvester.cli.main import COMMANDS

    names = set()
    for name, command in COMMANDS:
        group = getattr(command, "registered_commands", None)
        names |= {f"{name} {sub.name}" for sub in group} if group is not None else {name}
    writers = {name.split(" --")[0] for name in WRITERS}
    assert names == writers | READERS, names ^ (writers | READERS)


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example review brought in, de-duplicated, ruled and screened, once for the module."""
    from tests.conftest import screened_example

    return screened_example(tmp_path_factory.mktemp("screened"))


def _copy_review(screened: Path, folder: Path) -> tuple[Path, dict[str, str]]:
    """A copy of the screened example review with a live PubMed source, and the values for ``WRITERS``."""
    source = protocol_module.load(screened)
    (folder / "ledger.sqlite").write_bytes(source.ledger_path.read_bytes())
    text = screened.read_text(encoding="utf-8") + '\n[[sources]]\nname = "PubMed live"\nkind = "pubmed"\n'
    protocol = folder / "example.toml"
    protocol.write_text(text, encoding="utf-8")
    (folder / "extra.ris").write_text(_extra("primary care"), encoding="utf-8")
    runner.invoke(app, ["import", str(protocol), str(folder / "extra.ris"), "--source",
                        "Reference lists and grey literature"])  # for withdraw
    (folder / "known.txt").write_text("99924051\n", encoding="utf-8")
    (folder / "pairs.csv").write_text(runner.invoke(app, ["duplicates", str(protocol), "--uncertain", "--format",
                                                          "csv"]).output, encoding="utf-8")
    with Ledger.open(folder / "ledger.sqlite") as ledger:
        split = ledger.connection.execute("SELECT record_id FROM duplicates LIMIT 1").fetchone()[0]
        first, second = (row[0] for row in ledger.connection.execute("SELECT id FROM records LIMIT 2"))
    return protocol, {"{P}": str(protocol), "{F}": str(folder), "{SPLIT}": str(split), "{R1}": str(first),
                      "{R2}": str(second)}


def _extra(setting: str) -> str:
    return f"TY  - JOUR\nTI  - Peer supporters in {setting}\nPY  - 2013\nER  - \n"


def _args(name: str, values: dict[str, str], round_number: int, folder: Path) -> list[str]:
    (folder / f"extra-{round_number}.ris").write_text(_extra(f"setting {round_number}"), encoding="utf-8")
    sheet = (REPO / "examples" / "peer-support" / "decisions" / "title-abstract-JM.csv").read_text(encoding="utf-8")
    (folder / f"sheet-{round_number}.csv").write_text(sheet + "\n" * round_number, encoding="utf-8")
    found = []
    for arg in WRITERS[name]:
        for key, value in {**values, "{N}": str(round_number)}.items():
            arg = arg.replace(key, value)
        found.append(arg)
    return found


#: Rounds of commands started at the same moment on one review: every writer in a pair with another (one from the
#: first half of the list with one from the second: a search with a rules run, an import with a refresh...), the
#: two races seen in real use (the same file imported twice, two refreshes), then every writer at once (so each
#: also meets every other). Each round is a few seconds; all of them, checks included, well under a minute.
_NAMES = list(WRITERS)
_HALF = len(_NAMES) // 2
ROUNDS = ([[_NAMES[i], _NAMES[i + _HALF]] for i in range(_HALF)] + [["import", "import"], ["refresh", "refresh"]]
          + [_NAMES])


def test_rounds_of_every_writing_command_on_one_review(screened: Path, tmp_path: Path) -> None:
    """Pairs of every writing command (and all of them at once) started together on one review, against the fake
    E-utilities and Europe PMC servers: each waits for the other (PRISMA_HARVEST_LOCK_WAIT long enough), none
    ends in a traceback, a "database is locked" or a busy refusal, and after every round the ledger is intact
    (PRAGMA integrity_check), no run is left running and ``prisma-harvest check`` finds the counts adding up."""
    from harvester.sources import europepmc
    from tests.fake_europepmc import FakeEuropePmc
    from tests.fake_eutils import FakeEutils
    from tests.live_support import environment

    protocol, values = _copy_review(screened, tmp_path)
    rounds = [[_args(name, values, number, tmp_path) for name in names] for number, names in enumerate(ROUNDS)]
    with FakeEutils(n=20) as eutils, FakeEuropePmc(n=5) as europe:
        env = {"PRISMA_HARVEST_LOCK_WAIT": "90", "PRISMA_HARVEST_EUTILS_URL": eutils.url,
               **environment(europepmc.SERVICE, europe.url)}
        spec = tmp_path / "spec.json"
        spec.write_text(json.dumps({"protocol": str(protocol), "ledger": str(tmp_path / "ledger.sqlite"),
                                    "rounds": rounds, "env": env}), encoding="utf-8")
        results = tmp_path / "results.json"
        done = subprocess.run([sys.executable, "-m", "tests.concurrent_commands", str(spec), str(results)], cwd=REPO,
                              env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    problems = []
    for names, found in zip(ROUNDS, json.loads(results.read_text(encoding="utf-8")), strict=True):
        for name, ran in zip(names, found["commands"], strict=True):
            output, code = ran["output"], ran["code"]
            if "Traceback" in output or "database is locked" in output or "review is busy" in output:
                problems.append(f"{names}: {name} said {output[-400:]!r}")
            elif code != 0 and not (code == 1 and name in OWN_REFUSALS and OWN_REFUSALS[name] in output):
                problems.append(f"{names}: {name} exited {code}: {output[-400:]!r}")
        after = found["after"]
        if after["integrity"] != ["ok"] or after["running"]:
            problems.append(f"{names}: ledger after the round: {after['integrity']}, running {after['running']}")
        if names == ["import", "import"] and sum("already imported" in r["output"] for r in found["commands"]) != 1:
            problems.append(f"{names}: the same file raced twice is not imported once: {found['commands']}")
        if after["check"]["code"] != 0 or "ok: the diagram adds up" not in after["check"]["output"]:
            problems.append(f"{names}: check after the round: {after['check']['output'][-400:]!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", list(WRITERS)[1:])  # init writes a protocol file, not the ledger: it takes no lock
def test_every_writing_command_waits_then_refuses_while_another_holds_the_review(
        name: str, screened: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the review held by another writer, each writing command waits (saying so), then exits 1 with "review is
    busy: <command> since <time>" and writes nothing. The holder is the command before it in the list."""
    protocol, values = _copy_review(screened, tmp_path)
    holder = _NAMES[_NAMES.index(name) - 1]
    monkeypatch.setenv("PRISMA_HARVEST_LOCK_WAIT", "0.2")
    ledger_path = tmp_path / "ledger.sqlite"
    before = _contents(ledger_path)
    with ReviewLock(ledger_path, command=holder):
        result = runner.invoke(app, _args(name, values, 0, tmp_path))
    assert result.exit_code == 1, result.output
    assert f"waiting for the review: {holder} since" in result.output
    assert f"review is busy: {holder} since" in result.output and "Traceback" not in result.output
    assert _contents(ledger_path) == before


def _contents(ledger_path: Path) -> dict[str, int]:
    """Rows per table: what a refused command must leave as it was."""
    connection = sqlite3.connect(ledger_path)
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}
    finally:
        connection.close()


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
    """Every kind: a killed search, citation search or refresh too (it stayed ``running`` until the next run of
    its own kind, for ever if there was none), each with what became of its work; the search is still resumed
    by the next search of its source."""
    from harvester.ledger.harvest import close_abandoned_searches

    protocol = _review(tmp_path)
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        with ledger.transaction():
            killed = start_run(ledger, "dedupe", parameters={"mode": "full"})  # as a SIGKILLed dedupe leaves it
        search = start_run(ledger, "search", source="MEDLINE")
        refresh = start_run(ledger, "refresh")
        cite = start_run(ledger, "cite", source="Citation searching")
    runs = runner.invoke(app, ["runs", str(protocol)])  # a reader takes no lock and marks nothing
    assert runs.exit_code == 0 and runs.output.count(" running ") == 4, runs.output
    result = runner.invoke(app, ["rules", str(protocol)])
    assert result.exit_code == 0, result.output
    assert f"run #{killed} (dedupe) was left running" in result.output
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        fates = {run_id: get_run(ledger, run_id) for run_id in (killed, search, refresh, cite)}
        assert {run.status for run in fates.values()} == {"interrupted"}
        assert "start over" in (fates[killed].message or "")
        assert "the next search of this source resumes it" in (fates[search].message or "")
        assert "the next refresh reports them" in (fates[refresh].message or "")
        assert "what it stored is kept" in (fates[cite].message or "")
        later = start_run(ledger, "search", source="MEDLINE")
        assert close_abandoned_searches(ledger, "MEDLINE", later) == [search]  # resumed all the same
        assert f"resumed by run #{later}" in (get_run(ledger, search).message or "")
        finish_run(ledger, later, "ok")
        assert close_abandoned_searches(ledger, "MEDLINE", later + 1) == []  # once
        assert close_abandoned_searches(ledger, "PubMed", later + 1) == []  # by its own source only


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
