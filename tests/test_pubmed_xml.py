"""PubMed XML parsing: every PubMed XML file of the shared corpus, the quirks one by one, and safety."""

from __future__ import annotations

import csv
import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from harvester.errors import FormatError
from harvester.formats import detect, get_format, read_bytes, read_file
from harvester.formats.pubmed_xml import PubMedXmlError, PubMedXmlReader, iter_records

XML_DOI = "PubmedData/ArticleIdList/ArticleId[@IdType='doi']"


def _manifest_rows(shared: Path) -> list[dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    with (shared / "corpus" / "MANIFEST.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["source"] == "pubmed" and row["format"] == "xml":
                rows[row["path"]] = row  # the manifest repeats some rows
    return list(rows.values())


def _raw_has_doi(raw: str) -> bool:
    element = etree.fromstring(raw.encode("utf-8"))
    scoped = element.xpath("PubmedData/ArticleIdList/ArticleId[@IdType='doi'] | "
                           "PubmedBookData/ArticleIdList/ArticleId[@IdType='doi'] | "
                           "BookDocument/ArticleIdList/ArticleId[@IdType='doi'] | "
                           ".//ELocationID[@EIdType='doi'][not(ancestor::ReferenceList)]")
    return any((e.text or "").strip() for e in scoped)


def _raw_has_title(raw: str) -> bool:
    element = etree.fromstring(raw.encode("utf-8"))
    return bool(element.xpath(".//ArticleTitle[normalize-space()] | .//BookTitle[normalize-space()]"))


def test_every_pubmed_xml_file_in_the_corpus(shared_dir: Path) -> None:
    rows = _manifest_rows(shared_dir)
    assert len(rows) >= 11
    for row in rows:
        path = shared_dir / "corpus" / row["path"]
        parsed = read_file(path)  # detected, not named
        assert parsed.format == "pubmed-xml", row["path"]
        assert len(parsed.records) == int(row["records"]), row["path"]
        assert not parsed.rejected
        for record in parsed.records:
            assert record.raw.startswith("<Pubmed"), row["path"]
            assert record.pmid.isdigit(), row["path"]
            if _raw_has_title(record.raw):
                assert record.title, f"{row['path']}: PMID {record.pmid} has a title in its XML"
            if _raw_has_doi(record.raw):
                assert record.doi.startswith("10."), f"{row['path']}: PMID {record.pmid} has a DOI in its XML"
            assert record.tags and record.line > 0


def test_the_efetch_samples_too(shared_dir: Path) -> None:
    folder = shared_dir / "corpus" / "pubmed" / "eutils-responses"
    for name in ("pubmed1.xml", "pubmed2.xml", "pubmed4.xml", "pubmed5.xml", "pubmed6.xml", "pubmed7.xml"):
        records = list(iter_records((folder / name).read_bytes()))
        assert records and all(r.title and r.pmid for r in records), name


def _one(shared: Path, name: str) -> list:
    return list(read_file(shared / "corpus" / "pubmed" / "xml" / name).records)


def test_structured_abstract_keeps_labels(shared_dir: Path) -> None:
    (record,) = _one(shared_dir, "biopython__pubmed4.xml")
    lines = record.abstract.split("\n")
    assert [line.split(":")[0] for line in lines] == ["OBJECTIVE", "DESIGN", "RESULTS", "CONCLUSIONS"]
    assert "TERT" in record.title  # inline <i> kept as text
    assert record.doi == "10.1136/gutjnl-2016-312510"
    assert record.issn == ("1468-3288", "0017-5749")
    assert record.journal == "Gut" and record.journal_abbrev == "Gut"
    assert (record.year, record.volume, record.issue, record.pages) == (2017, "66", "6", "1116-1122")
    assert record.mesh and "Humans" in record.mesh
    assert record.url == "https://pubmed.ncbi.nlm.nih.gov/27797938/"


def test_collective_name_and_mathml(shared_dir: Path) -> None:
    (record,) = _one(shared_dir, "biopython__pubmed7.xml")
    assert "Canadian Respiratory Research Network" in record.authors
    assert record.authors[0] == "Guo, Fumin"
    assert "MRI" in record.abstract and "<" not in record.abstract
    references = [r for r in record.tags if "ReferenceList" in r[0]]
    assert references  # cited works are kept in tags, but never taken for the record's own DOI
    assert record.doi == "10.1117/1.JMI.5.2.026002"


def test_doi_only_in_article_id_list_and_old_records(shared_dir: Path) -> None:
    first, second = _one(shared_dir, "biopython__pubmed1.xml")
    assert first.doi == "" and first.year == 1990
    assert second.doi == "10.1016/0005-2795(76)90109-4"


def test_medline_date_season_and_start_end_pages(shared_dir: Path) -> None:
    (record,) = _one(shared_dir, "jabref__MedlineImporterTestKeywordSingleEntry.xml")
    assert record.year == 1999  # <MedlineDate>1999 Spring</MedlineDate>
    assert record.pages == "25-138"
    assert record.keywords[:2] == ("apnea syndrome", "cardiovascular disease")
    assert record.journal_abbrev == "Biochem Med"


def test_book_articles(shared_dir: Path) -> None:
    (book,) = _one(shared_dir, "jabref__MedlineImporterTestPubmedBook.xml")
    assert book.title.startswith("Rheumatoid Arthritis: National Clinical Guideline")
    assert book.journal == "" and book.publisher == "Royal College of Physicians (UK)"
    assert book.authors == ("National Collaborating Centre for Chronic Conditions (UK)", "Williams, Darlisha A")
    assert book.year == 2009 and book.publication_types == ("Review", "Practice Guideline")
    chapter, bare = _one(shared_dir, "jabref__MedlineImporterTestBookArticleSet.xml")
    assert chapter.title == "Title for some article"
    assert chapter.journal.startswith("Rheumatoid Arthritis")  # the book holding the chapter
    assert chapter.doi == "10.3275/8949"
    assert bare.pmid == "21413195" and bare.pages == "1831" and bare.title == ""
    article, book2 = _one(shared_dir, "jabref__MedlineImporterTestNbib.xml")
    assert article.abstract == "BACKGROUND: Just a dummy text.\nAnd another dummy"
    assert book2.abstract == "just a dummy."  # Label="UNLABELLED" is not a label


# ---------------------------------------------------------------------------------------------- safety


def _article(title: str = "A title", extra: str = "") -> str:
    return (f"<PubmedArticle><MedlineCitation><PMID>1</PMID><Article><ArticleTitle>{title}</ArticleTitle>"
            f"</Article></MedlineCitation>{extra}</PubmedArticle>")


def test_external_entities_are_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    doc = (f'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY x SYSTEM "file://{secret}">]>'
           f"<PubmedArticleSet>{_article('before &x; after')}</PubmedArticleSet>").encode()
    (record,) = iter_records(doc)
    assert "TOP SECRET" not in record.title and "TOP SECRET" not in record.raw


def test_an_entity_bomb_is_refused_fast() -> None:
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    doc = (f'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [{entities}]>'
           f"<PubmedArticleSet>{_article('&a9;')}</PubmedArticleSet>").encode()
    try:
        records = list(iter_records(doc))
    except PubMedXmlError:
        return
    assert all(len(r.title) < 1000 for r in records)  # left unexpanded


class _Counting(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:  # noqa: N802
        type(self).hits += 1
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'<!ENTITY x "fetched">')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def dtd_server() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/pubmed.dtd"
    server.shutdown()
    server.server_close()


def test_no_dtd_is_fetched(dtd_server: str) -> None:
    _Counting.hits = 0
    doc = (f'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet SYSTEM "{dtd_server}">'
           f"<PubmedArticleSet>{_article()}</PubmedArticleSet>").encode()
    assert [r.title for r in iter_records(doc)] == ["A title"]
    parsed = read_bytes(doc, "x.xml")
    assert parsed.records[0].title == "A title"
    assert _Counting.hits == 0


def test_truncated_xml_is_an_error_with_its_line() -> None:
    doc = f"<PubmedArticleSet>\n{_article()}\n{_article()}".encode()[:-30]
    with pytest.raises(PubMedXmlError) as caught:
        list(iter_records(doc))
    assert "truncated" in caught.value.problem and caught.value.line
    with pytest.raises(FormatError, match=r"x\.xml:\d+: malformed or truncated XML"):
        read_bytes(doc, "x.xml", format="pubmed-xml")


def test_an_eutils_error_document_is_not_pubmed_xml() -> None:
    doc = b"<eFetchResult><ERROR>Cannot retrieve history data</ERROR></eFetchResult>"
    with pytest.raises(PubMedXmlError) as caught:
        list(iter_records(doc))
    assert caught.value.error_text == "Cannot retrieve history data"


def test_delete_citation_is_reported() -> None:
    doc = (f"<PubmedArticleSet>{_article()}<DeleteCitation><PMID>123</PMID><PMID>456</PMID></DeleteCitation>"
           "</PubmedArticleSet>").encode()
    reader = PubMedXmlReader()
    assert len(list(reader.records(doc))) == 1
    assert reader.deleted == ["123", "456"]
    assert "2 PMID(s) deleted" in read_bytes(doc, "d.xml").warnings[-1]


def test_declared_encoding_and_detection() -> None:
    doc = ('<?xml version="1.0" encoding="ISO-8859-1"?><PubmedArticleSet>'
           + _article("caf\u00e9") + "</PubmedArticleSet>").encode("latin-1")
    parsed = read_bytes(doc, "latin.xml")
    assert parsed.records[0].title == "caf\u00e9"
    assert detect("<PubmedArticleSet><PubmedArticle>", "x").format == "pubmed-xml"
    assert get_format("pubmed_xml").name == "pubmed-xml"


_STREAM_SCRIPT = """
import resource, sys
from harvester.formats.pubmed_xml import PubMedXmlReader
count = int(sys.argv[1])
one = ("<PubmedArticle><MedlineCitation><PMID>1</PMID><Article><ArticleTitle>" + "x" * 4000
       + "</ArticleTitle></Article></MedlineCitation></PubmedArticle>").encode()
chunks = iter([b"<PubmedArticleSet>"] + [one] * count + [b"</PubmedArticleSet>"])
class Stream:
    def read(self, size=-1):
        return next(chunks, b"")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
seen = sum(1 for _ in PubMedXmlReader().records(Stream()))
assert seen == count, seen
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_streaming_keeps_memory_flat(repo: Path) -> None:
    """10,000 records of 4 kB (40 MB of XML, a tree several times that) parse in a few MB."""
    result = subprocess.run([sys.executable, "-c", _STREAM_SCRIPT, "10000"], cwd=repo, capture_output=True,
                            text=True, timeout=300, check=True)
    growth_kb = int(result.stdout.strip())
    assert growth_kb < 20_000, f"peak memory grew by {growth_kb} kB while parsing 40 MB"


# ------------------------------------------------------------------------------------------ properties

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60).filter(
    lambda s: s.strip())


@settings(max_examples=60, deadline=None)
@given(title=_TEXT, labels=st.lists(st.tuples(st.sampled_from(["", "METHODS", "RESULTS"]), _TEXT), min_size=1,
                                    max_size=4),
       authors=st.lists(st.tuples(_TEXT, _TEXT), max_size=4), year=st.integers(1800, 2099))
def test_fields_round_trip(title: str, labels: list[tuple[str, str]], authors: list[tuple[str, str]],
                           year: int) -> None:
    def x(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    abstract = "".join(f'<AbstractText Label="{label}">{x(text)}</AbstractText>' if label
                       else f"<AbstractText>{x(text)}</AbstractText>" for label, text in labels)
    people = "".join(f"<Author><LastName>{x(last)}</LastName><ForeName>{x(first)}</ForeName></Author>"
                     for last, first in authors)
    doc = (f"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>7</PMID><Article><Journal><JournalIssue>"
           f"<PubDate><Year>{year}</Year></PubDate></JournalIssue></Journal><ArticleTitle>{x(title)}</ArticleTitle>"
           f"<Abstract>{abstract}</Abstract><AuthorList>{people}</AuthorList></Article></MedlineCitation>"
           f"</PubmedArticle></PubmedArticleSet>")
    (record,) = iter_records(doc.encode("utf-8"))

    def norm(text: str) -> str:
        return " ".join(text.split())

    assert record.title == norm(title)
    expected = [f"{label}: {norm(text)}" if label else norm(text) for label, text in labels]
    assert record.abstract == "\n".join(expected)
    assert record.authors == tuple(f"{norm(last)}, {norm(first)}" for last, first in authors)
    assert record.year == year
