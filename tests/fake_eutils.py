"""A fake NCBI E-utilities server for the tests and the benchmark: a real HTTP server on 127.0.0.1.

It holds ``n`` synthetic PubMed records (PMIDs ``first_pmid`` upwards), each with publication, entry,
create and modification dates, and answers ``esearch.fcgi``, ``efetch.fcgi`` and ``epost.fcgi`` over
GET and POST the way NCBI does, including what goes wrong there (``../shared/notes/eutils.md`` §1.5):

- **pace limit**: more than ``limit`` requests (``key_limit`` with an ``api_key``) in any one-second
  window from one client gets HTTP 429 with NCBI's JSON body ``{"error":"API rate limit exceeded",
  "api-key":...,"count":...,"limit":...}``, ``X-RateLimit-*`` headers and, optionally, ``Retry-After``.
  Counted apart from injected 429s (``stats.pace_429``), so a test can tell the harvester's own pace
  from the faults it was handed;
- **the history server**: ``usehistory=y`` gives ``QueryKey``/``WebEnv``; EFetch takes them with
  ``retstart``/``retmax``; EPost stores id lists;
- **the 9,999 cap**: ``retstart`` above 9,998 gives ``<ERROR>Search Backend failed: Exception:
  Position N is out of acceptable range [9999,9998]</ERROR>`` in HTTP 200; ``retmax`` above 9,999 gives
  the ``WarningList`` "Restrictions achieved..." and at most 9,999 ids;
- **date filters** ``mindate``/``maxdate``/``datetype`` (pdat, edat, crdt, mdat) and ``lo:hi[uid]``
  ranges in the term, so slicing a large result set works;
- **injected faults**, each with probability ``Faults.rate`` per request (seeded), or in the order of
  ``Faults.script``: an injected 429,
  HTTP 5xx with an HTML page, ``<ERROR>`` inside HTTP 200, a truncated body (consistent headers), a
  connection dropped mid-body, an HTML page in HTTP 200, a slow answer, and a stall longer than the
  client's timeout;
- **big answers break**: an EFetch answer holding more than ``Faults.oversize_records`` records (2,000 by
  default) is cut short with probability ``Faults.oversize_rate`` (0.5 by default): the whole length
  promised, part of it sent at a random point, the connection closed (fault kind ``oversize``). This is
  what users of the real service report for big batches (``../shared/notes/eutils.md`` §1.4-1.5:
  easyPubMed#13 "retmax 2000 fails, 1500 works", biopython#1944 ``IncompleteRead`` during large fetches),
  while NBK25499 documents EFetch answers of up to 10,000 records. Set ``oversize_rate=0`` to switch it off.

Every request is counted (``stats``), and so is every record served in a clean answer
(``stats.served``; in an answer cut short, the records sent whole), so tests can assert request counts
and that nothing was fetched twice.

Every query matches every record (this is not a search engine): tests vary ``n`` and the dates.
"""

from __future__ import annotations

import bisect
import json
import random
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from tests.fake_http import LocalServer, QueryHandler, drop, send_bytes

CAP = 9999
DATETYPES = ("pdat", "edat", "crdt", "mdat")
FAULT_KINDS = ("429", "5xx", "error200", "truncated", "dropped", "html", "slow", "stall")
_UID_RANGE = re.compile(r"^\((?P<term>.*)\)\s+AND\s+(?P<lo>\d+):(?P<hi>\d+)\[uid\]\s*$", re.DOTALL)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SURNAMES = ("Ng", "Okafor", "Müller", "García", "Smith", "Kowalski", "Tanaka", "O'Brien", "Haddad", "Silva")
_GIVEN = ("Ana", "Bola", "Jürgen", "María", "John", "Ewa", "Yui", "Siobhán", "Karim", "Luiz")


@dataclass(slots=True)
class Faults:
    """What goes wrong, and how often: each kind fires with probability ``rate`` on each request."""

    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    retry_after: str | None = "1"  # Retry-After on injected 429s; None: no header (NCBI in 2026)
    slow_seconds: float = 0.2
    stall_seconds: float = 3.0  # longer than the client's read timeout in the tests
    seed: int = 20261126
    script: list[str] = field(default_factory=list)  # faults for the next requests, in order ("" = none)
    oversize_records: int = 2000  # EFetch answers holding more records than this may be cut short ...
    oversize_rate: float = 0.5  # ... with this probability (fault kind "oversize"; 0: never)


