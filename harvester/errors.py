"""Typed errors that a reviewer can act on.

Library code raises these; the CLI turns each into one line (``str(error)``) and an exit code.
Every error says what is wrong and where: a file and line, a protocol key, a record id, a column.
"""

from __future__ import annotations


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
    """A user-supplied file (decisions, counts CSV...) is refused as a whole; lists every problem."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path}: refused, nothing stored ({len(problems)} problem(s)):\n{lines}")
