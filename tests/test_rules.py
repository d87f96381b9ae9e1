"""Inclusion rules on records: each kind, the query evaluated locally, fields, phrases, truncation, accents."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harvester import protocol as protocol_module
from harvester.normalise import fold
from harvester.protocol import Rule
from harvester.query import parse
from harvester.records import Record
from harvester.screening.rules import evaluate, matches, words

REPO = Path(__file__).resolve().parent.parent


def rule(kind: str, **params: object) -> Rule:
    return Rule(id=f"r-{kind}", kind=kind, stage="automation", action="exclude", reason="why", params=dict(params))


def test_language_rule_knows_codes_and_names() -> None:
    english = rule("language", languages=["eng"])
    assert not evaluate(english, Record(language=("English",))).fired
    assert not evaluate(english, Record(language=("en",))).fired
    french = evaluate(english, Record(language=("fre",)))
    assert french.fired and "fre" in french.evidence
    assert not evaluate(english, Record(language=("fre", "eng"))).fired  # bilingual: has English
    assert not evaluate(english, Record()).fired  # unknown kept by default
    assert evaluate(rule("language", languages=["eng"], keep_unknown=False), Record()).fired


def test_year_rule() -> None:
    window = rule("year", **{"from": 2000, "to": 2014})
    assert not evaluate(window, Record(year=2000)).fired
    assert evaluate(window, Record(year=1999)).evidence == "year 1999 before 2000"
    assert evaluate(window, Record(year=2015)).fired
    assert not evaluate(window, Record()).fired
    assert evaluate(rule("year", to=2014, keep_unknown=False), Record()).fired


def test_publication_type_rule_is_case_insensitive() -> None:
    editorials = rule("publication-type", types=["Editorial", "Comment"])
    assert evaluate(editorials, Record(publication_types=("Journal Article", "comment"))).fired
    assert not evaluate(editorials, Record(publication_types=("Journal Article",))).fired


def test_field_rule_words_are_whole_words_and_accent_folded() -> None:
    protocol_rule = rule("field", field="title", words=["pediatric", "school based"])
    assert evaluate(protocol_rule, Record(title="A Pédiatric ward")).fired
    assert evaluate(protocol_rule, Record(title="School-based peer work")).fired
    assert not evaluate(protocol_rule, Record(title="Paediatrics")).fired  # whole words only
    assert not evaluate(protocol_rule, Record(abstract="pediatric")).fired  # only the named field


def test_field_rule_regex() -> None:
    trial = rule("field", field="tiab", regex=r"randomi[sz]ed\s+controlled")
    result = evaluate(trial, Record(abstract="A Randomised  controlled trial of peer mentors"))
    assert result.fired and "Randomised  controlled" in result.evidence
    assert not evaluate(trial, Record(title="A cohort")).fired


@pytest.mark.parametrize(
    ("query", "record", "expected"),
    [
        ('"peer supporter"', Record(title="The peer supporter role"), True),
        ('"peer supporter"', Record(title="The supporter of a peer"), False),  # a phrase is a word sequence
        ('"peer supporter"', Record(title="peer", abstract="supporter"), False),  # never across fields
        ("nurs*", Record(title="Nursing homes"), True),
        ("nurs*", Record(title="Enurses"), False),  # truncation matches word prefixes only
        ('"text messag*"', Record(abstract="Support by text messaging"), True),
        ("online OR telephone", Record(title="TELEPHONE support"), True),
        ("peer AND health", Record(title="Peer work", abstract="in mental health"), True),
        ("peer NOT online", Record(title="Peer work online"), False),
        ("peer NOT online", Record(title="Peer work face to face"), True),
        ("peer[ti]", Record(abstract="peer"), False),
        ("peer[ab]", Record(abstract="peer"), True),
        ("Smith[au]", Record(authors=("Smith, J",)), True),
        ("HIV[mh]", Record(mesh=("HIV Infections",)), True),
        ("HIV[mh]", Record(title="HIV"), False),
        ("mentor*[tw]", Record(keywords=("Mentoring",)), True),
        ("eng[la]", Record(language=("eng",)), True),
        ("Editorial[pt]", Record(publication_types=("Editorial",)), True),
        ("lancet[ta]", Record(journal="The Lancet"), True),
        ("café", Record(title="Peer CAFE meetings"), True),  # accents folded
        ('"web-based"', Record(title="A web based programme"), True),
    ],
)
def test_query_evaluated_on_fields(query: str, record: Record, expected: bool) -> None:
    assert matches(parse(query), record, "tiab") is expected


def test_default_field_serves_unfielded_terms() -> None:
    record = Record(keywords=("telephone",))
    assert not matches(parse("telephone"), record, "tiab")
    assert matches(parse("telephone"), record, "all")


def test_seed_protocol_flags(repo: Path) -> None:
    loaded = protocol_module.load(repo / "queries" / "peer-support.toml")
    rules = {r.id: r for r in loaded.rules}
    phone = Record(title="Telephone peer support for new mothers", language=("eng",))
    school = Record(title="Peer educators in secondary schools", abstract="Adolescent students took part")
    plain = Record(title="Peer support workers in HIV clinics", abstract="Face-to-face work", language=("fre",))
    assert evaluate(rules["online-or-telephone"], phone, loaded.default_field).fired
    assert "telephone[tiab]" in evaluate(rules["online-or-telephone"], phone, loaded.default_field).evidence
    assert evaluate(rules["school-adolescents"], school, loaded.default_field).fired
    assert not evaluate(rules["school-adolescents"], plain, loaded.default_field).fired
    assert evaluate(rules["english-only"], plain).fired
    assert not evaluate(rules["english-only"], phone).fired


@given(st.text(max_size=40))
def test_a_text_always_contains_its_own_words(text: str) -> None:
    found = words(text)
    if found:
        phrase = " ".join(found)
        assert matches(parse(f'"{phrase}"'), Record(title=text), "ti") or '"' in phrase
    assert fold(fold(text)) == fold(text)
