"""The one set of field cleaners (``formats/_fields.py``) every importer uses, and its agreement with
de-duplication's DOI key (``harvester.normalise.doi``)."""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from harvester import normalise
from harvester.formats import _fields as f
from harvester.formats import read_bytes, read_file

SICI = "10.1002/(SICI)1097-4571(199009)41:6<433::AID-ASI11>3.0.CO;2-Q"


def test_find_doi_forms() -> None:
    assert f.find_doi(SICI + ";") == SICI  # "<...>" inside a SICI DOI is part of it
    assert f.find_doi(f"<a href='x'>{SICI}</a>") == SICI
    assert f.find_doi("10.1093/cid/ciy939</style></electronic-resource-num>") == "10.1093/cid/ciy939"
    assert f.find_doi("10.1002/(SICI)1097-4571(199009)41:6&lt;433::AID-ASI11&gt;3.0.CO;2-Q") == SICI
    assert f.find_doi("https://doi.org/10.1016/S0140-6736%2820%2930183-5") == "10.1016/S0140-6736(20)30183-5"
    assert f.find_doi("https://www.scopus.com/inward/record.uri?eid=2-s2.0-1&doi=10.1016%2fj.x.2019.1&partnerID=40") \
        == "10.1016/j.x.2019.1"
    assert f.find_doi("10.1061/(ASCE)1084-0699(2008)13:10(960)") == "10.1061/(ASCE)1084-0699(2008)13:10(960)"
    assert f.find_doi("(doi: 10.1000/abc).") == "10.1000/abc"
    assert f.find_doi("10.1016/S0306-4530 [doi]") == "10.1016/S0306-4530"
    assert f.find_doi("no doi here") == "" and f.find_doi("") == "" and f.find_doi("10.1000/.") == ""


def test_other_cleaners() -> None:
    assert f.pages("79 \u2013 88") == "79-88" and f.pages("99--123") == "99-123" and f.pages("349-69") == "349-369"
    assert f.year_of("1234") == 1234 and f.year_of("vol 1234 2019") == 2019 and f.year_of("") is None
    assert f.author("Liu, Fengyuan (60410297700)", "surname-first") == "Liu, Fengyuan"
    assert f.author("Massimo van Aria", "given-first") == "van Aria, Massimo"
    assert f.author("Lim SM", "surname-initials") == f.author("Lim SM") == "Lim, SM"
    assert f.clean("[No author name available]") == "" and f.clean("N/A") == ""
    assert f.pmid_of("https://pubmed.ncbi.nlm.nih.gov/31234567/") == "31234567"
    assert f.strip_markup("H<sub>2</sub>O <jats:p>text</jats:p> p <0.05") == "H2O text p <0.05"


def test_ris_and_csv_give_one_doi_and_pages_for_the_same_article() -> None:
    """The disagreement this module ended: a SICI DOI was cut at '<' from RIS and kept from CSV."""
    ris = (f"TY  - JOUR\nTI  - A title\nDO  - https://doi.org/{SICI}\nSP  - 433\nEP  - 40\n"
           "PY  - 1990\nER  - \n").encode()
    table = f'title,authors,year,doi,pages\n"A title","Smith, J",1990,"doi:{SICI}",433\u201340\n'.encode()
    from_ris = read_bytes(ris, "a.ris").records[0]
    from_csv = read_bytes(table, "a.csv").records[0]
    assert from_ris.doi == from_csv.doi == SICI
    assert from_ris.pages == from_csv.pages == "433-440"


# "<" in a DOI only as SICI writes it ("...41:6<433::AID-ASI11>3.0.CO;2-Q"); "<" then a letter starts a tag
_DOI_BODY = st.from_regex(r"\A10\.\d{4,6}/[A-Za-z0-9][A-Za-z0-9.()\[\]:;_\-]{0,20}"
                          r"(<\d{1,4}::[A-Z0-9-]{1,8}>[A-Za-z0-9.;\-]{1,8})?\Z")
_WRAP = st.sampled_from(["{}", "doi:{}", "https://doi.org/{}", "http://dx.doi.org/{}", "{} [doi]", "DOI {}.",
                         " {} ", "{},"])


@given(_DOI_BODY, _WRAP)
def test_importer_doi_agrees_with_the_dedup_key(body: str, wrap: str) -> None:
    """Whatever the wrapping, de-duplication's key of the stored DOI is its key of the value as written,
    and cleaning the stored DOI again changes nothing."""
    value = wrap.format(body)
    found = f.find_doi(value)
    assert normalise.doi(found) == normalise.doi(value)
    assert f.find_doi(found) == found


def test_corpus_dois_agree_with_the_dedup_key(shared_dir: Path) -> None:
    """On every DOI-bearing tag of the corpus, the dedup key of what the importer keeps is the dedup key of the
    value as written; the only exceptions are DOIs in a link's query string, where ``normalise.doi`` keeps the
    following parameters (``&partnerID=40...``) and the importer cuts them."""
    corpus = shared_dir / "corpus"
    checked = cut = 0
    with (corpus / "MANIFEST.csv").open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["scope"] == "import"]
    for row in rows:
        for record in read_file(corpus / row["path"]).records:
            for tag, value in record.tags:
                if "10." not in value or len(value) > 400 or not normalise.doi(value):
                    continue
                checked += 1
                ours, theirs = normalise.doi(f.find_doi(value)), normalise.doi(value)
                if ours != theirs:
                    assert theirs.startswith(ours + "&"), (row["path"], tag, value)
                    cut += 1
    assert checked > 5000 and cut < checked // 10
