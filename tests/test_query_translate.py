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


# Expected strings written from each database's help page (docs/query.md cites them). Proximity: PubMed ~3
# (at most 3 words between) is Ovid adj4 (adjN = N-1 words between), EBSCO N3, Scopus W/3, WoS NEAR/3.
PROXIMITY = {
    "pubmed": '"peer support"[tiab:~3]',
    "ovid-medline": "(peer adj4 support).ti,ab,kf.",
    "ovid-embase": "(peer adj4 support).ti,ab,kf.",
    "psycinfo": "(peer adj4 support).ti,ab,id.",
    "embase": "(peer NEAR/4 support):ti,ab,kw",  # Embase.com counts like Ovid: NEAR/1 is adjacent
    "cinahl": "(TI (peer N3 support) OR AB (peer N3 support))",
    "scopus": "TITLE-ABS-KEY(peer W/3 support)",
    "wos": "TS=(peer NEAR/3 support)",
    "cochrane": "(peer NEAR/3 support):ti,ab,kw",
    "europepmc": "((TITLE:peer OR ABSTRACT:peer OR KW:peer) AND (TITLE:support OR ABSTRACT:support OR KW:support))",
    "openalex": "(peer AND support)",
    "clinicaltrials": "(peer AND support)",
}
TRUNCATED_PHRASE_IN_TITLE = {
    "pubmed": '"peer support*"[ti]',
    "ovid-medline": "peer support*.ti.",
    "ovid-embase": "peer support*.ti.",
    "psycinfo": "peer support*.ti.",
    "embase": "'peer support*':ti",
    "cinahl": 'TI "peer support*"',
    "scopus": "TITLE(peer PRE/0 support*)",  # a wildcard inside quotes is punctuation in Scopus
    "wos": 'TI=("peer support*")',
    "cochrane": "(peer NEXT support*):ti",  # Cochrane phrase searches take no wildcard
    "europepmc": 'TITLE:"peer support"',
    "openalex": '"peer support"',
    "clinicaltrials": '(AREA[BriefTitle]"peer support" OR AREA[OfficialTitle]"peer support")',
}
EXPLODED_HEADING = {
    "pubmed": '"Peer Group"[mh]',
    "ovid-medline": "exp Peer Group/",
    "ovid-embase": "exp Peer Group/",
    "psycinfo": "exp Peer Group/",
    "embase": "'Peer Group'/exp",
    "cinahl": '(MH "Peer Group+")',
    "scopus": 'INDEXTERMS("Peer Group")',
    "wos": 'TS=("Peer Group")',
    "cochrane": '[mh "Peer Group"]',
    "europepmc": 'MESH_HEADING:"Peer Group"',
    "openalex": '"Peer Group"',
    "clinicaltrials": '(AREA[ConditionMeshTerm]"Peer Group" OR AREA[InterventionMeshTerm]"Peer Group")',
}
UNEXPLODED_HEADING = {"pubmed": '"Peer Group"[mh:noexp]', "ovid-medline": "Peer Group/", "embase": "'Peer Group'/de",
                      "cinahl": '(MH "Peer Group")', "cochrane": '[mh ^"Peer Group"]'}
AUTHOR = {"pubmed": "smith[au]", "ovid-medline": "smith.au.", "embase": "smith:au", "cinahl": "AU smith",
          "scopus": "AUTH(smith)", "wos": "AU=(smith)", "cochrane": "smith:au", "europepmc": "AUTH:smith"}
ABSTRACT = {"ovid-medline": "peer.ab.", "embase": "peer:ab", "cinahl": "AB peer", "scopus": "ABS(peer)",
            "wos": "AB=(peer)", "cochrane": "peer:ab", "europepmc": "ABSTRACT:peer"}
NESTED = {
    "pubmed": "(mentor*[ti] OR tutor[ti]) NOT (school[ti] AND pupil[ti])",
    "ovid-medline": "(mentor* or tutor).ti. not (school.ti. and pupil.ti.)",
    "embase": "(mentor* OR tutor):ti NOT (school:ti AND pupil:ti)",
    "cinahl": "TI (mentor* OR tutor) NOT (TI school AND TI pupil)",
    "scopus": "TITLE(mentor* OR tutor) AND NOT (TITLE(school) AND TITLE(pupil))",
    "wos": "TI=(mentor* OR tutor) NOT (TI=(school) AND TI=(pupil))",
    "cochrane": "(mentor* OR tutor):ti NOT (school:ti AND pupil:ti)",
    "europepmc": "(TITLE:mentor* OR TITLE:tutor) NOT (TITLE:school AND TITLE:pupil)",
    "openalex": "(mentor OR tutor) NOT (school AND pupil)",
}


