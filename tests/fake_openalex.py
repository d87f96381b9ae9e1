"""A fake OpenAlex API (``tests/fake_http.py`` gives the server, the pace and the faults).

What it reproduces (https://docs.openalex.org):

- ``GET works`` with ``search``, ``filter`` (``openalex:W1|W2`` or ``ids.openalex:``, ``cites:W1``,
  ``from_created_date:``/``to_created_date:``, ``from_updated_date:``/``to_updated_date:``, comma-joined),
  ``per_page`` (1-100, as the 2026 developer docs say; more is refused with HTTP 400), ``cursor`` (``*``
  first, then ``meta.next_cursor``; a page with results always carries a next cursor, so the end is an
  empty page with ``next_cursor`` null, unless the client stops at ``meta.count``); an unknown cursor is
  refused with HTTP 400;
- the API key: ``api_key`` is required (HTTP 401 with OpenAlex's JSON error without it); the key is
  removed from the request log;
- works with ``abstract_inverted_index``, ``authorships``, ``primary_location``, ``biblio``, ``ids``
  (DOI, PMID) and ``referenced_works`` taken from a reference graph given to the fake;
- errors: ``{"error": ..., "message": ...}`` with HTTP 400/401, and inside HTTP 200 as a fault.

Every search matches every work (this is not a search engine).
"""

from __future__ import annotations

import json
import secrets
from datetime import date, timedelta
from typing import Any

from tests.fake_http import Answer, FakeService, Faults

FIRST_ID = 4_000_000_000
_SURNAMES = ("Ng", "Okafor", "Müller", "García", "Smith", "Kowalski", "Tanaka", "O'Brien", "Haddad", "Silva")
_GIVEN = ("Ana", "Bola", "Jürgen", "María", "John", "Ewa", "Yui", "Siobhán", "Karim", "Luiz")


