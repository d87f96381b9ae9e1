"""PubMed through NCBI E-utilities: ESearch (split past the 9,999 cap), then EFetch XML in batches.

What NCBI asks, and what the service does (research notes: ``../shared/notes/eutils.md``):

- **Pace**: 3 requests/s per IP address, 10/s with an API key (``NCBI_API_KEY``), across the whole
  process: every request goes through one shared :class:`~harvester.sources.pace.PaceLimiter`.
- **Identify**: ``tool=prisma-harvester`` and the review's ``email`` on every request; the API key
  too when set. Every request is a POST, so the key is never part of a URL (not in proxy logs, not
  in an exception message); messages are scrubbed all the same.
- **The cap**: ESearch lists at most 9,999 PMIDs of a result set (``retstart`` above 9,998 is refused
  with an ``<ERROR>`` in HTTP 200). A larger result set is split by date (``mindate``/``maxdate`` with
  the source's ``datetype``) into slices that each fit, recursively; a single day that still does not
  fit is split by PMID range (``AND lo:hi[uid]``).
- **Errors inside HTTP 200**: an ``<ERROR>`` element, an HTML page, a truncated body: retried like a
  429 or a 5xx (see :mod:`harvester.sources.http`).
- **EFetch** is POSTed with explicit PMID lists, as many per request as NCBI documents EFetch to give
  (``retmax`` up to 10,000, NBK25499; ``batch_size`` lowers it): at the pace limit the number of
  requests is the harvest's time. Big answers are where E-utilities breaks (users report answers of
  2,000 records failing where 1,500 work, ``IncompleteRead`` on large fetches), so the batch adapts
  (:class:`BatchSize`): halved after an answer cut short or timed out, doubled again after clean ones.
  Each answer is parsed while it arrives and its records are handed on in groups of
  :data:`STORE_EVERY` (memory stays flat whatever the batch); the whole records of an answer cut short
  are kept, and only the PMIDs it did not deliver are asked for again. Explicit lists rather than the
  history server's WebEnv/query_key: the harvester can then skip the PMIDs a ledger already holds (that
  is how a killed search resumes), and compare the PMIDs asked for with those returned (EFetch silently
  drops deleted ones). PMIDs missing from a complete answer are asked for once more, then reported.

This module talks HTTP and nothing else: :mod:`harvester.search` writes what it returns to the ledger.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import IO, Any, cast
from urllib.parse import urlsplit

from lxml import etree

from harvester.errors import SourceError
from harvester.formats.pubmed_xml import PubMedXmlError, PubMedXmlReader
from harvester.records import Record
from harvester.sources.http import AnswerStream, Http, Retryable, RetryPolicy, env_number
from harvester.sources.pace import quota_bucket, shared_limiter

NCBI_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
TOOL = "prisma-harvester"
#: The most PMIDs ESearch lists for one query (positions 0-9,998).
CAP = 9999
#: NCBI's published limits, requests per second.
LIMIT = 3.0
LIMIT_WITH_KEY = 10.0
#: EFetch's documented most records per request (NBK25499: ``retmax`` up to 10,000) and the default batch.
MAX_BATCH = 10_000
DEFAULT_BATCH = MAX_BATCH
#: Halving stops here: an answer this small that is still cut short is retried as it is.
MIN_BATCH = 50
#: Clean answers in a row after which a halved batch is doubled again (up to the configured batch).
GROW_AFTER = 2
#: Records handed to the caller (one ledger transaction) at a time while an EFetch answer streams in.
STORE_EVERY = 500
#: Problems that mean "asked for too much at once": the next attempt asks for half as many records.
SIZE_PROBLEMS = ("timed out", "cut off", "truncated")
#: Slices aim at this share of the cap, so an uneven spread of dates seldom needs a further split.
SLICE_FILL = 0.75
#: Date bounds used when a search without date limits must be split by date.
EARLIEST = date(1700, 1, 1)
LATEST_YEARS_AHEAD = 2  # ahead-of-print records carry publication dates in the future
#: PMID space searched when one day holds more than the cap (``lo:hi[uid]``).
MAX_PMID = 99_999_999

#: Environment variables read by :meth:`Settings.from_env` (documented in docs/pubmed.md).
ENV_URL = "PRISMA_HARVEST_EUTILS_URL"
ENV_KEY = "NCBI_API_KEY"
ENV_RATE = "PRISMA_HARVEST_EUTILS_RATE"
ENV_BATCH = "PRISMA_HARVEST_EUTILS_BATCH"
ENV_TIMEOUT = "PRISMA_HARVEST_EUTILS_TIMEOUT"
ENV_BACKOFF = "PRISMA_HARVEST_EUTILS_BACKOFF"
ENV_ATTEMPTS = "PRISMA_HARVEST_EUTILS_ATTEMPTS"

_SECURE = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}


@dataclass(frozen=True, slots=True)
class Settings:
    """How to reach E-utilities. The API key is kept out of ``repr`` and out of :meth:`public`."""

    base_url: str = NCBI_EUTILS_URL
    api_key: str | None = field(default=None, repr=False)
    rate: float = LIMIT
    batch_size: int = DEFAULT_BATCH
    email: str | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_env(cls, email: str | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from the environment. The rate is NCBI's limit for the key situation; a
        ``PRISMA_HARVEST_EUTILS_RATE`` override (mirrors, tests) is capped at that limit for NCBI's hosts."""
        env = os.environ if environ is None else environ
        base_url = (env.get(ENV_URL) or NCBI_EUTILS_URL).strip()
        if not base_url.endswith("/"):
            base_url += "/"
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise SourceError(f"{ENV_URL}: expected an http(s) URL, got {base_url!r}")
        api_key = (env.get(ENV_KEY) or "").strip() or None
        limit = LIMIT_WITH_KEY if api_key else LIMIT
        rate = env_number(env, ENV_RATE, float, limit, 0.01, 10_000.0)
        if is_ncbi(base_url):
            rate = min(rate, limit)
        defaults = RetryPolicy()
        timeout = env_number(env, ENV_TIMEOUT, float, defaults.read_timeout, 0.1, 3600.0)
        policy = RetryPolicy(
            attempts=int(env_number(env, ENV_ATTEMPTS, int, defaults.attempts, 1, 100)),
            backoff=env_number(env, ENV_BACKOFF, float, defaults.backoff, 0.0, 600.0),
            connect_timeout=min(defaults.connect_timeout, timeout),
            read_timeout=timeout,
        )
        batch = int(env_number(env, ENV_BATCH, int, DEFAULT_BATCH, 1, MAX_BATCH))
        return cls(base_url=base_url, api_key=api_key, rate=rate, batch_size=batch, email=email, policy=policy)

    def public(self) -> dict[str, Any]:
        """What a run stores as its parameters: never the key, only whether one was used."""
        return {"base_url": self.base_url, "tool": TOOL, "email": self.email, "api_key_used": bool(self.api_key),
                "rate": self.rate, "batch_size": self.batch_size}


