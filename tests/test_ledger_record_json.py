"""The records' JSON column (``records.data``): written by joining the strings when none needs escaping,
which must give exactly what ``json.dumps`` gives (the text stored before, issue 17), for any record."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from harvester.ledger.records import _data_json, _fast_json
from harvester.records import Record

#: Any character (controls, quotes, backslashes, lone surrogates included) and the usual look-alikes.
TEXT = st.text(st.characters(blacklist_categories=()), max_size=12) | st.sampled_from(
    ["", '"', "\\", "\x00", "\n", "\t", "\x1f", "\x7f", "\u2028", "\xa0", "\ud800", "caf\xe9", "\u201cq\u201d",
     "a\\u0022b", "10.1000/x", "Smith, J"])
WORDS = st.lists(TEXT, max_size=4).map(tuple)
ODD = st.sampled_from([None, 7, True, "2020", 1.5, ["a"], ("a", "b")])  # values of another type than declared


def _reference(record: Record) -> str:
    data: dict[str, Any] = {f.name: getattr(record, f.name) for f in fields(Record)}
    data["raw"] = ""
    return json.dumps(data, ensure_ascii=False)


records = st.builds(
    Record, title=TEXT, abstract=TEXT, authors=WORDS, year=st.none() | st.integers(-5, 10**12), journal=TEXT,
    journal_abbrev=TEXT, issn=WORDS, volume=TEXT, issue=TEXT, pages=TEXT, doi=TEXT, pmid=TEXT, language=WORDS,
    publication_types=WORDS, keywords=WORDS, mesh=WORDS, url=TEXT, publisher=TEXT, database=TEXT, source_id=TEXT,
    raw=TEXT, tags=st.lists(st.tuples(TEXT, TEXT), max_size=5).map(tuple), position=st.integers(0, 10**9),
    line=st.integers(0, 10**9))


@settings(max_examples=300, deadline=None)
@given(records)
def test_the_records_json_is_json_dumps(record: Record) -> None:
    assert _data_json(record) == _reference(record)


@settings(max_examples=200, deadline=None)
@given(records, st.sampled_from([f.name for f in fields(Record)]), ODD)
def test_a_value_of_another_type_is_written_as_json_dumps_writes_it(record: Record, name: str, value: object) -> None:
    odd = replace(record, **{name: value})
    try:
        expected = _reference(odd)
    except (TypeError, ValueError):
        return  # json.dumps cannot write it either
    assert _data_json(odd) == expected


def test_a_plain_record_takes_the_joined_path_and_a_quoted_one_does_not() -> None:
    plain = Record(title="Peer support", authors=("Smith, J", "Lee, K"), year=2020, keywords=("peer",),
                   tags=(("TY", "JOUR"), ("TI", "Peer support")), position=1, line=1, raw="TY  - JOUR")
    assert _fast_json(plain) == _reference(plain)
    for value in ('a "quoted" title', "back\\slash", "tab\there", "caf\xe9 \x01"):
        assert _fast_json(replace(plain, title=value)) is None
        assert _data_json(replace(plain, title=value)) == _reference(replace(plain, title=value))
