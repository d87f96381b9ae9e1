"""ClinicalTrials.gov (a study register) through its API v2: ``/studies`` with ``pageToken`` paging.

What the service does and what we ask (``../shared/notes/query-and-sources.md``,
https://clinicaltrials.gov/data-api/api):

- ``GET /api/v2/studies?query.term=...&pageSize=1000&countTotal=true&format=json``; later pages add
  ``pageToken`` (the ``nextPageToken`` of the page before) and **repeat every other parameter**: the
  token does not carry the query. The last page has no ``nextPageToken``; ``totalCount`` comes with
  the first page only.
- **Literal search**: the query is in Essie syntax; terms are expanded to synonyms unless
  ``EXPANSION[None]`` says otherwise, so a query that does not set its expansion is sent as
  ``EXPANSION[None](query)`` (reproducible; the PRISMA-S report shows the query as sent).
- **Data version**: ``GET /api/v2/version`` gives ``dataTimestamp``, the day the register's data were
  refreshed: stored with every run as the register's "date searched".
- **Refresh windows**: ``AREA[StudyFirstPostDate]RANGE[a, b]`` (registered) and
  ``AREA[LastUpdatePostDate]RANGE[a, b]`` (updated).
- **Pace**: about 50 requests a minute per address; beyond it HTTP 429. We keep to 50/minute, 10% under.
- Records: NCT id, titles, conditions, interventions, dates and status (``raw`` keeps the whole study).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from harvester.records import Record
from harvester.sources.http import HttpRefused, Retryable
from harvester.sources.live import Page, PagedClient, Service, Window, as_int, parse_json, strings, text, year_of

SERVICE = Service(kind="clinicaltrials", name="ClinicalTrials.gov", default_url="https://clinicaltrials.gov/api/v2/",
                  env="PRISMA_HARVEST_CTGOV", limit=50 / 60, page_size=1000, hosts=("clinicaltrials.gov",))
_WINDOW_AREAS = {"created": "StudyFirstPostDate", "updated": "LastUpdatePostDate"}


class ClinicalTrials(PagedClient):
    service = SERVICE
    first_cursor = ""  # no pageToken on the first page
    windows = ("created", "updated")

    def query_as_sent(self, query: str, window: Window | None) -> str:
        sent = query if "EXPANSION[" in query.upper() else f"EXPANSION[None]({query})"
        if window is not None:
            low = _day(window.start) if window.start else "MIN"
            high = _day(window.end) if window.end else "MAX"
            sent = f"({sent}) AND AREA[{_WINDOW_AREAS[window.field]}]RANGE[{low}, {high}]"
        return sent

    def parameters(self, query: str, window: Window | None, parameter: str = "") -> dict[str, str]:
        return {"query.term": self.query_as_sent(query, window), "format": "json", "countTotal": "true",
                "pageSize": str(self.settings.page_size)}

    def page(self, parameters: Mapping[str, str], cursor: str, offset: int) -> Page:
        values = dict(parameters)
        if cursor:
            values["pageToken"] = cursor
        what = f"ClinicalTrials.gov studies (page at {offset:,})"
        return self.http.get(self.settings.base_url + "studies", values,
                             lambda body: parse_page(body, offset, what), what)

    def version(self) -> dict[str, Any]:
        """``dataTimestamp`` and ``apiVersion``; a version endpoint that refuses (a mirror without it) does not
        stop the search: the run then says the data version is unknown, and why."""
        what = "ClinicalTrials.gov data version"

        def check(body: bytes) -> dict[str, Any]:
            data = parse_json(body, what)
            if not isinstance(data, dict) or not data.get("dataTimestamp"):
                raise Retryable("version answer without dataTimestamp")
            return {"data_timestamp": text(data["dataTimestamp"]), "api_version": text(data.get("apiVersion"))}

        try:
            return self.http.get(self.settings.base_url + "version", {}, check, what)
        except HttpRefused as refused:
            return {"data_timestamp": None, "data_version_unknown": str(refused)}


def parse_page(body: bytes, offset: int, what: str) -> Page:
    data = parse_json(body, what)
    if not isinstance(data, dict) or not isinstance(data.get("studies"), list):
        raise Retryable(f"not a studies answer: {text(json.dumps(data))[:120]}")
    records = tuple(to_record(study, offset + i) for i, study in enumerate(data["studies"], start=1)
                    if isinstance(study, dict))
    token = data.get("nextPageToken")
    return Page(records, str(token) if token else None, as_int(data.get("totalCount")))


def to_record(study: Mapping[str, Any], position: int = 0) -> Record:
    protocol = study.get("protocolSection") or {}
    ident = protocol.get("identificationModule") or {}
    status = protocol.get("statusModule") or {}
    conditions = protocol.get("conditionsModule") or {}
    arms = protocol.get("armsInterventionsModule") or {}
    description = protocol.get("descriptionModule") or {}
    design = protocol.get("designModule") or {}
    sponsor = ((protocol.get("sponsorCollaboratorsModule") or {}).get("leadSponsor") or {}).get("name")
    nct = text(ident.get("nctId"))
    dates = {name: text((status.get(f"{name}Struct") or {}).get("date"))
             for name in ("startDate", "primaryCompletionDate", "completionDate", "studyFirstPostDate",
                          "lastUpdatePostDate")}
    interventions = tuple(f"{text(i.get('type'))}: {text(i.get('name'))}".strip(": ")
                          for i in arms.get("interventions") or [] if isinstance(i, dict))
    tags: list[tuple[str, str]] = [("nctId", nct), ("briefTitle", text(ident.get("briefTitle"))),
                                   ("officialTitle", text(ident.get("officialTitle"))),
                                   ("acronym", text(ident.get("acronym"))),
                                   ("overallStatus", text(status.get("overallStatus"))),
                                   ("studyType", text(design.get("studyType")))]
    tags += [(name, value) for name, value in dates.items()]
    tags += [("condition", c) for c in strings(conditions.get("conditions"))]
    tags += [("intervention", i) for i in interventions]
    tags += [("phase", p) for p in strings(design.get("phases"))]
    study_type = text(design.get("studyType"))
    return Record(
        title=text(ident.get("officialTitle") or ident.get("briefTitle")),
        abstract=text(description.get("briefSummary")),
        year=year_of(dates["startDate"] or dates["studyFirstPostDate"]),
        publication_types=tuple(t for t in ("Clinical trial registration", study_type.title().replace("_", " "))
                                if t),
        keywords=strings(conditions.get("conditions")) + strings(conditions.get("keywords")),
        url=f"https://clinicaltrials.gov/study/{nct}" if nct else "",
        publisher=text(sponsor),
        database="ClinicalTrials.gov",
        source_id=nct,
        raw=json.dumps(study, ensure_ascii=False, sort_keys=True),
        tags=tuple((name, value) for name, value in tags if value),
        position=position,
    )


def _day(day: date) -> str:
    return day.isoformat()
