"""An independent red-team pass over what is not a file reader (issue 14): hostile protocols, ledgers and queries
that ended in a traceback, a runaway output or a silent mistake, each now one line naming the key, and the
look-alikes each rule must not touch."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from harvester import protocol
from harvester.cli.main import app
from harvester.errors import ProtocolError, QueryError
from harvester.query import parse
from harvester.query.ast import depth
from harvester.query.parser import MAX_DEPTH
from harvester.query.translate import DATABASES, translate

runner = CliRunner()


def _text(query: str = "a AND b", ledger: str = "ledger.sqlite", rule: str = "", extra: str = "") -> str:
    return (f'[review]\nid = "r"\nledger = "{ledger}"\n[query]\ntext = {query!r}\n'
            f'[[sources]]\nname = "Scopus"\nkind = "file"\ndatabase = "Scopus"\nfiles = ["a.ris"]\n{extra}{rule}')


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "review.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _rule(kind: str, body: str) -> str:
    return f'[[rules]]\nid = "r1"\nkind = {kind}\nstage = "automation"\nreason = "why"\n{body}\n'


def test_toml_nested_hundreds_deep_is_one_line_not_a_recursion_error(tmp_path: Path) -> None:
    """tomllib reads nested arrays recursively: 500 levels were a RecursionError traceback (exit 1)."""
    path = _write(tmp_path, _text(extra="[dedup]\nsource_preference = " + "[" * 500 + "]" * 500 + "\n"))
    result = runner.invoke(app, ["counts", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "nest hundreds deep" in result.output
    with pytest.raises(ProtocolError, match="dedup.source_preference"):  # a few levels: the usual type error
        protocol.load(_write(tmp_path, _text(extra='[dedup]\nsource_preference = [["Scopus"]]\n')))


def test_a_rule_kind_that_is_not_a_string_is_a_protocol_error(tmp_path: Path) -> None:
    """``kind = ["year"]`` was ``TypeError: unhashable type: 'list'`` (a traceback)."""
    for kind in ('["year"]', "{a = 1}", "3"):
        with pytest.raises(ProtocolError, match="rules\\[0\\].kind: expected one of language, year"):
            protocol.load(_write(tmp_path, _text(rule=_rule(kind, "from = 2000"))))


def test_a_query_rule_default_field_is_checked_like_the_query_s(tmp_path: Path) -> None:
    """A misspelt tag (``tiabb``) in a query rule was accepted, and the rule then read every field."""
    with pytest.raises(ProtocolError, match="rules\\[0\\] \\(r1\\).default_field: unknown field tag 'tiabb'"):
        protocol.load(_write(tmp_path, _text(rule=_rule('"query"', 'query = "child*"\ndefault_field = "tiabb"'))))
    loaded = protocol.load(_write(tmp_path, _text(rule=_rule('"query"', 'query = "child*"\ndefault_field = "TIAB"'))))
    assert loaded.rules[0].params["default_field"] == "TIAB"  # a known tag in capitals is still a known tag


@pytest.mark.parametrize(("body", "problem"), [
    ("from = 2020\nto = 2000", "to: 2000 is before from = 2020"),
    ("from = -5", "from: expected a year of four digits"),
    ("to = 99999999999", "to: expected a year of four digits"),
    ("from = 0", "from: expected a year of four digits"),
])
def test_a_year_rule_that_would_keep_or_exclude_every_record_is_refused(tmp_path: Path, body: str,
                                                                        problem: str) -> None:
    with pytest.raises(ProtocolError, match=problem):
        protocol.load(_write(tmp_path, _text(rule=_rule('"year"', body))))


@pytest.mark.parametrize("body", ["from = 2000\nto = 2000", "from = 1000", "to = 9999", "from = 1990\nto = 2026"])
def test_real_year_rules_still_load(tmp_path: Path, body: str) -> None:
    assert protocol.load(_write(tmp_path, _text(rule=_rule('"year"', body)))).rules[0].kind == "year"


def test_a_ledger_that_is_a_device_or_a_pipe_is_refused_by_name(tmp_path: Path) -> None:
    """``ledger = "/dev/null"`` reached SQLite and said "disk I/O error"; a pipe would block the open."""
    with pytest.raises(ProtocolError, match="/dev/null is not a regular file"):
        protocol.load(_write(tmp_path, _text(ledger="/dev/null")))
    fifo = tmp_path / "pipe.sqlite"
    os.mkfifo(fifo)
    result = runner.invoke(app, ["counts", str(_write(tmp_path, _text(ledger=str(fifo))))])
    assert result.exit_code == 2 and "is not a regular file" in result.output, result.output


def test_not_chained_without_brackets_shares_the_depth_limit() -> None:
    """``a NOT b NOT c ...`` builds a tree one level deeper per NOT without a bracket: 5,000 of them were a
    RecursionError in every database's writer (``query lint``, ``query translate``, ``search``)."""
    with pytest.raises(QueryError, match=f"more than {MAX_DEPTH} deep"):
        parse("a" + " NOT b" * 5000)
    with pytest.raises(QueryError, match=f"more than {MAX_DEPTH} deep"):  # brackets and NOTs count together
        parse("(" * 60 + "a" + " NOT b" * 60 + ")" * 60)
    assert depth(parse("a" + " NOT b" * MAX_DEPTH)) == MAX_DEPTH  # the limit itself reads


