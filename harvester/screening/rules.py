"""Inclusion rules evaluated on one record: pure functions, no ledger, no I/O.

A rule *fires* on a record when the record fails the review's criterion the rule expresses:

- ``language``: the record's language is none of ``languages`` (a record without a language fires
  only when ``keep_unknown = false``);
- ``year``: the year is outside ``from``..``to`` (unknown year: as ``keep_unknown``, default keep);
- ``publication-type``: the record has one of ``types`` (e.g. editorials, comments);
- ``field``: the field holds one of ``words`` (whole words, case- and accent-insensitive) or matches
  ``regex``;
- ``query``: the boolean query (same syntax as the search) matches the record's fields.

What a firing rule *does* (exclude or flag, before screening or at title/abstract) is the protocol's
business and the ledger's; this module only answers "does it fire, and on what evidence".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from harvester import languages, normalise
from harvester.normalise import fold
from harvester.protocol import Rule
from harvester.query import And, Near, Node, Not, Or, Term, parse
from harvester.query.dialect import canonical_tag
from harvester.records import Record

#: Query field tags -> the Record fields searched. ``all`` is every text field.
FIELD_MAP: dict[str, tuple[str, ...]] = {
    "tiab": ("title", "abstract"),
    "title/abstract": ("title", "abstract"),
    "tiab:~0": ("title", "abstract"),
    "ti": ("title",),
    "title": ("title",),
    "ab": ("abstract",),
    "tw": ("title", "abstract", "keywords", "mesh"),
    "ot": ("keywords",),
    "mh": ("mesh",),
    "mh:noexp": ("mesh",),
    "majr:noexp": ("mesh",),
    "ad": (),
    "mesh": ("mesh",),
    "majr": ("mesh",),
    "au": ("authors",),
    "la": ("language",),
    "pt": ("publication_types",),
    "ta": ("journal", "journal_abbrev"),
    "jour": ("journal", "journal_abbrev"),
    "dp": ("year",),
    "all": ("title", "abstract", "keywords", "mesh", "authors", "journal", "journal_abbrev", "language",
            "publication_types", "publisher", "year", "doi", "pmid"),
    "all fields": ("title", "abstract", "keywords", "mesh", "authors", "journal", "journal_abbrev", "language",
                   "publication_types", "publisher", "year", "doi", "pmid"),
}

#: Field names a ``field`` rule may name, besides the query tags above: the Record's own field names.
RECORD_TEXT_FIELDS: tuple[str, ...] = ("title", "abstract", "keywords", "mesh", "authors", "journal",
                                       "journal_abbrev", "language", "publication_types", "publisher", "doi",
                                       "pmid", "url", "year")



@dataclass(frozen=True, slots=True)
class RuleResult:
    """Whether a rule fired on a record, and the evidence a person can check."""

    rule_id: str
    fired: bool
    evidence: str = ""


def words(text: str) -> list[str]:
    """The folded words of a text, in order (punctuation and hyphens separate words): ``normalise.words``
    as a list (the one normaliser; rules used a fold of their own without HTML decoding before)."""
    return normalise.words(text).split()


def field_texts(record: Record, names: Iterable[str]) -> list[str]:
    """The values of some Record fields as separate texts (a phrase never spans two of them)."""
    texts: list[str] = []
    for name in names:
        value = getattr(record, name)
        if value is None or value == "":
            continue
        if isinstance(value, tuple):
            texts.extend(str(v) for v in value if v)
        else:
            texts.append(str(value))
    return texts


class RecordText:
    """A record's field values as folded words, computed once per field however many terms ask."""

    def __init__(self, record: Record) -> None:
        self.record = record
        self._words: dict[str, list[tuple[list[str], frozenset[str]]]] = {}

    def values(self, name: str) -> list[tuple[list[str], frozenset[str]]]:
        """Each value of one field as (its words in order, the same words as a set)."""
        found = self._words.get(name)
        if found is None:
            found = []
            for text in field_texts(self.record, (name,)):
                tokens = words(text)
                found.append((tokens, frozenset(tokens)))
            self._words[name] = found
        return found


@lru_cache(maxsize=256)
def _parse(query: str) -> Node:
    return parse(query)


