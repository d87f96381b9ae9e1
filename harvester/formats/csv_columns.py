"""Column tables for the CSV (and tab-delimited) exports of each database and tool: data, not code.

Each :class:`ColumnTable` says how one vendor's export is recognised (``signature``: headers that must
all be present, compared case-insensitively) and where each normalised field lives. ``fields`` maps a
normalised field (see :data:`harvester.records.BIBLIOGRAPHIC_FIELDS`, plus ``source_id`` and the
pseudo-fields below) to the candidate columns: for a text field the first non-empty column wins; for
``authors`` too (the columns are alternatives, e.g. Scopus full names, else short names); for the
other list fields the values of every column are joined (e.g. author keywords + index keywords).

Pseudo-fields, parsed by the reader in ``csv.py``:

- ``page_start`` / ``page_end``: combined into ``pages`` as ``"start-end"``.
- ``citation``: a composite source string (PubMed ``Citation``, Embase ``Source``, Zotero ``Extra``,
  Embase ``Open URL Link``); ``citation_style`` names its parser.

``separators`` says how a column joins several values (``"; "``, ``", "``, ``"|"``; ``"concatenated"``
for Springer's author names written one after another; ``"escaped"`` for our own export, where ``;``
inside a value is written ``\\;``). ``author_forms`` says how a column writes a name: ``surname-first``
(``"Rotter, Carina"``, a trailing ``(id)`` dropped), ``surname-initials`` (``"Lim SM"``, ``"Liu F."``)
or ``given-first`` (``"P. Kogge"``, ``"Massimo Aria"``).

Facts from the real exports in ``../shared/corpus`` (see ``../shared/notes/formats.md``); the Rayyan,
ASReview and Dimensions tables follow those tools' documented export columns and have no real file in
the corpus yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ColumnTable:
    """One vendor's CSV layout."""

    name: str  # short key, e.g. "scopus"
    database: str  # what the records' ``database`` says, e.g. "Scopus"
    signature: tuple[str, ...]  # headers that must all be present
    fields: Mapping[str, tuple[str, ...]]
    separators: Mapping[str, str] = field(default_factory=dict)
    author_forms: Mapping[str, str] = field(default_factory=dict)
    citation_style: str = ""  # "pubmed" | "embase" | "zotero-extra" | ""
    delimiter: str = ","
    confidence: float = 0.9


PUBMED = ColumnTable(
    name="pubmed",
    database="PubMed",
    signature=("PMID", "Title", "Authors", "Citation", "Journal/Book", "Publication Year"),
    fields={
        "source_id": ("PMID",),
        "pmid": ("PMID",),
        "title": ("Title",),
        "authors": ("Authors",),
        "journal_abbrev": ("Journal/Book",),
        "year": ("Publication Year",),
        "doi": ("DOI",),
        "citation": ("Citation",),
    },
    separators={"Authors": ", "},
    author_forms={"Authors": "surname-initials"},
    citation_style="pubmed",
)

SCOPUS = ColumnTable(
    name="scopus",
    database="Scopus",
    signature=("Authors", "Title", "Year", "Source title", "EID"),
    fields={
        "source_id": ("EID",),
        "title": ("Title",),
        "abstract": ("Abstract",),
        "authors": ("Author full names", "Authors"),
        "year": ("Year",),
        "journal": ("Source title",),
        "journal_abbrev": ("Abbreviated Source Title",),
        "issn": ("ISSN",),
        "volume": ("Volume",),
        "issue": ("Issue",),
        "page_start": ("Page start",),
        "page_end": ("Page end",),
        "pages": ("Art. No.",),
        "doi": ("DOI",),
        "pmid": ("PubMed ID",),
        "language": ("Language of Original Document",),
        "publication_types": ("Document Type",),
        "keywords": ("Author Keywords", "Index Keywords"),
        "url": ("Link",),
        "publisher": ("Publisher",),
    },
    separators={"Author full names": "; ", "Authors": "; ", "Author Keywords": "; ", "Index Keywords": "; ",
                "ISSN": "; ", "Language of Original Document": "; "},
    author_forms={"Author full names": "surname-first", "Authors": "surname-initials"},
)

