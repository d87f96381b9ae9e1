"""Line-numbered Ovid strategies, as librarians keep them, read into the query tree.

One search per line, numbered (``1. exp Peer Group/``, ``2 peer support*.ti,ab.``); a line may refer to
earlier ones (``3. or/1-2``, ``4. 1 and 3``); an Ovid hit count at the end of a line (after two spaces
or in brackets) is ignored. Within a line: ``and``/``or``/``not`` (any case), ``adjN`` (N-1 words
between, any order; ``adj`` = ``adj1``), consecutive words form a phrase, ``$``/``*`` truncate (``$N``
limited truncation is read as unlimited, warned), ``exp X/`` an exploded heading, ``*X/`` a major one,
field suffixes ``.ti,ab.`` after a term or a bracket. The result is the last line's search.
Precedence as in the protocol: ``adj`` tightest, then ``not``, ``and``, ``or``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harvester.errors import QueryError
from harvester.query.ast import And, Near, Node, Not, Or, Term, depth, flat, with_field
from harvester.query.dialect import QueryWarning
from harvester.query.parser import MAX_DEPTH

#: Ovid field codes -> the PubMed tag that means the same (or nearly; ``APPROXIMATE`` says which).
OVID_FIELDS: dict[str, str] = {
    "ti": "ti", "ab": "ab", "ti,ab": "tiab", "ab,ti": "tiab", "ti,ab,kf": "tiab", "ti,ab,kw": "tiab",
    "ti,ab,id": "tiab", "tw": "tiab", "tw,kf": "tiab", "tw,kw": "tiab", "kf": "ot", "kw": "ot", "id": "ot",
    "mp": "tw", "tw,kf,hw": "tw", "sh": "mh:noexp", "hw": "mh", "au": "au", "in": "ad", "lg": "la", "pt": "pt",
    "jn": "ta", "ja": "ta", "yr": "dp", "af": "all",
}
APPROXIMATE: dict[str, str] = {
    "ti,ab": "Ovid .ti,ab. read as [tiab], which also searches author keywords",
    "ab,ti": "Ovid .ab,ti. read as [tiab], which also searches author keywords",
    "tw": "Ovid .tw. (text words: title and abstract) read as [tiab]",
    "mp": "Ovid .mp. (multi-purpose fields) read as [tw]",
    "hw": "Ovid .hw. (heading words) read as an exploded [mh]",
    "af": "Ovid .af. (all fields) read as [all]",
}
_LINE = re.compile(r"^\s*(\d+)\s*[.)]?\s+(.*?)\s*$")
_COUNT = re.compile(r"(?:\s{2,}|\t)\(?\d[\d,]*\)?$|\s\(\d[\d,]*\)$")
_COMBINE = re.compile(r"^(and|or)\s*/\s*([\d\s,\-]+)$", re.IGNORECASE)
_HEADING = re.compile(r"^(exp\s+)?(\*)?\s*([^/()]+?)\s*/\s*([a-z]{2}(?:,[a-z]{2})*)?\s*$", re.IGNORECASE)
_ADJ = re.compile(r"^adj(\d*)$", re.IGNORECASE)
_FIELD_SUFFIX = re.compile(r"\.([a-z]{2}(?:,[a-z]{2})*)\.$", re.IGNORECASE)
_TOKEN = re.compile(r'"[^"]*"|\(|\)|[^\s()"]+')


@dataclass(frozen=True, slots=True)
class ParsedStrategy:
    """The strategy's final search as a tree, each line's tree, and what could not be kept exactly."""

    node: Node
    lines: dict[int, Node]
    warnings: tuple[QueryWarning, ...] = ()


#: The most terms and groups a strategy line may hold once the lines it combines are written out: far beyond
#: a real strategy (hundreds of terms), well before a line that combines the previous two at each step (the
#: query doubling per line) takes minutes and gigabytes.
MAX_EXPANDED = 50_000


def expanded_size(node: Node, sizes: dict[int, int]) -> int:
    """How many terms and groups ``node`` holds written out, a node shared by several lines counted each time it
    is used; ``sizes`` remembers each node's (by identity), so shared nodes are counted without being walked
    again: the time grows with the distinct nodes, not with the written-out query."""
    stack: list[tuple[Node, bool]] = [(node, False)]
    while stack:
        current, ready = stack.pop()
        if id(current) in sizes:
            continue
        children: tuple[Node, ...] = ()
        if isinstance(current, Not):
            children = (current.include, current.exclude)
        elif isinstance(current, And | Or | Near):
            children = current.items
        if ready or not children:
            sizes[id(current)] = 1 + sum(sizes[id(child)] for child in children)
        else:
            stack.append((current, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(node)]


def parse_ovid(text: str) -> ParsedStrategy:
    """Read a line-numbered Ovid strategy (or one unnumbered line); raise QueryError naming the line."""
    lines: dict[int, Node] = {}
    warnings: dict[tuple[str, str], QueryWarning] = {}
    sizes: dict[int, int] = {}
    last: Node | None = None
    raw_lines = [line for line in text.splitlines() if line.strip()]
    for index, raw in enumerate(raw_lines, start=1):
        match = _LINE.match(raw)
        number, body = (int(match.group(1)), match.group(2)) if match else (index, raw.strip())
        body = _COUNT.sub("", body).strip()
        if number in lines:
            raise QueryError(raw, 1, f"line {number} appears twice in the strategy")
        try:
            node = _Line(body, lines, warnings).parse()
        except QueryError as error:
            raise QueryError(body, error.column, f"strategy line {number}: {error.problem}") from None
        size = expanded_size(node, sizes)
        if size > MAX_EXPANDED:  # lines combining lines that combine lines: the query multiplies with each
            raise QueryError(body, 1, f"strategy line {number}: combining earlier lines, its query would hold "
                             f"{size:,} terms and groups, more than {MAX_EXPANDED:,} (a line combining the two "
                             "before it, line after line, makes the query 1.6 times longer each time): combine "
                             "fewer lines")
        if depth(node) > MAX_DEPTH:  # lines combining lines can nest deeper than any one line's brackets
            raise QueryError(body, 1, f"strategy line {number}: its searches nest more than {MAX_DEPTH} deep")
        lines[number] = last = node
    if last is None:
        raise QueryError(text, 1, "the strategy is empty")
    return ParsedStrategy(last, lines, tuple(warnings.values()))


class _Line:
    def __init__(self, body: str, lines: dict[int, Node], warnings: dict[tuple[str, str], QueryWarning]) -> None:
        self.body = body
        self.lines = lines
        self.warnings = warnings
        self.tokens = [(m.group(0), m.start() + 1) for m in _TOKEN.finditer(body)]
        self.pos = 0
        self.depth = 0

    def warn(self, code: str, message: str) -> None:
        self.warnings.setdefault((code, message), QueryWarning(code, message))

    def parse(self) -> Node:
        combine = _COMBINE.match(self.body)
        if combine:
            refs = _numbers(combine.group(2), self.body)
            items = tuple(self.ref(n, 1) for n in refs)
            if len(items) == 1:
                return items[0]
            return flat(And if combine.group(1).lower() == "and" else Or, items)
        heading = _HEADING.match(self.body)
        if heading and not any(w.lower() in ("and", "or", "not") for w in self.body.split()):
            return self.heading(heading)
        if not self.tokens:
            raise QueryError(self.body, 1, "the line is empty")
        node = self.parse_or()
        if self.pos < len(self.tokens):
            text, column = self.tokens[self.pos]
            raise QueryError(self.body, column, f"unexpected {text!r}")
        return node

    def heading(self, match: re.Match[str]) -> Node:
        exploded, major, text, subheading = match.group(1), match.group(2), match.group(3), match.group(4)
        if subheading:
            self.warn("subheading-dropped", f"Ovid subheading /{subheading} on {text!r} is not kept: the heading is "
                      "searched with every subheading")
        field = ("majr" if exploded else "majr:noexp") if major else ("mh" if exploded else "mh:noexp")
        return Term(" ".join(text.split()), phrase=True, field=field, column=1)

    def ref(self, number: int, column: int) -> Node:
        if number not in self.lines:
            raise QueryError(self.body, column, f"line {number} is not an earlier line of the strategy")
        return self.lines[number]

    def peek(self) -> str | None:
        return self.tokens[self.pos][0].lower() if self.pos < len(self.tokens) else None

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while self.peek() == "or":
            self.pos += 1
            items.append(self.parse_and())
        return flat(Or, tuple(items))

    def parse_and(self) -> Node:
        items = [self.parse_not()]
        while self.peek() == "and":
            self.pos += 1
            items.append(self.parse_not())
        return flat(And, tuple(items))

    def parse_not(self) -> Node:
        node = self.parse_adj()
        while self.peek() == "not":
            self.pos += 1
            node = Not(node, self.parse_adj())
        return node

    def parse_adj(self) -> Node:
        items = [self.parse_atom()]
        distance: int | None = None
        column = self.tokens[self.pos - 1][1] if self.pos else 1
        while (word := self.peek()) is not None and (adj := _ADJ.match(word)):
            n = int(adj.group(1) or 1)
            if n < 1:
                raise QueryError(self.body, self.tokens[self.pos][1], "adj0 is not an Ovid operator (adj1 is next to)")
            if distance is not None and n - 1 != distance:
                raise QueryError(self.body, self.tokens[self.pos][1], "different adjN in one chain: add brackets")
            distance = n - 1
            self.pos += 1
            items.append(self.parse_atom())
        if distance is None:
            return items[0]
        field = self.suffix()
        return Near(tuple(items), distance, False, field, column)

    def suffix(self) -> str | None:
        """A field suffix written on its own after a group: ``(a or b).ti,ab.``."""
        if self.pos < len(self.tokens):
            text, column = self.tokens[self.pos]
            found = _FIELD_SUFFIX.fullmatch(text)
            if found and text.startswith("."):
                self.pos += 1
                return self.field(found.group(1), column)
        return None

    def field(self, code: str, column: int) -> str:
        code = code.lower()
        if code not in OVID_FIELDS:
            known = ", ".join(sorted(OVID_FIELDS))
            raise QueryError(self.body, column, f"unknown Ovid field .{code}. (known: {known})")
        if code in APPROXIMATE:
            self.warn("field-approximated", APPROXIMATE[code])
        return OVID_FIELDS[code]

    def parse_atom(self) -> Node:
        if self.pos >= len(self.tokens):
            raise QueryError(self.body, len(self.body) + 1, "the line ends where a term was expected")
        text, column = self.tokens[self.pos]
        if text == "(":
            self.pos += 1
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QueryError(self.body, column, f"brackets nested more than {MAX_DEPTH} deep")
            if self.peek() == ")":
                raise QueryError(self.body, column, "empty brackets")
            node = self.parse_or()
            if self.peek() != ")":
                raise QueryError(self.body, column, "unbalanced brackets: '(' is never closed")
            self.pos += 1
            self.depth -= 1
            field = self.suffix()
            return with_field(node, field)
        if text == ")":
            raise QueryError(self.body, column, "unbalanced brackets: ')' has no matching '('")
        if text.lower() in ("and", "or", "not") or _ADJ.match(text):
            raise QueryError(self.body, column, f"{text} needs a term before and after it")
        if text.isdigit() and int(text) in self.lines and self.is_operator(self.pos + 1) and not self.after_word():
            self.pos += 1
            return self.ref(int(text), column)
        return self.phrase()

    def is_operator(self, index: int) -> bool:
        if index >= len(self.tokens):
            return True
        word = self.tokens[index][0].lower()
        return word in ("and", "or", "not", ")") or bool(_ADJ.match(word))

    def after_word(self) -> bool:
        """Is the token before this one a word (so this number is part of a phrase, not a line reference)?"""
        return self.pos > 0 and not self.is_operator(self.pos - 1) and self.tokens[self.pos - 1][0] != "("

    def phrase(self) -> Node:
        """Consecutive words up to an operator or bracket: one term (a phrase when several words)."""
        words: list[str] = []
        column = self.tokens[self.pos][1]
        field: str | None = None
        quoted = False
        while self.pos < len(self.tokens) and not self.is_operator(self.pos) and self.tokens[self.pos][0] != "(":
            text, at = self.tokens[self.pos]
            self.pos += 1
            suffix = _FIELD_SUFFIX.search(text)
            if suffix:
                field = self.field(suffix.group(1), at)
                text = text[: suffix.start()]
            if text.startswith('"') and text.endswith('"') and len(text) >= 2:
                quoted = True
                text = text[1:-1]
            if text:
                words.append(text)
            if suffix:
                break
        if not words:
            raise QueryError(self.body, column, "a field suffix needs a term before it")
        joined = " ".join(" ".join(words).split())
        truncated = False
        stem = re.sub(r"(\$\d*|\*\d*)$", "", joined)
        if stem != joined:
            truncated = True
            if re.search(r"\d$", joined):
                self.warn("truncation-limit-dropped", f"Ovid limited truncation in {joined!r} is read as unlimited "
                          "truncation (broader)")
        if re.search(r"[#?$*]", stem):
            self.warn("wildcard-dropped", f"Ovid wildcard inside {joined!r} (#, ?) cannot be kept: searched as "
                      "written without it")
            stem = re.sub(r"[#?$*]", "", stem)
        return Term(stem, phrase=quoted or " " in stem, truncated=truncated, field=field, column=column)


def _numbers(spec: str, body: str) -> list[int]:
    numbers: list[int] = []
    for part in spec.replace(" ", "").split(","):
        if not part:
            continue
        if "-" in part:
            low, _, high = part.partition("-")
            if not (low.isdigit() and high.isdigit()) or int(low) > int(high):
                raise QueryError(body, 1, f"bad line range {part!r}")
            numbers.extend(range(int(low), int(high) + 1))
        elif part.isdigit():
            numbers.append(int(part))
        else:
            raise QueryError(body, 1, f"bad line number {part!r}")
    return numbers


