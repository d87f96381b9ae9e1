"""OpenAlex (all disciplines) through its API: ``/works`` with cursor paging; an API key is required.

What the service does and what we ask (https://docs.openalex.org, ``../shared/notes/query-and-sources.md``):

- ``GET /works?search=...&per_page=100&cursor=*&api_key=...``: then each page with ``meta.next_cursor``
  of the page before; ``meta.count`` is the total. ``per_page`` is at most 100 (the developer
  documentation of 2026; the older docs.openalex.org said 200). The end is ``next_cursor`` null with no
  results; we stop at ``meta.count`` and save that last empty request.
- **Budget**: with a free key OpenAlex allows $1 a day: a search request costs $0.001 and a list or
  filter request $0.0001, so about 1,000 search pages (100,000 records) a day; the pace limit is 100
  requests a second, of which we use 10.
- **The key** (free, required since February 2026) comes from ``OPENALEX_API_KEY``, is sent as the
  ``api_key`` parameter, and is never stored (the run records only that one was used), logged or shown
  (every message is scrubbed of it). Without it the search fails at once saying so.
- **The query** is compiled for OpenAlex's ``search`` (boolean operators in capitals); where the
  compiler cannot say exactly what was asked (field tags, proximity, truncation) it warns, and the
  warnings go into the run's message.
- **Refresh windows**: ``filter=from_created_date:...,to_created_date:...`` (entered OpenAlex) and
  ``from_updated_date``/``to_updated_date`` (changed).
- **Errors**: HTTP 401/403 without a valid key, 400 for a bad parameter (``{"error": ..., "message": ...}``),
  429 past the pace (10 requests a second); a JSON body holding ``error`` instead of ``results`` in
  HTTP 200 is retried.
- **Identity**: the work id (``W2741809807``); DOI and PMID kept; ``referenced_works`` in the tags, for
  citation searching.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from harvester.errors import SourceError
from harvester.records import Record
from harvester.sources.http import Retryable
from harvester.sources.live import Page, PagedClient, Service, Window, as_int, parse_json, strings, text

SERVICE = Service(kind="openalex", name="OpenAlex", default_url="https://api.openalex.org/",
                  env="PRISMA_HARVEST_OPENALEX", limit=10.0, page_size=100, hosts=("openalex.org",),
                  key_env="OPENALEX_API_KEY")
#: Work ids per ``openalex:`` filter (alias of ``ids.openalex``; OpenAlex takes up to 100 values OR-ed with ``|``).
IDS_PER_REQUEST = 100


class OpenAlex(PagedClient):
    service = SERVICE
    first_cursor = "*"
    windows = ("created", "updated")
    page_size_parameter = "per_page"

    def ready(self) -> None:
        """Refuse to start without a key (OpenAlex answers 401; say why before asking)."""
        if not self.settings.api_key:
            raise SourceError("OpenAlex needs an API key (free, required since February 2026): set "
                              "OPENALEX_API_KEY in the environment; it is never stored or logged")

    def parameters(self, query: str, window: Window | None, parameter: str = "") -> dict[str, str]:
        """``parameter`` from the query compiler: ``search`` (title, abstract, full text) or
        ``filter=title_and_abstract.search`` / ``filter=title.search``; a window adds date filters."""
        values = {"per_page": str(self.settings.page_size)}
        filters = []
        if parameter.startswith("filter="):
            filters.append(f"{parameter.removeprefix('filter=')}:{query}")
        else:
            values[parameter or "search"] = query
        if window is not None:
            if window.start:
                filters.append(f"from_{window.field}_date:{window.start.isoformat()}")
            if window.end:
                filters.append(f"to_{window.field}_date:{window.end.isoformat()}")
        if filters:
            values["filter"] = ",".join(filters)
        if self.settings.email:
            values["mailto"] = self.settings.email
        return values

    def page(self, parameters: Mapping[str, str], cursor: str, offset: int) -> Page:
        self.ready()
        values = {**parameters, "cursor": cursor, "api_key": self.settings.api_key or ""}
        what = f"OpenAlex works (page at {offset:,})"
        return self.http.get(self.settings.base_url + "works", values, lambda body: parse_page(body, offset, what),
                             what)

    # citation searching ----------------------------------------------------------------------------

    def works(self, ids: list[str]) -> list[Record]:
        """The works with these ids (``W...``), in batches of :data:`IDS_PER_REQUEST`."""
        found: list[Record] = []
        for start in range(0, len(ids), IDS_PER_REQUEST):
            chunk = ids[start:start + IDS_PER_REQUEST]
            parameters = {"filter": "openalex:" + "|".join(chunk), "per_page": str(len(chunk))}
            found.extend(self.page(parameters, "*", 0).records)
        return found

    def find(self, *, key: str = "", doi: str = "", pmid: str = "") -> str | None:
        """The work id (``W...``) of a record: straight from a work id, else by DOI or PMID (one request)."""
        if key.startswith("W") and key[1:].isdigit():
            return key
        for name, value in (("doi", doi), ("pmid", pmid)):
            if value:
                page = self.page({"filter": f"{name}:{value}", "per_page": "1"}, "*", 0)
                if page.records:
                    return page.records[0].source_id
        return None

    def referenced(self, work_id: str) -> list[Record]:
        """The works ``work_id`` cites (its ``referenced_works``), fetched in batches."""
        (work,) = self.works([work_id]) or (None,)
        if work is None:
            return []
        return self.works([value for name, value in work.tags if name == "referenced_work"])

    def citing(self, work_id: str) -> list[Record]:
        """Every work that cites ``work_id`` (``filter=cites:``), all pages."""
        parameters = {"filter": f"cites:{work_id}", "per_page": str(self.settings.page_size)}
        found: list[Record] = []
        cursor = self.first_cursor
        while True:
            page = self.page(parameters, cursor, len(found))
            found.extend(page.records)
            if (not page.next_cursor or page.next_cursor == cursor or not page.records
                    or (page.total is not None and len(found) >= page.total)):
                return found
            cursor = page.next_cursor


def parse_page(body: bytes, offset: int, what: str) -> Page:
    data = parse_json(body, what)
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        detail = text(data.get("message") or data.get("error")) if isinstance(data, dict) else ""
        raise Retryable(f"not a works answer{': ' + detail if detail else ''}")
    meta = data.get("meta") or {}
    records = tuple(to_record(work, offset + i) for i, work in enumerate(data["results"], start=1)
                    if isinstance(work, dict))
    cursor = meta.get("next_cursor")
    return Page(records, str(cursor) if cursor else None, as_int(meta.get("count")))


def short_id(value: Any) -> str:
    """``https://openalex.org/W123`` -> ``W123``."""
    return text(value).rsplit("/", 1)[-1]


