"""Reading strategies librarians already have: line-numbered Ovid and PubMed strings."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harvester.errors import QueryError
from harvester.query import And, Near, Node, Not, Or, Term, parse, translate
from harvester.query.ovid import parse_ovid

STRATEGY = """\
1. exp Peer Group/
2. peer support*.ti,ab.
3. or/1-2
4. (peer adj3 (mentor* or educator*)).ti,ab.     1234
5. 3 or 4
6. health$.mp.
7. 5 and 6
"""


def test_line_numbered_strategy_reads_into_the_tree_with_references_and_fields() -> None:
    parsed = parse_ovid(STRATEGY)
    assert parsed.lines[1] == Term("Peer Group", phrase=True, field="mh", column=1)
    assert parsed.lines[2] == Term("peer support", phrase=True, truncated=True, field="tiab", column=1)
    assert parsed.lines[3] == Or((parsed.lines[1], parsed.lines[2]))
    near = parsed.lines[4]
    assert isinstance(near, Near) and near.distance == 2 and near.field == "tiab" and not near.ordered
    assert parsed.node == And((Or((parsed.lines[1], parsed.lines[2], near)), parsed.lines[6]))
    assert parsed.lines[6] == Term("health", truncated=True, field="tw", column=1)


def test_ovid_adj3_becomes_pubmed_tilde_2_and_wos_near_2_not_the_same_number() -> None:
    node = parse_ovid("(peer adj3 worker*).ti,ab.").node
    assert translate(node, "ovid-medline").query == "(peer adj3 worker*).ti,ab,kf."
    assert translate(node, "wos").query == "TS=(peer NEAR/2 worker*)"
    assert translate(node, "scopus").query == "TITLE-ABS-KEY(peer W/2 worker*)"
    node = parse_ovid("(peer adj3 worker).ti.").node
    assert translate(node, "pubmed").query == '"peer worker"[ti:~2]'


def test_adj_alone_is_next_to_each_other_and_adj0_is_refused() -> None:
    node = parse_ovid("(peer adj worker).ti.").node
    assert isinstance(node, Near) and node.distance == 0
    with pytest.raises(QueryError, match="adj0"):
        parse_ovid("peer adj0 worker")


def test_headings_major_unexploded_and_subheadings() -> None:
    assert parse_ovid("*Peer Group/").node == Term("Peer Group", phrase=True, field="majr:noexp", column=1)
    assert parse_ovid("exp *Peer Group/").node.field == "majr"  # type: ignore[union-attr]
    parsed = parse_ovid("Peer Group/px")
    assert parsed.node == Term("Peer Group", phrase=True, field="mh:noexp", column=1)
    assert [w.code for w in parsed.warnings] == ["subheading-dropped"]


def test_limited_truncation_and_inner_wildcards_are_warned() -> None:
    parsed = parse_ovid("child$2.ti.")
    assert parsed.node == Term("child", truncated=True, field="ti", column=1)
    assert [w.code for w in parsed.warnings] == ["truncation-limit-dropped"]
    parsed = parse_ovid("wom#n.ti.")
    assert "wildcard-dropped" in [w.code for w in parsed.warnings]


def test_combining_lines_with_ranges_and_lists() -> None:
    parsed = parse_ovid("1. a.ti.\n2. b.ti.\n3. c.ti.\n4. and/1,2-3")
    assert parsed.node == And((parsed.lines[1], parsed.lines[2], parsed.lines[3]))


@pytest.mark.parametrize(("strategy", "words"), [
    ("1. a.ti.\n2. or/1-5", "strategy line 2: line 2 is not an earlier line"),
    ("1. a.zz.", "unknown Ovid field .zz."),
    ("1. (a or b.ti.", "never closed"),
    ("1. a.ti.\n1. b.ti.", "appears twice"),
    ("1. a or", "ends where a term"),
])
def test_bad_strategies_name_the_line_and_problem(strategy: str, words: str) -> None:
    with pytest.raises(QueryError, match=re.escape(words)):
        parse_ovid(strategy)


def test_a_number_inside_a_phrase_is_a_word_not_a_line_reference() -> None:
    parsed = parse_ovid("1. covid.ti.\n2. type 1 diabetes.ti.")
    assert parsed.node == Term("type 1 diabetes", phrase=True, field="ti", column=1)


def test_pubmed_long_tag_names_read_as_their_short_tags() -> None:
    node = parse('"peer support"[Title/Abstract] OR "Peer Group"[MeSH Terms] OR smith[Author]')
    assert translate(node, "ovid-medline").query == "peer support.ti,ab,kf. or exp Peer Group/ or smith.au."


@pytest.mark.parametrize("reader", [parse, lambda text: parse_ovid(text).node])
def test_250_nested_brackets_are_a_clear_error_not_a_recursion_error(reader: object) -> None:
    deep = "(" * 250 + "a" + ")" * 250
    with pytest.raises(QueryError, match="nested more than 100"):
        reader(deep)  # type: ignore[operator]
    fine = reader("(" * 100 + "a OR b" + ")" * 100)  # type: ignore[operator]
    assert isinstance(fine, Or) and [t.text for t in fine.items] == ["a", "b"]  # type: ignore[union-attr]


words = st.from_regex(r"[a-z]{3,8}", fullmatch=True).filter(lambda w: w not in ("and", "not", "adj", "exp"))


@st.composite
def queries(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 2 or draw(st.booleans()):
        text = " ".join(draw(st.lists(words, min_size=1, max_size=3)))
        star = "*" if draw(st.booleans()) else ""
        field = draw(st.sampled_from(["tiab", "ti", "ab", "au"]))
        return f'"{text}{star}"[{field}]'
    op = draw(st.sampled_from(["AND", "OR", "NOT"]))
    return f"({draw(queries(depth + 1))} {op} {draw(queries(depth + 1))})"


@given(queries())
def test_a_query_written_for_ovid_reads_back_to_the_same_terms_and_structure(query: str) -> None:
    node = parse(query)
    again = parse_ovid(translate(node, "ovid-medline").query).node
    assert shape(again) == shape(node)


def shape(node: Node) -> object:
    """The tree with phrase marks left out (Ovid writes a one-word phrase as a word: the same search) and
    nested groups of one kind merged ((a AND b) AND c is a AND b AND c)."""
    if isinstance(node, Term):
        return (node.text, node.truncated, node.field)
    if isinstance(node, Not):
        return ("NOT", shape(node.include), shape(node.exclude))
    assert isinstance(node, And | Or)
    merged: list[object] = []
    for item in node.items:
        inner = shape(item)
        if isinstance(item, type(node)):
            merged.extend(inner[1])  # type: ignore[index]
        else:
            merged.append(inner)
    return (type(node).__name__, tuple(merged))


def test_lines_combining_lines_cannot_nest_past_the_limit() -> None:
    lines = ["1. a.ti."] + [f"{n}. {n - 1} {'and' if n % 2 else 'or'} w{n}.ti." for n in range(2, 300)]
    with pytest.raises(QueryError, match="nest more than 100 deep"):
        parse_ovid("\n".join(lines))