@pytest.mark.parametrize(("query", "expected"), [
    ('"peer support"[tiab:~3]', PROXIMITY), ('"peer support*"[ti]', TRUNCATED_PHRASE_IN_TITLE),
    ('"Peer Group"[mh]', EXPLODED_HEADING), ('"Peer Group"[mh:noexp]', UNEXPLODED_HEADING), ("smith[au]", AUTHOR),
    ("peer[ab]", ABSTRACT), ("(mentor*[ti] OR tutor[ti]) NOT (school[ti] AND pupil[ti])", NESTED),
], ids=["proximity", "truncated-phrase", "heading", "heading-noexp", "author", "abstract", "nesting"])
def test_each_target_writes_the_documented_syntax(query: str, expected: dict[str, str]) -> None:
    node = parse(query)
    assert {database: translate(node, database).query for database in expected} == expected


def test_proximity_a_target_cannot_write_is_anded_and_warned_never_silent() -> None:
    for database in ("europepmc", "openalex", "clinicaltrials"):
        assert "proximity-approximated" in codes(translate(parse('"peer support"[tiab:~3]'), database))
    for database in ("pubmed", "ovid-medline", "embase", "cinahl", "scopus", "wos", "cochrane"):
        assert not {c for c in codes(translate(parse('"peer support"[tiab:~3]'), database))
                    if c.startswith("proximity")}


def test_wos_near_over_15_falls_back_to_and_with_a_warning() -> None:
    result = translate(parse('"peer support"[tiab:~20]'), "wos")
    assert "NEAR" not in result.query and "AND" in result.query
    assert {"proximity-over-limit", "proximity-approximated"} <= codes(result)
    assert translate(parse('"peer support"[tiab:~15]'), "wos").query == "TS=(peer NEAR/15 support)"


def test_pubmed_proximity_only_in_title_abstract_and_affiliation() -> None:
    assert translate(parse('"peer support"[ti:~1]'), "pubmed").query == '"peer support"[ti:~1]'
    outside = translate(parse('"peer support"[au:~1]'), "pubmed")
    assert outside.query == "(peer[au] AND support[au])"
    assert "proximity-approximated" in codes(outside)


def test_pubmed_proximity_with_an_or_inside_is_expanded_into_one_proximity_per_combination() -> None:
    from harvester.query.ovid import parse_ovid
    node = parse_ovid("(peer adj2 (mentor or tutor)).ti,ab.").node
    result = translate(node, "pubmed")
    assert result.query == '("peer mentor"[tiab:~1] OR "peer tutor"[tiab:~1])'
    assert "proximity-expanded" in codes(result)


def test_headings_outside_medline_warn_that_vocabulary_is_not_mapped() -> None:
    for database in ("ovid-embase", "embase", "cinahl", "psycinfo", "scopus", "wos"):
        messages = " ".join(w.message for w in translate(parse('"Peer Group"[mh]'), database).warnings)
        assert "heading" in messages.lower() or "MeSH" in messages
    assert translate(parse('"Peer Group"[mh]'), "ovid-medline").warnings == ()


def test_wos_warns_lemmatisation_only_when_a_word_is_unquoted() -> None:
    assert "unquoted-word" not in codes(translate(parse('"peer support"[tiab]'), "wos"))
    assert "unquoted-word" in codes(translate(parse("peer[tiab]"), "wos"))


def test_ovid_quotes_a_phrase_only_when_it_holds_an_operator_word() -> None:
    assert translate(parse('"peer support"[ti]'), "ovid-medline").query == "peer support.ti."
    assert translate(parse('"peer and support"[ti]'), "ovid-medline").query == '"peer and support".ti.'


def test_unfielded_pubmed_terms_warn_about_automatic_term_mapping_only_when_unquoted() -> None:
    assert "unfielded" in codes(translate(parse("nursing"), "pubmed"))
    assert "unfielded" not in codes(translate(parse('"nursing care"'), "pubmed"))


def test_a_tag_a_database_lacks_is_searched_in_its_default_fields_and_warned() -> None:
    result = translate(parse("harvard[ad]"), "cochrane")
    assert result.query == "harvard"
    assert "field-not-available" in codes(result)


