"""One lock per review, so two refreshes of the same ledger never run at once.

Why ``fcntl.flock`` on a file beside the ledger rather than a row in the ledger: the kernel releases a
flock when the process that holds it dies, however it dies (SIGKILL, power cut of a container, OOM).
A ledger row would need a liveness check of a pid that may have been reused, or on another host, and
writing it would itself need a SQLite write lock. The file also carries who holds it (pid, host, since
when, command) as JSON, written after the lock is taken: a second refresh reads it to say who is busy,
and a refresh that finds the details of a holder that is gone (it took the flock without waiting)
reports the take-over of that stale lock as a note. The lock file is never deleted (deleting a flocked
file lets a third process lock a new file of the same name); it is emptied on a clean release.

Limitation: flock is not reliable on some network file systems (older NFS); keep ledgers on a local disk.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from harvester.errors import LockError
from harvester.ledger.core import utc_now


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds (or last held) a review's lock."""

    pid: int | None
    host: str
    since: str
    command: str = ""

    def describe(self) -> str:
        pid = self.pid if self.pid is not None else "?"
        return f"pid {pid} on {self.host or '?'} since {self.since or '?'}" + (
            f" ({self.command})" if self.command else "")


def lock_path(ledger_path: Path) -> Path:
    """The lock file of a ledger: ``<ledger>.lock`` in the same folder."""
    return ledger_path.with_name(ledger_path.name + ".lock")


def read_holder(path: Path) -> Holder | None:
    """The holder written in a lock file, or None when it is empty, missing or unreadable."""
    try:  # bytes that are not UTF-8 (another program's file, a damaged disk) are shown, not a UnicodeDecodeError
        text = path.read_bytes().decode("utf-8", errors="replace").strip()
    except OSError:
        return None
    if not text:
        return None
    try:
        data = json.loads(text)
        return Holder(pid=int(data["pid"]) if data.get("pid") is not None else None,
                      host=str(data.get("host", "")), since=str(data.get("since", "")),
                      command=str(data.get("command", "")))
    except (ValueError, KeyError, TypeError):
        return Holder(pid=None, host="", since="", command=f"unreadable lock file content {text[:80]!r}")


#: Locks this process holds for the code it calls (``lend``), by lock file, with how many times each was
#: taken: a command that holds the review's lock calls library steps that take it again (``run`` searches).
_HELD: dict[Path, int] = {}


class ReviewLock:
    """An exclusive lock on one review's ledger, for every command that writes; use as a context manager.

    ``wait`` seconds: how long a second writer waits for the first (``on_wait(holder)`` is called once when
    it starts waiting, to say so), then :class:`LockError` "review is busy: <command> since <time>". Taken
    again inside a command that took it with ``lend`` (the CLI's writing commands), it is held once more
    (and let go with the outer one); any other second taking, in this process or another, is refused.
    ``stale`` is set after :meth:`acquire` when the lock file still named a previous holder that is
    gone (its process died without releasing): the caller reports it as a note.
    """

    def __init__(self, ledger_path: Path, command: str = "refresh", *, wait: float = 0.0,
                 on_wait: Callable[[Holder | None], None] | None = None, lend: bool = False) -> None:
        self.path = lock_path(Path(ledger_path))
        self.command = command
        self.lend = lend
        self.wait = wait
        self.on_wait = on_wait
        self.stale: Holder | None = None
        self._fd: int | None = None
        self._nested = False

    @property
    def first(self) -> bool:
        """Whether this took the lock (not a nested taking by a process that already held it)."""
        return self.held and not self._nested

    def acquire(self) -> ReviewLock:
        """Take the lock, waiting up to ``wait`` seconds, or raise :class:`LockError` naming who holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        key = self.path.resolve()
        if _HELD.get(key):
            _HELD[key] += 1
            self._nested = True
            self._fd = -1
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.wait
        told = False
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise
                    if not told and self.on_wait is not None:
                        self.on_wait(read_holder(self.path))
                    told = True
                    time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        except BlockingIOError:
            os.close(fd)
            holder = read_holder(self.path)
            if holder is None:
                busy = "review is busy: another command (it has not yet written its details)"
            else:
                busy = f"review is busy: {holder.command or 'another command'} since {holder.since or '?'}"
            waited = f" after waiting {self.wait:.0f} s" if self.wait else ""
            who = holder.describe() if holder else "unknown holder"
            raise LockError(f"{self.path}: {busy} ({who}); the {self.command} did nothing{waited}: try again "
                            "when it has finished") from None
        except OSError as error:
            os.close(fd)
            raise LockError(f"{self.path}: cannot lock the review: {error.strerror or error}") from error
        previous = read_holder(self.path)
        if previous is not None and not (previous.pid == os.getpid() and previous.host == socket.gethostname()):
            self.stale = previous
        record = {"pid": os.getpid(), "host": socket.gethostname(), "since": utc_now(), "command": self.command,
                  "argv": " ".join([os.path.basename(sys.argv[0]), *sys.argv[1:]])[:300]}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode("utf-8") + b"\n", 0)
        os.fsync(fd)
        self._fd = fd
        if self.lend:
            _HELD[key] = 1
        return self

    def release(self) -> None:
        """Empty the lock file and let go (the file stays: see the module docstring)."""
        if self._fd is None:
            return
        key = self.path.resolve()
        if self._nested:
            _HELD[key] -= 1
            self._fd = None
            self._nested = False
            return
        if self.lend:
            _HELD.pop(key, None)
        try:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> ReviewLock:
        return self.acquire()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()
