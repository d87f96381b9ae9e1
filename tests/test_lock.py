"""The review lock: one holder at a time, the second told who holds it; a dead holder's lock is taken over."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harvester.errors import LockError
from harvester.lock import ReviewLock, lock_path, read_holder

HOLD = """
import sys, time
from pathlib import Path
from harvester.lock import ReviewLock
lock = ReviewLock(Path(sys.argv[1]), command="refresh").acquire()
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_second_holder_is_refused_with_the_first_ones_details(tmp_path: Path) -> None:
    ledger = tmp_path / "review.sqlite"
    with ReviewLock(ledger) as first:
        assert first.held and first.stale is None
        holder = read_holder(lock_path(ledger))
        assert holder is not None and holder.pid == os.getpid() and holder.host == socket.gethostname()
        with pytest.raises(LockError) as refused:
            ReviewLock(ledger).acquire()
        message = str(refused.value)
        assert f"pid {os.getpid()} on {socket.gethostname()} since {holder.since}" in message
        assert "review is busy: refresh since" in message and "(pid" in message
        assert "the refresh did nothing" in message
    assert read_holder(lock_path(ledger)) is None  # emptied on release, not deleted
    assert lock_path(ledger).exists()
    with ReviewLock(ledger) as again:
        assert again.stale is None


def test_a_lock_held_by_another_process_and_taken_over_after_it_is_killed(tmp_path: Path) -> None:
    ledger = tmp_path / "review.sqlite"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(ledger), "60"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockError, match=f"pid {holder.pid} on "):
            ReviewLock(ledger).acquire()
    finally:
        holder.kill()
        holder.wait(timeout=30)
    deadline = time.monotonic() + 10
    while True:  # the kernel releases the flock when the process is gone
        try:
            lock = ReviewLock(ledger).acquire()
            break
        except LockError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    try:
        assert lock.stale is not None and lock.stale.pid == holder.pid
        holder_now = read_holder(lock_path(ledger))
        assert holder_now is not None and holder_now.pid == os.getpid()
    finally:
        lock.release()


def test_an_unreadable_lock_file_is_reported_not_trusted(tmp_path: Path) -> None:
    ledger = tmp_path / "review.sqlite"
    lock_path(ledger).write_text("garbage{", encoding="utf-8")
    with ReviewLock(ledger) as lock:
        assert lock.stale is not None and "unreadable" in lock.stale.describe()
    lock_path(ledger).write_text(json.dumps({"pid": 1, "host": "elsewhere", "since": "2026-01-01T00:00:00Z"}))
    with ReviewLock(ledger) as lock:
        assert lock.stale is not None and lock.stale.describe().startswith("pid 1 on elsewhere since 2026-01-01")
