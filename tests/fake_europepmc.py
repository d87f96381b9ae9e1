"""A fake Europe PMC REST API (``tests/fake_http.py`` gives the server, the pace and the faults).

What it reproduces (https://europepmc.org/RestfulWebService, ``../shared/notes/query-and-sources.md``):

- ``GET search`` and ``POST searchPOST`` (form-encoded) with ``query``, ``format=json``,
  ``resultType`` (``core`` adds abstract, MeSH, keywords and journal details), ``pageSize`` (at most
  1000: larger is cut to 1000), ``cursorMark`` (``*`` first, then the ``nextCursorMark`` of the page
  before; the last page gives the same cursor back, as Europe PMC's Solr does, or with
  ``last_cursor="absent"`` none);
  an unknown cursor is refused with HTTP 400 and Europe PMC's ``errCode``/``errMsg`` JSON;
- ``hitCount`` on every page; records from several sources (``MED``, ``PMC``, ``PPR``) with PMIDs,
  PMCIDs and DOIs where such records have them; a ``FIRST_IDATE:[a TO b]`` clause in the query limits
  the first index dates;
- ``{source}/{id}/references`` and ``{source}/{id}/citations`` (``page``, ``pageSize`` up to 1000)
  over a reference graph given to the fake;
- errors inside HTTP 200: a JSON body with ``errCode`` and ``errMsg``.

Every query matches every record (this is not a search engine): tests vary ``n`` and the dates.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import date, timedelta
from typing import Any

from tests.fake_http import Answer, FakeService, Faults

_DOI = re.compile(r'DOI:"([^"]+)"')
_IDATE = re.compile(r"FIRST_IDATE:\[(\d{4}-\d\d-\d\d) TO (\d{4}-\d\d-\d\d)\]")
_SURNAMES = ("Ng", "Okafor", "Müller", "García", "Smith", "Kowalski", "Tanaka", "O'Brien", "Haddad", "Silva")
_GIVEN = ("Ana", "Bola", "Jürgen", "María", "John", "Ewa", "Yui", "Siobhán", "Karim", "Luiz")


class FakeEuropePmc(FakeService):
    name = "europepmc"
    prefix = "/europepmc/webservices/rest/"

    def __init__(self, n: int = 100, *, start: date = date(2015, 1, 1), days: int = 3000,
                 last_cursor: str = "same", references: dict[str, list[str]] | None = None,
                 limit: float | None = None, faults: Faults | None = None) -> None:
        super().__init__(limit=limit, faults=faults)
        self.n = n
        self.first_day = start
        self.days = days
        self.last_cursor = last_cursor
        self.references = references or {}
        self.cursors_issued: set[str] = set()
        self.overrides: dict[str, dict[str, Any]] = {}  # fields set by a test for one SOURCE:id
        self.aliases: dict[str, str] = {}  # DOI -> SOURCE:id, for DOI:"..." searches of works outside 0..n
        self.dates: dict[int, date] = {}  # index dates set by a test (records added "today")
        self.removed: set[int] = set()  # records the service no longer returns

    # data ------------------------------------------------------------------------------------------

    def key(self, i: int) -> str:
        if i % 10 == 9:
            return f"PPR:PPR{600_000 + i}"
        return f"MED:{40_000_000 + i}"

    def keys(self) -> list[str]:
        return [self.key(i) for i in range(self.n)]

    def index_date(self, i: int) -> date:
        return self.dates.get(i) or self.first_day + timedelta(days=(i * 7919) % self.days)

    def item(self, key: str) -> dict[str, Any]:
        source, identifier = key.split(":", 1)
        i = int(re.sub(r"\D", "", identifier) or 0) % 1_000_000
        day = self.index_date(i) if i < self.n else self.first_day
        item: dict[str, Any] = {
            "id": identifier, "source": source,
            "title": f"Peer support in community health, record {key}: a mixed-methods study.",
            "authorString": ", ".join(f"{_SURNAMES[(i + k) % 10]} {_GIVEN[(i + k) % 10][0]}" for k in range(2)) + ".",
            "authorList": {"author": [
                {"fullName": f"{_SURNAMES[(i + k) % 10]} {_GIVEN[(i + k) % 10][0]}",
                 "firstName": _GIVEN[(i + k) % 10], "lastName": _SURNAMES[(i + k) % 10],
                 "initials": _GIVEN[(i + k) % 10][0]} for k in range(1 + i % 3)]},
            "pubYear": str(day.year), "abstractText": f"Background: peer workers. Results: themes for {key}.",
            "language": "eng", "pubTypeList": {"pubType": ["research-article", "Journal Article"]},
            "keywordList": {"keyword": ["peer support", "community health"]},
            "firstIndexDate": day.isoformat(), "firstPublicationDate": day.isoformat(),
            "doi": f"10.5555/epmc.{identifier.lower()}",
        }
        if source == "MED":
            item["pmid"] = identifier
            item["journalInfo"] = {"volume": str(1 + i % 40), "issue": str(1 + i % 12), "yearOfPublication": day.year,
                                   "journal": {"title": "Journal of Synthetic Peer Support",
                                               "isoabbreviation": "J Synth Peer Support", "issn": "1234-5678"}}
            item["pageInfo"] = f"{1 + i % 300}-{10 + i % 300}"
            item["meshHeadingList"] = {"meshHeading": [{"majorTopic_YN": "N", "descriptorName": "Peer Group"}]}
            if i % 7 == 0:
                item["pmcid"] = f"PMC{9_000_000 + i}"
        else:
            item["bookOrReportDetails"] = {"publisher": "Research Square"}
        return item | self.overrides.get(key, {})

    def matching(self, query: str) -> list[int]:
        window = _IDATE.search(query)
        every = [i for i in range(self.n) if i not in self.removed]
        if not window:
            return every
        low, high = date.fromisoformat(window[1]), date.fromisoformat(window[2])
        return [i for i in every if low <= self.index_date(i) <= high]

    # answers ---------------------------------------------------------------------------------------

    def handle(self, method: str, path: str, params: dict[str, str], key: str) -> Answer:
        if path in ("search", "searchPOST"):
            if (path == "searchPOST") != (method == "POST"):
                return Answer(405, '{"errCode": 405, "errMsg": "Method not allowed"}')
            return self.search(params)
        parts = path.split("/")
        if len(parts) == 3 and parts[2] in ("references", "citations"):
            return self.links(f"{parts[0]}:{parts[1]}", parts[2], params)
        return Answer(404, '{"errCode": 404, "errMsg": "Not found"}')

    def search(self, params: dict[str, str]) -> Answer:
        query = params.get("query", "")
        if not query:
            return Answer(400, '{"errCode": 400, "errMsg": "query is required"}')
        size = min(1000, int(params.get("pageSize", "25") or 25))
        cursor = params.get("cursorMark", "*")
        if cursor == "*":
            position = 0
        elif cursor in self.cursors_issued:
            position = int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":")[1])
        else:
            return Answer(400, json.dumps({"errCode": 400, "errMsg": f"Invalid cursorMark: {cursor}"}))
        by_doi = _DOI.fullmatch(query.strip())
        if by_doi:  # a look-up by DOI: the work the fake knows under it, if any
            keys = [self.aliases[by_doi[1].lower()]] if by_doi[1].lower() in self.aliases else []
            body = {"version": "6.9", "hitCount": len(keys), "resultList": {"result": [self.item(k) for k in keys]}}
            return Answer(200, json.dumps(body), served=keys)
        found = self.matching(query)
        chunk = found[position:position + size]
        result: dict[str, Any] = {"version": "6.9", "hitCount": len(found),
                                  "request": {"queryString": query, "resultType": params.get("resultType", "lite"),
                                              "cursorMark": cursor, "pageSize": size, "synonym": params.get("synonym")},
                                  "resultList": {"result": [self.item(self.key(i)) for i in chunk]}}
        following = position + len(chunk)
        if following < len(found):
            token = base64.urlsafe_b64encode(f"AoIIP:{following}:{len(self.cursors_issued)}".encode()).decode()
            self.cursors_issued.add(token)
            result["nextCursorMark"] = token
        elif self.last_cursor == "same":
            result["nextCursorMark"] = cursor
        return Answer(200, json.dumps(result), served=[self.key(i) for i in chunk])

    def links(self, key: str, endpoint: str, params: dict[str, str]) -> Answer:
        page, size = int(params.get("page", "1") or 1), min(1000, int(params.get("pageSize", "25") or 25))
        if endpoint == "references":
            keys = self.references.get(key, [])
        else:
            keys = sorted(k for k, cited in self.references.items() if key in cited)
        chunk = keys[(page - 1) * size: page * size]
        items = []
        for linked in chunk:
            full = self.item(linked)
            items.append({"id": full["id"], "source": full["source"], "title": full["title"],
                          "authorString": full["authorString"], "pubYear": full["pubYear"], "doi": full["doi"],
                          "journalAbbreviation": full.get("journalAbbreviation", "J Synth Peer Support")})
        inner = {"references": ("referenceList", "reference"), "citations": ("citationList", "citation")}[endpoint]
        body = {"version": "6.9", "hitCount": len(keys), "request": {"id": key, "page": page, "pageSize": size},
                inner[0]: {inner[1]: items}}
        return Answer(200, json.dumps(body), served=list(chunk))

    def error_in_200(self, path: str) -> str:
        return json.dumps({"version": "6.9", "errCode": 500, "errMsg": "Search engine temporarily unavailable"})
