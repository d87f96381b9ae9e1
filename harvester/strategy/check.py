"""Check the records against the query (translation drift) and the query against the studies the team knows.

For each source, the query as translated for its database (:mod:`harvester.query.semantics`) is evaluated
on the fields the source's records carry, with the same evaluator as the screening rules. Two lists come
out: records the source returned that the query would not select, each with why (the failing clause, and
whether its terms are only in headings or keywords, only as a word variant, or in a field the export lacks);
and records other sources hold that the query selects but this source did not return (coverage gaps; the
same work is recognised through the latest de-duplication).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from harvester.ledger import Ledger
from harvester.ledger.duplicates import current_duplicates
from harvester.ledger.records import StoredRecord, iter_records
from harvester.protocol import Protocol, Source
from harvester.query.ast import And, Near, Node, Not, Or, Term
from harvester.query.parser import parse
from harvester.query.semantics import record_fields, searched_tree
from harvester.query.translate import DATABASES, database_for, to_pubmed, translate
from harvester.records import Record
from harvester.screening.rules import RecordText, matches

TEXT_FIELDS = ("title", "abstract", "keywords", "mesh")
FIELD_WORDS = {"keywords": "keywords", "mesh": "subject headings (MeSH or the database's own)"}


@dataclass(frozen=True, slots=True)
class NotSelected:
    record_id: int
    title: str
    clause: str
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"record_id": self.record_id, "title": self.title, "clause": self.clause, "reasons": list(self.reasons)}


@dataclass(frozen=True, slots=True)
class CoverageGap:
    record_id: int
    source: str
    title: str

    def to_json(self) -> dict[str, object]:
        return {"record_id": self.record_id, "source": self.source, "title": self.title}


@dataclass(frozen=True, slots=True)
class SourceCheck:
    """One source: how many records it returned, which the query would not select, and what it missed."""

    source: str
    database: str  # the target whose reading was evaluated ("" when the database is none of the twelve)
    query: str
    held: int
    not_selected: tuple[NotSelected, ...] = ()
    gaps: tuple[CoverageGap, ...] = ()
    later_than_search: int = 0  # matching records of other sources published after this source was searched
    note: str = ""

    @property
    def selected(self) -> int:
        return self.held - len(self.not_selected)

    def to_json(self) -> dict[str, object]:
        return {"source": self.source, "database": self.database, "query": self.query, "held": self.held,
                "selected": self.selected, "not_selected": [n.to_json() for n in self.not_selected],
                "coverage_gaps": [g.to_json() for g in self.gaps], "later_than_search": self.later_than_search,
                "note": self.note}


@dataclass(frozen=True, slots=True)
class Reading:
    """A source's query as its database reads it: the tree and the record fields each tag searches."""

    source: Source
    database: str
    tree: Node
    fields: Mapping[str, tuple[str, ...]]
    query: str

    def selects(self, record: Record, texts: RecordText | None = None) -> bool:
        return matches(self.tree, record, "none", None, texts, self.fields)

    def why_not(self, record: Record) -> tuple[str, tuple[str, ...]]:
        return explain(self.tree, record, self.fields)


def target_of(source: Source) -> str | None:
    """The database a source's query is written for: a live source's kind names it (pubmed, europepmc,
    clinicaltrials, openalex); an export's database and platform do (MEDLINE on Ovid: ovid-medline)."""
    return database_for(source.kind if source.kind in DATABASES else source.database, source.platform)


def reading(protocol: Protocol, source: Source) -> Reading:
    """How ``source``'s database runs the protocol's query for it (PubMed's reading for unknown databases)."""
    node = parse(source.query) if source.query else protocol.query
    target = target_of(source)
    database = target or "pubmed"
    tree = searched_tree(node, database, protocol.default_field)
    query = translate(node, database, protocol.default_field).query
    return Reading(source, target or "", tree, record_fields(database, node, protocol.default_field), query)


