"""Writing an output file whole or not at all: every file a command writes (a diagram, a report, a sheet, an
export, a refresh's delta, a new protocol) is written beside its place and renamed over it once complete.

Why: written in place, a full disk, a killed process or Ctrl-C left a half-written file where the last good one
was (a diagram cut at 12 KB replaced a whole one, an interrupted ``init --force`` an empty protocol). A rename
within one folder is atomic: the file is either the old one or the new one. The ``.partial`` file is removed
when the writing fails; an error the operating system gives without a file name is given the file's name.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TextIO, cast


def partial_path(path: Path) -> Path:
    """Where ``path`` is written before it is renamed into place."""
    return path.with_name(path.name + ".partial")


@contextmanager
def replacing(path: Path, encoding: str = "utf-8") -> Iterator[TextIO]:
    """A text handle (``encoding``, line ends as written) on ``path``'s partial file; renamed to ``path`` when
    the block ends without an error, removed when it does not."""
    with _replacing(path, "w", encoding=encoding, newline="") as handle:
        yield cast(TextIO, handle)


@contextmanager
def _replacing(path: Path, mode: str, **options: Any) -> Iterator[IO[Any]]:
    partial = partial_path(path)
    try:
        with partial.open(mode, **options) as handle:
            yield handle
        os.replace(partial, path)
    except OSError as error:
        if error.filename is None:  # ENOSPC, EIO... from a write: name the file being written
            raise OSError(error.errno, error.strerror, str(path)) from error
        raise
    finally:
        partial.unlink(missing_ok=True)


def write_whole(path: Path, data: str | bytes, encoding: str = "utf-8") -> None:
    """Write ``data`` (text in ``encoding``, or bytes) to ``path`` whole or not at all; makes its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        with _replacing(path, "wb") as handle:
            handle.write(data)
    else:
        with replacing(path, encoding) as text:
            text.write(data)
