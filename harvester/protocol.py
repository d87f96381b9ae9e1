"""Protocol files (``queries/*.toml``): the review's search, sources, rules and ledger, as data.

A protocol is read once into a frozen :class:`Protocol`. Every problem names the file, the key and
what was expected; unknown keys are errors (a typo must not silently drop a rule or a source).
Relative paths are relative to the protocol file's folder.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from harvester import languages
from harvester.errors import ProtocolError, QueryError
from harvester.query import FIELD_TAGS, Node, parse
from harvester.query.lint import LintIssue, lint
from harvester.query.translate import database_for

SOURCE_KINDS = ("pubmed", "europepmc", "clinicaltrials", "openalex", "file", "register", "other")
#: Sources searched over the network by ``prisma-harvest search`` (docs/pubmed.md, docs/sources.md).
LIVE_KINDS = ("pubmed", "europepmc", "clinicaltrials", "openalex")
#: Source kinds that are study registers, not bibliographic databases (PRISMA 2020's "Registers" line): export
#: files of ClinicalTrials.gov or the WHO ICTRP (kind "register") and the live ClinicalTrials.gov search.
REGISTER_KINDS = ("register", "clinicaltrials")
#: Source kinds whose export files come from one declared database or register (the content is checked
#: against it); "other" files are the reviewers' own finds.
DATABASE_FILE_KINDS = ("file", "register")
#: Each live kind's database and platform when the protocol names none.
LIVE_DEFAULTS = {
    "pubmed": ("MEDLINE", "PubMed (E-utilities)"),
    "europepmc": ("Europe PMC", "Europe PMC REST API"),
    "clinicaltrials": ("ClinicalTrials.gov", "ClinicalTrials.gov API v2"),
    "openalex": ("OpenAlex", "OpenAlex API"),
}
#: The source name under which ``prisma-harvest cite`` stores the works it finds (other methods:
#: citation searching); a protocol source of kind "other" with this name is refused.
CITATION_SOURCE = "Citation searching"
OTHER_METHODS = ("websites", "organisations", "citation searching", "grey literature", "hand searching", "other")
RULE_KINDS = ("language", "year", "publication-type", "field", "query")
RULE_STAGES = ("automation", "title-abstract")
RULE_ACTIONS = ("exclude", "flag")
DATE_TYPES = ("pdat", "edat", "crdt", "mdat")


@dataclass(frozen=True, slots=True)
class Source:
    """One place records come from: a live search, export files, or other methods."""

    name: str
    kind: str  # pubmed | europepmc | clinicaltrials | openalex | file | register | other
    database: str
    platform: str = ""
    files: tuple[Path, ...] = ()
    format: str | None = None
    query: str | None = None  # overrides the review's query for this source
    mindate: str | None = None
    maxdate: str | None = None
    datetype: str = "pdat"
    searched: str | None = None  # date the database was searched / exported
    method: str | None = None  # for kind "other": how the records were found
    limits: str | None = None  # free text: limits applied at the source, for the PRISMA-S report

    @property
    def is_register(self) -> bool:
        """A study register (ClinicalTrials.gov, the WHO ICTRP...), counted on the diagram's "Registers" line and
        listed as a register in PRISMA-S (item 3); else a bibliographic database or another method."""
        return self.kind in REGISTER_KINDS


@dataclass(frozen=True, slots=True)
class Rule:
    """An inclusion rule: marks records ineligible (automation), excludes at title/abstract, or flags."""

    id: str
    kind: str
    stage: str
    action: str
    reason: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DedupSettings:
    source_preference: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScreeningSettings:
    reviewers: tuple[str, ...] = ()
    full_text_reasons: tuple[str, ...] = ()
    #: print the title/abstract exclusion reasons in the diagram's "Records excluded" box (PRISMA 2020 does not
    #: ask for them; off by default)
    show_screening_reasons: bool = False


@dataclass(frozen=True, slots=True)
class DecisionFile:
    """A reviewers' decisions sheet that belongs to the review; the pipeline imports it (once)."""

    file: Path
    format: str = "ours"  # ours | rayyan | asreview
    reviewer: str | None = None  # None: the sheet names its reviewer
    role: str = "screener"  # screener | resolver
    stage: str | None = None  # None: the sheet names its stage