def check_records(ledger: Ledger, protocol: Protocol) -> tuple[SourceCheck, ...]:
    """Every database source checked against its own reading of the query (sources of kind ``other`` are
    not searched with the query: they only count for the others' coverage)."""
    records = list(iter_records(ledger))
    kept = current_duplicates(ledger)
    work = {r.id: kept.get(r.id, r.id) for r in records}
    checks = []
    for source in protocol.sources:
        if source.kind == "other":
            continue
        read = reading(protocol, source)
        own = [r for r in records if r.source == source.name]
        not_selected = []
        for stored in own:
            if not read.selects(stored.record):
                clause, reasons = read.why_not(stored.record)
                not_selected.append(NotSelected(stored.id, stored.record.title, clause, reasons))
        gaps, later = _gaps(read, own, [r for r in records if r.source != source.name], work)
        note = "" if read.database else f"{source.database!r} is none of the twelve databases: PubMed's reading used"
        checks.append(SourceCheck(source.name, read.database, read.query, len(own), tuple(not_selected), gaps,
                                  later, note))
    return tuple(checks)


def _gaps(read: Reading, own: list[StoredRecord], others: list[StoredRecord], work: dict[int, int]
          ) -> tuple[tuple[CoverageGap, ...], int]:
    held = {work[r.id] for r in own}
    searched_year = int(read.source.searched[:4]) if read.source.searched else None
    gaps: dict[int, CoverageGap] = {}
    later = 0
    for stored in others:
        key = work[stored.id]
        if key in held or key in gaps or not read.selects(stored.record):
            continue
        if searched_year is not None and stored.record.year is not None and stored.record.year > searched_year:
            later += 1
            continue
        gaps[key] = CoverageGap(stored.id, stored.source, stored.record.title)
    return tuple(gaps.values()), later


def explain(tree: Node, record: Record, fields: Mapping[str, tuple[str, ...]]) -> tuple[str, tuple[str, ...]]:
    """The first clause of the query the record fails, and why, as a person would check it."""
    clauses = tree.items if isinstance(tree, And) else (tree,)
    texts = RecordText(record)
    failing = next((c for c in clauses if not matches(c, record, "none", None, texts, fields)), tree)
    clause = to_pubmed(failing)
    if isinstance(failing, Not) and matches(failing.include, record, "none", None, texts, fields):
        return clause, (f"the record has an excluded term: {to_pubmed(failing.exclude)}",)
    reasons: list[str] = []
    every = {tag: TEXT_FIELDS for tag in fields}
    if matches(failing, record, "none", None, texts, every):
        for extra in ("keywords", "mesh"):
            wider = {tag: tuple(dict.fromkeys(names + (extra,))) for tag, names in fields.items()}
            if matches(failing, record, "none", None, texts, wider):
                reasons.append(f"its terms are only in the {FIELD_WORDS[extra]}, which this database's field does "
                               "not search")
                break
        else:
            reasons.append("its terms are only in fields this database's field does not search")
    elif matches(_loosened(failing), record, "none", None, texts, fields):
        reasons.append("only a variant of a word matches (another ending, a plural): the database's truncation, "
                       "stemming or lemmatisation may find it, the query as written does not")
    else:
        reasons.append("no term of this clause is in the record's title, abstract, keywords or headings")
    absent = [name for name in ("title", "abstract") if not getattr(record, name).strip()]
    if absent:
        reasons.append(f"the export has no {' and no '.join(absent)} for this record")
    return clause, tuple(reasons)


def _loosened(node: Node) -> Node:
    """Every term truncated: what a stemming or lemmatising database might also find."""
    if isinstance(node, Term):
        return Term(node.text, node.phrase, True, node.field, node.column)
    if isinstance(node, Near):
        return Near(tuple(_loosened(i) for i in node.items), node.distance, node.ordered, node.field, node.column)
    if isinstance(node, Not):
        return Not(_loosened(node.include), node.exclude)
    kind = And if isinstance(node, And) else Or
    return kind(tuple(_loosened(i) for i in node.items))


@dataclass(frozen=True, slots=True)
class QueryCheck:
    sources: tuple[SourceCheck, ...]
    known: object | None = field(default=None)