@dataclass(slots=True)
class Stats:
    """What the server saw. Read it after the harvest (or under ``lock``)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: Counter[str] = field(default_factory=Counter)  # by endpoint
    statuses: Counter[int] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)  # injected, by kind
    pace_429: int = 0  # 429s caused by the client's own pace
    served: Counter[str] = field(default_factory=Counter)  # PMID -> clean EFetch answers holding it
    methods: Counter[str] = field(default_factory=Counter)
    keys_seen: set[str] = field(default_factory=set)
    log: list[dict[str, Any]] = field(default_factory=list)  # one entry per request, api_key removed; "ids": ids asked

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def efetch_clean(self) -> int:
        """EFetch requests answered with records and no fault."""
        return sum(1 for entry in self.log if entry["endpoint"] == "efetch" and not entry["fault"]
                   and entry["status"] == 200)


class FakeEutils(LocalServer):
    """Use as a context manager; ``url`` is the base URL to put in ``PRISMA_HARVEST_EUTILS_URL``."""

    name = "eutils"
    prefix = "/entrez/eutils/"

    def __init__(self, n: int = 1000, *, first_pmid: int = 30_000_000, start: date = date(2000, 1, 1),
                 end: date = date(2019, 12, 31), dates: Callable[[int], date] | None = None,
                 limit: float = 3.0, key_limit: float = 10.0, enforce_pace: bool = True,
                 faults: Faults | None = None, deleted: frozenset[int] = frozenset(),
                 messages: tuple[str, ...] = (), books_every: int = 97, cap: int = CAP,
                 echo_key: bool = False) -> None:
        self.n = n
        self.cap = cap  # NCBI's is 9,999; tests lower it to exercise slicing cheaply
        self.first_pmid = first_pmid
        self.limit = limit
        self.key_limit = key_limit
        self.enforce_pace = enforce_pace
        self.faults = faults or Faults()
        self.deleted = deleted  # PMIDs ESearch lists but EFetch silently omits
        self.messages = messages  # e.g. ("QuotedPhraseNotFound", '"peer listener"')
        self.books_every = books_every
        self.echo_key = echo_key  # answers quote the request's api_key (in QueryTranslation and a WarningList)
        self.stats = Stats()
        self._rng = random.Random(self.faults.seed)
        self._rng_lock = threading.Lock()
        self._arrivals: dict[str, deque[float]] = {}
        self._pace_lock = threading.Lock()
        self._histories: dict[str, dict[int, list[int]]] = {}
        self._history_lock = threading.Lock()
        span = (end - start).days + 1
        pick = dates or (lambda i: start + timedelta(days=(i * 7919) % span))
        self._pdat = [pick(i).toordinal() for i in range(n)]
        self._index: dict[str, tuple[list[int], list[int]]] = {}
        for datetype in DATETYPES:
            pairs = sorted((self._date(i, datetype), self.first_pmid + i) for i in range(n))
            self._index[datetype] = ([d for d, _ in pairs], [p for _, p in pairs])

    # ----------------------------------------------------------------------------------------- data

    def pmids(self) -> list[int]:
        return [self.first_pmid + i for i in range(self.n)]

    def _date(self, i: int, datetype: str) -> int:
        pdat = self._pdat[i]
        return {"pdat": pdat, "edat": pdat + i % 30, "crdt": pdat + i % 30, "mdat": pdat + i % 30 + 100}[datetype]

    def matching(self, term: str, params: dict[str, str]) -> list[int]:
        """PMIDs matching (every record, within the date and uid limits), most recent PMID first."""
        low_uid, high_uid = 0, 10**12
        match = _UID_RANGE.match(term.strip())
        if match:
            low_uid, high_uid = int(match["lo"]), int(match["hi"])
        datetype = params.get("datetype", "pdat")
        mindate, maxdate = params.get("mindate"), params.get("maxdate")
        if mindate and maxdate and datetype in self._index:
            days, pmids = self._index[datetype]
            found = pmids[bisect.bisect_left(days, _ordinal(mindate, end=False)):
                          bisect.bisect_right(days, _ordinal(maxdate, end=True))]
        else:
            found = self.pmids()
        return sorted((p for p in found if low_uid <= p <= high_uid), reverse=True)

    def article_xml(self, pmid: int) -> str:
        i = pmid - self.first_pmid
        day = date.fromordinal(self._pdat[i])
        authors = "".join(
            f'<Author ValidYN="Y"><LastName>{escape(_SURNAMES[(i + k) % 10])}</LastName>'
            f"<ForeName>{escape(_GIVEN[(i + k) % 10])}</ForeName>"
            f"<Initials>{_GIVEN[(i + k) % 10][0]}</Initials></Author>"
            for k in range(1 + i % 3))
        title = f"Peer supporters in health, study {pmid}: experiences &amp; roles in caf\u00e9 settings."
        abstract = (f'<AbstractText Label="BACKGROUND">Peer support workers (n = {i % 500}) &lt; 5 sites.'
                    f'</AbstractText><AbstractText Label="RESULTS">Themes emerged for record {pmid}.</AbstractText>')
        doi = f"10.5555/synth.{pmid}"
        if self.books_every and i % self.books_every == self.books_every - 1:
            return (f'<PubmedBookArticle><BookDocument><PMID Version="1">{pmid}</PMID><ArticleIdList>'
                    f'<ArticleId IdType="bookaccession">NBK{pmid}</ArticleId><ArticleId IdType="doi">{doi}</ArticleId>'
                    f"</ArticleIdList><Book><Publisher><PublisherName>Synthetic Press</PublisherName></Publisher>"
                    f"<BookTitle>Handbook of peer work, volume {i % 7}</BookTitle><PubDate><Year>{day.year}</Year>"
                    f"</PubDate></Book><Language>eng</Language><AuthorList>{authors}</AuthorList>"
                    f"<ArticleTitle>{title}</ArticleTitle><Abstract>{abstract}</Abstract></BookDocument>"
                    f"<PubmedBookData><ArticleIdList><ArticleId IdType=\"pubmed\">{pmid}</ArticleId></ArticleIdList>"
                    f"</PubmedBookData></PubmedBookArticle>")
        return (f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>'
                f'<Article PubModel="Print"><Journal><ISSN IssnType="Print">1234-5678</ISSN>'
                f'<JournalIssue CitedMedium="Print"><Volume>{1 + i % 40}</Volume><Issue>{1 + i % 12}</Issue>'
                f"<PubDate><Year>{day.year}</Year><Month>{_MONTHS[day.month - 1]}</Month><Day>{day.day:02d}</Day>"
                f"</PubDate></JournalIssue><Title>Journal of Synthetic Peer Support</Title>"
                f"<ISOAbbreviation>J Synth Peer Support</ISOAbbreviation></Journal><ArticleTitle>{title}</ArticleTitle>"
                f"<Pagination><MedlinePgn>{1 + i % 300}-{10 + i % 300}</MedlinePgn></Pagination>"
                f'<ELocationID EIdType="doi" ValidYN="Y">{doi}</ELocationID><Abstract>{abstract}</Abstract>'
                f'<AuthorList CompleteYN="Y">{authors}</AuthorList><Language>eng</Language><PublicationTypeList>'
                f'<PublicationType UI="D016428">Journal Article</PublicationType></PublicationTypeList></Article>'
                f"<MedlineJournalInfo><MedlineTA>J Synth Peer Support</MedlineTA><ISSNLinking>1234-5678</ISSNLinking>"
                f'</MedlineJournalInfo><KeywordList Owner="NOTNLM"><Keyword MajorTopicYN="N">peer support</Keyword>'
                f"</KeywordList></MedlineCitation><PubmedData><PublicationStatus>ppublish</PublicationStatus>"
                f'<ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId><ArticleId IdType="doi">{doi}</ArticleId>'
                f"</ArticleIdList></PubmedData></PubmedArticle>")

    # ------------------------------------------------------------------------------------- behaviour

    def over_pace(self, client: str, now: float, keyed: bool) -> tuple[bool, int, float]:
        """Count this arrival; return (refused, requests in the last second, limit)."""
        limit = self.key_limit if keyed else self.limit
        with self._pace_lock:
            window = self._arrivals.setdefault(client, deque())
            while window and window[0] <= now - 1.0:
                window.popleft()
            refused = self.enforce_pace and len(window) >= limit
            window.append(now)
            return refused, len(window), limit

    def pick_fault(self) -> str | None:
        with self._rng_lock:
            if self.faults.script:
                return self.faults.script.pop(0) or None
            for kind in self.faults.kinds:
                if self._rng.random() < self.faults.rate:
                    return kind
            return None

    def rng_uniform(self, low: float, high: float) -> float:
        with self._rng_lock:
            return self._rng.uniform(low, high)

    def history(self, webenv: str | None) -> tuple[str, dict[int, list[int]]]:
        with self._history_lock:
            if not webenv or webenv not in self._histories:
                webenv = f"MCID_{len(self._histories) + 1:024x}"
                self._histories[webenv] = {}
            return webenv, self._histories[webenv]

    def esearch(self, params: dict[str, str]) -> tuple[int, str]:
        term = params.get("term", "")
        retstart = int(params.get("retstart", "0") or 0)
        retmax = int(params.get("retmax", "20") or 20)
        cap = self.cap
        if retstart > cap - 1:
            return 200, _xml("eSearchResult", f"<ERROR>Search Backend failed: Exception: Position {retstart} is out of "
                                              f"acceptable range [{cap},{cap - 1}]</ERROR>", doctype="esearch")
        found = self.matching(term, params)
        if params.get("rettype") == "count":
            return 200, _xml("eSearchResult", f"<Count>{len(found)}</Count>", doctype="esearch")
        warnings = ""
        if retmax > cap:
            warnings = f"<WarningList><OutputMessage>Restrictions achieved. start and count adjusted to 0, {cap}" \
                       "</OutputMessage></WarningList>"
        stop = min(retstart + retmax, cap, len(found))
        ids = found[retstart:stop] if retstart < stop else []
        history = ""
        if params.get("usehistory") == "y":
            webenv, store = self.history(params.get("WebEnv"))
            with self._history_lock:
                key = len(store) + 1
                store[key] = found
            history = f"<QueryKey>{key}</QueryKey><WebEnv>{webenv}</WebEnv>"
        translation = escape(term.replace("[tiab]", "[Title/Abstract]"))
        if params.get("mindate") and params.get("maxdate"):
            label = {"pdat": "Date - Publication", "edat": "Date - Entry", "crdt": "Date - Create",
                     "mdat": "Date - Modification"}.get(params.get("datetype", "pdat"), "Date - Publication")
            translation += f" AND {params['mindate']}:{params['maxdate']}[{label}]"
        errors = ""
        echoed = params.get("echoed api_key")
        if echoed:
            translation += f" api_key={escape(echoed)}"
            warnings += (f"<WarningList><OutputMessage>Unused parameter api_key={escape(echoed)}</OutputMessage>"
                         "</WarningList>")
        if self.messages:
            kind, text = self.messages
            group = "ErrorList" if kind in ("PhraseNotFound", "FieldNotFound") else "WarningList"
            errors = f"<{group}><{kind}>{escape(text)}</{kind}></{group}>"
        body = (f"<Count>{len(found)}</Count><RetMax>{len(ids)}</RetMax><RetStart>{retstart}</RetStart>{history}"
                f"<IdList>{''.join(f'<Id>{p}</Id>' for p in ids)}</IdList><TranslationSet/>"
                f"<QueryTranslation>{translation}</QueryTranslation>{errors}{warnings}")
        return 200, _xml("eSearchResult", body, doctype="esearch")

    def efetch(self, params: dict[str, str]) -> tuple[int, str, list[int]]:
        if params.get("id"):
            wanted = [int(p) for p in params["id"].split(",") if p.strip().isdigit()]
        elif params.get("WebEnv") and params.get("query_key"):
            _, store = self.history(params["WebEnv"])
            ids = store.get(int(params["query_key"]))
            if ids is None:
                return 200, _xml("eFetchResult", "<ERROR>Cannot retrieve history data. query_key: "
                                                 f"{params['query_key']}</ERROR>"), []
            retstart = int(params.get("retstart", "0") or 0)
            if retstart > self.cap - 1:
                return 200, _xml("eFetchResult", f"<ERROR>Position {retstart} is out of acceptable range "
                                                 f"[{self.cap},{self.cap - 1}]</ERROR>"), []
            wanted = ids[retstart:min(retstart + int(params.get("retmax", "20") or 20), self.cap)]
        else:
            return 200, _xml("eFetchResult", "<ERROR>Empty id list - nothing todo</ERROR>"), []
        served = [p for p in dict.fromkeys(wanted)
                  if self.first_pmid <= p < self.first_pmid + self.n and p not in self.deleted]
        body = "\n".join(self.article_xml(p) for p in served)
        return 200, _xml("PubmedArticleSet", body, doctype="pubmed"), served

    def epost(self, params: dict[str, str]) -> tuple[int, str]:
        ids = [int(p) for p in params.get("id", "").split(",") if p.strip().isdigit()]
        if not ids:
            return 200, _xml("ePostResult", "<ERROR>Empty ID list; Nothing to store</ERROR>", doctype="epost")
        webenv, store = self.history(params.get("WebEnv"))
        with self._history_lock:
            key = len(store) + 1
            store[key] = ids
        return 200, _xml("ePostResult", f"<QueryKey>{key}</QueryKey><WebEnv>{webenv}</WebEnv>", doctype="epost")


class _Handler(QueryHandler):
    server_fake: FakeEutils

    def _answer(self, query: str) -> None:
        arrived = time.monotonic()
        fake = self.server_fake
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        endpoint = urlsplit(self.path).path.rsplit("/", 1)[-1].removesuffix(".fcgi")
        key = params.pop("api_key", "")
        client = f"key:{key}" if key else f"ip:{self.client_address[0]}"
        entry: dict[str, Any] = {"endpoint": endpoint, "method": self.command, "at": arrived, "fault": "",
                                 "params": {k: (v if len(v) < 200 else v[:200] + "...") for k, v in params.items()},
                                 "api_key": bool(key), "ids": len([p for p in params.get("id", "").split(",") if p])}
        if fake.echo_key and key:
            params["echoed api_key"] = key  # not logged: the log is what a test reads to see what was sent
        refused, seen, limit = fake.over_pace(client, arrived, bool(key))
        with fake.stats.lock:
            fake.stats.requests[endpoint] += 1
            fake.stats.methods[self.command] += 1
            if key:
                fake.stats.keys_seen.add(key)
            fake.stats.log.append(entry)
        if refused:
            with fake.stats.lock:
                fake.stats.pace_429 += 1
            entry["status"] = 429
            self._rate_limited(client, seen, limit, retry_after=None)
            return
        fault = fake.pick_fault() if endpoint in ("esearch", "efetch", "epost") else None
        entry["fault"] = fault or ""
        if fault:
            with fake.stats.lock:
                fake.stats.faults[fault] += 1
        if fault == "429":
            entry["status"] = 429
            self._rate_limited(client, seen, limit, retry_after=fake.faults.retry_after)
            return
        if fault == "5xx":
            status = (500, 502, 503)[int(fake.rng_uniform(0, 3)) % 3]
            entry["status"] = status
            self._send(status, f"<html><head><title>WWW Error {status} Diagnostic</title></head><body>"
                               f"<h1>Error {status}</h1></body></html>", "text/html")
            return
        if fault == "html":
            entry["status"] = 200
            self._send(200, "<!DOCTYPE html><html><head><title>WWW Error Blocked Diagnostic</title></head>"
                            "<body>Your access is blocked</body></html>", "text/html")
            return
        if fault == "error200":
            entry["status"] = 200
            root = {"esearch": "eSearchResult", "efetch": "eFetchResult", "epost": "ePostResult"}[endpoint]
            self._send(200, _xml(root, "<ERROR>Search Backend failed: temporarily unavailable</ERROR>"), "text/xml")
            return
        if fault == "slow":
            time.sleep(fake.faults.slow_seconds)
        if fault == "stall":
            time.sleep(fake.faults.stall_seconds)
        served: list[int] = []
        if endpoint == "esearch":
            status, body = fake.esearch(params)
        elif endpoint == "efetch":
            status, body, served = fake.efetch(params)
        elif endpoint == "epost":
            status, body = fake.epost(params)
        else:
            status, body = 404, "<html><body>Not found</body></html>"
        entry["status"] = status
        data = body.encode("utf-8")
        if fault is None and len(served) > fake.faults.oversize_records \
                and fake.rng_uniform(0, 1) < fake.faults.oversize_rate:
            fault = entry["fault"] = "oversize"
            with fake.stats.lock:
                fake.stats.faults[fault] += 1
        if fault in ("truncated", "dropped", "oversize"):
            cut = {"truncated": int(fake.rng_uniform(0, max(1, len(data) - 40))), "dropped": len(data) // 2,
                   "oversize": int(fake.rng_uniform(0, len(data)))}[fault]
            whole = data[:cut].count(b"</PubmedArticle>") + data[:cut].count(b"</PubmedBookArticle>")
            with fake.stats.lock:  # the records sent whole (a client reading while it receives keeps them)
                fake.stats.served.update(str(p) for p in served[:whole])
            if fault == "truncated":
                self._send_bytes(200, data[:cut], "text/xml")
            else:
                drop(self, data, "text/xml", keep=cut)
            return
        # Counted before the answer goes out, so a client that has read it always sees it counted; taken back
        # when the answer could not be sent.
        clean = [str(p) for p in served] if fault in (None, "slow") else []
        with fake.stats.lock:
            fake.stats.served.update(clean)
        sent = self._send_bytes(status, data, "text/xml" if body.startswith("<?xml") else "text/html")
        if not sent and clean:
            with fake.stats.lock:
                fake.stats.served.subtract(clean)
                for pmid in clean:
                    if fake.stats.served[pmid] <= 0:
                        del fake.stats.served[pmid]

    def _rate_limited(self, client: str, seen: int, limit: float, retry_after: str | None) -> None:
        body = json.dumps({"error": "API rate limit exceeded", "api-key": client.split(":", 1)[1][:4] + "...",
                           "count": str(seen), "limit": str(int(limit))})
        headers = {"X-RateLimit-Limit": str(int(limit)), "X-RateLimit-Remaining": "0"}
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        self._send(429, body, "application/json", headers)

    def _send(self, status: int, body: str, content_type: str, headers: dict[str, str] | None = None) -> bool:
        return self._send_bytes(status, body.encode("utf-8"), content_type, headers)

    def _send_bytes(self, status: int, data: bytes, content_type: str,
                    headers: dict[str, str] | None = None) -> bool:
        return send_bytes(self, status, data, content_type, headers)



def _xml(root: str, body: str, doctype: str | None = None) -> str:
    declarations = {
        "esearch": '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
                   '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">',
        "epost": '<!DOCTYPE ePostResult PUBLIC "-//NLM//DTD epost 20090526//EN" '
                 '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20090526/epost.dtd">',
        "pubmed": '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
                  '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">',
    }
    head = '<?xml version="1.0" encoding="UTF-8" ?>\n' + (declarations[doctype] + "\n" if doctype else "")
    return f"{head}<{root}>{body}</{root}>\n"


def _ordinal(text: str, *, end: bool) -> int:
    parts = [int(p) for p in text.replace("-", "/").split("/")]
    if len(parts) == 1:
        return (date(parts[0], 12, 31) if end else date(parts[0], 1, 1)).toordinal()
    if len(parts) == 2:
        if not end:
            return date(parts[0], parts[1], 1).toordinal()
        following = date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
        return following.toordinal() - 1
    return date(parts[0], parts[1], parts[2]).toordinal()


def iter_log(stats: Stats, endpoint: str | None = None) -> Iterator[dict[str, Any]]:
    with stats.lock:
        entries = list(stats.log)
    return (e for e in entries if endpoint is None or e["endpoint"] == endpoint)


FakeEutils.handler_base = _Handler