def _deepest(levels: int, chain: int) -> str:
    query = "z"
    for i in range(levels):
        query = f"(a{i} OR b AND c NOT ({query}){' NOT d' * chain})"
    return query


@pytest.mark.parametrize(("levels", "chain"), [(33, 0), (33, 2), (20, 4), (1, 90)])
def test_every_tree_the_parser_accepts_is_written_for_every_database(levels: int, chain: int) -> None:
    """The deepest trees the limit lets through (three groups per bracket, NOT chains in each) are written for
    every database without a RecursionError: the limit bounds what the writers meet."""
    node = parse(_deepest(levels, chain))
    for database in DATABASES:
        with contextlib.suppress(QueryError):  # a database's own limit (a refusal naming it) is fine
            translate(node, database)


def test_query_lint_output_grows_with_the_query_not_with_its_square(tmp_path: Path) -> None:
    """A generated query of 20,000 repeated terms printed the whole query padded under each of its 20,000 warnings
    (hundreds of megabytes; 200,000 terms, tens of gigabytes). Each issue is now shown under its part of the
    query, and a code repeated many times is listed 20 times, then counted."""
    query = "peer OR " * 20_000 + "x"
    path = _write(tmp_path, _text(query=query))
    result = runner.invoke(app, ["query", "lint", str(path)])
    assert result.exit_code == 0, result.output[-500:]
    assert len(result.output) < 3 * len(query)
    assert "... and 19,979 more duplicate-term issue(s)" in result.output
    shown = [line for line in result.output.splitlines() if "^ warning duplicate-term column 81:" in line]
    assert len(shown) == 1
    excerpt = result.output.splitlines()[result.output.splitlines().index(shown[0]) - 1]
    caret = shown[0].index("^")
    assert excerpt[caret - 1:caret + 4] == " peer"  # the caret stands under the term it names
    full = runner.invoke(app, ["query", "lint", str(path), "--json"])
    assert full.output.count('"duplicate-term"') == 19_999  # --json still lists every issue
    short = runner.invoke(app, ["query", "lint", "--text", '"peer mentor" AND (health'])
    assert short.output.splitlines()[:2] == ['"peer mentor" AND (health', " " * 18 + "^ error unbalanced-brackets "
                                             "column 19: '(' is never closed"]


def _review_with_ledger(tmp_path: Path) -> Path:
    (tmp_path / "a.ris").write_text("TY  - JOUR\nTI  - Peer support in clinics\nPY  - 2001\nER  - \n", encoding="utf-8")
    return _write(tmp_path, _text())


