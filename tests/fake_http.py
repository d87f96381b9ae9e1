"""What the fake JSON services share (Europe PMC, ClinicalTrials.gov, OpenAlex): a real threaded HTTP
server on 127.0.0.1 that counts every request, keeps a pace limit the way the service does (HTTP 429),
and injects faults, each with probability ``Faults.rate`` per request (seeded) or in the order of
``Faults.script``:

- ``429``: rate limited, with ``Retry-After`` (``Faults.retry_after``);
- ``5xx``: HTTP 500/502/503 with an HTML page (a gateway in front of the service);
- ``error200``: the service's own error shape inside HTTP 200 (each fake says what that is);
- ``truncated``: a body cut short with consistent headers;
- ``dropped``: the whole body promised, half sent, the connection closed;
- ``html``: an HTML maintenance page in HTTP 200;
- ``slow``: a slow answer; ``stall``: no answer within the client's timeout.

A subclass answers ``handle(method, path, params)`` with an :class:`Answer`; ``served`` names the
records in a clean answer, so tests can tell how often each record was sent (``stats.served``).
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

FAULT_KINDS = ("429", "5xx", "error200", "truncated", "dropped", "html", "slow", "stall")


@dataclass(slots=True)
class Faults:
    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    retry_after: str | None = "0.05"
    slow_seconds: float = 0.1
    stall_seconds: float = 1.5  # longer than the client's read timeout in the tests
    seed: int = 20261206
    script: list[str] = field(default_factory=list)  # faults for the next requests, in order ("" = none)


@dataclass(slots=True)
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: Counter[str] = field(default_factory=Counter)  # by endpoint
    statuses: Counter[int] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    pace_429: int = 0
    served: Counter[str] = field(default_factory=Counter)  # record id -> clean answers holding it
    methods: Counter[str] = field(default_factory=Counter)
    keys_seen: set[str] = field(default_factory=set)
    log: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.requests.values())


@dataclass(slots=True)
class Answer:
    status: int
    body: str
    content_type: str = "application/json"
    served: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


class LocalServer:
    """What every fake shares: started and stopped with ``with``, served on a free loopback port by its own
    request handler class (``handler_base``, given this fake as ``server_fake``), at ``url``."""

    name = "fake"
    prefix = "/"  # the path the base URL points at
    handler_base: type[BaseHTTPRequestHandler]
    _server: ThreadingHTTPServer | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        handler = type("Handler", (self.handler_base,), {"server_fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         name=f"fake-{self.name}", daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.prefix}"


class FakeService(LocalServer):
    """Start with ``with Fake(...) as fake``; ``fake.url`` is the base URL for ``PRISMA_HARVEST_*_URL``."""

    key_parameter: str | None = None  # a query parameter that carries an API key (removed from the log)

    def __init__(self, *, limit: float | None = None, per_seconds: float = 1.0, faults: Faults | None = None) -> None:
        self.limit = limit  # requests per ``per_seconds`` from one client; None: no limit
        self.per_seconds = per_seconds
        self.faults = faults or Faults()
        self.stats = Stats()
        self._rng = random.Random(self.faults.seed)
        self._rng_lock = threading.Lock()
        self._arrivals: dict[str, deque[float]] = {}
        self._pace_lock = threading.Lock()

    # what a fake provides --------------------------------------------------------------------------

    def handle(self, method: str, path: str, params: dict[str, str], key: str) -> Answer:
        raise NotImplementedError

    def error_in_200(self, path: str) -> str:
        """The service's own error shape inside HTTP 200."""
        return '{"error": "internal error"}'

    def rate_limited(self) -> Answer:
        return Answer(429, '{"error": "Too Many Requests"}')

    # behaviour -------------------------------------------------------------------------------------

    def over_pace(self, client: str, now: float) -> bool:
        if self.limit is None:
            return False
        with self._pace_lock:
            window = self._arrivals.setdefault(client, deque())
            while window and window[0] <= now - self.per_seconds:
                window.popleft()
            refused = len(window) >= self.limit
            window.append(now)
            return refused

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

    def requests_to(self, endpoint: str) -> list[dict[str, Any]]:
        with self.stats.lock:
            return [entry for entry in self.stats.log if entry["endpoint"] == endpoint]


