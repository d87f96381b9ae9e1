"""The text of a new protocol file, with a comment on every key (``prisma-harvest init``)."""

from __future__ import annotations

DEFAULT_QUERY = ('("peer supporter" OR "peer mentor" OR "peer educator" OR "peer advocate" '
                 'OR "peer listener") AND "health"')


def new_protocol_text(review_id: str, query: str | None = None) -> str:
    """A complete, loadable protocol with one live PubMed source and commented examples of the rest."""
    text = (query or DEFAULT_QUERY).replace("'''", "")
    return f"""\
# A prisma-harvester protocol: the review's search, its sources and its rules, as data.
# Paths are relative to this file. The full schema is in docs/protocol.md.

[review]
id = "{review_id}"                 # letters, digits, '.', '_' or '-'; names the ledger
title = "{review_id}"              # the review's title, printed on reports
ledger = "../cache/{review_id}.sqlite"   # the SQLite ledger that holds every record, run and decision
# email = "you@example.org"       # sent to NCBI as E-utilities asks (the tool name is sent too)
# previous_studies = 12           # for an updated review: studies included in the previous version
# previous_reports = 14           # ... and their reports

[query]
# The boolean query: quoted phrases, words, * truncation, AND / OR / NOT, parentheses, [field] tags.
text = '''{text}'''
default_field = "tiab"            # the PubMed field tag given to terms without one (omit: all fields)

# A live PubMed search through NCBI E-utilities (set NCBI_API_KEY for 10 requests/s instead of 3).
[[sources]]
name = "MEDLINE"
kind = "pubmed"
database = "MEDLINE"
platform = "PubMed (E-utilities)"
# mindate = "2000/01/01"          # optional date limits: YYYY, YYYY/MM or YYYY/MM/DD
# maxdate = "2014/06/30"
# datetype = "pdat"               # pdat (publication), edat (Entrez), crdt (created), mdat (modified)

# Other live sources (docs/sources.md): Europe PMC, ClinicalTrials.gov (a register), OpenAlex (needs
# OPENALEX_API_KEY). The query above is compiled for each; its warnings go into the search log.
# [[sources]]
# name = "Europe PMC"
# kind = "europepmc"              # or "clinicaltrials", "openalex"

# Export files from a database with no open API (RIS, CSV, MEDLINE, Web of Science, BibTeX, EndNote...).
# [[sources]]
# name = "Scopus"
# kind = "file"
# database = "Scopus"
# platform = "Elsevier"
# files = ["exports/scopus.csv"]
# searched = "2014-06-15"         # the date the database was searched

# Records found by other methods (citation searching, websites, organisations, grey literature...).
# [[sources]]
# name = "Reference lists"
# kind = "other"
# method = "citation searching"
# files = ["exports/hand-searched.ris"]

# [dedup]
# source_preference = ["MEDLINE", "Scopus"]   # which database's record to keep when duplicates merge

# Inclusion rules: kinds language, year, publication-type, field, query.
# stage "automation" marks records ineligible before screening; "title-abstract" excludes at screening.
# action "flag" only draws a screener's attention.
# [[rules]]
# id = "english-only"
# kind = "language"
# languages = ["eng"]
# stage = "automation"
# action = "exclude"
# reason = "Not in English"

# [screening]
# reviewers = ["JM", "JS"]
# full_text_reasons = ["No peer perspective"]
"""
