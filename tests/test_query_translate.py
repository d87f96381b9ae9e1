"""Each target's syntax, with cases written from that database's own help pages (cited in docs/query.md)."""

from __future__ import annotations

import pytest

from harvester.errors import QueryError
from harvester.query import DATABASES, Translation, parse, translate

SEED = '("peer supporter" OR "peer mentor" OR "peer educator" OR "peer advocate" OR "peer listener") AND "health"'


def codes(translation: Translation) -> set[str]:
    return {w.code for w in translation.warnings}


def test_the_twelve_databases_are_named_as_the_contract_says() -> None:
    assert DATABASES == ("pubmed", "ovid-medline", "ovid-embase", "embase", "cinahl", "psycinfo", "scopus", "wos",
                         "cochrane", "europepmc", "openalex", "clinicaltrials")


def test_unknown_database_is_a_query_error_naming_the_known_ones() -> None:
    with pytest.raises(QueryError, match="known: pubmed"):
        translate(parse("a"), "medline-ish")


@pytest.mark.parametrize("database", DATABASES)
def test_seed_query_compiles_for_every_target_keeping_every_phrase(database: str) -> None:
    result = translate(parse(SEED), database, "tiab")
    assert result.database == database
    for phrase in ("peer supporter", "peer mentor", "peer educator", "peer advocate", "peer listener", "health"):
        assert phrase in result.query
    assert result.query.count("(") == result.query.count(")")


def test_seed_query_pubmed_is_exact_and_warns_nothing() -> None:
    result = translate(parse(SEED), "pubmed", "tiab")
    assert result.query == ('("peer supporter"[tiab] OR "peer mentor"[tiab] OR "peer educator"[tiab] OR '
                            '"peer advocate"[tiab] OR "peer listener"[tiab]) AND "health"[tiab]')
    assert result.warnings == ()


def test_europepmc_fields_prefix_each_term_title_abstract_and_keywords() -> None:
    result = translate(parse('"peer support"[tiab] AND nurs*[ti] AND smith[au]'), "europepmc")
    assert result.query == ('(TITLE:"peer support" OR ABSTRACT:"peer support" OR KW:"peer support") '
                            "AND TITLE:nurs* AND AUTH:smith")
    assert result.parameter == "query"
    assert result.warnings == ()


def test_europepmc_cannot_truncate_a_phrase_or_search_proximity_and_says_so() -> None:
    result = translate(parse('"peer support*"[ti] OR "hip pain"[tiab:~2]'), "europepmc")
    assert 'TITLE:"peer support"' in result.query and "*" not in result.query
    assert "(TITLE:hip OR ABSTRACT:hip OR KW:hip) AND (TITLE:pain OR ABSTRACT:pain OR KW:pain)" in result.query
    assert {"truncation-dropped", "proximity-approximated"} <= codes(result)


def test_clinicaltrials_essie_has_no_truncation_and_expands_synonyms() -> None:
    result = translate(parse('"peer support" AND nurs*[ti]'), "clinicaltrials", "tiab")
    assert result.query == '"peer support" AND (AREA[BriefTitle]nurs OR AREA[OfficialTitle]nurs)'
    assert result.parameter == "query.term"
    assert {"synonym-expansion", "truncation-not-supported", "field-approximated"} <= codes(result)


def test_openalex_title_abstract_filter_no_truncation_stemming_warned() -> None:
    result = translate(parse('("peer support" OR mentor*) NOT school'), "openalex", "tiab")
    assert result.query == '("peer support" OR mentor) NOT school'
    assert result.parameter == "filter=title_and_abstract.search"
    assert {"stemming", "truncation-not-supported"} <= codes(result)


def test_openalex_title_only_uses_the_title_filter_and_unfielded_uses_search() -> None:
    assert translate(parse("a[ti] OR b[ti]"), "openalex").parameter == "filter=title.search"
    unfielded = translate(parse("a OR b"), "openalex")
    assert unfielded.parameter == "search"
    assert any("full texts" in w.message for w in unfielded.warnings)