class QueryHandler(BaseHTTPRequestHandler):
    """The request side every fake shares: HTTP/1.1 keep-alive, no access log, and a GET's query string or a
    POST's form body handed to :meth:`_answer` as one query string."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: without this, 40 ms of delayed ACK each

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(urlsplit(self.path).query)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self._answer(self.rfile.read(length).decode("utf-8"))

    def _answer(self, query: str) -> None:
        raise NotImplementedError


class _Handler(QueryHandler):
    server_fake: FakeService

    def _answer(self, query: str) -> None:
        arrived = time.monotonic()
        fake = self.server_fake
        path = urlsplit(self.path).path
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        key = params.pop(fake.key_parameter, "") if fake.key_parameter else ""
        endpoint = path.removeprefix(fake.prefix.rstrip("/")).strip("/") or "/"
        client = f"key:{key}" if key else f"ip:{self.client_address[0]}"
        entry: dict[str, Any] = {"endpoint": endpoint, "method": self.command, "at": arrived, "fault": "",
                                 "params": dict(params), "api_key": bool(key)}
        with fake.stats.lock:
            fake.stats.requests[endpoint] += 1
            fake.stats.methods[self.command] += 1
            if key:
                fake.stats.keys_seen.add(key)
            fake.stats.log.append(entry)
        if fake.over_pace(client, arrived):
            with fake.stats.lock:
                fake.stats.pace_429 += 1
            self._reply(entry, fake.rate_limited())
            return
        fault = fake.pick_fault()
        entry["fault"] = fault or ""
        if fault:
            with fake.stats.lock:
                fake.stats.faults[fault] += 1
        if fault == "429":
            answer = fake.rate_limited()
            if fake.faults.retry_after is not None:
                answer.headers["Retry-After"] = fake.faults.retry_after
            self._reply(entry, answer)
            return
        if fault == "5xx":
            status = (500, 502, 503)[int(fake.rng_uniform(0, 3)) % 3]
            self._reply(entry, Answer(status, f"<html><head><title>{status} Bad Gateway</title></head><body>"
                                              f"<h1>{status}</h1></body></html>", "text/html"))
            return
        if fault == "html":
            self._reply(entry, Answer(200, "<!DOCTYPE html><html><head><title>Service maintenance</title></head>"
                                           "<body>Back soon</body></html>", "text/html"))
            return
        if fault == "error200":
            self._reply(entry, Answer(200, fake.error_in_200(endpoint)))
            return
        if fault == "slow":
            time.sleep(fake.faults.slow_seconds)
        if fault == "stall":
            time.sleep(fake.faults.stall_seconds)
        answer = fake.handle(self.command, endpoint, params, key)
        data = answer.body.encode("utf-8")
        if fault == "truncated":
            cut = int(fake.rng_uniform(0, max(1, len(data) - 40)))
            entry["status"] = 200
            self._send(200, data[:cut], answer.content_type, {})
            return
        if fault == "dropped":
            entry["status"] = 200
            self._drop(data)
            return
        entry["status"] = answer.status
        sent = self._send(answer.status, data, answer.content_type, answer.headers)
        if sent and fault in (None, "slow") and answer.status == 200:
            with fake.stats.lock:
                fake.stats.served.update(answer.served)
                fake.stats.statuses[answer.status] += 1

    def _reply(self, entry: dict[str, Any], answer: Answer) -> None:
        entry["status"] = answer.status
        with self.server_fake.stats.lock:
            self.server_fake.stats.statuses[answer.status] += 1
        self._send(answer.status, answer.body.encode("utf-8"), answer.content_type, answer.headers)

    def _send(self, status: int, data: bytes, content_type: str, headers: dict[str, str]) -> bool:
        return send_bytes(self, status, data, content_type, headers)

    def _drop(self, data: bytes) -> None:
        drop(self, data, "application/json")


def send_bytes(handler: BaseHTTPRequestHandler, status: int, data: bytes, content_type: str,
               headers: dict[str, str] | None = None) -> bool:
    """Answer in full; False when the client had gone (a timed-out request)."""
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", f"{content_type}; charset=UTF-8")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
        handler.wfile.flush()
        return True
    except (TimeoutError, BrokenPipeError, ConnectionResetError):
        handler.close_connection = True
        return False


def drop(handler: BaseHTTPRequestHandler, data: bytes, content_type: str, keep: int | None = None) -> None:
    """Promise the whole body, send half (or ``keep`` bytes), and close the connection."""
    try:
        handler.send_response(200)
        handler.send_header("Content-Type", f"{content_type}; charset=UTF-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data[: len(data) // 2 if keep is None else keep])
        handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        pass
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)


FakeService.handler_base = _Handler
