"""PubMed XML: EFetch ``retmode=xml`` answers and PubMed's "Save as XML" export files.

Both the live harvester and the file importer read it here, streaming with lxml's ``iterparse``: each
``PubmedArticle`` or ``PubmedBookArticle`` becomes a :class:`~harvester.records.Record` as soon as its
end tag is read, and is then cleared from the tree, so memory stays flat however long the file is.

The parser never fetches anything and never expands entities: no DTD is loaded (PubMed XML needs
none to be read), no network access, no entity substitution (an ``&xxe;`` stays literal text), and
libxml2's limits stay on (an entity bomb is refused). Real files carry DOCTYPEs pointing at
dtd.nlm.nih.gov, and some old exports point at http URLs: neither is ever requested.

Where each field comes from (paths relative to ``MedlineCitation/Article`` unless absolute):
the tables below, as data; the quirks (MedlineDate years, DOIs that live only in ``ArticleIdList``,
``CollectiveName`` authors, structured abstracts, book chapters) are handled in the functions after.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import IO, cast

from lxml import etree

from harvester.errors import FormatError
from harvester.formats import _fields as f
from harvester.formats import _xml
from harvester.formats._fields import find_doi
from harvester.formats.base import Detection, FileFormat, Parsed, Rejected
from harvester.records import Record

DATABASE = "PubMed"
RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle")
ROOT_TAGS = frozenset({"PubmedArticleSet", "PubmedBookArticleSet", *RECORD_TAGS})
PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"

#: Journal article: Record field -> paths under MedlineCitation/Article, first non-empty wins.
ARTICLE_FIELDS: dict[str, tuple[str, ...]] = {
    "journal": ("Journal/Title",),
    "journal_abbrev": ("Journal/ISOAbbreviation", "../MedlineJournalInfo/MedlineTA"),
    "volume": ("Journal/JournalIssue/Volume",),
    "issue": ("Journal/JournalIssue/Issue",),
}
#: Journal article: list fields -> paths (all values, in order, without repeats).
ARTICLE_LISTS: dict[str, tuple[str, ...]] = {
    "issn": ("Journal/ISSN", "../MedlineJournalInfo/ISSNLinking"),
    "language": ("Language",),
    "publication_types": ("PublicationTypeList/PublicationType",),
    "keywords": ("../KeywordList/Keyword",),
    "mesh": ("../MeshHeadingList/MeshHeading/DescriptorName",),
}
#: Where a year may be found, most authoritative first (MedlineDate holds "1998 Dec-1999 Jan").
ARTICLE_YEAR_PATHS = ("Journal/JournalIssue/PubDate/Year", "Journal/JournalIssue/PubDate/MedlineDate",
                      "ArticleDate/Year")
BOOK_YEAR_PATHS = ("Book/PubDate/Year", "Book/PubDate/MedlineDate", "ContributionDate/Year")

_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d|21\d\d)\b")


class PubMedXmlError(ValueError):
    """The bytes are not (complete) PubMed XML. ``line`` is where the parser stopped, when known."""

    def __init__(self, problem: str, line: int | None = None, error_text: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line
        self.error_text = error_text  # the text of an E-utilities <ERROR> element, if that is what came


@dataclass(slots=True)
class PubMedXmlReader:
    """Reads one PubMed XML document; after iterating, ``deleted`` holds ``DeleteCitation`` PMIDs."""

    database: str = DATABASE
    #: PMID -> position to give the record (its place in a search's result set); default: place in the document
    positions: Mapping[str, int] | None = None
    deleted: list[str] = field(default_factory=list)
    root_tag: str | None = None

    def records(self, stream: IO[bytes] | bytes, *, encoding: str | None = None) -> Iterator[Record]:
        """Yield each record in document order; raise :class:`PubMedXmlError` on malformed XML."""
        if isinstance(stream, bytes):
            stream = io.BytesIO(stream)
        context = etree.iterparse(stream, events=("end",), tag=(*RECORD_TAGS, "DeleteCitation"),
                                  encoding=encoding, **_OPTIONS)
        position = 0
        try:
            for _event, element in context:
                if element.tag == "DeleteCitation":
                    self.deleted.extend(_texts(element, "PMID"))
                else:
                    position += 1
                    yield _record(element, position, self.database, self.positions)
                _release(element)
        except etree.XMLSyntaxError as error:
            line = error.lineno if error.lineno else None
            raise PubMedXmlError(f"malformed or truncated XML: {error.msg}", line) from error
        root = context.root
        self.root_tag = root.tag if root is not None else None
        if root is None or root.tag not in ROOT_TAGS:
            error_text = _normalise(root.findtext("ERROR") or "") if root is not None else ""
            found = f"<{root.tag}>" if root is not None else "nothing"
            raise PubMedXmlError(
                f"not PubMed XML: the document is {found}" + (f" with ERROR {error_text!r}" if error_text else ""),
                error_text=error_text or None,
            )


def iter_records(stream: IO[bytes] | bytes, database: str = DATABASE) -> Iterator[Record]:
    """Every record of a PubMed XML document (convenience over :class:`PubMedXmlReader`)."""
    return PubMedXmlReader(database).records(stream)


# --------------------------------------------------------------------------------------------------
# one record


def _record(element: etree._Element, position: int, database: str, positions: Mapping[str, int] | None) -> Record:
    fields = _book(element) if element.tag == "PubmedBookArticle" else _article(element)
    pmid = str(fields.get("pmid", ""))
    if positions is not None:
        position = positions.get(pmid, 0)
    return Record(**fields, url=_url(pmid), source_id=pmid, database=database,  # type: ignore[arg-type]
                  raw=etree.tostring(element, encoding="unicode", with_tail=False), position=position,
                  line=element.sourceline or 0, tags=_tags(element))


def _article(element: etree._Element) -> dict[str, object]:
    citation = element.find("MedlineCitation")
    article = citation.find("Article") if citation is not None else None
    if citation is None or article is None:
        return {"pmid": _first_text(element, ("MedlineCitation/PMID",))}
    fields: dict[str, object] = {name: _first_text(article, paths) for name, paths in ARTICLE_FIELDS.items()}
    fields.update({name: _all_texts(article, paths) for name, paths in ARTICLE_LISTS.items()})
    fields.update(
        pmid=_first_text(citation, ("PMID",)),
        title=_text(article.find("ArticleTitle")) or _text(article.find("VernacularTitle")),
        abstract=_abstract(article.find("Abstract")),
        authors=_authors(article.find("AuthorList")),
        year=_year(article, ARTICLE_YEAR_PATHS),
        pages=_pages(article.find("Pagination")),
        doi=_doi(element.findall("PubmedData/ArticleIdList/ArticleId"), article.findall("ELocationID")),
    )
    return fields


def _book(element: etree._Element) -> dict[str, object]:
    document = element.find("BookDocument")
    if document is None:
        return {}
    book = document.find("Book")
    chapter = _text(document.find("ArticleTitle"))
    book_title = _text(book.find("BookTitle")) if book is not None else ""
    authors = _authors(document.find("AuthorList"))
    if not authors and book is not None:
        authors = _authors(book.find("AuthorList"))
    id_lists = document.findall("ArticleIdList/ArticleId") + element.findall("PubmedBookData/ArticleIdList/ArticleId")
    locations = document.findall("ELocationID") + (book.findall("ELocationID") if book is not None else [])
    return {
        "pmid": _first_text(document, ("PMID",)),
        "title": chapter or book_title,
        "abstract": _abstract(document.find("Abstract")),
        "authors": authors,
        "year": _year(document, BOOK_YEAR_PATHS),
        "journal": book_title if chapter else "",
        "pages": _pages(document.find("Pagination")),
        "doi": _doi(id_lists, locations),
        "language": _all_texts(document, ("Language",)),
        "publication_types": _all_texts(document, ("PublicationType",)),
        "keywords": _all_texts(document, ("KeywordList/Keyword",)),
        "publisher": _first_text(document, ("Book/Publisher/PublisherName",)),
    }


def _abstract(abstract: etree._Element | None) -> str:
    """Structured sections joined one per line, each with its label: ``"METHODS: ..."``."""
    if abstract is None:
        return ""
    parts = []
    for section in abstract.findall("AbstractText"):
        text = _text(section)
        label = (section.get("Label") or "").strip()
        if label and label.upper() != "UNLABELLED":
            text = f"{label}: {text}" if text else ""
        if text:
            parts.append(text)
    return "\n".join(parts)


def _authors(author_list: etree._Element | None) -> tuple[str, ...]:
    """``"Surname, Given"`` (initials when no given name) or the collective name; invalid entries skipped."""
    if author_list is None:
        return ()
    names = []
    for author in author_list.findall("Author"):
        if author.get("ValidYN") == "N":
            continue
        collective = _text(author.find("CollectiveName"))
        last = _text(author.find("LastName"))
        given = _text(author.find("ForeName")) or _text(author.find("Initials"))
        suffix = _text(author.find("Suffix"))
        if last:
            name = f"{last}, {given}" if given else last
            names.append(f"{name} {suffix}" if suffix else name)
        elif collective:
            names.append(collective)
    return tuple(names)


def _year(base: etree._Element, paths: tuple[str, ...]) -> int | None:
    for path in paths:
        match = _YEAR.search(_text(base.find(path)))
        if match:
            return int(match.group(1))
    return None


def _pages(pagination: etree._Element | None) -> str:
    if pagination is None:
        return ""
    medline = _text(pagination.find("MedlinePgn"))
    if medline:
        return f.pages(medline)  # "113-25" -> "113-125", as the MEDLINE reader and every other format give it
    start, end = _text(pagination.find("StartPage")), _text(pagination.find("EndPage"))
    return f.pages(start, end)


def _doi(article_ids: list[etree._Element], locations: list[etree._Element]) -> str:
    """The DOI from ``PubmedData/ArticleIdList`` (older records have it only there), else ``ELocationID``.

    The caller scopes the lists: ``ArticleId`` also occurs in ``ReferenceList``, for cited works.
    """
    for element in article_ids:
        if element.get("IdType") == "doi" and _text(element):
            return _clean_doi(_text(element))
    for element in locations:
        if element.get("EIdType") == "doi" and element.get("ValidYN") != "N" and _text(element):
            return _clean_doi(_text(element))
    return ""


def _clean_doi(value: str) -> str:
    """The shared DOI cleaner; a value with no DOI shape (PubMed has a few) is kept as written, trimmed."""
    return find_doi(value) or value.strip()


def _url(pmid: str) -> str:
    return PUBMED_URL.format(pmid=pmid) if pmid else ""


def _tags(element: etree._Element) -> tuple[tuple[str, str], ...]:
    """Every field as read, in order: ``("MedlineCitation/Article/ArticleTitle", "...")``.

    An element holding text of its own is one field (inline markup such as ``<i>`` or MathML inside it
    stays part of its text); an element holding only elements is walked into. Attributes that tell
    like elements apart are kept in the name: ``ArticleId[IdType=doi]``.
    """
    found: list[tuple[str, str]] = []
    _walk(element, "", found)
    return tuple(found)


def _walk(node: etree._Element, prefix: str, found: list[tuple[str, str]]) -> None:
    for child in node:
        tag = child.tag
        if type(tag) is not str:
            continue  # comments, processing instructions, entity references
        if tag[0] == "{":
            tag = tag.split("}", 1)[1]
        attrib = child.attrib
        if attrib:
            tag += "[" + " ".join([f"{k.rsplit('}', 1)[-1]}={v}" for k, v in attrib.items()]) + "]"
        if len(child) and not _has_own_text(child):
            _walk(child, prefix + tag + "/", found)
        else:
            text = _text(child)
            if text:
                found.append((prefix + tag, text))


# --------------------------------------------------------------------------------------------------
# helpers


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _text(element: etree._Element | None) -> str:
    """All the text inside ``element`` (inline markup included), whitespace collapsed."""
    if element is None:
        return ""
    if len(element) == 0:
        text = element.text
        return " ".join(text.split()) if text else ""
    return " ".join("".join(element.itertext()).split())


def _has_own_text(element: etree._Element) -> bool:
    text = element.text
    if text and not text.isspace():
        return True
    for child in element:
        tail = child.tail
        if tail and not tail.isspace():
            return True
    return False


def _first_text(base: etree._Element, paths: tuple[str, ...]) -> str:
    for path in paths:
        text = _text(base.find(path))
        if text:
            return text
    return ""


def _all_texts(base: etree._Element, paths: tuple[str, ...]) -> tuple[str, ...]:
    values: list[str] = []
    for path in paths:
        for element in base.findall(path):
            text = _text(element)
            if text and text not in values:
                values.append(text)
    return tuple(values)


def _texts(base: etree._Element, path: str) -> list[str]:
    return [t for t in (_text(e) for e in base.findall(path)) if t]


def _release(element: etree._Element) -> None:
    """Free a handled record and the already-handled siblings before it (keeps memory flat)."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