def is_ncbi(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "nih.gov" or host.endswith(".nih.gov")


@dataclass(frozen=True, slots=True)
class Window:
    """Date limits for a search: ``YYYY``, ``YYYY/MM`` or ``YYYY/MM/DD``, both inclusive, of ``datetype``."""

    mindate: str | None = None
    maxdate: str | None = None
    datetype: str = "pdat"

    @property
    def limited(self) -> bool:
        return bool(self.mindate or self.maxdate)

    def bounds(self, today: date) -> tuple[date, date]:
        """First and last day covered (open ends: :data:`EARLIEST`, a little after today)."""
        low = _day(self.mindate, end=False) if self.mindate else EARLIEST
        high = _day(self.maxdate, end=True) if self.maxdate else date(today.year + LATEST_YEARS_AHEAD, 12, 31)
        return low, high

    def parameters(self, today: date) -> dict[str, str]:
        """ESearch parameters (PubMed wants both ends or neither)."""
        if not self.limited:
            return {}
        low, high = self.bounds(today)
        return {"datetype": self.datetype, "mindate": _fmt(low), "maxdate": _fmt(high)}


@dataclass(frozen=True, slots=True)
class Answer:
    """One ESearch: the Count, the PMIDs listed, PubMed's translation and its errors and warnings."""

    count: int
    ids: tuple[str, ...]
    translation: str
    messages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Slice:
    """One piece of a result set that ESearch could list in full."""

    mindate: str | None
    maxdate: str | None
    datetype: str | None
    uid_range: str | None
    count: int
    ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """A search resolved to PMIDs: the whole search's Count and translation, and the slices listed."""

    term: str
    window: Window
    count: int
    translation: str
    messages: tuple[str, ...]
    slices: tuple[Slice, ...]
    cap: int = CAP

    def ids(self) -> list[str]:
        """Every PMID listed, once, in slice order."""
        return list(dict.fromkeys(pmid for piece in self.slices for pmid in piece.ids))

    def gaps(self) -> list[str]:
        """Differences between what ESearch reported and what it listed, in words."""
        notes = []
        listed = len(self.ids())
        in_slices = sum(piece.count for piece in self.slices)
        if len(self.slices) > 1 and in_slices != self.count:
            notes.append(f"the {len(self.slices)} slices hold {in_slices} records but the whole search reported "
                         f"{self.count} (records without a {self.window.datetype} date in range, or PubMed "
                         "changed during the search)")
        short = [piece for piece in self.slices if len(piece.ids) < min(piece.count, self.cap)]
        if short:
            lost = sum(min(piece.count, self.cap) - len(piece.ids) for piece in short)
            notes.append(f"ESearch listed {lost} fewer PMIDs than its Count in {len(short)} slice(s)")
        if listed < self.count and not notes:
            notes.append(f"ESearch listed {listed} PMIDs for a Count of {self.count}")
        return notes


@dataclass(frozen=True, slots=True)
class Batch:
    """One EFetch: the records in the order asked, and the PMIDs asked for but not returned."""

    records: tuple[Record, ...]
    missing: tuple[str, ...]
    unexpected: int = 0  # records returned that were not asked for (ignored)
    deleted: tuple[str, ...] = ()  # PMIDs listed in a DeleteCitation element


@dataclass(slots=True)
class BatchSize:
    """How many PMIDs the next EFetch asks for: ``ceiling`` (the configured batch) at first; after an answer
    cut short or timed out, half as many as that answer was asked for (not below ``floor``); doubled after
    :data:`GROW_AFTER` clean answers in a row (not above ``ceiling``)."""

    ceiling: int
    floor: int = MIN_BATCH
    size: int = 0
    clean: int = 0
    halved: int = 0
    grown: int = 0
    smallest: int = 0

    def __post_init__(self) -> None:
        self.floor = max(1, min(self.floor, self.ceiling))
        self.size = self.size or self.ceiling
        self.smallest = self.size

    def shrink(self, asked: int | None = None) -> None:
        """After a problem with an answer to ``asked`` PMIDs (default: a full batch): half of that."""
        self.clean = 0
        new = max(self.floor, min(self.size, asked or self.size) // 2)
        if new < self.size:
            self.size = new
            self.halved += 1
            self.smallest = min(self.smallest, self.size)

    def succeeded(self) -> None:
        self.clean += 1
        if self.clean >= GROW_AFTER and self.size < self.ceiling:
            self.size = min(self.ceiling, self.size * 2)
            self.grown += 1
            self.clean = 0

    def describe(self) -> str | None:
        """For the run's message, when the batch had to change."""
        if not self.halved:
            return None
        return (f"EFetch batch of {self.ceiling} PMIDs halved {self.halved} time(s) after answers cut short or "
                f"timed out (down to {self.smallest}), doubled {self.grown} time(s) after clean ones; "
                f"ended at {self.size}")


@dataclass(slots=True)
class Fetched:
    """What :meth:`PubMed.fetch` did: PMIDs asked for twice and never returned, records returned that were
    not asked for (ignored), ``DeleteCitation`` PMIDs, answers (complete, cut short) and the batch size."""

    batch: BatchSize
    missing: list[str] = field(default_factory=list)
    unexpected: int = 0
    deleted: list[str] = field(default_factory=list)
    answers: int = 0
    cut_short: int = 0


@dataclass(slots=True)
class _Answer:
    """One EFetch answer as read: ``problem`` when it was cut short (its whole records were kept)."""

    ask: list[str]
    got: int
    problem: str | None = None


class PubMed:
    """An E-utilities client for PubMed; one per harvest (they share the process-wide pace)."""

    def __init__(self, settings: Settings | None = None, *, http: Http | None = None,
                 today: date | None = None, cap: int = CAP) -> None:
        self.settings = settings or Settings.from_env()
        self.cap = cap  # NCBI's is fixed; tests lower it to exercise slicing on small result sets
        if http is None:
            limiter = shared_limiter(quota_bucket(self.settings.base_url, self.settings.api_key), self.settings.rate)
            http = Http(limiter, self.settings.policy, secrets=(self.settings.api_key or "",),
                        unreachable_hint=ENV_URL)
        self.http = http
        self.today = today or date.today()

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> PubMed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------------------------------- ESearch

    def esearch(self, term: str, window: Window | None = None, *, retmax: int | None = None) -> Answer:
        """One ESearch (no paging: ``retstart`` stays 0, so the cap's error never comes back)."""
        retmax = self.cap if retmax is None else retmax
        data = {"db": "pubmed", "term": term, "retmax": str(retmax), "retstart": "0", "retmode": "xml"}
        if window is not None:
            data.update(window.parameters(self.today))
        what = f"PubMed ESearch ({_describe(window)})"
        return self.http.post(self._url("esearch.fcgi"), self._identified(data), _parse_esearch, what)

    def count(self, term: str, window: Window | None = None) -> int:
        """The query's Count now (one request, no PMIDs listed)."""
        return self.esearch(term, window, retmax=0).count

    def plan(self, term: str, window: Window | None = None) -> Plan:
        """Resolve a search to its PMIDs, splitting it into slices that each fit under the cap."""
        window = window or Window()
        whole = self.esearch(term, window)
        if whole.count <= self.cap:
            limits = window.parameters(self.today)
            piece = Slice(limits.get("mindate"), limits.get("maxdate"), limits.get("datetype"), None, whole.count,
                          whole.ids)
            return Plan(term, window, whole.count, whole.translation, whole.messages, (piece,), self.cap)
        low, high = window.bounds(self.today)
        slices = self._split_dates(term, window.datetype, low, high, whole.count)
        return Plan(term, window, whole.count, whole.translation, whole.messages, tuple(slices), self.cap)

    def _split_dates(self, term: str, datetype: str, low: date, high: date, count: int) -> list[Slice]:
        """Split ``low..high`` into equal date ranges aimed at :data:`SLICE_FILL` of the cap each; ranges
        still over the cap are split again (a single day, by PMID range)."""
        slices: list[Slice] = []
        pending = [(low, high, count)]
        while pending:
            first, last, total = pending.pop()
            if first == last:
                slices.extend(self._split_uids(term, datetype, first, total))
                continue
            for start, end in _split_days(first, last, _parts(total, self.cap)):
                answer = self.esearch(term, Window(_fmt(start), _fmt(end), datetype))
                if answer.count <= self.cap:
                    slices.append(Slice(_fmt(start), _fmt(end), datetype, None, answer.count, answer.ids))
                else:
                    pending.append((start, end, answer.count))
        return sorted(slices, key=lambda s: (s.mindate or "", _uid_start(s.uid_range)))

    def _split_uids(self, term: str, datetype: str, day: date, count: int) -> list[Slice]:
        """One day holding more than the cap: split it by PMID range (``AND lo:hi[uid]``)."""
        slices: list[Slice] = []
        pending = [(1, MAX_PMID, count)]
        window = Window(_fmt(day), _fmt(day), datetype)
        while pending:
            low, high, total = pending.pop(0)
            if low == high:
                raise SourceError(f"PubMed ESearch: PMID {low} alone reports {total} records on {_fmt(day)}")
            parts = min(_parts(total, self.cap), high - low + 1)
            edges = [low + (high - low + 1) * i // parts for i in range(parts + 1)]
            for start, end in ((edges[i], edges[i + 1] - 1) for i in range(parts)):
                answer = self.esearch(f"({term}) AND {start}:{end}[uid]", window)
                if answer.count <= self.cap:
                    slices.append(Slice(_fmt(day), _fmt(day), datetype, f"{start}:{end}", answer.count, answer.ids))
                else:
                    pending.append((start, end, answer.count))
        return slices

    # ----------------------------------------------------------------------------------------- EFetch

    def efetch(self, pmids: Iterable[str], database: str = "PubMed",
               positions: Mapping[str, int] | None = None) -> Batch:
        """Fetch PubMed XML for ``pmids`` and hold the records (:meth:`fetch` without a store, for small
        lists): the records in the order asked, and the PMIDs missing after being asked for twice."""
        wanted = list(dict.fromkeys(pmids))
        found: dict[str, Record] = {}
        fetched = self.fetch(wanted, lambda records: found.update((r.pmid, r) for r in records),
                             database=database, positions=positions)
        return Batch(records=tuple(found[p] for p in wanted if p in found), missing=tuple(fetched.missing),
                     unexpected=fetched.unexpected, deleted=tuple(fetched.deleted))

    def fetch(self, pmids: Iterable[str], store: Callable[[list[Record]], None], *, database: str = "PubMed",
              positions: Mapping[str, int] | None = None) -> Fetched:
        """Fetch every PMID once with as few EFetches as the batch size allows, handing the records to
        ``store`` as they arrive (at most :data:`STORE_EVERY` at a time, each record once).

        The batch starts at the configured size and adapts (:class:`BatchSize`). An answer cut short
        keeps its whole records; the PMIDs it did not deliver are asked for next, in a halved batch. PMIDs
        a complete answer did not return are asked for once more at the end; those still missing are
        ``missing``. ``positions``: PMID -> place in the search's result set, given to each record."""
        wanted = list(dict.fromkeys(pmids))
        fetched = Fetched(BatchSize(self.settings.batch_size))
        received: set[str] = set()
        again: list[str] = []
        for last_round, queue in ((False, wanted), (True, again)):
            start = 0
            while True:
                start = _skip(queue, start, received)
                if start >= len(queue):
                    break
                answer = self._efetch_stream(queue, start, received, store, database, positions, fetched)
                fetched.answers += 1
                if answer.problem is not None:
                    fetched.cut_short += 1
                    fetched.batch.shrink(len(answer.ask))
                    continue
                fetched.batch.succeeded()
                start = queue.index(answer.ask[-1], start) + 1
                unanswered = [pmid for pmid in answer.ask if pmid not in received]
                (fetched.missing if last_round else again).extend(unanswered)
        return fetched

    def _efetch_stream(self, queue: list[str], start: int, received: set[str], store: Callable[[list[Record]], None],
                       database: str, positions: Mapping[str, int] | None, fetched: Fetched) -> _Answer:
        """One EFetch (retried, each attempt asking for the next batch of ``queue`` from ``start`` not yet
        received), read while it arrives."""
        asking: list[list[str]] = [[]]

        def data() -> dict[str, str]:
            asking[0] = _take(queue, start, fetched.batch.size, received)
            return self._identified({"db": "pubmed", "id": ",".join(asking[0]), "retmode": "xml"})

        def what() -> str:
            ask = asking[0]
            return f"PubMed EFetch of {len(ask)} PMIDs ({ask[0] if ask else ''}...)"

        def retrying(problem: str) -> None:
            if any(kind in problem for kind in SIZE_PROBLEMS):
                fetched.batch.shrink(len(asking[0]))

        def read(stream: AnswerStream) -> _Answer:
            ask = asking[0]
            head = stream.peek(2000)
            if stream.broken and len(head) < 2000:
                raise Retryable(f"answer cut off ({stream.broken})")
            _refuse_non_xml(head)
            asked = set(ask)
            reader = PubMedXmlReader(database, positions)
            held: list[Record] = []
            got = 0
            problem: str | None = None
            try:
                for record in reader.records(cast(IO[bytes], stream)):  # it has what iterparse reads: read()
                    if record.pmid in asked and record.pmid not in received:
                        held.append(record)
                        received.add(record.pmid)
                        got += 1
                        if len(held) >= STORE_EVERY:
                            store(held)
                            held = []
                    else:
                        fetched.unexpected += 1
            except PubMedXmlError as error:
                problem = f"ERROR {error.error_text!r}" if error.error_text else error.problem
                if stream.broken:
                    problem = f"answer cut off ({stream.broken})"
            if held:
                store(held)
            fetched.deleted.extend(reader.deleted)
            if problem is not None and not got:
                raise Retryable(problem)
            return _Answer(ask, got, problem)

        return self.http.post_stream(self._url("efetch.fcgi"), data, read, what, retrying=retrying)

    # ---------------------------------------------------------------------------------------- helpers

    def _url(self, endpoint: str) -> str:
        return self.settings.base_url + endpoint

    def _identified(self, data: dict[str, str]) -> dict[str, str]:
        data = dict(data, tool=TOOL)
        if self.settings.email:
            data["email"] = self.settings.email
        if self.settings.api_key:
            data["api_key"] = self.settings.api_key
        return data


def _parse_esearch(body: bytes) -> Answer:
    _refuse_non_xml(body)
    try:
        root = etree.fromstring(body, etree.XMLParser(**_SECURE))
    except etree.XMLSyntaxError as error:
        raise Retryable(f"malformed or truncated XML: {error.msg}") from error
    if root.tag != "eSearchResult":
        raise Retryable(f"not an ESearch answer: <{root.tag}>")
    error_text = " ".join((root.findtext("ERROR") or "").split())
    if error_text:
        if "out of acceptable range" in error_text:
            raise SourceError(f"PubMed ESearch refused a position past its cap: {error_text}")
        raise Retryable(f"ERROR {error_text!r}")
    count_text = (root.findtext("Count") or "").strip()
    if not count_text.isdigit():
        raise Retryable("ESearch answer without a Count")
    ids = tuple(pmid for pmid in ((e.text or "").strip() for e in root.iterfind("IdList/Id")) if pmid)
    messages = []
    for group in ("ErrorList", "WarningList"):
        for element in root.iterfind(f"{group}/*"):
            text = " ".join("".join(element.itertext()).split())
            if text:
                messages.append(f"{element.tag}: {text}")
    return Answer(int(count_text), ids, " ".join((root.findtext("QueryTranslation") or "").split()), tuple(messages))


def _take(queue: list[str], start: int, size: int, received: set[str]) -> list[str]:
    """The next ``size`` PMIDs of ``queue`` from ``start`` that have not been received."""
    ask: list[str] = []
    for pmid in queue[start:]:
        if pmid not in received:
            ask.append(pmid)
            if len(ask) >= size:
                break
    return ask


def _skip(queue: list[str], start: int, received: set[str]) -> int:
    """The first place from ``start`` whose PMID has not been received."""
    while start < len(queue) and queue[start] in received:
        start += 1
    return start


def _refuse_non_xml(body: bytes) -> None:
    head = body[:2000].lstrip().lower()
    if not head:
        raise Retryable("empty body")
    if head.startswith(b"<!doctype html") or b"<html" in head:
        title = ""
        if b"<title>" in head:
            title = head.split(b"<title>", 1)[1].split(b"<", 1)[0].decode("utf-8", "replace").strip()
        raise Retryable("an HTML page instead of XML" + (f" ({title})" if title else ""))
    if head.startswith(b"{"):
        raise Retryable("JSON instead of XML: " + " ".join(head[:200].decode("utf-8", "replace").split()))


def _parts(count: int, cap: int) -> int:
    return max(2, math.ceil(count / (cap * SLICE_FILL)))


def _split_days(first: date, last: date, parts: int) -> list[tuple[date, date]]:
    days = (last - first).days + 1
    parts = max(1, min(parts, days))
    edges = [first + timedelta(days=days * i // parts) for i in range(parts + 1)]
    return [(edges[i], edges[i + 1] - timedelta(days=1)) for i in range(parts)]


def _day(text: str, *, end: bool) -> date:
    parts = [int(p) for p in text.replace("-", "/").split("/")]
    year = parts[0]
    if len(parts) == 1:
        return date(year, 12, 31) if end else date(year, 1, 1)
    month = parts[1]
    if len(parts) == 2:
        if not end:
            return date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        return following - timedelta(days=1)
    return date(year, month, parts[2])


def _uid_start(uid_range: str | None) -> int:
    return int(uid_range.split(":")[0]) if uid_range else 0


def _fmt(day: date) -> str:
    return day.strftime("%Y/%m/%d")


def _describe(window: Window | None) -> str:
    if window is None or not window.limited:
        return "no date limits"
    return f"{window.datetype} {window.mindate or '...'}-{window.maxdate or '...'}"
