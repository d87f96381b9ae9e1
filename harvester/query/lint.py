"""Lint a query before anyone runs it: codes, columns, and each database's limits.

Errors make a query wrong or refused by a database (unbalanced brackets, an empty group, WoS NEAR over
15, PubMed proximity outside ti/tiab/ad); warnings make it ambiguous or weaker than meant (AND and OR
mixed without brackets, which databases read differently; curly quotes; lowercase operators read as
words; short truncation; a term given twice; a field a database lacks). A protocol with lint errors
is refused; its warnings are printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from harvester.errors import QueryError
from harvester.query.ast import Near, Node, Term, walk
from harvester.query.dialect import canonical_tag
from harvester.query.parser import PROXIMITY_TAGS, Token, parse, tokenise
from harvester.query.targets.wos import MAX_NEAR
from harvester.query.translate import translate

Severity = Literal["error", "warning"]
#: Shortest stem before ``*`` that is not a typo (``a*`` finds every word starting with a).
MIN_STEM = 3
#: Characters a database needs before ``*``: PubMed (help, "Truncation"), Web of Science (search rules).
DATABASE_MIN_STEM = {"pubmed": 4, "wos": 3}
_CURLY = "“”‘’„«»"


@dataclass(frozen=True, slots=True)
class LintIssue:
    code: str
    severity: Severity
    column: int
    message: str
    database: str = ""

    def __str__(self) -> str:
        where = f" [{self.database}]" if self.database else ""
        return f"{self.severity} {self.code} column {self.column}{where}: {self.message}"

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "severity": self.severity, "column": self.column, "message": self.message,
                "database": self.database}


def lint(query: str, databases: tuple[str, ...] = (), default_field: str | None = None) -> tuple[LintIssue, ...]:
    """Every problem of ``query``, in column order; database limits only for the ``databases`` named."""
    issues: list[LintIssue] = []
    for column, ch in enumerate(query, start=1):
        if ch in _CURLY:
            issues.append(LintIssue("curly-quotes", "warning", column, f"curly quote {ch!r}: databases may read it "
                                    "as a character, not a phrase mark; use straight quotes"))
    try:
        tokens = tokenise(query)
    except QueryError as error:
        return _sorted(issues + [LintIssue("syntax", "error", error.column, error.problem)])
    issues += _brackets_and_operators(tokens)
    if any(issue.severity == "error" for issue in issues):
        return _sorted(issues)
    try:
        node = parse(query)
    except QueryError as error:
        return _sorted(issues + [LintIssue("syntax", "error", error.column, error.problem)])
    issues += _terms(node, default_field)
    for database in databases:
        issues += _limits(node, database, default_field)
    return _sorted(issues)


def _sorted(issues: list[LintIssue]) -> tuple[LintIssue, ...]:
    return tuple(sorted(dict.fromkeys(issues), key=lambda i: (i.column, i.code, i.database)))


def _brackets_and_operators(tokens: list[Token]) -> list[LintIssue]:
    issues: list[LintIssue] = []
    opened: list[int] = []
    # per open bracket level: the kinds of operators seen ("and" for AND/NOT/adjacency, "or"), first column of each
    levels: list[dict[str, int]] = [{}]
    previous = None
    for token in tokens:
        kind = token.kind
        if kind == "(":
            if previous is not None and previous.kind in ("TERM", ")"):
                _operator(levels[-1], "and", token.column, issues)
            opened.append(token.column)
            levels.append({})
        elif kind == ")":
            if previous is not None and previous.kind == "(":
                issues.append(LintIssue("empty-group", "error", previous.column, "empty brackets"))
            if not opened:
                issues.append(LintIssue("unbalanced-brackets", "error", token.column, "')' has no matching '('"))
            else:
                opened.pop()
                levels.pop()
        elif kind in ("AND", "NOT"):
            _operator(levels[-1], "and", token.column, issues)
        elif kind == "OR":
            _operator(levels[-1], "or", token.column, issues)
        else:
            if previous is not None and previous.kind in ("TERM", ")"):
                _operator(levels[-1], "and", token.column, issues)
            term = token.term
            if isinstance(term, Term) and not term.phrase and term.text.lower() in ("and", "or", "not"):
                issues.append(LintIssue("lowercase-operator", "warning", token.column,
                                        f"{term.text!r} is searched as a word; write {term.text.upper()} for "
                                        "the operator"))
        previous = token
    for column in opened:
        issues.append(LintIssue("unbalanced-brackets", "error", column, "'(' is never closed"))
    return issues


def _operator(level: dict[str, int], kind: str, column: int, issues: list[LintIssue]) -> None:
    other = "or" if kind == "and" else "and"
    if other in level and kind not in level:
        issues.append(LintIssue("mixed-and-or", "warning", column, "AND and OR at the same level without brackets: "
                                "PubMed reads left to right, other databases give AND or OR priority; add brackets"))
    level.setdefault(kind, column)


def _terms(node: Node, default_field: str | None) -> list[LintIssue]:
    issues: list[LintIssue] = []
    seen: dict[tuple[str, bool, str], int] = {}
    for item in walk(node):
        if not isinstance(item, Term):
            continue
        if item.phrase and "*" in item.text:
            issues.append(LintIssue("wildcard-in-phrase", "warning", item.column, f"'*' inside the phrase "
                                    f"\"{item.text}\" is not truncation here: only a '*' ending the phrase truncates, "
                                    "and several databases truncate no phrase at all"))
        if item.truncated:
            stem = item.text.split()[-1]
            if len(stem) < MIN_STEM:
                issues.append(LintIssue("truncation-too-short", "warning", item.column, f"{stem}* truncates after "
                                        f"{len(stem)} character(s): it finds every word starting so"))
        key = (" ".join(item.text.lower().split()), item.truncated,
               canonical_tag(item.field if item.field is not None else default_field))
        if key in seen:
            issues.append(LintIssue("duplicate-term", "warning", item.column, f"{item.text!r} is already in the "
                                    f"query at column {seen[key]}"))
        else:
            seen[key] = item.column
    return issues


def _limits(node: Node, database: str, default_field: str | None) -> list[LintIssue]:
    issues: list[LintIssue] = []
    for item in walk(node):
        if isinstance(item, Near):
            tag = canonical_tag(item.field if item.field is not None else default_field)
            if database == "wos" and item.distance > MAX_NEAR:
                issues.append(LintIssue("near-over-limit", "error", item.column, f"Web of Science NEAR/n takes n up "
                                        f"to {MAX_NEAR}, not {item.distance}", database))
            if database == "pubmed" and tag not in PROXIMITY_TAGS:
                issues.append(LintIssue("proximity-field", "error", item.column, f"PubMed proximity works only in "
                                        f"[ti], [tiab] and [ad], not [{tag}]", database))
        if isinstance(item, Term) and item.truncated and database in DATABASE_MIN_STEM:
            stem, least = item.text.split()[-1], DATABASE_MIN_STEM[database]
            if len(stem) < least:
                label = "PubMed" if database == "pubmed" else "Web of Science"
                issues.append(LintIssue("truncation-too-short", "error", item.column, f"{label} needs at least "
                                        f"{least} characters before '*', not {stem!r}", database))
    for warning in translate(node, database, default_field).warnings:
        if warning.code == "field-not-available":
            issues.append(LintIssue("field-not-available", "warning", 1, warning.message, database))
    return issues


def errors(issues: tuple[LintIssue, ...]) -> tuple[LintIssue, ...]:
    return tuple(issue for issue in issues if issue.severity == "error")