def evaluate(rule: Rule, record: Record, default_field: str | None = None,
             texts: RecordText | None = None) -> RuleResult:
    """Does ``rule`` fire on ``record``? ``default_field`` serves unfielded query terms (else ``all``).

    Pass one :class:`RecordText` for all the rules evaluated on a record to split its fields into words once.
    """
    texts = texts if texts is not None and texts.record is record else RecordText(record)
    if rule.kind == "language":
        return _language(rule, record)
    if rule.kind == "year":
        return _year(rule, record)
    if rule.kind == "publication-type":
        return _publication_type(rule, record)
    if rule.kind == "field":
        return _field(rule, record)
    if rule.kind == "query":
        node = _parse(str(rule.params["query"]))
        fallback = str(rule.params.get("default_field") or default_field or "all").lower()
        evidence: list[str] = []
        fired = matches(node, record, fallback, evidence, texts)
        return RuleResult(rule.id, fired, "; ".join(dict.fromkeys(evidence)) if fired else "")
    raise ValueError(f"rule {rule.id!r}: unknown kind {rule.kind!r}")


def _language_key(value: str) -> str:
    """One code for every way of writing a language (``en``, ``eng``, ``English``), from the ISO 639 table."""
    return languages.key(value) or fold(value).strip()


def _language(rule: Rule, record: Record) -> RuleResult:
    wanted = {_language_key(v) for v in _as_list(rule.params["languages"])}
    held = [v for v in record.language if v.strip()]
    if not held:
        keep = bool(rule.params.get("keep_unknown", True))
        return RuleResult(rule.id, not keep, "" if keep else "no language given")
    if any(_language_key(v) in wanted for v in held):
        return RuleResult(rule.id, False)
    return RuleResult(rule.id, True, f"language {', '.join(held)}")


def _year(rule: Rule, record: Record) -> RuleResult:
    if record.year is None:
        keep = bool(rule.params.get("keep_unknown", True))
        return RuleResult(rule.id, not keep, "" if keep else "no year given")
    low, high = rule.params.get("from"), rule.params.get("to")
    if low is not None and record.year < int(low):
        return RuleResult(rule.id, True, f"year {record.year} before {low}")
    if high is not None and record.year > int(high):
        return RuleResult(rule.id, True, f"year {record.year} after {high}")
    return RuleResult(rule.id, False)


def _publication_type(rule: Rule, record: Record) -> RuleResult:
    wanted = {fold(t).strip() for t in _as_list(rule.params["types"])}
    hits = [t for t in record.publication_types if fold(t).strip() in wanted]
    return RuleResult(rule.id, bool(hits), f"publication type {', '.join(hits)}" if hits else "")


def _field(rule: Rule, record: Record) -> RuleResult:
    name = str(rule.params["field"]).lower()
    names = FIELD_MAP.get(name) or ((name,) if name in RECORD_TEXT_FIELDS else None)
    if names is None:
        raise ValueError(f"rule {rule.id!r}: unknown field {name!r}")
    texts = field_texts(record, names)
    for word in _as_list(rule.params.get("words", [])):
        wanted = words(word)
        if wanted and any(_contains(words(text), wanted, truncated=False) for text in texts):
            return RuleResult(rule.id, True, f"{name} has {word!r}")
    if "regex" in rule.params:
        pattern = re.compile(str(rule.params["regex"]), re.IGNORECASE)
        for text in texts:
            found = pattern.search(text)
            if found:
                return RuleResult(rule.id, True, f"{name} matches /{pattern.pattern}/ at {found.group(0)!r}")
    return RuleResult(rule.id, False)


def matches(node: Node, record: Record, default_field: str = "all", evidence: list[str] | None = None,
            texts: RecordText | None = None, fields: Mapping[str, tuple[str, ...]] | None = None) -> bool:
    """Evaluate a query AST on a record's fields (the local twin of running it in PubMed).

    ``fields`` maps field tags to the Record fields they search (default :data:`FIELD_MAP`, PubMed's
    reading); ``query check`` passes a database's own table to evaluate the query as that database reads it.
    """
    texts = texts if texts is not None else RecordText(record)
    if isinstance(node, Term):
        return _term(node, texts, default_field, evidence, fields)
    if isinstance(node, Not):
        return matches(node.include, record, default_field, evidence, texts, fields) and not matches(
            node.exclude, record, default_field, None, texts, fields)
    if isinstance(node, And):
        return all(matches(item, record, default_field, evidence, texts, fields) for item in node.items)
    if isinstance(node, Or):
        found = False
        for item in node.items:  # no short cut: collect every matching term as evidence
            found = matches(item, record, default_field, evidence, texts, fields) or found
        return found
    if isinstance(node, Near):
        return _near(node, texts, default_field, evidence, fields)
    raise TypeError(f"not a query node: {node!r}")


