"""Biopython as an independent reader: the same PubMed XML and MEDLINE files read by ``Bio.Entrez`` /
``Bio.Medline`` and by our readers agree field by field.

Biopython is written by other people from the same NLM documentation, so where the two readers agree the
fields are read right, and where ours cleans a value (markup in titles, ``616-7`` pages, full author names)
the comparison goes through the project's one normaliser, which must then say they are the same. No test
here reaches the network: Biopython's DTDs for these files ship with it, and a socket that tries to connect
fails the test.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any

import pytest

from harvester import normalise
from harvester.formats import read_file
from harvester.records import Record

Entrez = pytest.importorskip("Bio.Entrez", reason="biopython is a dev dependency (pip install -e '.[dev]')")
Medline = pytest.importorskip("Bio.Medline", reason="biopython is a dev dependency (pip install -e '.[dev]')")

#: PubMed XML files of the corpus that Biopython reads (EFetch output with an XML declaration and a DTD it
#: ships); JabRef's fixtures have no declaration, which Bio.Entrez refuses, so they are not compared here.
XML_FILES = ["biopython__pubmed1.xml", "biopython__pubmed2.xml", "biopython__pubmed4.xml",
             "biopython__pubmed5.xml", "biopython__pubmed6.xml", "biopython__pubmed7.xml"]
MEDLINE_FILES = ["biopython__pubmed_result1.txt", "biopython__pubmed_result2.txt", "biopython__pubmed_result3.txt",
                 "jabref__NbibImporterTest.nbib", "synthesisr__PubMed_example.txt"]


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("Biopython tried to reach the network (a DTD missing from its bundle?)")

    monkeypatch.setattr(socket.socket, "connect", refuse)


#: PubMed's inline markup in titles and abstracts (Bio.Entrez keeps it as text; NLM's guidelines: formatting
#: inside a word, so removed without a space), and the DOI in a MEDLINE ``LID``/``AID`` line.
_INLINE = re.compile(r"</?(?:i|b|u|sub|sup)>")
_DOI = re.compile(r"(\S+) \[doi\]")


def _text(value: object) -> str:
    return _INLINE.sub("", str(value))


def _surnames(names: list[str] | tuple[str, ...]) -> list[str]:
    return [normalise.words(name.split(",")[0]) for name in names]


def _pages(value: str | None) -> str:
    return normalise.pages(value or "")


def _year(text: str) -> int | None:
    digits = text.strip()[:4]
    return int(digits) if digits.isdigit() else None


@pytest.mark.parametrize("name", XML_FILES)
def test_pubmed_xml_read_by_bio_entrez_and_by_ours_agree(name: str, shared_dir: Path) -> None:
    path = shared_dir / "corpus" / "pubmed" / "xml" / name
    with path.open("rb") as handle:
        theirs = Entrez.read(handle, validate=False)["PubmedArticle"]
    ours = read_file(path).records
    assert len(ours) == len(theirs) > 0
    for article, record in zip(theirs, ours, strict=True):
        _agree_xml(article, record)


def _agree_xml(article: Any, record: Record) -> None:
    citation = article["MedlineCitation"]
    item = citation["Article"]
    journal = item["Journal"]
    issue = journal["JournalIssue"]
    where = f"PMID {citation['PMID']}"
    assert record.pmid == str(citation["PMID"]), where
    assert normalise.title(record.title) == normalise.title(_text(item["ArticleTitle"])), where
    authors = [str(a.get("LastName") or a.get("CollectiveName", "")) for a in item.get("AuthorList", [])]
    assert _surnames(record.authors) == _surnames(authors), where
    assert record.journal == str(journal["Title"]), where
    assert record.volume == str(issue.get("Volume", "")), where
    assert record.issue == str(issue.get("Issue", "")), where
    pagination = item.get("Pagination", {})
    assert _pages(record.pages) == _pages(str(pagination.get("MedlinePgn", ""))), where
    date = issue["PubDate"]
    assert record.year == _year(str(date.get("Year") or date.get("MedlineDate", ""))), where
    dois = [str(i) for i in article["PubmedData"]["ArticleIdList"] if i.attributes.get("IdType") == "doi"]
    assert normalise.doi(record.doi) == (normalise.doi(dois[0]) if dois else ""), where
    parts = item.get("Abstract", {}).get("AbstractText", [])  # a structured abstract: "LABEL: text" per part
    abstract = " ".join(f"{p.attributes['Label']}: {_text(p)}" if p.attributes.get("Label") else _text(p)
                        for p in parts)
    assert normalise.words(record.abstract) == normalise.words(abstract), where
    headings = [str(h["DescriptorName"]) for h in citation.get("MeshHeadingList", [])]
    assert [m.split("/")[0].lstrip("*") for m in record.mesh] == headings, where
    assert list(record.language) == [str(language) for language in item.get("Language", [])], where


@pytest.mark.parametrize("name", MEDLINE_FILES)
def test_medline_read_by_bio_medline_and_by_ours_agree(name: str, shared_dir: Path) -> None:
    path = shared_dir / "corpus" / "pubmed" / "medline_nbib" / name
    with path.open(encoding="utf-8") as handle:
        theirs = list(Medline.parse(handle))
    ours = read_file(path).records
    assert len(ours) == len(theirs) > 0
    for fields, record in zip(theirs, ours, strict=True):
        where = f"{name}: PMID {fields.get('PMID')}"
        assert record.pmid == fields["PMID"], where
        assert normalise.title(record.title) == normalise.title(fields.get("TI", "")), where
        people = fields.get("FAU") or fields.get("AU", [])
        assert _surnames(record.authors) == _surnames([*people, *fields.get("CN", [])]), where  # CN: a group
        assert record.journal == fields.get("JT", ""), where
        assert record.volume == fields.get("VI", ""), where
        assert record.issue == fields.get("IP", ""), where
        assert _pages(record.pages) == _pages(fields.get("PG")), where
        assert record.year == _year(fields.get("DP", "")), where
        dois = _DOI.findall(" ".join([fields.get("LID", ""), *fields.get("AID", [])]))  # Bio joins repeated LIDs
        assert normalise.doi(record.doi) == (normalise.doi(dois[0]) if dois else ""), where
        assert normalise.words(record.abstract) == normalise.words(fields.get("AB", "")), where
        assert list(record.mesh) == fields.get("MH", []), where
        assert list(record.language) == fields.get("LA", []), where
        assert list(record.publication_types) == fields.get("PT", []), where
