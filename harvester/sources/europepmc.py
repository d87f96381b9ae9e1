"""Europe PMC through its REST API: ``search`` with ``cursorMark`` paging, ``resultType=core``.

What the service does and what we ask (``../shared/notes/query-and-sources.md``, and
https://europepmc.org/RestfulWebService):

- ``GET .../rest/search?query=...&format=json&resultType=core&pageSize=1000&cursorMark=*``; a query
  too long for a URL goes by ``POST .../rest/searchPOST`` (form-encoded, the same parameters).
- **Paging**: the first page with ``cursorMark=*``, then each page with the ``nextCursorMark`` of the
  one before; the last page has none (or the same one again). ``hitCount`` is the total, on every page.
- **Reproducible**: ``synonym=false`` (Europe PMC's default, sent explicitly so that a change of default
  does not change the search).
- **Identity**: a record is ``source`` + ``id`` (``MED:12345678``, ``PMC:PMC1234567``,
  ``PPR:PPR123456``, ``AGR:...``); PMID, PMCID and DOI are kept when Europe PMC gives them.
- **Refresh windows** are on the first index date (``FIRST_IDATE:[a TO b]``), the day a record entered
  Europe PMC: publication dates of late-indexed records would fall outside a recent window.
- **Errors in HTTP 200**: a JSON body holding ``errCode``/``errMsg``, no ``resultList``, an HTML page,
  a cut-off body: retried like a 5xx (:mod:`harvester.sources.http`).
- **Pace**: Europe PMC publishes no figure; we keep to 5 requests a second and back off on 429/5xx.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from harvester.records import Record
from harvester.sources.http import Retryable
from harvester.sources.live import Page, PagedClient, Service, Window, as_int, parse_json, strings, text, year_of

SERVICE = Service(kind="europepmc", name="Europe PMC",
                  default_url="https://www.ebi.ac.uk/europepmc/webservices/rest/",
                  env="PRISMA_HARVEST_EUROPEPMC", limit=5.0, page_size=1000, hosts=("ebi.ac.uk", "europepmc.org"))
#: Longer request URLs go by POST (proxies and servers refuse URLs past a few kilobytes).
MAX_GET_URL = 2000


class EuropePmc(PagedClient):
    service = SERVICE
    first_cursor = "*"
    windows = ("created",)

    def query_as_sent(self, query: str, window: Window | None) -> str:
        if window is None:
            return query
        low = window.start.isoformat() if window.start else "1000-01-01"
        high = window.end.isoformat() if window.end else "3000-12-31"
        return f"({query}) AND (FIRST_IDATE:[{low} TO {high}])"

    def parameters(self, query: str, window: Window | None, parameter: str = "") -> dict[str, str]:
        return {"query": self.query_as_sent(query, window), "format": "json", "resultType": "core",
                "synonym": "false", "pageSize": str(self.settings.page_size)}

    def page(self, parameters: Mapping[str, str], cursor: str, offset: int) -> Page:
        values = {**parameters, "cursorMark": cursor}
        what = f"Europe PMC search (page at {offset:,})"

        def check(body: bytes) -> Page:
            return parse_page(body, offset, what)

        base = self.settings.base_url
        if len(base) + len("search?") + len(urlencode(values)) > MAX_GET_URL:
            return self.http.post(base + "searchPOST", values, check, what)
        return self.http.get(base + "search", values, check, what)

    # citation searching ----------------------------------------------------------------------------

    def links(self, source: str, identifier: str, direction: str, page_size: int = 1000) -> list[dict[str, Any]]:
        """The works a record cites (``references``) or that cite it (``citations``), every page."""
        endpoint = "references" if direction == "backward" else "citations"
        url = f"{self.settings.base_url}{source}/{identifier}/{endpoint}"
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            what = f"Europe PMC {endpoint} of {source}:{identifier} (page {page})"

            def check(raw: bytes, what: str = what) -> tuple[list[dict[str, Any]], int]:
                return _links_body(raw, what, endpoint)

            items, total = self.http.get(url, {"format": "json", "page": str(page), "pageSize": str(page_size)},
                                         check, what)
            found.extend(items)
            if not items or len(found) >= total or len(items) < page_size:
                return found
            page += 1


    def find(self, *, pmid: str = "", pmcid: str = "", doi: str = "", key: str = "") -> str | None:
        """The ``SOURCE:id`` of a record Europe PMC holds: straight from a key, PMID or PMCID; by a search
        (one request) for a DOI. None when Europe PMC has no record with that DOI."""
        if key and ":" in key:
            return key
        if pmid:
            return f"MED:{pmid}"
        if pmcid:
            return f"PMC:{pmcid}"
        if not doi:
            return None
        parameters = {"query": f'DOI:"{doi}"', "format": "json", "resultType": "lite", "synonym": "false",
                      "pageSize": "1"}
        page = self.page(parameters, self.first_cursor, 0)
        return page.records[0].source_id if page.records else None


def link_record(item: Mapping[str, Any]) -> Record:
    """A reference or citing work as Europe PMC lists it (fewer fields than a search result). A reference
    Europe PMC could not match to a record has no id: it is keyed by a hash of what it says."""
    record = to_record(item)
    if not item.get("id"):
        digest = hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()[:16]
        record = replace(record, source_id=f"REF:{digest}", url="")
    abbreviation = text(item.get("journalAbbreviation"))
    return replace(record, journal=record.journal or abbreviation, journal_abbrev=record.journal_abbrev or abbreviation,
                   volume=record.volume or text(item.get("volume")), issue=record.issue or text(item.get("issue")))


def parse_page(body: bytes, offset: int, what: str) -> Page:
    data = parse_json(body, what)
    if not isinstance(data, dict):
        raise Retryable(f"not a Europe PMC answer: {text(data)[:100]}")
    if data.get("errCode") or data.get("errMsg"):
        raise Retryable(f"error inside HTTP 200: {text(data.get('errCode'))} {text(data.get('errMsg'))}".strip())
    result_list = data.get("resultList")
    hits = as_int(data.get("hitCount"))
    if not isinstance(result_list, dict) or hits is None:
        raise Retryable("Europe PMC answer without resultList or hitCount")
    items = result_list.get("result") or []
    records = tuple(to_record(item, offset + i) for i, item in enumerate(items, start=1) if isinstance(item, dict))
    cursor = data.get("nextCursorMark")
    return Page(records, str(cursor) if cursor else None, hits)


def _links_body(body: bytes, what: str, endpoint: str) -> tuple[list[dict[str, Any]], int]:
    data = parse_json(body, what)
    hits = as_int(data.get("hitCount")) if isinstance(data, dict) else None
    if not isinstance(data, dict) or hits is None:
        raise Retryable(f"{what}: answer without hitCount")
    key = "referenceList" if endpoint == "references" else "citationList"
    inner = "reference" if endpoint == "references" else "citation"
    items = (data.get(key) or {}).get(inner) or []
    return [item for item in items if isinstance(item, dict)], hits


def record_key(item: Mapping[str, Any]) -> str:
    """A Europe PMC record's identity: ``SOURCE:id``."""
    return f"{text(item.get('source'))}:{text(item.get('id'))}"