@pytest.mark.parametrize("database", DATABASES)
@pytest.mark.parametrize("tag", ["tiab", "ti", "ab", "tw", "ot", "mh", "mh:noexp", "majr", "majr:noexp", "au", "ad",
                                 "la", "pt", "ta", "dp", "all"])
def test_every_field_tag_compiles_for_every_target_with_balanced_brackets(database: str, tag: str) -> None:
    result = translate(parse(f'("peer support"[{tag}] OR nurse[{tag}]) AND NOT_A_WORD'), database)
    assert result.query.count("(") == result.query.count(")")
    assert "peer support" in result.query and "nurse" in result.query


SEED_WARNINGS = {
    "pubmed": set(), "ovid-medline": set(), "ovid-embase": set(), "psycinfo": set(), "embase": set(),
    "europepmc": set(),
    "cinahl": {"field-approximated"},  # TI/AB without author keywords
    "scopus": {"field-approximated", "phrase-approximated"},  # TITLE-ABS-KEY adds index terms; loose phrases
    "wos": {"field-approximated"},  # TS= adds Keywords Plus; every word is quoted, so no lemmatisation warning
    "cochrane": {"field-approximated"},  # :kw adds Cochrane's index keywords
    "openalex": {"field-approximated", "stemming"},
    "clinicaltrials": {"field-approximated", "synonym-expansion"},
}


@pytest.mark.parametrize("database", DATABASES)
def test_seed_query_gets_only_the_warnings_it_deserves(database: str) -> None:
    assert codes(translate(parse(SEED), database, "tiab")) == SEED_WARNINGS[database]


TITLE_ABSTRACT_TRUNCATED = {
    "pubmed": "nurse*[tiab]", "ovid-medline": "nurse*.ti,ab,kf.", "ovid-embase": "nurse*.ti,ab,kf.",
    "psycinfo": "nurse*.ti,ab,id.", "embase": "nurse*:ti,ab,kw", "cinahl": "(TI nurse* OR AB nurse*)",
    "scopus": "TITLE-ABS-KEY(nurse*)", "wos": "TS=(nurse*)", "cochrane": "nurse*:ti,ab,kw",
    "europepmc": "(TITLE:nurse* OR ABSTRACT:nurse* OR KW:nurse*)", "openalex": "nurse", "clinicaltrials": "nurse",
}
TITLE = {
    "pubmed": "nurse[ti]", "ovid-medline": "nurse.ti.", "embase": "nurse:ti", "cinahl": "TI nurse",
    "scopus": "TITLE(nurse)", "wos": "TI=(nurse)", "cochrane": "nurse:ti", "europepmc": "TITLE:nurse",
    "clinicaltrials": "(AREA[BriefTitle]nurse OR AREA[OfficialTitle]nurse)",
}
AUTHOR_KEYWORDS = {
    "pubmed": "nurse[ot]", "ovid-medline": "nurse.kf.", "ovid-embase": "nurse.kf.", "psycinfo": "nurse.id.",
    "embase": "nurse:kw", "cinahl": "KW nurse", "scopus": "AUTHKEY(nurse)", "wos": "AK=(nurse)",
    "cochrane": "nurse:kw", "europepmc": "KW:nurse", "clinicaltrials": "AREA[Keyword]nurse",
}


@pytest.mark.parametrize(("query", "expected"), [
    ("nurse*[tiab]", TITLE_ABSTRACT_TRUNCATED), ("nurse[ti]", TITLE), ("nurse[ot]", AUTHOR_KEYWORDS),
], ids=["tiab-truncated", "title", "author-keywords"])
def test_each_target_writes_its_text_fields(query: str, expected: dict[str, str]) -> None:
    node = parse(query)
    assert {database: translate(node, database).query for database in expected} == expected


def test_a_phrase_holding_the_targets_quote_mark_gets_double_quotes() -> None:
    assert translate(parse('"crohn\'s disease"[ti]'), "embase").query == '"crohn\'s disease":ti'
    assert translate(parse('"peer support"[ti]'), "embase").query == "'peer support':ti"


def test_scopus_proximity_takes_no_or_inside_so_it_is_expanded() -> None:
    from harvester.query.ovid import parse_ovid
    result = translate(parse_ovid("(peer adj3 (mentor* or tutor*)).ti,ab.").node, "scopus")
    assert result.query == "(TITLE-ABS-KEY(peer W/2 mentor*) OR TITLE-ABS-KEY(peer W/2 tutor*))"
    assert "proximity-expanded" in codes(result)
