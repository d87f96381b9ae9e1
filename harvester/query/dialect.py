"""How one database writes a query, as data, and the one writer that walks the tree with it.

A :class:`Dialect` says how a target writes fields (a template per PubMed tag, with the record
fields that target's field searches, so ``query check`` can evaluate the query as *that* database
reads it), phrases, truncation, proximity and operators. Anything the target cannot say exactly
is written as closely as it can and reported as a :class:`QueryWarning`, never silently.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from harvester.query.ast import And, Near, Node, Not, Or, Term, with_field

#: Record fields a term searches when a target searches "everything" it holds.
ALL_FIELDS: tuple[str, ...] = ("title", "abstract", "keywords", "mesh", "authors", "journal", "journal_abbrev",
                               "language", "publication_types", "publisher", "year", "doi", "pmid")
TITLE_ABSTRACT = ("title", "abstract")
TITLE_ABSTRACT_KEYWORDS = ("title", "abstract", "keywords")
TEXT_WORDS = ("title", "abstract", "keywords", "mesh")

#: Tag spellings the protocol accepts, and the canonical tag they mean.
ALIASES: dict[str, str] = {
    "title/abstract": "tiab", "title": "ti", "mesh": "mh", "all fields": "all", "jour": "ta", "affiliation": "ad",
    "tiab:~0": "tiab", "mesh terms": "mh", "mesh terms:noexp": "mh:noexp", "mesh major topic": "majr",
    "text word": "tw", "other term": "ot", "author": "au", "language": "la", "publication type": "pt",
    "journal": "ta", "publication date": "dp",
}
HEADING_TAGS = frozenset({"mh", "mh:noexp", "majr", "majr:noexp"})
#: Words an operator-aware target reads as operators inside an unquoted phrase.
OPERATOR_WORDS = frozenset({"and", "or", "not", "adj", "near", "next", "with", "same", "pre", "w", "n"})


@dataclass(frozen=True, slots=True)
class QueryWarning:
    """One approximation or problem, with a stable code a script can test."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Translation:
    """The query written for one database, and every approximation made to write it.

    ``parameter`` names where the string goes for the web APIs (``query`` for Europe PMC,
    ``query.term`` for ClinicalTrials.gov, ``search`` or ``filter=title_and_abstract.search`` for
    OpenAlex); empty for databases searched through their own interface.
    """

    database: str
    query: str
    warnings: tuple[QueryWarning, ...] = ()
    parameter: str = ""

    def to_json(self) -> dict[str, object]:
        return {"database": self.database, "query": self.query, "parameter": self.parameter,
                "warnings": [{"code": w.code, "message": w.message} for w in self.warnings]}


@dataclass(frozen=True, slots=True)
class FieldSyntax:
    """How a target writes one PubMed tag: ``template`` with ``{}`` where the term goes (every ``{}``
    gets the same term); ``searches`` the Record fields that target's field covers; ``note`` the
    warning printed when it is not PubMed's field; ``raw``: write the text bare (headings)."""

    template: str
    searches: tuple[str, ...]
    note: str = ""
    raw: bool = False

    @property
    def encloses(self) -> bool:
        """Does the template bracket the term itself (``TITLE-ABS({})``), so a group needs no more?"""
        return "({})" in self.template

    def apply(self, text: str, compound: bool) -> str:
        if compound and not self.encloses:
            text = f"({text})"
        elif self.encloses and _bracketed(text):
            text = text[1:-1]  # TITLE((a PRE/0 b)) reads better as TITLE(a PRE/0 b)
        return self.template.replace("{}", text)


#: Proximity writer: (operand texts, words between, ordered) -> the expression, or None if not
#: expressible, plus warnings.
NearWriter = Callable[[list[str], int, bool], tuple[str | None, list[QueryWarning]]]