def abstract_from_index(index: Any) -> str:
    """OpenAlex gives abstracts as an inverted index (word -> positions); put the words back in order."""
    if not isinstance(index, dict):
        return ""
    placed = sorted((position, word) for word, positions in index.items() for position in positions or [])
    return " ".join(word for _, word in placed)


def _author(name: str) -> str:
    """``Ana María Ng`` -> ``Ng, Ana María`` (the last word as the surname: OpenAlex gives display names)."""
    parts = name.split()
    return f"{parts[-1]}, {' '.join(parts[:-1])}" if len(parts) > 1 else name


def to_record(work: Mapping[str, Any], position: int = 0) -> Record:
    location = work.get("primary_location") or {}
    venue = location.get("source") or {}
    biblio = work.get("biblio") or {}
    ids = work.get("ids") or {}
    first, last = text(biblio.get("first_page")), text(biblio.get("last_page"))
    wid = short_id(work.get("id"))
    referenced = [short_id(w) for w in work.get("referenced_works") or []]
    tags = [("id", wid), ("type", text(work.get("type"))), ("publication_date", text(work.get("publication_date"))),
            ("created_date", text(work.get("created_date"))), ("updated_date", text(work.get("updated_date")))]
    tags += [("referenced_work", w) for w in referenced]
    return Record(
        title=text(work.get("title") or work.get("display_name")),
        abstract=abstract_from_index(work.get("abstract_inverted_index")),
        authors=tuple(_author(text((a.get("author") or {}).get("display_name")))
                      for a in work.get("authorships") or [] if (a.get("author") or {}).get("display_name")),
        year=work.get("publication_year") if isinstance(work.get("publication_year"), int) else None,
        journal=text(venue.get("display_name")),
        issn=strings(venue.get("issn")),
        volume=text(biblio.get("volume")),
        issue=text(biblio.get("issue")),
        pages=f"{first}-{last}" if first and last and first != last else first,
        doi=text(work.get("doi")).lower().removeprefix("https://doi.org/"),
        pmid=short_id(ids.get("pmid")) if ids.get("pmid") else "",
        language=strings(work.get("language")),
        publication_types=strings(work.get("type")),
        keywords=tuple(text(k.get("display_name")) for k in work.get("keywords") or [] if isinstance(k, dict)),
        url=f"https://openalex.org/{wid}",
        database="OpenAlex",
        source_id=wid,
        raw=json.dumps(work, ensure_ascii=False, sort_keys=True),
        tags=tuple((name, value) for name, value in tags if value),
        position=position,
    )
