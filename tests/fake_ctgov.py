"""A fake ClinicalTrials.gov API v2 (``tests/fake_http.py`` gives the server, the pace and the faults).

What it reproduces (https://clinicaltrials.gov/data-api/api, ``../shared/notes/query-and-sources.md``):

- ``GET studies`` with ``query.term``, ``format=json``, ``pageSize`` (at most 1000; larger is reduced),
  ``countTotal=true`` (``totalCount`` with the first page only), ``pageToken`` (the ``nextPageToken``
  of the page before; the last page has none). A page token is tied to the query it was issued for:
  a later page that does not repeat every other parameter, or an unknown token, is refused with
  HTTP 400 and a plain-text message, as the API refuses bad parameters;
- ``GET version``: ``apiVersion`` and ``dataTimestamp``;
- the pace: about 50 requests a minute per address, HTTP 429 beyond (``limit``/``per_seconds``);
- ``AREA[StudyFirstPostDate]RANGE[a, b]`` and ``AREA[LastUpdatePostDate]RANGE[a, b]`` in the query
  limit the studies' dates (``MIN``/``MAX`` for open ends).

Every query matches every study (this is not a search engine).
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import date, timedelta
from typing import Any

from tests.fake_http import Answer, FakeService, Faults

DATA_TIMESTAMP = "2026-12-05T09:12:34"
_RANGE = re.compile(r"AREA\[(StudyFirstPostDate|LastUpdatePostDate)\]RANGE\[([^,\]]+),\s*([^\]]+)\]")
_STATUSES = ("RECRUITING", "COMPLETED", "ACTIVE_NOT_RECRUITING", "TERMINATED", "NOT_YET_RECRUITING")


class FakeClinicalTrials(FakeService):
    name = "ctgov"
    prefix = "/api/v2/"

    def __init__(self, n: int = 100, *, first_posted: date = date(2012, 1, 1), days: int = 5000,
                 limit: float | None = None, per_seconds: float = 60.0, faults: Faults | None = None) -> None:
        super().__init__(limit=limit, per_seconds=per_seconds, faults=faults)
        self.n = n
        self.first_posted = first_posted
        self.days = days
        self.tokens: dict[str, tuple[int, tuple[tuple[str, str], ...]]] = {}
        self.dates: dict[int, date] = {}  # first-posted dates set by a test (studies added "today")
        self.removed: set[int] = set()

    def nct(self, i: int) -> str:
        return f"NCT{5_000_000 + i:08d}"

    def keys(self) -> list[str]:
        return [self.nct(i) for i in range(self.n)]

    def posted(self, i: int) -> date:
        return self.dates.get(i) or self.first_posted + timedelta(days=(i * 7919) % self.days)

    def updated(self, i: int) -> date:
        return self.posted(i) if i in self.dates else self.posted(i) + timedelta(days=30 + i % 400)

    def study(self, i: int) -> dict[str, Any]:
        posted = self.posted(i)
        return {"protocolSection": {
            "identificationModule": {"nctId": self.nct(i), "briefTitle": f"Peer Support for Health, Trial {i}",
                                     "officialTitle": f"A Randomised Trial of Peer Support Workers in Community "
                                                      f"Health (Trial {i})", "acronym": f"PEER{i}"},
            "statusModule": {"overallStatus": _STATUSES[i % 5],
                             "startDateStruct": {"date": f"{posted.year}-{posted.month:02d}"},
                             "primaryCompletionDateStruct": {"date": f"{posted.year + 2}-06", "type": "ESTIMATED"},
                             "studyFirstPostDateStruct": {"date": posted.isoformat(), "type": "ACTUAL"},
                             "lastUpdatePostDateStruct": {"date": self.updated(i).isoformat(), "type": "ACTUAL"}},
            "sponsorCollaboratorsModule": {"leadSponsor": {"name": "Synthetic University", "class": "OTHER"}},
            "descriptionModule": {"briefSummary": f"Peer supporters visit participants (trial {i})."},
            "conditionsModule": {"conditions": ["Depression", "Peer Support"], "keywords": ["peer worker"]},
            "designModule": {"studyType": "INTERVENTIONAL", "phases": ["NA"]},
            "armsInterventionsModule": {"interventions": [{"type": "BEHAVIORAL", "name": "Peer support"}]},
        }, "hasResults": i % 4 == 0}

    def matching(self, term: str) -> list[int]:
        found = [i for i in range(self.n) if i not in self.removed]
        for area, low, high in _RANGE.findall(term):
            date_of = self.posted if area == "StudyFirstPostDate" else self.updated
            lo = date.min if low.strip() == "MIN" else date.fromisoformat(low.strip())
            hi = date.max if high.strip() == "MAX" else date.fromisoformat(high.strip())
            found = [i for i in found if lo <= date_of(i) <= hi]
        return found

    def handle(self, method: str, path: str, params: dict[str, str], key: str) -> Answer:
        if method != "GET":
            return Answer(405, "Method Not Allowed", "text/plain")
        if path == "version":
            return Answer(200, json.dumps({"apiVersion": "2.0.5", "dataTimestamp": DATA_TIMESTAMP}))
        if path != "studies":
            return Answer(404, "Not Found", "text/plain")
        if params.get("format", "json") != "json":
            return Answer(400, "only json here", "text/plain")
        query = tuple(sorted((k, v) for k, v in params.items() if k not in ("pageToken", "pageSize", "countTotal")))
        size = min(1000, int(params.get("pageSize") or 10))
        token = params.get("pageToken")
        if token:
            if token not in self.tokens:
                return Answer(400, f"pageToken {token!r} is not valid", "text/plain")
            position, issued_for = self.tokens[token]
            if issued_for != query:
                return Answer(400, "pageToken was issued for different query parameters; repeat every "
                                   "parameter of the first request", "text/plain")
        else:
            position = 0
        found = self.matching(params.get("query.term", ""))
        chunk = found[position:position + size]
        body: dict[str, Any] = {"studies": [self.study(i) for i in chunk]}
        if not token and params.get("countTotal") == "true":
            body["totalCount"] = len(found)
        if position + len(chunk) < len(found):
            following = secrets.token_urlsafe(12)
            self.tokens[following] = (position + len(chunk), query)
            body["nextPageToken"] = following
        return Answer(200, json.dumps(body), served=[self.nct(i) for i in chunk])

    def rate_limited(self) -> Answer:
        return Answer(429, "Too Many Requests", "text/plain")

    def error_in_200(self, path: str) -> str:
        return json.dumps({"message": "Internal error, please retry"})