@dataclass(frozen=True, slots=True)
class Protocol:
    path: Path
    id: str
    title: str
    ledger_path: Path
    query_text: str
    query: Node
    default_field: str | None
    sources: tuple[Source, ...]
    rules: tuple[Rule, ...] = ()
    dedup: DedupSettings = DedupSettings()
    screening: ScreeningSettings = ScreeningSettings()
    decisions: tuple[DecisionFile, ...] = ()
    previous_studies: int | None = None
    previous_reports: int | None = None
    email: str | None = None
    query_lint: tuple[LintIssue, ...] = ()  # the query's lint warnings (errors refuse the protocol)

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)

    def query_for(self, source: Source) -> str:
        return source.query or self.query_text


_TOP_KEYS = {"review", "query", "sources", "rules", "dedup", "screening", "decisions"}
_DECISION_KEYS = {"file", "format", "reviewer", "role", "stage"}
DECISION_FORMATS = ("ours", "rayyan", "asreview")
DECISION_ROLES = ("screener", "resolver")
DECISION_STAGES = ("title-abstract", "retrieval", "full-text")
_REVIEW_KEYS = {"id", "title", "ledger", "email", "previous_studies", "previous_reports"}
_QUERY_KEYS = {"text", "default_field"}
_SOURCE_KEYS = {"name", "kind", "database", "platform", "files", "format", "query", "mindate", "maxdate",
                "datetype", "searched", "method", "limits"}
_RULE_COMMON = {"id", "kind", "stage", "action", "reason"}
_RULE_PARAMS: dict[str, tuple[set[str], set[str]]] = {
    # kind: (required, optional)
    "language": ({"languages"}, {"keep_unknown"}),
    "year": (set(), {"from", "to", "keep_unknown"}),
    "publication-type": ({"types"}, set()),
    "field": ({"field"}, {"words", "regex"}),
    "query": ({"query"}, {"default_field"}),
}
#: The type of each rule parameter: a string is not a list (``languages = "eng"``), a list not a string.
_PARAM_TYPES: dict[str, str] = {"languages": "strings", "types": "strings", "words": "strings", "keep_unknown": "bool",
                                "from": "int", "to": "int", "field": "string", "regex": "string", "query": "string",
                                "default_field": "string"}
_TYPE_WORDS = {"strings": "a list of non-empty strings", "bool": "true or false", "int": "a whole number",
               "string": "a non-empty string"}


def _is_type(value: Any, expected: str) -> bool:
    if expected == "strings":
        return isinstance(value, list) and bool(value) and all(isinstance(v, str) and v.strip() for v in value)
    if expected == "bool":
        return isinstance(value, bool)
    if expected == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str) and bool(value.strip())


_DEDUP_KEYS = {"source_preference"}
_SCREENING_KEYS = {"reviewers", "full_text_reasons", "show_screening_reasons"}
_PUBMED_DATE = re.compile(r"^(\d{4})(?:[/-](\d{1,2})(?:[/-](\d{1,2}))?)?$")