# --------------------------------------------------------------------------------------------------
# the file format


def sniff(text: str) -> Detection | None:
    head = text[:5000]
    for tag in ("PubmedArticleSet", "PubmedBookArticleSet", "PubmedArticle", "PubmedBookArticle"):
        if re.search(rf"<{tag}[\s>]", head):
            return Detection("pubmed-xml", 0.95, DATABASE, f"XML with <{tag}> (PubMed EFetch or 'Save as XML')",
                             opens=head.lstrip().startswith("<"))
    return None


def read(text: str, path: str, database: str | None = None) -> Parsed:
    """Read a whole PubMed XML file (already decoded); a malformed document is refused with its line."""
    warnings: list[str] = []
    records = tuple(stream([text], path, database, warnings))
    return Parsed(path=path, format="pubmed-xml", database=database or DATABASE, records=records,  # type: ignore[arg-type]
                  warnings=tuple(warnings))


def stream(pieces: Iterable[str], path: str, database: str | None,
           warnings: list[str] | None = None) -> Iterator[Record | Rejected]:
    """The records of a PubMed XML text arriving in pieces (the whole text is one piece), one at a time; a
    malformed document raises :class:`FormatError` with its line (an import then stores nothing), and the
    ``DeleteCitation`` PMIDs are a warning at the end."""
    reader = PubMedXmlReader(database or DATABASE)
    head, rest = _xml.head_of(pieces, 4096)
    head = re.sub(r"^\s*<\?xml[^>]*\?>", '<?xml version="1.0" encoding="UTF-8"?>', head, count=1)
    try:
        yield from reader.records(cast(IO[bytes], _xml.PieceReader(chain([head], rest))), encoding="utf-8")
    except PubMedXmlError as error:
        raise FormatError(path, error.problem + "; export the file again", line=error.line) from error
    if reader.deleted and warnings is not None:
        shown = ", ".join(reader.deleted[:10]) + (" ..." if len(reader.deleted) > 10 else "")
        warnings.append(f"{path}: DeleteCitation lists {len(reader.deleted)} PMID(s) deleted from PubMed: {shown}")


FORMAT = FileFormat(
    name="pubmed-xml",
    description="PubMed XML (EFetch retmode=xml, PubMed 'Save as XML'), journal articles and books",
    sniff=sniff,
    read=read,
    aliases=("pubmed_xml", "medline-xml"),
    extensions=(".xml",),
    stream=stream,
)
