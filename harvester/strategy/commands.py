"""What the ``query`` commands work on: a strategy read from a protocol or pasted, translated and linted."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harvester import protocol as protocol_module
from harvester.errors import LedgerError, QueryError
from harvester.ledger import Ledger
from harvester.query.ast import Node
from harvester.query.dialect import QueryWarning, Translation
from harvester.query.lint import LintIssue, lint
from harvester.query.ovid import parse_ovid
from harvester.query.parser import parse
from harvester.query.translate import DATABASES, dialect, to_pubmed, translate
from harvester.strategy.check import NotSelected, SourceCheck, check_records
from harvester.strategy.known import KnownCheck, check_known
from harvester.strategy.report import record_known_check

SYNTAXES = ("protocol", "pubmed", "ovid")
__all__ = ["NotSelected", "SourceCheck"]


@dataclass(frozen=True, slots=True)
class Strategy:
    """A query as read (its text in the protocol's syntax, the tree, what reading it approximated)."""

    text: str
    node: Node
    default_field: str | None
    reading: tuple[QueryWarning, ...] = ()


@dataclass(frozen=True, slots=True)
class Translated:
    strategy: Strategy
    translations: tuple[Translation, ...]
    lint: tuple[LintIssue, ...]

    def to_json(self) -> dict[str, object]:
        return {"query": self.strategy.text, "default_field": self.strategy.default_field,
                "reading_warnings": [{"code": w.code, "message": w.message} for w in self.strategy.reading],
                "lint": [issue.to_json() for issue in self.lint],
                "translations": [t.to_json() for t in self.translations]}


def read_strategy(protocol: Path | None, text: str | None, syntax: str = "protocol",
                  default_field: str | None = None) -> Strategy:
    """The protocol's query, or a pasted one in the protocol's (PubMed's) syntax or as an Ovid strategy."""
    if (protocol is None) == (text is None):
        raise QueryError("", 1, "give a protocol or --text, not both and not neither")
    if syntax not in SYNTAXES:
        raise QueryError(syntax, 1, f"unknown syntax {syntax!r} (known: {', '.join(SYNTAXES)})")
    if protocol is not None:
        loaded = protocol_module.load(protocol)
        return Strategy(loaded.query_text, loaded.query, loaded.default_field)
    assert text is not None
    if syntax == "ovid":
        parsed = parse_ovid(text)
        # the protocol's syntax is PubMed's: the strategy as PubMed reads it is what lint and reports show
        return Strategy(to_pubmed(parsed.node, default_field), parsed.node, default_field, parsed.warnings)
    return Strategy(text, parse(text), default_field)


def targets(database: str) -> tuple[str, ...]:
    """``all`` or one database name, checked."""
    if database.lower() == "all":
        return DATABASES
    return (dialect(database).database,)


def translate_strategy(protocol: Path | None, text: str | None, database: str = "all", syntax: str = "protocol",
                       default_field: str | None = None) -> Translated:
    """The ``query translate`` and ``query lint`` result: each database's string, warnings and lint."""
    strategy = read_strategy(protocol, text, syntax, default_field)
    names = targets(database)
    translations = tuple(translate(strategy.node, name, strategy.default_field) for name in names)
    return Translated(strategy, translations, lint(strategy.text, names, strategy.default_field))


def lint_strategy(protocol: Path | None, text: str | None, database: str = "all", syntax: str = "protocol",
                  default_field: str | None = None) -> tuple[str, tuple[LintIssue, ...]]:
    """The ``query lint`` result: the text linted and its issues (a pasted query need not parse)."""
    names = targets(database)
    if text is not None and protocol is None and syntax in ("protocol", "pubmed"):
        return text, lint(text, names, default_field)
    strategy = read_strategy(protocol, text, syntax, default_field)
    return strategy.text, lint(strategy.text, names, strategy.default_field)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """``query check``: each source against its reading of the query, and the known studies when given."""

    sources: tuple[SourceCheck, ...]
    known: KnownCheck | None = None
    lint: tuple[LintIssue, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"lint": [i.to_json() for i in self.lint], "sources": [s.to_json() for s in self.sources],
                "known": self.known.to_json() if self.known else None}


def check_protocol(protocol: Path, known: Path | None = None) -> CheckResult:
    """Load the protocol, open its ledger, check every source's records (and the known studies)."""
    loaded = protocol_module.load(protocol)
    if not loaded.ledger_path.exists():
        raise LedgerError(f"{loaded.ledger_path}: no ledger yet for this review; run 'prisma-harvest run "
                          f"{protocol}' first")
    with Ledger.open(loaded.ledger_path) as ledger:
        sources = check_records(ledger, loaded)
        known_check = check_known(ledger, loaded, known) if known is not None else None
        if known_check is not None:
            record_known_check(ledger, known_check)
    return CheckResult(sources, known_check, loaded.query_lint)