EMBASE = ColumnTable(
    name="embase",
    database="Embase",
    signature=("Title", "Author Names", "Source"),
    fields={
        # The corpus files (asreview) have no id, DOI or year column: those come from "Source" and the
        # "Open URL Link". The other names are those of newer Embase.com CSV layouts, read when present.
        "source_id": ("Embase Accession ID", "EMBASE Accession Number", "PUI"),
        "title": ("Title", "Original Title"),
        "abstract": ("Abstract", "Original Abstract"),
        "authors": ("Author Names",),
        "year": ("Publication Year",),
        "journal": ("Source title", "Source Title"),
        "issn": ("ISSN",),
        "volume": ("Volume",),
        "issue": ("Issue",),
        "page_start": ("First Page",),
        "page_end": ("Last Page",),
        "doi": ("DOI",),
        "pmid": ("Medline PMID",),
        "language": ("Article Language", "Language of Article"),
        "publication_types": ("Publication Type",),
        "keywords": ("keywords", "Author Keywords", "Emtree Drug Index Terms", "Emtree Medical Index Terms"),
        "citation": ("Source", "Open URL Link"),
        "url": ("Open URL Link", "Full Text Link", "Embase Link"),
    },
    separators={"Author Names": ", ", "keywords": ", ", "Emtree Drug Index Terms": ", ",
                "Emtree Medical Index Terms": ", ", "Author Keywords": ", ", "ISSN": ", "},
    author_forms={"Author Names": "surname-initials"},
    citation_style="embase",
)

LENS = ColumnTable(
    name="lens",
    database="Lens",
    signature=("Lens ID", "Title", "Author/s", "Source Title"),
    fields={
        "source_id": ("Lens ID",),
        "title": ("Title",),
        "abstract": ("Abstract",),
        "authors": ("Author/s",),
        "year": ("Publication Year", "Date Published"),
        "journal": ("Source Title",),
        "issn": ("ISSNs",),
        "volume": ("Volume",),
        "issue": ("Issue Number",),
        "page_start": ("Start Page",),
        "page_end": ("End Page",),
        "doi": ("DOI",),
        "pmid": ("PMID",),
        "publication_types": ("Publication Type",),
        "keywords": ("Keywords",),
        "mesh": ("MeSH Terms",),
        "url": ("External URL",),
        "publisher": ("Publisher",),
    },
    separators={"Author/s": "; ", "ISSNs": "; ", "Keywords": "; ", "MeSH Terms": "; ",
                "Publication Type": "; "},
    author_forms={"Author/s": "given-first"},
)

IEEE = ColumnTable(
    name="ieee",
    database="IEEE Xplore",
    signature=("Document Title", "Authors", "Publication Title", "IEEE Terms"),
    fields={
        "title": ("Document Title",),
        "abstract": ("Abstract",),
        "authors": ("Authors",),
        "year": ("Publication Year",),
        "journal": ("Publication Title",),
        "issn": ("ISSN",),
        "volume": ("Volume",),
        "issue": ("Issue",),
        "page_start": ("Start Page",),
        "page_end": ("End Page",),
        "doi": ("DOI",),
        "keywords": ("Author Keywords", "IEEE Terms"),
        "mesh": ("Mesh_Terms",),
        "url": ("PDF Link",),
        "publisher": ("Publisher",),
        "publication_types": ("Document Identifier",),
    },
    separators={"Authors": "; ", "Author Keywords": ";", "IEEE Terms": ";", "Mesh_Terms": ";", "ISSN": ";"},
    author_forms={"Authors": "given-first"},
)

SPRINGER = ColumnTable(
    name="springer",
    database="SpringerLink",
    signature=("Item Title", "Publication Title", "Item DOI", "Content Type"),
    fields={
        "title": ("Item Title",),
        "authors": ("Authors",),
        "year": ("Publication Year",),
        "journal": ("Publication Title",),
        "volume": ("Journal Volume",),
        "issue": ("Journal Issue",),
        "doi": ("Item DOI",),
        "source_id": ("Item DOI",),
        "url": ("URL",),
        "publication_types": ("Content Type",),
    },
    separators={"Authors": "concatenated"},
    author_forms={"Authors": "given-first"},
)