class _Reader:
    """Reads one table, remembering the key path for messages."""

    def __init__(self, path: Path, where: str, table: Any, allowed: set[str]) -> None:
        self.path = path
        self.where = where
        if not isinstance(table, dict):
            raise ProtocolError(str(path), where, f"expected a table, got {type(table).__name__}")
        self.table = table
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise ProtocolError(str(path), f"{where}.{unknown[0]}" if where else unknown[0],
                                f"unknown key (allowed here: {', '.join(sorted(allowed))})")

    def key(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def fail(self, name: str, problem: str) -> ProtocolError:
        return ProtocolError(str(self.path), self.key(name), problem)

    def text(self, name: str, default: str | None = None, required: bool = False) -> str | None:
        if name not in self.table:
            if required:
                raise self.fail(name, "is required (a string)")
            return default
        value = self.table[name]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, f"expected a non-empty string, got {value!r}")
        if "\x00" in value:
            raise self.fail(name, "holds a NUL character")
        return value.strip()

    def choice(self, name: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
        value = self.text(name, default, required=default is None)
        if value is not None and value not in choices:
            raise self.fail(name, f"expected one of {', '.join(choices)}, got {value!r}")
        return value

    def strings(self, name: str, required: bool = False) -> tuple[str, ...]:
        if name not in self.table:
            if required:
                raise self.fail(name, "is required (a list of strings)")
            return ()
        value = self.table[name]
        if isinstance(value, str):  # a string is not a list: "a.ris" would otherwise be one file or 5 letters
            raise self.fail(name, f"expected a list of strings, got the string {value!r} (write [{value!r}])")
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(name, f"expected a list of non-empty strings, got {value!r}")
        if any("\x00" in v for v in value):
            raise self.fail(name, "holds a NUL character")
        return tuple(v.strip() for v in value)

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.table.get(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, f"expected true or false, got {value!r}")
        return value

    def integer(self, name: str) -> int | None:
        if name not in self.table:
            return None
        value = self.table[name]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.fail(name, f"expected a whole number >= 0, got {value!r}")
        return value

    def date(self, name: str) -> str | None:
        """A date as PubMed takes it: ``YYYY``, ``YYYY/MM`` or ``YYYY/MM/DD`` (``-`` accepted too)."""
        if name not in self.table:
            return None
        value = self.table[name]
        if isinstance(value, date):
            return value.strftime("%Y/%m/%d")
        text = str(value).strip()
        match = _PUBMED_DATE.match(text)
        if not match:
            raise self.fail(name, f"bad date {value!r}: expected YYYY, YYYY/MM or YYYY/MM/DD")
        year, month, day = match.groups()
        try:
            date(int(year), int(month or 1), int(day or 1))
        except ValueError as error:
            raise self.fail(name, f"bad date {value!r}: {error}") from error
        return "/".join(part.zfill(2) if i else part for i, part in enumerate(p for p in (year, month, day) if p))


def load(path: str | Path) -> Protocol:
    """Read and check a protocol file."""
    shown = str(path).replace("\x00", "\\0")
    if "\x00" in str(path):
        raise ProtocolError(shown, "", "the path holds a NUL character")
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))  # a UTF-8 BOM (Notepad writes one) is fine
    except FileNotFoundError as error:
        raise ProtocolError(str(path), "", "no such protocol file") from error
    except IsADirectoryError as error:
        raise ProtocolError(str(path), "", "is a folder; give the review's protocol file (a .toml file in it)"
                            ) from error
    except OSError as error:
        raise ProtocolError(str(path), "", f"cannot read the protocol file: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise ProtocolError(str(path), "", f"not UTF-8 text: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ProtocolError(str(path), "", f"not valid TOML: {error}") from error
    except RecursionError:  # tomllib reads nested arrays and inline tables recursively
        raise ProtocolError(str(path), "", "not a protocol: arrays or tables nest hundreds deep") from None
    return from_dict(data, path)


def from_dict(data: dict[str, Any], path: Path) -> Protocol:
    top = _Reader(path, "", data, _TOP_KEYS)
    if "review" not in data:
        raise top.fail("review", "the [review] table is required")
    review = _Reader(path, "review", data["review"], _REVIEW_KEYS)
    review_id = review.text("id", required=True)
    assert review_id is not None
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", review_id):
        raise review.fail("id", f"use letters, digits, '.', '_' or '-' only, got {review_id!r}")
    base = path.parent
    ledger_text = review.text("ledger", default=f"../cache/{review_id}.sqlite")
    assert ledger_text is not None

    if "query" not in data:
        raise top.fail("query", "the [query] table is required")
    query_table = _Reader(path, "query", data["query"], _QUERY_KEYS)
    query_text = query_table.text("text", required=True)
    assert query_text is not None
    default_field = _field_tag(query_table, "default_field")
    node = _parse_query(path, "query.text", query_text)

    raw_sources = data.get("sources", [])
    if not isinstance(raw_sources, list) or not raw_sources:
        raise top.fail("sources", "at least one [[sources]] table is required")
    sources = tuple(_source(path, base, i, raw) for i, raw in enumerate(raw_sources))
    names = [s.name for s in sources]
    for name in names:
        if names.count(name) > 1:
            raise ProtocolError(str(path), "sources", f"two sources are named {name!r}; names must be unique")

    query_lint = _lint_query(path, query_text, sources, default_field)

    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list):
        raise top.fail("rules", "expected [[rules]] tables")
    rules = tuple(_rule(path, i, raw) for i, raw in enumerate(raw_rules))
    ids = [r.id for r in rules]
    for rule_id in ids:
        if ids.count(rule_id) > 1:
            raise ProtocolError(str(path), "rules", f"two rules have the id {rule_id!r}; ids must be unique")

    dedup = DedupSettings()
    if "dedup" in data:
        reader = _Reader(path, "dedup", data["dedup"], _DEDUP_KEYS)
        preference = reader.strings("source_preference")
        for name in preference:
            if name not in names:
                raise reader.fail("source_preference", f"{name!r} is not a source of this protocol")
        dedup = DedupSettings(source_preference=preference)
    screening = ScreeningSettings()
    if "screening" in data:
        reader = _Reader(path, "screening", data["screening"], _SCREENING_KEYS)
        screening = ScreeningSettings(reviewers=reader.strings("reviewers"),
                                      full_text_reasons=reader.strings("full_text_reasons"),
                                      show_screening_reasons=reader.boolean("show_screening_reasons"))

    raw_decisions = data.get("decisions", [])
    if not isinstance(raw_decisions, list):
        raise top.fail("decisions", "expected [[decisions]] tables")
    decisions = tuple(_decision_file(path, base, i, raw) for i, raw in enumerate(raw_decisions))

    ledger_path = (base / ledger_text).resolve()
    problem = _ledger_problem(ledger_path)
    if problem:
        raise review.fail("ledger", problem)
    return Protocol(
        path=path,
        id=review_id,
        title=review.text("title", default=review_id) or review_id,
        ledger_path=ledger_path,
        query_text=query_text,
        query=node,
        default_field=default_field.lower() if default_field else None,
        sources=sources,
        rules=rules,
        dedup=dedup,
        screening=screening,
        decisions=decisions,
        previous_studies=review.integer("previous_studies"),
        previous_reports=review.integer("previous_reports"),
        email=review.text("email"),
        query_lint=query_lint,
    )


