from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harvester.errors import QueryError
from harvester.query import And, Not, Or, Term, parse, terms, to_pubmed

SEED = '("peer supporter" OR "peer mentor" OR "peer educator" OR "peer advocate" OR "peer listener") AND "health"'


def test_seed_query_parses_into_or_of_phrases_and_health() -> None:
    node = parse(SEED)
    assert isinstance(node, And)
    group, health = node.items
    assert isinstance(group, Or) and len(group.items) == 5
    assert all(isinstance(t, Term) and t.phrase for t in group.items)
    assert health == Term("health", phrase=True, column=98)


def test_seed_query_compiles_to_pubmed_with_default_field() -> None:
    assert to_pubmed(parse(SEED), "tiab") == (
        '("peer supporter"[tiab] OR "peer mentor"[tiab] OR "peer educator"[tiab] OR "peer advocate"[tiab]'
        ' OR "peer listener"[tiab]) AND "health"[tiab]'
    )
    assert to_pubmed(parse(SEED)).endswith('AND "health"')


def test_precedence_and_binds_tighter_than_or_and_not_tighter_than_and() -> None:
    node = parse("a OR b AND c NOT d")
    b_and_c_not_d = And((Term("b", column=6), Not(Term("c", column=12), Term("d", column=18))))
    assert node == Or((Term("a", column=1), b_and_c_not_d))
    assert to_pubmed(node) == "a OR (b AND (c NOT d))"


def test_truncation_fields_and_implicit_and() -> None:
    node = parse("nurs*[ti] peer")
    assert node == And((Term("nurs", truncated=True, field="ti", column=1), Term("peer", column=11)))
    assert to_pubmed(node, "tiab") == "nurs*[ti] AND peer[tiab]"


@pytest.mark.parametrize(
    ("query", "column", "words"),
    [
        ("(a OR b", 1, "never closed"),
        ("a OR b)", 7, "no matching '('"),
        ("a AND", 6, "ends where a term"),
        ('a AND "abc', 7, "unterminated"),
        ("a[foo]", 2, "unknown field tag"),
        ("   ", 1, "empty"),
        ("a OR OR b", 6, "needs a term"),
        ("a*b", 1, "truncation"),
        ("()", 2, "empty parentheses"),
    ],
)
def test_malformed_queries_point_at_the_column(query: str, column: int, words: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse(query)
    assert caught.value.column == column
    assert words in str(caught.value)


words = st.from_regex(r"[a-z]{1,8}", fullmatch=True)


@st.composite
def queries(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 2 or draw(st.booleans()):
        word = draw(words)
        return f'"{word} {draw(words)}"' if draw(st.booleans()) else word
    op = draw(st.sampled_from(["AND", "OR", "NOT"]))
    return f"({draw(queries(depth + 1))} {op} {draw(queries(depth + 1))})"


@given(queries())
def test_compiled_query_parses_back_to_the_same_tree(query: str) -> None:
    node = parse(query)
    again = parse(to_pubmed(node))
    assert [(t.text, t.phrase) for t in terms(again)] == [(t.text, t.phrase) for t in terms(node)]
    assert to_pubmed(again) == to_pubmed(node)