@dataclass(frozen=True)
class Dialect:
    database: str
    label: str
    fields: Mapping[str, FieldSyntax]
    near: NearWriter | None = None
    operators: tuple[str, str, str] = ("AND", "OR", "NOT")
    truncation: str | None = "*"  # None: the target cannot truncate
    phrase_truncation: bool = True
    #: How a target that ignores wildcards inside quotes writes a truncated phrase: its words joined by this
    #: adjacency operator (Scopus " PRE/0 ", Cochrane " NEXT "); empty: in quotes like any phrase.
    truncated_phrase_joiner: str = ""
    near_groups: bool = True  # proximity may take a bracketed OR as an operand (Scopus: it may not)
    quote: str = '"'
    quote_only_when_needed: bool = False  # Ovid: a multi-word term is a phrase without quotes
    group_fields: bool = False  # write ``FIELD(a OR b)`` once for an OR of terms in the same field
    parameter: str = ""
    notes: tuple[QueryWarning, ...] = ()  # always true of this target (e.g. synonym expansion)
    phrase_note: str = ""  # how the target's phrases differ (Scopus loose phrases)
    unfielded_note: str = ""  # what an unfielded term does here
    unquoted_note: str = ""  # what the target does to an unquoted word (Web of Science lemmatises)
    custom: Callable[[Node, Dialect, str | None], Translation] | None = field(default=None, compare=False)

    def field_for(self, tag: str | None) -> tuple[str, FieldSyntax]:
        key = canonical_tag(tag)
        syntax = self.fields.get(key)
        if syntax is None:
            fallback = self.fields["none"]
            note = f"{self.label} has no field for [{key}]: searched in its default fields"
            return key, FieldSyntax(fallback.template, fallback.searches, note)
        return key, syntax


def canonical_tag(tag: str | None) -> str:
    """The canonical PubMed tag; ``none`` for an unfielded term with no default field."""
    if tag is None:
        return "none"
    tag = tag.lower()
    return ALIASES.get(tag, tag)