def _field_tag(reader: _Reader, name: str) -> str | None:
    """A PubMed field tag (``[query].default_field``, a query rule's ``default_field``): an unknown one is refused,
    as a misspelt tag would otherwise search or test every field instead of the one meant."""
    value = reader.text(name)
    if value is not None and value.lower() not in FIELD_TAGS:
        raise reader.fail(name, f"unknown field tag {value!r} (known: {', '.join(sorted(FIELD_TAGS))})")
    return value


#: SQLite's file header: a ledger path naming an existing file without it is not a ledger.
_SQLITE_HEADER = b"SQLite format 3\x00"


def _ledger_problem(path: Path) -> str | None:
    """Why the ledger path cannot be the review's ledger (a folder, a file that is not SQLite); None if fine."""
    if path.is_dir():
        return f"{path} is a folder; name a file (e.g. {path / 'review.sqlite'})"
    if path.exists() and not path.is_file():  # a device (/dev/null), a pipe or a socket: SQLite cannot keep a ledger
        return f"{path} is not a regular file (a device, pipe or socket); name a new or existing ledger file"
    if path.is_file():
        try:
            with path.open("rb") as handle:
                head = handle.read(len(_SQLITE_HEADER))
        except OSError as error:
            return f"{path}: cannot read the ledger: {error.strerror or error}"
        if head and head != _SQLITE_HEADER:
            return f"{path} is not an SQLite ledger (another file by that name?); name a new or existing ledger"
    return None