class FakeOpenAlex(FakeService):
    name = "openalex"
    prefix = "/"
    key_parameter = "api_key"

    def __init__(self, n: int = 100, *, first_created: date = date(2016, 1, 1), days: int = 3000,
                 references: dict[str, list[str]] | None = None, limit: float | None = None,
                 faults: Faults | None = None) -> None:
        super().__init__(limit=limit, faults=faults)
        self.n = n
        self.first_created = first_created
        self.days = days
        self.references = references or {}
        self.cursors: dict[str, int] = {}
        self.dates: dict[int, date] = {}  # created dates set by a test (works added "today")
        self.removed: set[int] = set()
        self.aliases: dict[str, str] = {}  # "doi:10..." or "pmid:123" -> W id, for look-ups
        self.overrides: dict[int, dict[str, Any]] = {}  # fields set by a test (the same article as elsewhere)

    def wid(self, i: int) -> str:
        return f"W{FIRST_ID + i}"

    def keys(self) -> list[str]:
        return [self.wid(i) for i in range(self.n)]

    def created(self, i: int) -> date:
        return self.dates.get(i) or self.first_created + timedelta(days=(i * 7919) % self.days)

    def work(self, wid: str) -> dict[str, Any]:
        i = int(wid[1:]) - FIRST_ID
        day = self.created(i) if 0 <= i < self.n else self.first_created
        words = f"Peer supporters improved engagement in study {wid} across sites".split()
        index: dict[str, list[int]] = {}
        for position, word in enumerate(words):
            index.setdefault(word, []).append(position)
        return {
            "id": f"https://openalex.org/{wid}",
            "doi": f"https://doi.org/10.5555/oa.{wid.lower()}",
            "title": f"Peer support and health, work {wid}", "display_name": f"Peer support and health, work {wid}",
            "publication_year": day.year, "publication_date": day.isoformat(), "created_date": day.isoformat(),
            "updated_date": (day + timedelta(days=90)).isoformat() + "T00:00:00", "type": "article",
            "language": "en",
            "ids": {"openalex": f"https://openalex.org/{wid}",
                    **({"pmid": f"https://pubmed.ncbi.nlm.nih.gov/{30_000_000 + i}"} if i % 3 == 0 else {})},
            "authorships": [{"author_position": "first" if k == 0 else "middle",
                             "author": {"id": f"https://openalex.org/A{i}{k}",
                                        "display_name": f"{_GIVEN[(i + k) % 10]} {_SURNAMES[(i + k) % 10]}"}}
                            for k in range(1 + abs(i) % 3)],
            "primary_location": {"source": {"display_name": "Journal of Synthetic Peer Support",
                                            "issn": ["1234-5678", "8765-4321"], "type": "journal"}},
            "biblio": {"volume": str(1 + abs(i) % 40), "issue": str(1 + abs(i) % 12),
                       "first_page": str(1 + abs(i) % 300), "last_page": str(10 + abs(i) % 300)},
            "keywords": [{"display_name": "peer support", "score": 0.6}],
            "abstract_inverted_index": index,
            "referenced_works": [f"https://openalex.org/{w}" for w in self.references.get(wid, [])],
        } | self.overrides.get(i, {})

    def _filtered(self, filters: str) -> list[str] | None:
        """The works a ``filter`` selects; None when it names no search set of its own."""
        ids: list[str] | None = None
        created_from, created_to = date.min, date.max
        for part in [p for p in filters.split(",") if p]:
            name, _, value = part.partition(":")
            if name in ("openalex", "ids.openalex"):
                ids = [v.rsplit("/", 1)[-1] for v in value.split("|")]
            elif name == "cites":
                ids = sorted(w for w, cited in self.references.items() if value in cited)
            elif name in ("doi", "pmid"):
                known = self.aliases.get(f"{name}:{value.lower().removeprefix('https://doi.org/')}")
                ids = [known] if known else []
            elif name.endswith((".search", ".search.no_stem")):
                continue  # a search filter: every work matches here
            elif name in ("from_created_date", "from_updated_date"):
                created_from = date.fromisoformat(value) - (timedelta(days=90) if "updated" in name else timedelta())
            elif name in ("to_created_date", "to_updated_date"):
                created_to = date.fromisoformat(value) - (timedelta(days=90) if "updated" in name else timedelta())
            else:
                raise ValueError(name)
        if ids is not None:
            return ids
        if created_from == date.min and created_to == date.max:
            return None
        return [self.wid(i) for i in range(self.n) if created_from <= self.created(i) <= created_to
                and i not in self.removed]

    def handle(self, method: str, path: str, params: dict[str, str], key: str) -> Answer:
        if not key:
            return Answer(401, json.dumps({"error": "API key required",
                                           "message": "Pass your API key as api_key (free at openalex.org)"}))
        if path != "works":
            return Answer(404, json.dumps({"error": "Not found", "message": path}))
        try:
            per_page = int(params.get("per_page", "25"))
        except ValueError:
            per_page = 0
        if not 1 <= per_page <= 100:
            return Answer(400, json.dumps({"error": "Invalid query parameters error.",
                                           "message": "per-page parameter must be between 1 and 100"}))
        try:
            selected = self._filtered(params.get("filter", ""))
        except ValueError as error:
            return Answer(400, json.dumps({"error": "Invalid query parameters error.",
                                           "message": f"{error} is not a valid field"}))
        found = selected if selected is not None else [self.wid(i) for i in range(self.n) if i not in self.removed]
        cursor = params.get("cursor")
        position = 0
        if cursor and cursor != "*":
            if cursor not in self.cursors:
                return Answer(400, json.dumps({"error": "Invalid cursor", "message": "cursor is not valid"}))
            position = self.cursors[cursor]
        chunk = found[position:position + per_page]
        following = None
        if cursor and chunk:
            following = secrets.token_urlsafe(16)
            self.cursors[following] = position + len(chunk)
        body = {"meta": {"count": len(found), "db_response_time_ms": 12, "page": None if cursor else 1,
                         "per_page": per_page, "next_cursor": following, "groups_count": None},
                "results": [self.work(w) for w in chunk], "group_by": []}
        return Answer(200, json.dumps(body), served=list(chunk))

    def rate_limited(self) -> Answer:
        return Answer(429, json.dumps({"error": "Rate limit exceeded", "message": "Too many requests"}))

    def error_in_200(self, path: str) -> str:
        return json.dumps({"error": "Internal Server Error", "message": "Elasticsearch timeout"})