class Writer:
    """Walks a query tree and writes it in one dialect, collecting warnings once each."""

    def __init__(self, dialect: Dialect, default_field: str | None) -> None:
        self.dialect = dialect
        self.default_field = default_field
        self._warnings: dict[tuple[str, str], QueryWarning] = {}
        self._atomic: set[int] = set()  # ids of nodes written as one field group: no more brackets needed

    def warn(self, code: str, message: str) -> None:
        self._warnings.setdefault((code, message), QueryWarning(code, message))

    def warnings(self) -> tuple[QueryWarning, ...]:
        return tuple(self._warnings.values())

    def translate(self, node: Node) -> Translation:
        for note in self.dialect.notes:
            self.warn(note.code, note.message)
        text = self.write(node)
        return Translation(self.dialect.database, text, self.warnings(), self.dialect.parameter)

    # -- nodes -------------------------------------------------------------------------------------
    def write(self, node: Node) -> str:
        if isinstance(node, Term):
            return self.term(node)
        if isinstance(node, Near):
            return self.proximity(node)
        and_, or_, not_ = self.dialect.operators
        if isinstance(node, Not):
            return f"{self.child(node.include)} {not_} {self.child(node.exclude)}"
        if isinstance(node, Or) and self.dialect.group_fields:
            grouped = self.field_group(node)
            if grouped is not None:
                self._atomic.add(id(node))
                return grouped
        operator = f" {and_} " if isinstance(node, And) else f" {or_} "
        return operator.join(self.child(item) for item in node.items)

    def child(self, node: Node) -> str:
        text = self.write(node)
        if isinstance(node, Term | Near) or id(node) in self._atomic or _bracketed(text):
            return text
        return f"({text})"

    def field_of(self, tag: str | None) -> tuple[str, FieldSyntax]:
        key, syntax = self.dialect.field_for(tag if tag is not None else self.default_field)
        if syntax.note:
            self.warn("field-approximated" if key in self.dialect.fields else "field-not-available",
                      f"[{key}]: {syntax.note}")
        return key, syntax

    def term(self, term: Term) -> str:
        key, syntax = self.field_of(term.field)
        if key == "none" and self.dialect.unfielded_note and not term.phrase:
            self.warn("unfielded", self.dialect.unfielded_note)
        return syntax.apply(self.word(term, raw=syntax.raw), compound=False)

    def word(self, term: Term, raw: bool = False) -> str:
        """A term's text in this dialect: quotes and truncation (warned where impossible)."""
        text = term.text
        truncate = term.truncated
        shown, asked = (f'"{text}"', f'"{text}*"') if term.phrase else (text, f"{text}*")
        if truncate and self.dialect.truncation is None:
            self.warn("truncation-not-supported", f"{self.dialect.label} has no truncation: {asked} is searched "
                      f"as {shown} (the database's stemming, if any, is not truncation)")
            truncate = False
        if truncate and term.phrase and " " in text and not self.dialect.phrase_truncation:
            self.warn("truncation-dropped", f"{self.dialect.label} cannot truncate inside a phrase: {asked} is "
                      f"searched as {shown}")
            truncate = False
        if truncate:
            text += self.dialect.truncation or ""
        if raw:
            return text
        if truncate and term.phrase and " " in term.text and self.dialect.truncated_phrase_joiner:
            return "(" + self.dialect.truncated_phrase_joiner.join(text.split()) + ")"
        if not term.phrase and self.dialect.unquoted_note:
            self.warn("unquoted-word", self.dialect.unquoted_note)
        multiword = " " in term.text or not term.text.isalnum()
        if term.phrase and multiword:
            if self.dialect.phrase_note:
                self.warn("phrase-approximated", self.dialect.phrase_note)
            if self.dialect.quote_only_when_needed and not (set(term.text.lower().split()) & OPERATOR_WORDS):
                return text
            return self.quoted(text)
        if term.phrase and not self.dialect.quote_only_when_needed and not truncate:
            return self.quoted(text)
        return text

    def quoted(self, text: str) -> str:
        """The text in the target's phrase quotes (double quotes when it holds the target's own quote mark:
        Embase.com ``'crohn's disease'`` would end at the apostrophe)."""
        mark = self.dialect.quote if self.dialect.quote not in text else '"'
        return f"{mark}{text}{mark}"

    def field_group(self, node: Or) -> str | None:
        """``FIELD(a OR b OR c)`` when every item of the OR is a term in the same (groupable) field."""
        items: list[Term] = []
        stack: list[Node] = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, Term):
                items.append(current)
            elif isinstance(current, Or):
                stack.extend(reversed(current.items))
            else:
                return None
        keys = {canonical_tag(t.field if t.field is not None else self.default_field) for t in items}
        if len(keys) != 1 or len(items) < 2:
            return None
        key, syntax = self.field_of(items[0].field)
        if syntax.raw or key == "none":
            return None
        inner = f" {self.dialect.operators[1]} ".join(self.word(t) for t in items)
        return syntax.apply(inner, compound=True)

    def proximity(self, near: Near) -> str:
        if not self.dialect.near_groups and any(isinstance(item, Or) for item in near.items):
            choices = [item.items if isinstance(item, Or) else (item,) for item in near.items]
            combos = list(itertools.product(*choices))
            self.warn("proximity-expanded", f"{self.dialect.label} proximity takes no OR inside it: written as "
                      f"{len(combos)} proximity searches joined by OR")
            return self.child(Or(tuple(Near(combo, near.distance, near.ordered, near.field, near.column)
                                       for combo in combos)))
        operands = [self.operand(item) for item in near.items]
        if self.dialect.near is not None:
            written, notes = self.dialect.near(operands, near.distance, near.ordered)
            for note in notes:
                self.warn(note.code, note.message)
            if written is not None:
                return self.field_of(near.field)[1].apply(written, compound=True)
        return self.fallback(near, f"{self.dialect.label} cannot search words within {near.distance} words of "
                             "each other here")

    def fallback(self, near: Near, why: str) -> str:
        """Proximity the target cannot write: the operands ANDed in the same field (broader), warned."""
        self.warn("proximity-approximated", f"{why}: searched with {self.dialect.operators[0]} in the same field "
                  "(broader)")
        field = near.field if near.field is not None else self.default_field
        return self.child(And(tuple(with_field(item, field) for item in near.items)))

    def operand(self, node: Node) -> str:
        if isinstance(node, Term):
            return self.word(node)
        if isinstance(node, Or) and all(isinstance(item, Term) for item in node.items):
            return "(" + f" {self.dialect.operators[1]} ".join(self.word(item) for item in node.items
                                                              if isinstance(item, Term)) + ")"
        return f"({self.write(node)})"


def _bracketed(text: str) -> bool:
    """Is the whole text one bracketed group (so it needs no more brackets)?"""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    level = 0
    quoted = False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        if quoted:
            continue
        if ch == "(":
            level += 1
        elif ch == ")":
            level -= 1
            if level == 0 and i != len(text) - 1:
                return False
    return level == 0


def warning(code: str, message: str) -> QueryWarning:
    return QueryWarning(code, message)