#: The years a year rule may name (``from``, ``to``): the years records carry.
YEARS = (1000, 9999)

#: The deepest bracket nesting a query may have: real search strategies nest a few levels; the parser is
#: recursive, and hundreds of levels would exhaust Python's stack.
MAX_QUERY_DEPTH = 50


def _lint_query(path: Path, text: str, sources: tuple[Source, ...], default_field: str | None
                ) -> tuple[LintIssue, ...]:
    """Lint the review's query for the databases its sources name, and each source's own query for its
    database: errors refuse the protocol, warnings are kept."""
    field = default_field.lower() if default_field else None

    def target(source: Source) -> str | None:
        return database_for(source.kind if source.kind in LIVE_KINDS else source.database, source.platform)

    shared = tuple(dict.fromkeys(t for s in sources if s.kind != "other" and not s.query if (t := target(s))))
    issues = lint(text, shared, field)
    _refuse(path, "query.text", issues)
    for index, source in enumerate(sources):
        if source.query is not None and source.kind != "other":
            own = target(source)
            found = lint(source.query, (own,) if own else (), field)
            _refuse(path, f"sources[{index}] ({source.name}).query", found)
            issues += found
    return issues


def _refuse(path: Path, key: str, issues: tuple[LintIssue, ...]) -> None:
    for issue in issues:
        if issue.severity == "error":
            raise ProtocolError(str(path), key, f"column {issue.column}: {issue.message} ({issue.code}"
                                + (f", {issue.database}" if issue.database else "") + ")")


def _parse_query(path: Path, key: str, text: str) -> Node:
    depth = _bracket_depth(text)
    if depth > MAX_QUERY_DEPTH:
        raise ProtocolError(str(path), key, f"brackets nest {depth} deep; at most {MAX_QUERY_DEPTH} are read "
                                            "(an unbalanced or generated query?)")
    try:
        return parse(text)
    except QueryError as error:
        raise ProtocolError(str(path), key, str(error)) from error
    except RecursionError:
        raise ProtocolError(str(path), key, "the query nests too deeply to read") from None


def _bracket_depth(text: str) -> int:
    """The deepest nesting of round brackets outside quoted phrases."""
    depth = deepest = 0
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif not quoted and char == ")":
            depth = max(depth - 1, 0)
    return deepest


def _source(path: Path, base: Path, index: int, raw: Any) -> Source:
    reader = _Reader(path, f"sources[{index}]", raw, _SOURCE_KEYS)
    name = reader.text("name", required=True)
    kind = reader.choice("kind", SOURCE_KINDS)
    assert name is not None and kind is not None
    reader.where = f"sources[{index}] ({name})"
    if name == CITATION_SOURCE:
        raise reader.fail("name", f"{CITATION_SOURCE!r} is where 'prisma-harvest cite' stores what it finds; "
                          "name this source otherwise")
    live = kind in LIVE_KINDS
    files = tuple((base / f).resolve() for f in reader.strings("files", required=not live))
    if live and files:
        raise reader.fail("files", f"a {kind} source runs live; put export files in a source of kind 'file'")
    query = reader.text("query")
    if query is not None:
        _parse_query(path, reader.key("query"), query)
    method = reader.text("method")
    if kind == "other":
        if method is None:
            raise reader.fail("method", f"is required for kind 'other' (one of {', '.join(OTHER_METHODS)})")
        if method.lower() not in OTHER_METHODS:
            raise reader.fail("method", f"expected one of {', '.join(OTHER_METHODS)}, got {method!r}")
    elif method is not None:
        raise reader.fail("method", "only sources of kind 'other' have a method")
    mindate, maxdate = reader.date("mindate"), reader.date("maxdate")
    if (mindate or maxdate) and kind != "pubmed":
        raise reader.fail("mindate", "date limits apply to live pubmed sources only")
    if mindate and maxdate and mindate > maxdate:
        raise reader.fail("maxdate", f"{maxdate} is before mindate {mindate}")
    default_db, default_platform = LIVE_DEFAULTS.get(kind, (name, ""))
    return Source(
        name=name,
        kind=kind,
        database=reader.text("database", default=default_db) or default_db,
        platform=reader.text("platform", default=default_platform) or default_platform,
        files=files,
        format=reader.text("format"),
        query=query,
        mindate=mindate,
        maxdate=maxdate,
        datetype=reader.choice("datetype", DATE_TYPES, default="pdat") or "pdat",
        searched=reader.date("searched"),
        method=method.lower() if method else None,
        limits=reader.text("limits"),
    )


