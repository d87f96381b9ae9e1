"""What the cursor-paged live sources share (Europe PMC, ClinicalTrials.gov, OpenAlex).

Each of those services answers a search one page at a time and hands back a cursor for the next page
(``nextCursorMark``, ``nextPageToken``, ``next_cursor``). A source module describes its service
(:class:`Service`: default URL, published pace, page size), turns a query and an optional date window
into request parameters, and parses one page (:class:`Page`); :mod:`harvester.search` pages through,
storing each page in one transaction with the cursor that follows it, so that a search killed at any
moment resumes from the last page it stored.

Settings come from the environment, ``PRISMA_HARVEST_<NAME>_URL`` (a mirror, a proxy, the tests' fake
server), ``_RATE``, ``_PAGE_SIZE``, ``_TIMEOUT``, ``_ATTEMPTS``, ``_BACKOFF``, like E-utilities'
(docs/sources.md). For the service's own hosts the rate can only be lowered, never raised above the
service's published or chosen limit.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from harvester.errors import SourceError
from harvester.records import Record
from harvester.sources.http import Http, HttpRefused, Retryable, RetryPolicy, env_number
from harvester.sources.pace import quota_bucket, shared_limiter


@dataclass(frozen=True, slots=True)
class Service:
    """Fixed facts about one service."""

    kind: str  # the protocol's source kind
    name: str  # for messages: "Europe PMC"
    default_url: str
    env: str  # environment prefix: PRISMA_HARVEST_EUROPEPMC
    limit: float  # requests per second we keep to on the service's own hosts
    page_size: int  # the largest page the service serves, and our default
    hosts: tuple[str, ...]  # the service's own host names (their suffixes)
    key_env: str | None = None  # an API key's environment variable (OPENALEX_API_KEY)

    @property
    def url_env(self) -> str:
        return f"{self.env}_URL"

    def is_own_host(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        return any(host == h or host.endswith("." + h) for h in self.hosts)


@dataclass(frozen=True, slots=True)
class Settings:
    """How to reach one service. The API key is kept out of ``repr`` and out of :meth:`public`."""

    service: Service
    base_url: str
    rate: float
    page_size: int
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    api_key: str | None = field(default=None, repr=False)
    email: str | None = None

    @classmethod
    def from_env(cls, service: Service, email: str | None = None,
                 environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        base_url = (env.get(service.url_env) or service.default_url).strip()
        if not base_url.endswith("/"):
            base_url += "/"
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise SourceError(f"{service.url_env}: expected an http(s) URL, got {base_url!r}")
        rate = env_number(env, f"{service.env}_RATE", float, service.limit, 0.01, 10_000.0)
        if service.is_own_host(base_url):
            rate = min(rate, service.limit)
        defaults = RetryPolicy()
        timeout = env_number(env, f"{service.env}_TIMEOUT", float, defaults.read_timeout, 0.1, 3600.0)
        policy = RetryPolicy(
            attempts=int(env_number(env, f"{service.env}_ATTEMPTS", int, defaults.attempts, 1, 100)),
            backoff=env_number(env, f"{service.env}_BACKOFF", float, defaults.backoff, 0.0, 600.0),
            connect_timeout=min(defaults.connect_timeout, timeout),
            read_timeout=timeout,
        )
        size = int(env_number(env, f"{service.env}_PAGE_SIZE", int, service.page_size, 1, service.page_size))
        api_key = (env.get(service.key_env) or "").strip() or None if service.key_env else None
        return cls(service, base_url, rate, size, policy, api_key, email)

    def public(self) -> dict[str, Any]:
        """What a run stores as its parameters: never the key, only whether one was used."""
        values: dict[str, Any] = {"base_url": self.base_url, "rate": self.rate, "page_size": self.page_size}
        if self.service.key_env:
            values["api_key_used"] = bool(self.api_key)
        return values


@dataclass(frozen=True, slots=True)
class Window:
    """Records entered (``created``) or changed (``updated``) in the service's index between two days,
    both inclusive; ``None`` leaves that end open."""

    field: str  # created | updated
    start: date | None = None
    end: date | None = None

    def describe(self) -> str:
        return f"{self.field} {self.start or '...'} to {self.end or '...'}"


@dataclass(frozen=True, slots=True)
class Page:
    """One page of an answer: its records, the cursor of the next page (None: the last), the total."""

    records: tuple[Record, ...]
    next_cursor: str | None
    total: int | None


class PagedClient:
    """The HTTP side of one cursor-paged service; subclasses say how to ask and how to read."""

    service: Service
    #: The cursor of the first page.
    first_cursor: str = "*"
    #: Date windows the service can search on (a refresh's "created" and "updated" windows).
    windows: tuple[str, ...] = ("created",)
    #: The request parameter holding the page size (a count asks for one record).
    page_size_parameter: str = "pageSize"

    def __init__(self, settings: Settings | None = None, *, http: Http | None = None) -> None:
        self.settings = settings or Settings.from_env(self.service)
        if http is None:
            limiter = shared_limiter(quota_bucket(self.settings.base_url, self.settings.api_key), self.settings.rate)
            http = Http(limiter, self.settings.policy, secrets=(self.settings.api_key or "",),
                        unreachable_hint=self.service.url_env)
        self.http = http

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> PagedClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # what subclasses provide ------------------------------------------------------------------------

    def ready(self) -> None:
        """Raise :class:`~harvester.errors.SourceError` when the search cannot start (a key is missing)."""

    def query_as_sent(self, query: str, window: Window | None) -> str:
        """The query string as the service receives it (a window may be part of it)."""
        return query

    def parameters(self, query: str, window: Window | None, parameter: str = "") -> dict[str, str]:
        """Every request parameter but the cursor and the key; ``parameter``: where the query goes, as the
        query compiler says (``search`` or ``filter=title_and_abstract.search`` for OpenAlex)."""
        raise NotImplementedError

    def page(self, parameters: Mapping[str, str], cursor: str, offset: int) -> Page:
        """One page; ``offset``: the result-set position of its first record, less one."""
        raise NotImplementedError

    def version(self) -> dict[str, Any]:
        """What the service says about its data now (ClinicalTrials.gov's data timestamp); stored with the run."""
        return {}

    def count(self, query: str, window: Window | None = None, parameter: str = "") -> int:
        """The query's total now: one request for one record."""
        parameters = dict(self.parameters(query, window, parameter))
        parameters[self.page_size_parameter] = "1"
        answer = self.page(parameters, self.first_cursor, 0)
        return answer.total if answer.total is not None else len(answer.records)


def parse_json(body: bytes, what: str) -> Any:
    """A JSON body, refusing (for a retry) what is not one: an HTML page, an empty or cut-off body."""
    head = body[:2000].lstrip().lower()
    if not head:
        raise Retryable("empty body")
    if head.startswith(b"<"):
        title = ""
        if b"<title>" in head:
            title = head.split(b"<title>", 1)[1].split(b"<", 1)[0].decode("utf-8", "replace").strip()
        raise Retryable(f"an HTML or XML page instead of JSON from {what}" + (f" ({title})" if title else ""))
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise Retryable(f"malformed or truncated JSON from {what}: {error}") from error


def as_int(value: Any) -> int | None:
    """A count as the service wrote it (a JSON number, or digits in a string); None when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def text(value: Any) -> str:
    """A JSON value as one line of text ('' for null)."""
    if value is None:
        return ""
    return " ".join(str(value).split())


def strings(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list):
        return (text(values),) if values else ()
    return tuple(t for t in (text(v) for v in values) if t)


def year_of(value: Any) -> int | None:
    digits = text(value)[:4]
    return int(digits) if len(digits) == 4 and digits.isdigit() else None


__all__ = ["HttpRefused", "Page", "PagedClient", "Retryable", "Service", "Settings", "Window", "parse_json"]