def searched_fields(tag: str, fields: Mapping[str, tuple[str, ...]] | None = None) -> tuple[str, ...]:
    """The Record fields a field tag searches (unknown tags: every field)."""
    table = FIELD_MAP if fields is None else fields
    for key in (tag, canonical_tag(tag)):
        if key in table:
            return table[key]
    return table.get("all", FIELD_MAP["all"])


@lru_cache(maxsize=4096)
def _term_words(text: str) -> tuple[str, ...]:
    return tuple(words(text))


def _term(term: Term, texts: RecordText, default_field: str, evidence: list[str] | None,
          fields: Mapping[str, tuple[str, ...]] | None = None) -> bool:
    tag = (term.field or default_field).lower()
    names = searched_fields(tag, fields)
    wanted = list(_term_words(term.text))
    if not wanted:
        return False
    for name in names:
        for tokens, vocabulary in texts.values(name):
            if not term.truncated and wanted[0] not in vocabulary:
                continue  # the common case, answered by the set
            if _contains(tokens, wanted, term.truncated):
                if evidence is not None:
                    shown = f'"{term.text}"' if term.phrase else term.text
                    evidence.append(f"{shown}{'*' if term.truncated else ''}[{tag}]")
                return True
    return False


def _spans(node: Node, tokens: list[str]) -> list[tuple[int, int]]:
    """Where a proximity operand (a term, or an OR of terms) occurs in a field's words: (first, last) word."""
    if isinstance(node, Or):
        return [span for item in node.items for span in _spans(item, tokens)]
    if not isinstance(node, Term):
        return []
    wanted = list(_term_words(node.text))
    size = len(wanted)
    found = []
    for start in range(len(tokens) - size + 1):
        if tokens[start : start + size - 1] != wanted[:-1]:
            continue
        end = tokens[start + size - 1]
        if end == wanted[-1] or (node.truncated and end.startswith(wanted[-1])):
            found.append((start, start + size - 1))
    return found


def _near(near: Near, texts: RecordText, default_field: str, evidence: list[str] | None,
          fields: Mapping[str, tuple[str, ...]] | None = None) -> bool:
    """Each operand within ``distance`` words of the next one (in order if ``ordered``), in one field value."""
    tag = (near.field or default_field).lower()
    for name in searched_fields(tag, fields):
        for tokens, _ in texts.values(name):
            spans = [_spans(item, tokens) for item in near.items]
            pairs = zip(spans, spans[1:], strict=False)
            if all(spans) and all(_close(a, b, near.distance, near.ordered) for a, b in pairs):
                if evidence is not None:
                    evidence.append(f"{' '.join(t.text for t in _near_terms(near))}[{tag}:~{near.distance}]")
                return True
    return False


def _close(first: list[tuple[int, int]], second: list[tuple[int, int]], distance: int, ordered: bool) -> bool:
    for a_start, a_end in first:
        for b_start, b_end in second:
            if b_start > a_end and b_start - a_end - 1 <= distance:
                return True
            if not ordered and a_start > b_end and a_start - b_end - 1 <= distance:
                return True
    return False


def _near_terms(near: Near) -> list[Term]:
    found: list[Term] = []
    for item in near.items:
        if isinstance(item, Term):
            found.append(item)
        elif isinstance(item, Or):
            found.extend(i for i in item.items if isinstance(i, Term))
    return found


def _contains(haystack: list[str], needle: list[str], truncated: bool) -> bool:
    """Is ``needle`` a run of consecutive words of ``haystack``? Truncation: the last word is a prefix."""
    size = len(needle)
    last = needle[-1]
    if size == 1:
        return any(word.startswith(last) for word in haystack) if truncated else last in haystack
    first = needle[0]
    for start in range(len(haystack) - size + 1):
        if haystack[start] != first or haystack[start + 1 : start + size - 1] != needle[1:-1]:
            continue
        end = haystack[start + size - 1]
        if end == last or (truncated and end.startswith(last)):
            return True
    return False


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]