def _rule(path: Path, index: int, raw: Any) -> Rule:
    if not isinstance(raw, dict):
        raise ProtocolError(str(path), f"rules[{index}]", "expected a table")
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in _RULE_PARAMS:
        raise ProtocolError(str(path), f"rules[{index}].kind", f"expected one of {', '.join(RULE_KINDS)}, "
                            f"got {kind!r}")
    required, optional = _RULE_PARAMS[kind]
    reader = _Reader(path, f"rules[{index}]", raw, _RULE_COMMON | required | optional)
    rule_id = reader.text("id", required=True)
    assert rule_id is not None
    reader.where = f"rules[{index}] ({rule_id})"
    for name in sorted(required):
        if name not in raw:
            raise reader.fail(name, f"is required for a rule of kind {kind!r}")
    params = {name: raw[name] for name in required | optional if name in raw}
    for name, value in params.items():
        expected = _PARAM_TYPES[name]
        if not _is_type(value, expected):
            raise reader.fail(name, f"expected {_TYPE_WORDS[expected]}, got {value!r}"
                                    + (f" (write [{value!r}])" if expected == "strings" and isinstance(value, str)
                                       else ""))
    if kind == "language":
        for language in params["languages"]:
            problem = languages.problem(language)
            if problem:
                raise reader.fail("languages", problem)
    if kind == "query":
        _parse_query(path, reader.key("query"), str(params["query"]))
        _field_tag(reader, "default_field")
    if kind == "field" and not ({"words", "regex"} & set(params)):
        raise reader.fail("words", "a field rule needs 'words' or 'regex'")
    if kind == "field" and "regex" in params:
        try:
            re.compile(str(params["regex"]))
        except re.error as error:
            raise reader.fail("regex", f"not a valid regular expression: {error}") from error
    if kind == "year":
        for name in ("from", "to"):
            if name in params and not YEARS[0] <= params[name] <= YEARS[1]:
                # records' years have four digits: a year outside them would keep or exclude every record
                raise reader.fail(name, f"expected a year of four digits ({YEARS[0]}-{YEARS[1]}), got {params[name]!r}")
        if params.get("from", YEARS[0]) > params.get("to", YEARS[1]):  # would exclude every dated record
            raise reader.fail("to", f"{params['to']} is before from = {params['from']}")
    return Rule(
        id=rule_id,
        kind=kind,
        stage=reader.choice("stage", RULE_STAGES) or "automation",
        action=reader.choice("action", RULE_ACTIONS, default="exclude") or "exclude",
        reason=reader.text("reason", required=True) or "",
        params=params,
    )


def _decision_file(path: Path, base: Path, index: int, raw: Any) -> DecisionFile:
    reader = _Reader(path, f"decisions[{index}]", raw, _DECISION_KEYS)
    file = reader.text("file", required=True)
    assert file is not None
    stage = reader.text("stage")
    if stage is not None and stage not in DECISION_STAGES:
        raise reader.fail("stage", f"expected one of {', '.join(DECISION_STAGES)}, got {stage!r}")
    return DecisionFile(
        file=(base / file).resolve(),
        format=reader.choice("format", DECISION_FORMATS, default="ours") or "ours",
        reviewer=reader.text("reviewer"),
        role=reader.choice("role", DECISION_ROLES, default="screener") or "screener",
        stage=stage,
    )
