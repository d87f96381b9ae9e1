"""Normalisation: each field's comparable form, on hand-written cases, real corpus values and properties."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harvester import normalise


@pytest.mark.parametrize(("raw", "expected"), [
    ("10.1000/ABC.123", "10.1000/abc.123"),
    ("doi:10.1000/abc", "10.1000/abc"),
    ("DOI 10.1000/abc.", "10.1000/abc"),
    ("https://doi.org/10.1000/abc", "10.1000/abc"),
    ("http://dx.doi.org/10.1016/S0735-1097%2813%2960001-2", "10.1016/s0735-1097(13)60001-2"),
    ("10.1371/journal.pone.0141122 [doi]", "10.1371/journal.pone.0141122"),
    ("NA", ""),
    ("not a doi", ""),
])
def test_doi(raw: str, expected: str) -> None:
    assert normalise.doi(raw) == expected


def test_truncated_doi_says_nothing() -> None:
    # exports cut long DOIs: a prefix is neither the same DOI nor a different one
    assert normalise.same_doi("10.1016/s0025-7753(1", "10.1016/s0025-7753(17)30624-3") is None
    assert normalise.same_doi("10.1/a", "10.1/b") is False
    assert normalise.same_doi("10.1/a", "10.1/a") is True
    assert normalise.same_doi("", "10.1/a") is None


@pytest.mark.parametrize(("raw", "expected"), [
    ("Efficacy of batroxobin. [Chinese]", "efficacy of batroxobin"),
    ("[Efficacy of batroxobin in cognitive impairment].", "efficacy of batroxobin in cognitive impairment"),
    ("Update on HPV infection. [Review] [33 refs]", "update on hpv infection"),
    ("A systematic review (Structured abstract)", "a systematic review"),
    ("Caf&eacute; <i>culture</i> &amp; health", "cafe culture health"),
    ("Sharing Economy - Effects of Photos", "sharing economy effects of photos"),
    ("Sharing Economy: Effects of Photos.", "sharing economy effects of photos"),
    ("Ｆｕｌｌｗｉｄｔｈ TITLE", "fullwidth title"),
    ("[No title available]", ""),
    ("Amantadine for symptom's of confusion", "amantadine for symptoms of confusion"),
    ("Patients’ views", "patients views"),
    ("'Quoted' words", "quoted words"),
])
def test_title(raw: str, expected: str) -> None:
    assert normalise.title(raw) == expected


@pytest.mark.parametrize(("doi", "code"), [
    ("10.1016/j.appet.2012.05.003", "appet"),
    ("10.1002/dmrr.2604", "dmrr"),
    ("10.1093/ndt/gfw188.21", "ndt"),
    ("10.1371/journal.pone.0141122", "pone"),
    ("10.1016/s0140-6736(10)60001-2", ""),  # an item number, not a journal code
    ("10.1007/s00125-010-1.x", ""),
    ("10.1080/0142159x.2017.1", ""),
])
def test_doi_journal_code(doi: str, code: str) -> None:
    assert normalise.doi_journal_code(doi) == code


@pytest.mark.parametrize(("code", "journal", "fits", "foreign"), [
    ("appet", "appetite", True, False),
    ("regpep", "appetite", False, True),
    ("regpep", "regulatory peptides", True, False),
    ("dmrr", "diabetes metabolism research and reviews", True, False),
    ("eurheartj", "european heart journal", True, False),
    ("jacc", "journal of the american college of cardiology", True, False),
    ("pone", "plos one", True, False),
    ("strokeaha", "stroke", False, False),  # partly this journal's: not foreign
    ("nejmoa", "new england journal of medicine", False, False),
])
def test_doi_code_and_journal(code: str, journal: str, fits: bool, foreign: bool) -> None:
    assert normalise.code_fits_journal(code, journal) is fits
    assert normalise.code_foreign_to_journal(code, journal) is foreign


@pytest.mark.parametrize("shape", [
    "Smith, J. A.", "Smith, John Andrew", "Smith JA", "Smith J.A.", "J.A. Smith", "J. A. Smith", "Smith, J A",
])
def test_author_shapes_agree(shape: str) -> None:
    found = normalise.author(shape)
    assert found is not None
    assert found.key() == "smith ja"


def test_author_lists_in_every_joined_shape() -> None:
    assert [a.key() for a in normalise.authors(("Adeli K.Lewis G. F.",))] == ["adeli k", "lewis gf"]
    assert [a.key() for a in normalise.authors(("Zhai, Q. J. and Yue, X. Y.",))] == ["zhai qj", "yue xy"]
    assert [a.key() for a in normalise.authors(("Smith J; Doe A",))] == ["smith j", "doe a"]
    assert [a.key() for a in normalise.authors(("Smith, J", "Doe, A", "et al."))] == ["smith j", "doe a"]
    assert normalise.authors(("Anonymous",)) == ()


def test_collective_author_is_kept_whole() -> None:
    found = normalise.author("ASCUS-LSIL Triage Study (ALTS) Group")
    assert found is not None and found.collective
    assert found.surname == "ascus lsil triage study alts group"


def test_name_tokens_survive_swapped_names() -> None:
    # "Ching-yi, Wu" (given name put first) still shares a word with "Wu, C. Y."
    assert normalise.name_tokens("Ching-yi, Wu") & normalise.name_tokens("Wu, C. Y.")
    assert normalise.name_tokens("Si Hyun Kang, null") == {"si", "hyun", "kang"}


@pytest.mark.parametrize(("raw", "expected"), [
    ("The Journal of Physiology", "journal of physiology"),
    ("Diabetes & Metabolism", "diabetes and metabolism"),
    ("Stroke. Conference: American Heart Association", "stroke"),
    ("The Canadian Journal of Neurology / Le Journal Canadien", "canadian journal of neurology"),
])
def test_journal(raw: str, expected: str) -> None:
    assert normalise.journal(raw) == expected


def test_journal_abbreviation() -> None:
    full = normalise.journal("Journal of the American College of Cardiology")
    assert normalise.is_abbreviation(normalise.journal("J Am Coll Cardiol"), full)
    current = normalise.journal("Current opinion in lipidology")
    assert normalise.is_abbreviation(normalise.journal("Curr Opin Lipidol"), current)
    assert not normalise.is_abbreviation(normalise.journal("J Clin Virol"), full)


@pytest.mark.parametrize(("raw", "first", "last"), [
    ("123-9", "123", "129"), ("1453-4", "1453", "1454"), ("47--65", "47", "65"), ("e0141122", "e0141122", ""),
    ("pp. 10-12", "10", "12"), ("01-Jul", "1", "7"), ("215 p", "", ""), ("Suppl-29", "", ""), ("S36", "s36", ""),
    ("123-123", "123", ""), ("NA", "", ""), ("A175.E1638", "a175", ""), ("12.5", "12.5", ""),
])
def test_pages(raw: str, first: str, last: str) -> None:
    assert normalise.pages(raw) == normalise.Pages(first, last)


@pytest.mark.parametrize(("raw", "expected"), [
    ("35 Suppl 1", "35"), ("Vol. 012", "12"), ("(Jul)", ""), ("Ph.D.", ""), ("1)", ""), ("", "")])
def test_volume(raw: str, expected: str) -> None:
    assert normalise.volume(raw) == expected


def test_issue_and_year() -> None:
    assert normalise.issue("SUPPL. 1") == normalise.issue("Supplement 1") == "s 1"
    assert normalise.issue_numbers("10 SUPPL. 1") == {"10", "1"}
    assert normalise.year("2014 Jun 3") == 2014 and normalise.year(None) is None
    assert normalise.years_agree(2013, 2014) and not normalise.years_agree(2012, 2014)
    assert normalise.years_agree(None, 2014)
    assert normalise.issn("ISSN 0028-1298 and 1872 7972x") == ("0028-1298",)
    assert normalise.issn("0163-2116\n1872-797x") == ("0163-2116", "1872-797X")


# --- real values from the shared corpus --------------------------------------------------------------

def _tag_values(shared_dir: Path, tags: tuple[str, ...]) -> list[str]:
    pattern = re.compile(rf"^({'|'.join(tags)})\s*- (.+)$")
    found: list[str] = []
    for path in sorted((shared_dir / "corpus").rglob("*")):
        if path.suffix.lower() not in {".txt", ".ris", ".nbib"} or not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            match = pattern.match(line)
            if match:
                found.append(match.group(2).strip())
    return found


def test_every_corpus_doi_normalises(shared_dir: Path) -> None:
    values = [v for v in _tag_values(shared_dir, ("DO", "LID", "AID")) if "10." in v]
    assert len(values) > 50
    for value in values:
        found = normalise.doi(value)
        assert found.startswith("10."), value
        assert found == found.lower() and not found.endswith((".", ",", ";")), value
        assert normalise.doi(found) == found


def test_every_corpus_page_range_ends_after_it_starts(shared_dir: Path) -> None:
    values = _tag_values(shared_dir, ("PG", "SP"))
    assert len(values) > 50
    checked = 0
    for value in values:
        pages = normalise.pages(value)
        if pages.first.isdigit() and pages.last.isdigit():
            assert int(pages.last) >= int(pages.first), value
            checked += 1
    assert checked > 20


def test_every_corpus_author_has_a_surname_from_the_name(shared_dir: Path) -> None:
    values = _tag_values(shared_dir, ("AU", "FAU", "A1"))
    assert len(values) > 100
    for value in values:
        found = normalise.author(value)
        if found is None:
            continue
        assert found.surname, value
        if not found.collective:
            assert found.surname in normalise.words(value).replace(" ", ""), value


# --- properties ------------------------------------------------------------------------------------

# a surname that is also a collective word ("Group", "Organisation") is read as a collective author, by design
surnames = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=12).filter(
    lambda s: s not in normalise.COLLECTIVE_WORDS).map(str.capitalize)
initials = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=3)


@given(surnames, initials)
def test_author_shapes_property(surname: str, letters: str) -> None:
    dotted = ". ".join(letters) + "."
    shapes = [f"{surname}, {dotted}", f"{surname} {letters}", f"{dotted} {surname}", f"{surname}, {letters}"]
    keys = {normalise.author(shape).key() for shape in shapes}  # type: ignore[union-attr]
    assert keys == {f"{surname.lower()} {letters.lower()}"}


@given(st.sampled_from(["", "doi:", "https://doi.org/", "http://dx.doi.org/", "DOI "]),
       st.from_regex(r"10\.[0-9]{4,6}/[a-zA-Z0-9.\-]{1,20}[a-zA-Z0-9]", fullmatch=True),
       st.sampled_from(["", ".", ";", ","]))
def test_doi_property(prefix: str, doi: str, tail: str) -> None:
    assert normalise.doi(prefix + doi + tail) == doi.lower()


@given(st.integers(min_value=1, max_value=99999), st.integers(min_value=0, max_value=500))
def test_abbreviated_page_ranges(first: int, length: int) -> None:
    last = first + length
    full = normalise.pages(f"{first}-{last}")
    text_first, text_last = str(first), str(last)
    if len(text_last) == len(text_first):
        keep = len(text_first) - next((i for i, (a, b) in enumerate(zip(text_first, text_last, strict=True))
                                       if a != b), len(text_first))
        short = text_last[-max(keep, 1):]
        assert normalise.pages(f"{first}-{short}") == full


@given(st.text(max_size=80))
def test_title_never_fails_and_is_plain(text: str) -> None:
    found = normalise.title(text)
    assert found == found.strip() and "  " not in found
    assert all(ch.isalnum() or ch == " " for ch in found)


def test_names_already_split_are_not_split_again() -> None:
    found = normalise.authors(("Society for Research and Education", "Smith, J"))
    assert [a.key() for a in found] == ["society for research and education", "smith j"]
    assert found[0].collective


@pytest.mark.parametrize(("raw", "expected"), [
    ("Caf&amp;eacute; culture", "cafe culture"),  # escaped twice: one pass left "&eacute;"
    ("\uff06amp; health", "& health"),  # a full-width ampersand becomes "&" only after NFKC
    ("\u00c9TUDE \u0130STANBUL", "etude istanbul"),  # accents and a dotted capital I: one pass is enough
    ("Plain ASCII Title", "plain ascii title"),
])
def test_fold_repeats_until_nothing_changes(raw: str, expected: str) -> None:
    assert normalise.fold(raw) == expected


@given(st.text(max_size=60))
def test_fold_is_stable(text: str) -> None:
    once = normalise.fold(text)
    assert normalise.fold(once) == once


def test_a_less_than_sign_is_text_not_the_start_of_a_tag() -> None:
    """Found by reading PubMed XML with Biopython beside ours: '<' before the next tag swallowed the words between."""
    assert normalise.words("Lactate at P < 0.001 (n = 13) and LE<sub>min</sub> in runners") == (
        "lactate at p 0 001 n 13 and le min in runners")
    assert normalise.words("Caf&eacute; <i>culture</i> <br/>") == "cafe culture"