def to_record(item: Mapping[str, Any], position: int = 0) -> Record:
    """One ``resultType=core`` result as a record (every field kept in ``raw``, the usual ones in ``tags``)."""
    journal_info = item.get("journalInfo") or {}
    journal = journal_info.get("journal") or {}
    authors = []
    for author in (item.get("authorList") or {}).get("author") or []:
        if author.get("collectiveName"):
            authors.append(text(author["collectiveName"]))
        elif author.get("lastName"):
            given = text(author.get("firstName") or author.get("initials"))
            authors.append(f"{text(author['lastName'])}, {given}" if given else text(author["lastName"]))
        elif author.get("fullName"):
            authors.append(text(author["fullName"]))
    if not authors and item.get("authorString"):
        authors = [a.strip() for a in text(item["authorString"]).rstrip(".").split(",") if a.strip()]
    mesh = tuple(text(h.get("descriptorName")) for h in (item.get("meshHeadingList") or {}).get("meshHeading") or []
                 if h.get("descriptorName"))
    tags = tuple((name, text(item.get(name))) for name in
                 ("source", "id", "pmid", "pmcid", "doi", "firstIndexDate", "firstPublicationDate", "pubYear")
                 if item.get(name))
    key = record_key(item)
    return Record(
        title=text(item.get("title")).rstrip("."),
        abstract=text(item.get("abstractText")),
        authors=tuple(authors),
        year=year_of(item.get("pubYear") or journal_info.get("yearOfPublication")),
        journal=text(journal.get("title")),
        journal_abbrev=text(journal.get("isoabbreviation") or journal.get("medlineAbbreviation")),
        issn=tuple(i for i in (text(journal.get("issn")), text(journal.get("essn"))) if i),
        volume=text(journal_info.get("volume")),
        issue=text(journal_info.get("issue")),
        pages=text(item.get("pageInfo")),
        doi=text(item.get("doi")).lower(),
        pmid=text(item.get("pmid")),
        language=strings(item.get("language")),
        publication_types=strings((item.get("pubTypeList") or {}).get("pubType")),
        keywords=strings((item.get("keywordList") or {}).get("keyword")),
        mesh=mesh,
        url=f"https://europepmc.org/article/{text(item.get('source'))}/{text(item.get('id'))}",
        database="Europe PMC",
        source_id=key,
        raw=json.dumps(item, ensure_ascii=False, sort_keys=True),
        tags=tags,
        position=position,
    )
