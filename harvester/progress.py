"""Progress of long work, reported by the library and drawn (or not) by the caller.

A long step (reading a large export, applying rules to 60,000 records, writing a screening sheet, a
live search) calls ``progress(label, done, total)`` now and then; ``total`` is None when it is not known
in advance (a file read block by block). The library never prints: the CLI draws a bar on stderr when
it is a terminal, and passes nothing otherwise (``--json``, a scheduler, a pipe).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

#: ``progress(label, done, total)``; ``total`` None when not known in advance.
Progress = Callable[[str, int, "int | None"], None]

#: Items between two reports (often enough for a bar, rare enough to cost nothing).
EVERY = 500

Item = TypeVar("Item")


def counted(items: Iterable[Item], progress: Progress | None, label: str, total: int | None = None,
            every: int = EVERY) -> Iterator[Item]:
    """``items`` unchanged, reporting how many have passed every ``every`` items and at the end."""
    if progress is None:
        yield from items
        return
    done = 0
    progress(label, 0, total)
    for item in items:
        yield item
        done += 1
        if done % every == 0:
            progress(label, done, total)
    progress(label, done, total if total is not None else done)


@contextmanager
def whole(progress: Progress | None, label: str, total: int) -> Iterator[None]:
    """A step that counts nothing as it goes (a de-duplication): ``0`` of ``total`` when it starts, ``total``
    when it has finished, so a bar shows how many and, at the end, the rate (total over the time taken)."""
    if progress is not None:
        progress(label, 0, total)
    yield
    if progress is not None:
        progress(label, total, total)