OPENALEX = ColumnTable(
    name="openalex",
    database="OpenAlex",
    signature=("id", "display_name", "authorships.author.display_name", "publication_year"),
    fields={
        "source_id": ("id",),
        "title": ("display_name", "title"),
        "abstract": ("abstract",),
        "authors": ("authorships.author.display_name",),
        "year": ("publication_year",),
        "journal": ("primary_location.source.display_name",),
        "issn": ("primary_location.source.issn_l", "primary_location.source.issn"),
        "volume": ("biblio.volume",),
        "issue": ("biblio.issue",),
        "page_start": ("biblio.first_page",),
        "page_end": ("biblio.last_page",),
        "doi": ("doi",),
        "pmid": ("ids.pmid",),
        "language": ("language",),
        "publication_types": ("type",),
        "keywords": ("keywords.display_name",),
        "url": ("id",),
    },
    separators={"authorships.author.display_name": "|", "primary_location.source.issn": "|",
                "keywords.display_name": "|"},
    author_forms={"authorships.author.display_name": "given-first"},
)

ZOTERO = ColumnTable(
    name="zotero",
    database="Zotero",
    signature=("Key", "Item Type", "Publication Year", "Author", "Title", "Publication Title"),
    fields={
        "source_id": ("Key",),
        "title": ("Title",),
        "abstract": ("Abstract Note",),
        "authors": ("Author",),
        "year": ("Publication Year", "Date"),
        "journal": ("Publication Title",),
        "journal_abbrev": ("Journal Abbreviation",),
        "issn": ("ISSN",),
        "volume": ("Volume",),
        "issue": ("Issue",),
        "pages": ("Pages",),
        "doi": ("DOI",),
        "language": ("Language",),
        "publication_types": ("Item Type",),
        "keywords": ("Manual Tags", "Automatic Tags"),
        "url": ("Url",),
        "publisher": ("Publisher",),
        "citation": ("Extra",),
    },
    separators={"Author": "; ", "Manual Tags": "; ", "Automatic Tags": "; ", "ISSN": " "},
    author_forms={"Author": "surname-first"},
    citation_style="zotero-extra",
)

WEB_OF_SCIENCE_TAB = ColumnTable(
    name="wos-tab",
    database="Web of Science",
    signature=("PT", "AU", "TI", "SO", "UT"),
    fields={
        "source_id": ("UT",),
        "title": ("TI",),
        "abstract": ("AB",),
        "authors": ("AF", "AU", "CA", "GP"),
        "year": ("PY", "EA"),
        "journal": ("SO",),
        "journal_abbrev": ("JI", "J9"),
        "issn": ("SN", "EI"),
        "volume": ("VL",),
        "issue": ("IS",),
        "page_start": ("BP",),
        "page_end": ("EP",),
        "pages": ("AR",),
        "doi": ("DI", "D2"),
        "pmid": ("PM",),
        "language": ("LA",),
        "publication_types": ("DT",),
        "keywords": ("DE", "ID"),
        "publisher": ("PU",),
    },
    separators={"AF": "; ", "AU": "; ", "CA": "; ", "GP": "; ", "LA": "; ", "DT": "; ", "DE": "; ",
                "ID": "; ", "SN": "; ", "EI": "; "},
    author_forms={"AF": "surname-first", "AU": "surname-first", "CA": "collective", "GP": "collective"},
    delimiter="\t",
)

DIMENSIONS = ColumnTable(
    name="dimensions",
    database="Dimensions",
    signature=("Publication ID", "Title", "Source title", "PubYear"),
    fields={
        "source_id": ("Publication ID",),
        "title": ("Title",),
        "abstract": ("Abstract",),
        "authors": ("Authors",),
        "year": ("PubYear",),
        "journal": ("Source title",),
        "volume": ("Volume",),
        "issue": ("Issue",),
        "pages": ("Pagination",),
        "doi": ("DOI",),
        "pmid": ("PMID",),
        "publication_types": ("Publication Type",),
        "mesh": ("MeSH terms",),
        "url": ("Dimensions URL",),
    },
    separators={"Authors": "; ", "MeSH terms": "; "},
    author_forms={"Authors": "surname-first"},
)

