"""Boolean search queries as data.

A protocol's query is parsed once into a small tree (:class:`Term`, :class:`And`, :class:`Or`,
:class:`Not`), then compiled for each database (PubMed syntax here) or evaluated locally on a
record's fields by the screening rules. Precedence is the usual one, tightest first: ``NOT``
(binary, ``a NOT b`` = a and not b), ``AND`` (also implied between adjacent terms), ``OR``.
The compiled PubMed query brackets every group, so PubMed's left-to-right reading cannot change it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harvester.errors import QueryError

#: Field tags accepted after a term, ``term[tag]``, with what each means. PubMed's own tags.
FIELD_TAGS: dict[str, str] = {
    "tiab": "title or abstract",
    "ti": "title",
    "ab": "abstract",
    "tw": "text words (title, abstract, MeSH, keywords)",
    "ot": "other term (author keywords)",
    "mh": "MeSH heading",
    "majr": "MeSH major topic",
    "mesh": "MeSH heading",
    "au": "author",
    "ta": "journal title abbreviation",
    "jour": "journal",
    "la": "language",
    "pt": "publication type",
    "dp": "date of publication",
    "all": "all fields",
    "all fields": "all fields",
    "title/abstract": "title or abstract",
    "title": "title",
    "tiab:~0": "title or abstract, exact phrase",
}

_OPERATORS = ("AND", "OR", "NOT")


@dataclass(frozen=True, slots=True)
class Term:
    """A word or quoted phrase, optionally truncated (``nurs*``) and fielded (``[tiab]``)."""

    text: str
    phrase: bool = False
    truncated: bool = False
    field: str | None = None
    column: int = 0


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """``include NOT exclude``."""

    include: Node
    exclude: Node


Node = Term | And | Or | Not


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(" ")" "AND" "OR" "NOT" "TERM"
    column: int
    term: Term | None = None


_FIELD_RE = re.compile(r"\[([^\]\[]*)\]")


def _tokenise(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    n = len(query)
    while i < n:
        ch = query[i]
        column = i + 1
        if ch.isspace():
            i += 1
            continue
        if ch in "()":
            tokens.append(_Token(ch, column))
            i += 1
            continue
        if ch == "]":
            raise QueryError(query, column, "']' without a matching '['")
        if ch == "[":
            raise QueryError(query, column, "a field tag '[...]' must follow a term")
        if ch in "\"“”":
            end = _closing_quote(query, i + 1)
            if end < 0:
                raise QueryError(query, column, "unterminated quoted phrase")
            text = " ".join(query[i + 1 : end].split())
            if not text:
                raise QueryError(query, column, "empty quoted phrase")
            i = end + 1
            truncated = False
            if text.endswith("*"):
                truncated, text = True, text[:-1].rstrip()
            field, i = _field_tag(query, i)
            tokens.append(_Token("TERM", column, Term(text, True, truncated, field, column)))
            continue
        j = i
        while j < n and not query[j].isspace() and query[j] not in "()[\"“”":
            j += 1
        word = query[i:j]
        if word in _OPERATORS:
            tokens.append(_Token(word, column))
            i = j
            continue
        truncated = word.endswith("*")
        text = word.rstrip("*")
        if not text or "*" in text:
            raise QueryError(query, column, f"'*' truncation must end a word: {word!r}")
        field, i = _field_tag(query, j)
        tokens.append(_Token("TERM", column, Term(text, False, truncated, field, column)))
    return tokens


def _closing_quote(query: str, start: int) -> int:
    for k in range(start, len(query)):
        if query[k] in "\"“”":
            return k
    return -1


def _field_tag(query: str, i: int) -> tuple[str | None, int]:
    match = _FIELD_RE.match(query, i)
    if not match:
        if i < len(query) and query[i] == "[":
            raise QueryError(query, i + 1, "field tag '[' is not closed")
        return None, i
    tag = match.group(1).strip().lower()
    if tag not in FIELD_TAGS:
        known = ", ".join(sorted(FIELD_TAGS))
        raise QueryError(query, i + 1, f"unknown field tag [{tag}] (known: {known})")
    return tag, match.end()


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _tokenise(query)
        self.pos = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def end_column(self) -> int:
        return len(self.query.rstrip()) + 1

    def parse(self) -> Node:
        if not self.tokens:
            raise QueryError(self.query, 1, "the query is empty")
        node = self.parse_or()
        token = self.peek()
        if token is not None:
            if token.kind == ")":
                raise QueryError(self.query, token.column, "unbalanced parentheses: ')' has no matching '('")
            raise QueryError(self.query, token.column, f"unexpected {token.kind}")
        return node

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Node:
        items = [self.parse_not()]
        while (token := self.peek()) is not None and token.kind in ("AND", "TERM", "("):
            if token.kind == "AND":
                self.take()
            items.append(self.parse_not())
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_not(self) -> Node:
        node = self.parse_atom()
        while (token := self.peek()) is not None and token.kind == "NOT":
            self.take()
            node = Not(node, self.parse_atom())
        return node

    def parse_atom(self) -> Node:
        token = self.peek()
        if token is None:
            raise QueryError(self.query, self.end_column(), "the query ends where a term was expected")
        if token.kind == "TERM":
            self.take()
            assert token.term is not None
            return token.term
        if token.kind == "(":
            self.take()
            if (inner := self.peek()) is not None and inner.kind == ")":
                raise QueryError(self.query, inner.column, "empty parentheses")
            node = self.parse_or()
            closing = self.peek()
            if closing is None or closing.kind != ")":
                raise QueryError(self.query, token.column, "unbalanced parentheses: '(' is never closed")
            self.take()
            return node
        if token.kind == ")":
            raise QueryError(self.query, token.column, "unbalanced parentheses: ')' has no matching '('")
        raise QueryError(self.query, token.column, f"{token.kind} needs a term before and after it")


def parse(query: str) -> Node:
    """Parse a boolean query; raise :class:`QueryError` pointing at the column of the problem."""
    return _Parser(query).parse()


def to_pubmed(node: Node, default_field: str | None = None) -> str:
    """Compile to PubMed syntax. Unfielded terms get ``default_field`` (``None``: all fields)."""
    if isinstance(node, Term):
        text = f'"{node.text}"' if node.phrase else node.text
        if node.truncated:
            text = f'"{node.text}*"' if node.phrase else f"{node.text}*"
        field = node.field or default_field
        return f"{text}[{field}]" if field and field not in ("all",) else text
    if isinstance(node, Not):
        return f"{_group(node.include, default_field)} NOT {_group(node.exclude, default_field)}"
    operator = " AND " if isinstance(node, And) else " OR "
    return operator.join(_group(item, default_field) for item in node.items)


def _group(node: Node, default_field: str | None) -> str:
    text = to_pubmed(node, default_field)
    return text if isinstance(node, Term) else f"({text})"


def terms(node: Node) -> list[Term]:
    """Every term of the query, left to right."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return terms(node.include) + terms(node.exclude)
    return [t for item in node.items for t in terms(item)]