def test_a_ledger_from_a_newer_version_is_refused_not_read_or_written(tmp_path: Path) -> None:
    """A ledger migrated by a newer prisma-harvester (a migration this version does not ship) was read and written
    as if it were this version's: tables and columns whose meaning it does not know, counts possibly wrong."""
    import sqlite3

    path = _review_with_ledger(tmp_path)
    assert runner.invoke(app, ["import", str(path), str(tmp_path / "a.ris"), "--source", "Scopus"]).exit_code == 0
    ledger = tmp_path / "ledger.sqlite"
    connection = sqlite3.connect(ledger)
    connection.execute("INSERT INTO schema_migrations VALUES ('0099_future.sql', '2030-01-01')")
    connection.commit()
    connection.close()
    before = ledger.read_bytes()
    for command in (["counts", str(path)], ["import", str(path), str(tmp_path / "a.ris"), "--source", "Scopus"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        assert "newer prisma-harvester (migration 0099_future.sql is unknown" in result.output
    assert ledger.read_bytes() == before


def test_another_program_s_sqlite_file_is_not_migrated_into_a_ledger(tmp_path: Path) -> None:
    """An SQLite file of another program ended in "migration 0001_core.sql failed: table runs already exists" (or,
    with other table names, would have had a ledger's tables added beside its own)."""
    import sqlite3

    path = _review_with_ledger(tmp_path)
    for tables in (["runs"], ["photos", "albums"]):
        ledger = tmp_path / "ledger.sqlite"
        ledger.unlink(missing_ok=True)
        connection = sqlite3.connect(ledger)
        for table in tables:
            connection.execute(f"CREATE TABLE {table} (x)")
        connection.commit()
        connection.close()
        result = runner.invoke(app, ["counts", str(path)])
        assert result.exit_code == 1 and "an SQLite file of another program (tables" in result.output, result.output
        connection = sqlite3.connect(ledger)
        found = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
        connection.close()
        assert found == set(tables) and mode == "delete"  # nothing added, not even the write-ahead log
    (tmp_path / "ledger.sqlite").write_bytes(b"")  # an empty file is a new ledger: still made
    assert runner.invoke(app, ["counts", str(path)]).exit_code == 0


def test_a_lock_file_holding_bytes_that_are_not_utf8_does_not_stop_a_writer(tmp_path: Path) -> None:
    """A lock file left with other bytes (another program's, a damaged disk) was a UnicodeDecodeError traceback in
    every writing command; its content is only who held the lock, so it is shown and the lock taken."""
    path = _review_with_ledger(tmp_path)
    (tmp_path / "ledger.sqlite.lock").write_bytes(b"\xa0\xff\x00garbage")
    result = runner.invoke(app, ["import", str(path), str(tmp_path / "a.ris"), "--source", "Scopus"])
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output


NCBI_KEY = "NCBIk3yS3cr3tAbCdEf0123456789"


def _forms_of(key: str) -> dict[str, str]:
    """The key as a live answer may write it: as sent, lower-cased, as character references, JSON escapes and
    percent-encoding, and two of these mixed in one key."""
    return {"sent": key, "lower": key.lower(), "upper": key.upper(),
            "decimal references": "".join(f"&#{ord(c)};" for c in key),
            "hex references": "".join(f"&#x{ord(c):X};" for c in key),
            "json escapes": "".join(f"\\u{ord(c):04x}" for c in key),
            "percent": "".join(f"%{ord(c):02X}" for c in key),
            "percent twice": "".join(f"%25{ord(c):02x}" for c in key),
            "mixed": key[:5].lower() + "".join(f"&#{ord(c)};" for c in key[5:9]) + key[9:]}


@pytest.mark.parametrize("form", list(_forms_of(NCBI_KEY)))
def test_a_key_echoed_in_any_writing_is_scrubbed_from_answers_and_messages(form: str) -> None:
    """Matched only as sent (and URL-encoded), a key echoed lower-cased (a 400 page) or as XML character
    references (decoded by the parser after the scrubbing) reached the ledger, the report and the output."""
    from harvester.sources.http import scrub, scrub_answer, scrub_chunks

    written = _forms_of(NCBI_KEY)[form]
    body = f"<QueryTranslation>peer {written} health</QueryTranslation>".encode()
    assert scrub_answer(body, (NCBI_KEY,)) == b"<QueryTranslation>peer *** health</QueryTranslation>"
    pieces = [body[i:i + 7] for i in range(0, len(body), 7)]  # the key split across chunks
    assert b"".join(scrub_chunks(iter(pieces), (NCBI_KEY,))) == scrub_answer(body, (NCBI_KEY,))
    assert scrub(f"HTTP 400: bad key {written}", (NCBI_KEY,)) == "HTTP 400: bad key ***"


def test_scrubbing_leaves_an_answer_s_own_text_alone() -> None:
    """Look-alikes: the key's letters in another order, a prefix of it, references to other characters."""
    from harvester.sources.http import scrub_answer

    body = ("<T>" + NCBI_KEY[:-1] + " " + NCBI_KEY[::-1] + " &#78;&#67; caf&#233; \\u00e9 %41 Ncbi</T>").encode()
    assert scrub_answer(body, (NCBI_KEY,)) == body


def test_a_hostile_service_echoing_the_key_leaves_no_trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A service that echoes the key lower-cased in an error page and as character references in its
    QueryTranslation and WarningList: nothing of the key in the ledger, the outputs or the printed lines."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs

    answers = {"mode": "references"}

    class Echo(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            sent = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            key = parse_qs(sent).get("api_key", [""])[0]
            referenced = "".join(f"&#{ord(c)};" for c in key)
            if answers["mode"] == "lower":
                status, body = 400, f"<html>Bad request for key {key.lower()}</html>"
            else:
                status, body = 200, ('<?xml version="1.0"?><eSearchResult><Count>0</Count><RetMax>0</RetMax>'
                                     f"<RetStart>0</RetStart><IdList/><QueryTranslation>peer {referenced}"
                                     f"</QueryTranslation><WarningList><OutputMessage>key {referenced}"
                                     "</OutputMessage></WarningList></eSearchResult>")
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("PRISMA_HARVEST_EUTILS_URL", f"http://127.0.0.1:{server.server_address[1]}/")
        monkeypatch.setenv("NCBI_API_KEY", NCBI_KEY)
        monkeypatch.setenv("PRISMA_HARVEST_EUTILS_ATTEMPTS", "1")
        path = tmp_path / "review.toml"
        path.write_text('[review]\nid = "r"\nledger = "ledger.sqlite"\n[query]\ntext = "peer"\n'
                        '[[sources]]\nname = "MEDLINE"\nkind = "pubmed"\n', encoding="utf-8")
        printed = [runner.invoke(app, ["search", str(path), "--json"])]
        answers["mode"] = "lower"
        printed.append(runner.invoke(app, ["search", str(path)]))
        printed.append(runner.invoke(app, ["runs", str(path), "--json"]))
        printed.append(runner.invoke(app, ["report", str(path), "--out", str(tmp_path / "report.html")]))
    finally:
        server.shutdown()
    assert printed[0].exit_code == 0 and "api_key" not in printed[0].output
    assert printed[1].exit_code == 1 and "Bad request for key ***" in printed[1].output
    stored = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    for text in [result.output for result in printed] + [stored.decode("utf-8", "replace")]:
        assert NCBI_KEY.lower() not in text.lower()


def test_a_full_disk_is_reported_as_such_not_hidden_by_the_rollback(tmp_path: Path) -> None:
    """On a full disk SQLite ends the transaction itself; our ROLLBACK then failed with "cannot rollback - no
    transaction is active", and that was the one line the user saw (an import into a 3 MB tmpfs). SQLite's own
    limit on pages gives the same error as a full disk."""
    import sqlite3

    from harvester.ledger import Ledger

    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        pages = ledger.connection.execute("PRAGMA page_count").fetchone()[0]
        ledger.connection.execute(f"PRAGMA max_page_count = {pages + 2}")
        with pytest.raises(sqlite3.OperationalError, match="database or disk is full"), ledger.transaction() as db:
            db.execute("CREATE TABLE filler (x TEXT)")
            for _ in range(200):
                db.execute("INSERT INTO filler VALUES (?)", ("x" * 4000,))
        assert not ledger.connection.in_transaction
        assert "filler" not in {row[0] for row in ledger.connection.execute("SELECT name FROM sqlite_master")}


def _limited(limit: int) -> None:  # pragma: no cover - runs in the child before exec
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails (EFBIG) instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.parametrize("command", [["screen", "export", "{P}", "--stage", "title-abstract", "--out", "{OUT}"],
                                     ["report", "{P}", "--out", "{OUT}"], ["init", "{OUT}", "--force"],
                                     ["export", "{P}", "--out", "{OUT}"]])
def test_an_output_that_cannot_be_written_whole_leaves_the_previous_file_as_it_was(tmp_path: Path,
                                                                                   command: list[str]) -> None:
    """A full disk (here a file size limit) while writing a sheet, a report or a protocol left a half-written file
    in place of the last good one (a diagram cut at 12 KB on a full tmpfs; ``init --force`` an empty protocol).
    Every output is now written beside its place and renamed when whole."""
    import subprocess
    import sys

    (tmp_path / "a.ris").write_text("".join(
        f"TY  - JOUR\nTI  - Peer support record {n} {'with a long title ' * 12}\nPY  - 2001\nER  - \n\n"
        for n in range(600)), encoding="utf-8")
    path = _write(tmp_path, _text())
    assert runner.invoke(app, ["import", str(path), str(tmp_path / "a.ris"), "--source", "Scopus"]).exit_code == 0
    out = tmp_path / "previous.out"
    out.write_text("the previous good file\n", encoding="utf-8")
    args = [arg.replace("{P}", str(path)).replace("{OUT}", str(out)) for arg in command]
    done = subprocess.run([sys.executable, "-m", "harvester.cli.main", *args], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, preexec_fn=lambda: _limited(60_000),
                          timeout=300)
    if command[0] == "init":  # a protocol is small: what is checked is that it is written whole, then loaded
        assert done.returncode == 0, done.stderr
        assert protocol.load(out).id == "previous"
        return
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"error: {out}:" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert out.read_text(encoding="utf-8") == "the previous good file\n"
    assert not (tmp_path / "previous.out.partial").exists()


def test_no_space_left_names_the_file_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOSPC from a write carries no file name: it was "error: No space left on device; check the path and its
    permissions"."""
    import errno

    import harvester.files as files

    class Full:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *args: object) -> None:
            pass

        def write(self, data: object) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "open", lambda self, *a, **k: Full())
    with pytest.raises(OSError) as caught:
        files.write_whole(tmp_path / "d.svg", "<svg/>")
    assert caught.value.filename == str(tmp_path / "d.svg") and caught.value.errno == errno.ENOSPC
    from harvester.cli.app import _path_problem

    assert _path_problem(caught.value).startswith(f"{tmp_path / 'd.svg'}: no space left on the disk")


def test_a_ledger_the_user_may_only_read_is_read_by_the_reading_commands(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """An archived review, or a colleague's folder: every reading command failed with "cannot open the ledger:
    attempt to write a readonly database" (opening sets the journal mode and migrates). Readers now read it;
    writers stop with one line. Seen as a user without write access (setpriv); here, as the tests may run as
    root (who may write anything), the open's first write is refused as it was for that user."""
    import sqlite3

    import harvester.ledger.core as core

    (tmp_path / "a.ris").write_text("TY  - JOUR\nTI  - Peer support in clinics\nPY  - 2001\nER  - \n",
                                    encoding="utf-8")
    path = _write(tmp_path, _text())
    assert runner.invoke(app, ["import", str(path), str(tmp_path / "a.ris"), "--source", "Scopus"]).exit_code == 0
    expected = runner.invoke(app, ["counts", str(path)]).output
    ledger = tmp_path / "ledger.sqlite"
    connect = sqlite3.connect

    class Refusing(sqlite3.Connection):
        """What the user without write access met: the open's first write (the journal mode) refused."""

        def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
            if sql.lstrip().upper().startswith(("PRAGMA JOURNAL_MODE", "CREATE", "INSERT", "UPDATE", "BEGIN")):
                raise sqlite3.OperationalError("attempt to write a readonly database")
            return super().execute(sql, *args)

    def as_read_only(target: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        if Path(str(target)) == ledger:
            return connect(target, *args, factory=Refusing, **kwargs)  # type: ignore[arg-type,call-overload]
        if str(target).startswith(ledger.as_uri()):  # the read-only open: SQLite's own
            assert "mode=ro" in str(target)
        return connect(target, *args, **kwargs)  # type: ignore[arg-type,call-overload]

    monkeypatch.setattr(core.sqlite3, "connect", as_read_only)
    monkeypatch.setattr(core, "_writable", lambda found: found != ledger, raising=False)
    counts = runner.invoke(app, ["counts", str(path)])
    assert counts.exit_code == 0, counts.output
    assert counts.output == expected
    check = runner.invoke(app, ["check", str(path)])
    assert check.exit_code == 0 and "ok: the diagram adds up" in check.output, check.output
    writer = runner.invoke(app, ["rules", str(path)])
    assert writer.exit_code == 1 and "Traceback" not in writer.output, writer.output
    assert "readonly database" in writer.output and len(writer.output.strip().splitlines()) == 1


def _fibonacci_strategy(lines: int) -> str:
    found = ["1. exp Peer Group/", "2. (peer adj3 support).ti,ab."]
    found += [f"{n}. {n - 1} or {n - 2}" for n in range(3, lines + 1)]
    return "\n".join(found)


def test_an_ovid_strategy_whose_lines_multiply_is_refused_in_a_second_not_minutes() -> None:
    """Each line combining the two before it makes the written-out query 1.6 times longer: 28 such lines took 47 s
    and 388 MB, 40 would not end (``query translate --from ovid``). The size is counted on the shared lines
    without writing them out, and a line past the limit is refused, naming it."""
    import time

    from harvester.query.ovid import MAX_EXPANDED, parse_ovid

    started = time.process_time()
    with pytest.raises(QueryError, match=f"strategy line 23: .* more than {MAX_EXPANDED:,}"):
        parse_ovid(_fibonacci_strategy(3000))
    assert time.process_time() - started < 20  # a generous bound on a loaded machine; it was unbounded
    assert parse_ovid(_fibonacci_strategy(20)).node is not None  # below the limit: still read
    real = "\n".join([f"{n}. term{n}.ti,ab." for n in range(1, 301)] + ["301. or/1-150", "302. or/151-300",
                                                                          "303. 301 and 302", "304. 303 not 1"])
    assert parse_ovid(real).node is not None  # a long real strategy combining its lines a few times


def test_a_file_whose_name_is_not_utf8_is_imported_and_named_with_its_bytes_shown(tmp_path: Path) -> None:
    """A name with bytes that are not UTF-8 (an archive from a Latin-1 system) ended the import in a
    UnicodeEncodeError traceback as its path was stored; the ledger keeps such a name with ``\\xNN``."""
    folder = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9"))
    folder.mkdir()
    export = Path(os.fsdecode(bytes(folder) + b"/b\xff.ris"))
    export.write_text("TY  - JOUR\nTI  - Peer support in clinics\nPY  - 2001\nER  - \n", encoding="utf-8")
    path = _write(tmp_path, _text())
    import subprocess
    import sys

    repo = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(repo), "PYTHONIOENCODING": "utf-8:strict"}  # a UTF-8 locale's streams
    def imported() -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-c", "from harvester.cli.main import main; main()", "import",
                               str(path), str(export), "--source", "Scopus"], capture_output=True, cwd=repo, env=env,
                              timeout=300)

    result = imported()
    assert result.returncode == 0 and b"Traceback" not in result.stderr, result.stderr
    assert bytes(export) + b" -> source 'Scopus': imported" in result.stdout  # the name printed as its bytes
    runs = runner.invoke(app, ["runs", str(path), "--json"])
    assert runs.exit_code == 0 and "caf\\\\xe9/b\\\\xff.ris" in runs.output, runs.output  # JSON of \xNN
    again = imported()
    assert b"already imported" in again.stdout  # found again by its content
    withdrawn = runner.invoke(app, ["withdraw", str(path), str(export), "--reason", "wrong file"])
    assert withdrawn.exit_code == 0 and "file #1 b\\xff.ris" in withdrawn.output, withdrawn.output


def test_stored_text_changes_only_text_that_is_not_utf8() -> None:
    from harvester.ledger.core import stored_text

    for text in ("plain.ris", "café/ü.ris", "名前.ris", "a\\xe9.ris"):  # look-alikes, a real backslash included
        assert stored_text(text) == text
    assert stored_text(os.fsdecode(b"caf\xe9.ris")) == "caf\\xe9.ris"
    assert stored_text("lone \ud800 surrogate") == "lone \\ud800 surrogate"
