"""Typed errors that a reviewer can act on.

Library code raises these; the CLI turns each into one line (``str(error)``) and an exit code.
Every error says what is wrong and where: a file and line, a protocol key, a record id, a column.
"""

from __future__ import annotations

import re


class HarvestError(Exception):
    """Base class: any error the CLI reports as one line with exit code 1."""

    exit_code = 1


class ProtocolError(HarvestError):
    """A protocol file is malformed: names the file and the key."""

    exit_code = 2

    def __init__(self, path: str, key: str, problem: str) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        where = f"{path}: {key}" if key else path
        super().__init__(f"{where}: {problem}")


class QueryError(HarvestError):
    """A boolean query cannot be parsed: points at the column (1-based)."""

    exit_code = 2

    def __init__(self, query: str, column: int, problem: str) -> None:
        self.query = query
        self.column = column
        self.problem = problem
        if not query.strip():  # nothing to point at
            super().__init__(f"query: {problem}")
            return
        pointer = " " * (column - 1) + "^"
        super().__init__(f"query column {column}: {problem}\n  {query}\n  {pointer}")


class LedgerError(HarvestError):
    """The ledger cannot be opened, migrated or written."""


class SourceError(HarvestError):
    """A live source (PubMed) failed after every retry."""


class FormatError(HarvestError):
    """An export file cannot be read: names the file, and the line and record where known."""

    def __init__(self, path: str, problem: str, line: int | None = None, record: int | None = None) -> None:
        self.path = path
        self.line = line
        self.record = record
        self.problem = problem
        where = path
        if line is not None:
            where += f":{line}"
        if record is not None:
            where += f" (record {record})"
        super().__init__(f"{where}: {problem}")


class LockError(HarvestError):
    """Another process holds the review's lock."""


class InputError(HarvestError):
    """A user-supplied file (decisions, counts CSV...) is refused as a whole; lists every problem, the same
    problem on many rows once (``sheet.csv: 59,800 rows (lines 2-59801): no reviewer: ...``)."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        grouped = group_problems(problems)
        if len(problems) == 1:  # one problem: one line
            super().__init__(f"{path}: refused, nothing stored: {problems[0]}")
            return
        shown = grouped[:MAX_SHOWN]
        lines = "\n".join(f"  - {p}" for p in shown)
        if len(grouped) > len(shown):
            lines += f"\n  - and {len(grouped) - len(shown):,} more kind(s) of problem"
        super().__init__(f"{path}: refused, nothing stored ({len(problems):,} problem(s)):\n{lines}")


class UsageError(InputError):
    """A command-line value that cannot be used (an option that does not fit the others, a name the protocol
    does not have): the CLI reports it as Typer's usage error, exit 2. ``path`` is the option, or the file."""

    exit_code = 2


#: Kinds of problem an :class:`InputError` message lists (the others are counted).
MAX_SHOWN = 10
_PLACE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?:record [^:]*: )?(?P<what>.*)$", re.DOTALL)


def group_problems(problems: list[str]) -> list[str]:
    """The problems in order, each kind once: a problem met on several lines of one file is one entry naming
    how many rows and which lines; a problem met once keeps its own words."""
    kinds: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for problem in problems:
        match = _PLACE.match(problem)
        key = (match["file"], match["what"]) if match else ("", problem)
        kinds.setdefault(key, []).append((int(match["line"]) if match else 0, problem))
    found: list[str] = []
    for (file, what), seen in kinds.items():
        if len(seen) == 1 or not file:
            found.extend(text for _, text in seen)
            continue
        found.append(f"{file}: {len(seen):,} rows (lines {_spans([line for line, _ in seen])}): {what}")
    return found


def _spans(lines: list[int]) -> str:
    """``2-5, 9, 12-14``; after five spans, ``...``."""
    spans: list[list[int]] = []
    for line in sorted(set(lines)):
        if spans and line == spans[-1][1] + 1:
            spans[-1][1] = line
        else:
            spans.append([line, line])
    text = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans[:5])
    return text + (", ..." if len(spans) > 5 else "")