RAYYAN = ColumnTable(
    name="rayyan",
    database="Rayyan",
    signature=("key", "title", "authors", "journal", "notes"),
    fields={
        "source_id": ("key",),
        "title": ("title",),
        "abstract": ("abstract",),
        "authors": ("authors",),
        "year": ("year",),
        "journal": ("journal",),
        "issn": ("issn",),
        "volume": ("volume",),
        "issue": ("issue",),
        "pages": ("pages",),
        "doi": ("doi",),
        "pmid": ("pmid",),
        "language": ("language",),
        "keywords": ("keywords",),
        "url": ("url",),
        "publisher": ("publisher",),
    },
    separators={"authors": " and ", "keywords": "; ", "language": "; "},
    author_forms={"authors": "surname-first"},
    confidence=0.85,
)

ASREVIEW = ColumnTable(
    name="asreview",
    database="ASReview",
    signature=("record_id", "title", "abstract", "included"),
    fields={
        "source_id": ("record_id",),
        "title": ("title", "primary_title"),
        "abstract": ("abstract", "notes_abstract"),
        "authors": ("authors",),
        "year": ("year",),
        "journal": ("journal", "secondary_title"),
        "doi": ("doi",),
        "keywords": ("keywords",),
        "url": ("url",),
    },
    separators={"authors": "; ", "keywords": "; "},
    author_forms={"authors": "surname-first"},
    confidence=0.85,
)

#: Our own CSV export (``prisma-harvest export --format csv``): the header the exporter writes, in order.
EXPORT_COLUMNS: tuple[str, ...] = (
    "record_id", "database", "origin", "source", "source_id", "duplicate_of", "stage", "decision", "reason",
    "pmid", "doi", "title", "authors", "year", "journal", "journal_abbrev", "issn", "volume", "issue", "pages",
    "abstract", "language", "publication_types", "keywords", "mesh", "url", "publisher",
)

_OWN_FIELDS = ("title", "abstract", "authors", "year", "journal", "journal_abbrev", "issn", "volume", "issue",
               "pages", "doi", "pmid", "language", "publication_types", "keywords", "mesh", "url", "publisher",
               "source_id")
_OWN_LISTS = ("authors", "issn", "language", "publication_types", "keywords", "mesh")

PRISMA_HARVESTER = ColumnTable(
    name="prisma-harvester",
    database="",  # each row names its database
    signature=("record_id", "database", "origin", "source_id", "duplicate_of", "title"),
    fields={name: (name,) for name in _OWN_FIELDS},
    separators={name: "escaped" for name in _OWN_LISTS},
    author_forms={"authors": "as-written"},
    confidence=0.95,
)

#: ClinicalTrials.gov's "Download > CSV" (the current site, 2023-): one row per registered study. A register,
#: not a bibliographic database (PRISMA 2020's "Registers" line): the NCT number is the id, the conditions and
#: interventions the keywords, the first-posted date the year; values within a cell are joined with "|".
CLINICALTRIALS_GOV = ColumnTable(
    name="clinicaltrials-gov",
    database="ClinicalTrials.gov",
    signature=("NCT Number", "Study Title", "Study URL"),
    fields={
        "source_id": ("NCT Number",),
        "title": ("Study Title",),
        "abstract": ("Brief Summary",),
        "year": ("First Posted", "Start Date"),
        "keywords": ("Conditions", "Interventions"),
        "publication_types": ("Study Type",),
        "url": ("Study URL",),
        "publisher": ("Sponsor",),
    },
    separators={"Conditions": "|", "Interventions": "|"},
    confidence=0.95,
)

#: Every vendor table, most specific first (ties in the sniffer go to the first).
TABLES: tuple[ColumnTable, ...] = (
    PRISMA_HARVESTER, SCOPUS, PUBMED, EMBASE, LENS, IEEE, SPRINGER, OPENALEX, ZOTERO, DIMENSIONS,
    RAYYAN, ASREVIEW, WEB_OF_SCIENCE_TAB, CLINICALTRIALS_GOV,
)

#: Preamble lines some vendors write above the header (Dimensions: "About the data: Exported on ...").
PREAMBLE_PREFIXES: tuple[str, ...] = ("About the data:",)
