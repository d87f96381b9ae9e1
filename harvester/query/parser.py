"""The protocol's query syntax (PubMed's), parsed into the tree of :mod:`harvester.query.ast`.

Precedence is the usual one, tightest first: ``NOT`` (binary, ``a NOT b`` = a and not b), ``AND``
(also implied between adjacent terms), ``OR``. Proximity is PubMed's: ``"hip pain"[tiab:~2]`` (at
most 2 words between, any order). Brackets, and NOTs chained on one path (``a NOT b NOT c``), may nest
:data:`MAX_DEPTH` deep together; deeper is an error pointing at the bracket or the NOT, never a RecursionError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harvester.errors import QueryError
from harvester.query.ast import And, Near, Node, Not, Or, Term

#: How deep brackets may nest: far beyond any real strategy, well within Python's stack.
MAX_DEPTH = 100

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
    "ad": "affiliation",
    "affiliation": "affiliation",
    "mesh terms": "MeSH heading",
    "mesh terms:noexp": "MeSH heading, not exploded",
    "mh:noexp": "MeSH heading, not exploded",
    "mesh major topic": "MeSH major topic",
    "text word": "text words",
    "other term": "other term (author keywords)",
    "author": "author",
    "language": "language",
    "publication type": "publication type",
    "journal": "journal",
    "publication date": "date of publication",
    "majr:noexp": "MeSH major topic, not exploded",
}

#: Fields on which PubMed allows proximity, ``"a b"[tiab:~N]`` (NLM Technical Bulletin, Nov-Dec 2022).
PROXIMITY_TAGS: frozenset[str] = frozenset({"ti", "tiab", "ad", "title", "title/abstract", "affiliation"})

_OPERATORS = ("AND", "OR", "NOT")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "(" ")" "AND" "OR" "NOT" "TERM"
    column: int
    term: Node | None = None


_FIELD_RE = re.compile(r"\[([^\]\[]*)\]")


def tokenise(query: str) -> list[Token]:
    """The query as tokens with their columns (brackets, operators, terms); raises QueryError."""
    tokens: list[Token] = []
    i = 0
    n = len(query)
    while i < n:
        ch = query[i]
        column = i + 1
        if ch.isspace():
            i += 1
            continue
        if ch in "()":
            tokens.append(Token(ch, column))
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
            field, distance, i = _field_tag(query, i)
            if distance is not None:
                tokens.append(Token("TERM", column, _proximity(query, column, text, truncated, field, distance)))
                continue
            tokens.append(Token("TERM", column, Term(text, True, truncated, field, column)))
            continue
        j = i
        while j < n and not query[j].isspace() and query[j] not in "()[\"“”":
            j += 1
        word = query[i:j]
        if word in _OPERATORS:
            tokens.append(Token(word, column))
            i = j
            continue
        truncated = word.endswith("*")
        text = word.rstrip("*")
        if not text or "*" in text:
            raise QueryError(query, column, f"'*' truncation must end a word: {word!r}")
        field, distance, i = _field_tag(query, j)
        if distance is not None:
            raise QueryError(query, column, "proximity [field:~N] needs two or more words in double quotes")
        tokens.append(Token("TERM", column, Term(text, False, truncated, field, column)))
    return tokens


def _closing_quote(query: str, start: int) -> int:
    for k in range(start, len(query)):
        if query[k] in "\"“”":
            return k
    return -1


_PROXIMITY_RE = re.compile(r"^(.*?)\s*:\s*~\s*(\d+)$")


def _field_tag(query: str, i: int) -> tuple[str | None, int | None, int]:
    """The tag after a term, and the proximity distance of ``[tag:~N]`` (else None), and where it ends."""
    match = _FIELD_RE.match(query, i)
    if not match:
        if i < len(query) and query[i] == "[":
            raise QueryError(query, i + 1, "field tag '[' is not closed")
        return None, None, i
    tag = " ".join(match.group(1).split()).lower()
    distance: int | None = None
    proximity = _PROXIMITY_RE.match(tag)
    if proximity:
        tag, distance = proximity.group(1), int(proximity.group(2))
    if tag not in FIELD_TAGS:
        known = ", ".join(sorted(FIELD_TAGS))
        raise QueryError(query, i + 1, f"unknown field tag [{tag}] (known: {known})")
    return tag, distance, match.end()


def _proximity(query: str, column: int, text: str, truncated: bool, field: str | None, distance: int) -> Near:
    words = text.split()
    if len(words) < 2:
        raise QueryError(query, column, "proximity [field:~N] needs two or more words in double quotes")
    if truncated:
        words[-1] += "*"
    items: list[Node] = []
    for word in words:
        stem = word.rstrip("*")
        if not stem or "*" in stem:
            raise QueryError(query, column, f"'*' truncation must end a word: {word!r}")
        items.append(Term(stem, False, word.endswith("*"), None, column))
    return Near(tuple(items), distance, False, field, column)


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = tokenise(query)
        self.pos = 0
        self.depth = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> Token:
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
        # Each NOT of a chain (``a NOT b NOT c``) nests the tree one level deeper, as a bracket does: they
        # share the depth limit, so whatever walks the tree recursively (the writers of every database,
        # the rules' evaluation) never meets a tree deeper than MAX_DEPTH brackets could make.
        node = self.parse_atom()
        chained = 0
        while (token := self.peek()) is not None and token.kind == "NOT":
            self.take()
            chained += 1
            if self.depth + chained > MAX_DEPTH:
                raise QueryError(self.query, token.column, f"NOT chained and brackets nested more than {MAX_DEPTH} "
                                 "deep")
            self.depth += 1
            try:
                node = Not(node, self.parse_atom())
            finally:
                self.depth -= 1
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
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QueryError(self.query, token.column, f"brackets nested more than {MAX_DEPTH} deep")
            if (inner := self.peek()) is not None and inner.kind == ")":
                raise QueryError(self.query, inner.column, "empty parentheses")
            node = self.parse_or()
            closing = self.peek()
            if closing is None or closing.kind != ")":
                raise QueryError(self.query, token.column, "unbalanced parentheses: '(' is never closed")
            self.take()
            self.depth -= 1
            return node
        if token.kind == ")":
            raise QueryError(self.query, token.column, "unbalanced parentheses: ')' has no matching '('")
        raise QueryError(self.query, token.column, f"{token.kind} needs a term before and after it")


def parse(query: str) -> Node:
    """Parse a boolean query; raise :class:`QueryError` pointing at the column of the problem."""
    return _Parser(query).parse()


