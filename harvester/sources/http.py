"""HTTP for live sources: paced, timed out, retried with backoff, and never leaking a secret.

Every attempt first takes a slot from the source's shared :class:`~harvester.sources.pace.PaceLimiter`
(retries included, unlike Biopython's immediate retries). What is retried:

- connection failures, timeouts and bodies cut off mid-transfer;
- HTTP 429 (waiting ``Retry-After`` when the server sends it, else exponential backoff, and pausing
  the shared limiter so no other thread hammers the service meanwhile), HTTP 408 and 5xx;
- HTTP 200 answers that the caller's ``check`` refuses by raising :class:`Retryable` (an ``<ERROR>``
  inside, an HTML error page, truncated XML...). ``check`` turns the body into the caller's value, so
  a body is only accepted once it has been fully parsed (a streamed ``read`` decides for itself what
  of a body cut short it keeps).

Other 4xx answers (400 bad parameters, 414 URI too long) are not retried: the same request would fail
the same way (:class:`HttpRefused`, which keeps the status). A host never reached at all (connection
refused, unknown host, proxy refusing) on the first request ends the source at once with a one-line
hint (proxy variables, ``--offline``, the URL override) instead of minutes of retries: an offline
machine does not come back in the next minute. Once the host has answered, connection failures are
retried like any other. After the last attempt a :class:`~harvester.errors.SourceError` names the request and
every problem seen; its text, like every message here, has the secrets scrubbed out. So has every answer
body, before the source's ``check`` parses it (:func:`scrub_answer`): a field that echoes the request
(E-utilities' ``QueryTranslation``, a ``WarningList``) never carries a key into the ledger or the output.

Big answers can be read while they arrive (:meth:`Http.post_stream`): the caller's ``read`` gets an
:class:`AnswerStream` (scrubbed on the way, chunk by chunk) instead of the whole body, so memory does not
grow with the answer; a connection that breaks or stalls mid-body ends the stream, and ``broken`` says
why, so the caller can keep what arrived whole. A caller may also change its request between attempts
(``values`` as a function, told of each problem by ``retrying``): EFetch asks for fewer records after an
answer cut short.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import quote, urlsplit

import requests
from urllib3.exceptions import HTTPError, NameResolutionError, NewConnectionError, ProxyError, ReadTimeoutError

from harvester import __version__
from harvester.errors import SourceError
from harvester.sources.pace import PaceLimiter

T = TypeVar("T")

USER_AGENT = f"prisma-harvester/{__version__} (+https://github.com/; systematic review harvester)"
_SECRET_PARAMETER = re.compile(r"(api_key|apikey|token|password)=[^&\s\"']+", re.IGNORECASE)


#: Secrets at least this long are scrubbed wherever they appear in an answer (see :func:`scrub_answer`).
_SHORT_SECRET = 8


class HttpRefused(SourceError):
    """An HTTP 4xx other than 408/429: the same request would fail the same way. ``status`` is kept so a
    caller can tell a refused cursor (start again) from a refused query."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Retryable(Exception):
    """Raised by a ``check`` when an HTTP 200 body is not the answer (an error inside, cut short...)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 6  # in all, the first included
    backoff: float = 1.0  # seconds before the first retry; doubles each time, with jitter
    backoff_cap: float = 60.0
    retry_after_cap: float = 300.0  # never wait longer than this on a server's say-so
    connect_timeout: float = 10.0
    read_timeout: float = 120.0


def env_number(env: Mapping[str, str], name: str, kind: type, default: float, low: float, high: float) -> float:
    """A number from the environment (``kind`` int or float) within ``low..high``; ``default`` when unset."""
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise SourceError(f"environment variable {name}: expected a number, got {text!r}") from None
    if not low <= value <= high:
        raise SourceError(f"environment variable {name}: expected {low}..{high}, got {text!r}")
    return float(value)


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with every secret value (in any of the ways an answer writes it: see :func:`_written`) and every
    ``api_key=...`` parameter replaced by ``***``."""
    for secret in secrets:  # a message is ours: even a short secret is replaced wherever it stands
        if secret:
            text = text.replace(secret, "***")
    pattern = _secret_pattern(secrets)
    if pattern is not None:
        text = pattern.sub(_masked, text.encode("utf-8", "surrogatepass")).decode("utf-8", "surrogatepass")
    return _SECRET_PARAMETER.sub(lambda m: f"{m.group(1)}=***", text)


def scrub_answer(body: bytes, secrets: tuple[str, ...] = ()) -> bytes:
    """A live answer's body with every secret value (however written: :func:`_written`) replaced by ``***``, before
    any source parses it: whatever field echoes the request (E-utilities' ``QueryTranslation`` or
    ``WarningList`` quoting ``api_key=...``) can then be stored and printed. Only the exact secrets are
    replaced, so a record's own text is never changed; :func:`scrub` cleans messages. A secret shorter than
    ``_SHORT_SECRET`` characters (no real key is; a test's may be) is replaced only where a key parameter
    names it (``api_key=K``): everywhere, it would eat letters of the answer."""
    pattern = _secret_pattern(secrets)
    return body if pattern is None else pattern.sub(_masked, body)


def scrub_chunks(chunks: Iterator[bytes], secrets: tuple[str, ...] = ()) -> Iterator[bytes]:
    """:func:`scrub_answer` over a body that arrives in chunks: a secret split between two chunks is
    replaced too. Each chunk's last bytes (as many as the longest match) wait for the next chunk."""
    pattern = _secret_pattern(secrets)
    if pattern is None:
        yield from chunks
        return
    keep = max(len(secret) for secret in secrets if secret) * _LONGEST_CHARACTER + 32
    carry = b""
    try:
        for chunk in chunks:
            data = carry + chunk
            cut = len(data) - keep  # a match starting before ``cut`` ends inside ``data``, with a byte after it
            if cut <= 0:
                carry = data
                continue
            out, done = [], 0
            for match in pattern.finditer(data):
                if match.start() >= cut:
                    break
                out += [data[done:match.start()], _masked(match)]
                done = match.end()
            done_to = max(cut, done)
            out.append(data[done:done_to])
            carry = data[done_to:]
            yield b"".join(out)
    except Exception:
        if carry:  # the connection broke: what had come is still given, then the error
            yield pattern.sub(_masked, carry)
        raise
    if carry:
        yield pattern.sub(_masked, carry)


#: The most bytes one character of a secret takes in an answer (``&#x0000fb;``, ``%2B`` as ``%252B``...).
_LONGEST_CHARACTER = 12


def _written(secret: str) -> bytes:
    """A pattern for ``secret`` as an answer may write it: each character as itself in either case (a service
    that lower-cases what it echoes), percent-encoded (once or twice, as a URL in a URL), as an XML or HTML
    character reference (decimal or hex) or a JSON ``\\u`` escape, each character independently. The bytes
    are matched before the parser decodes them; matched as sent only, a reference or a change of case would
    reach the ledger as the key once decoded."""
    parts = []
    for char in secret:
        code = ord(char)
        forms = [re.escape(char.encode("utf-8"))]
        if char.lower() != char.upper():
            forms = [b"[" + re.escape(char.lower().encode()) + re.escape(char.upper().encode()) + b"]"]
        if char == "+":  # form decoding reads an unescaped '+' as a space
            forms += [b" ", b"%(?:25)?20"]
        if code < 0x80:
            hexed = f"{code:02x}".encode()
            forms += [b"%(?:25)?(?i:" + hexed + b")", b"&#0{0,4}" + str(code).encode() + b";",
                      b"&#[xX]0{0,4}(?i:" + hexed.lstrip(b"0") + b");", b"\\\\u00(?i:" + hexed + b")"]
        parts.append(b"(?:" + b"|".join(forms) + b")")
    return b"".join(parts)


def _secret_pattern(secrets: tuple[str, ...]) -> re.Pattern[bytes] | None:
    """One pattern for every secret: long ones anywhere, however written (:func:`_written`); short ones only
    after ``api_key=``/``apikey=``, as sent or URL-encoded."""
    long_forms = sorted({_written(s) for s in secrets if len(s) >= _SHORT_SECRET}, key=len, reverse=True)
    short_forms = sorted({form.encode("utf-8") for s in secrets if s and len(s) < _SHORT_SECRET
                          for form in (s, quote(s, safe=""))}, key=len, reverse=True)
    parts = []
    if long_forms:  # the lookahead lets the engine pass over most bytes at once (a third less time on big bodies)
        starts = {c for s in secrets if len(s) >= _SHORT_SECRET for c in {s[0].lower(), s[0].upper()}}
        starts |= {" "} if "+" in starts else set()  # form decoding's space for a '+'
        first = b"".join(re.escape(c.encode("utf-8")) for c in sorted(starts)) + b"%&\\\\"
        parts.append(b"(?=[" + first + b"])(?P<long>" + b"|".join(long_forms) + b")")
    if short_forms:
        parts.append(b"(?P<name>(?i:api_key|apikey)=)(?:" + b"|".join(re.escape(f) for f in short_forms)
                     + b")(?![A-Za-z0-9])")
    return re.compile(b"|".join(parts)) if parts else None


def _masked(match: re.Match[bytes]) -> bytes:
    named = match.groupdict()
    return b"***" if named.get("long") is not None else (named.get("name") or b"") + b"***"


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


#: Bytes read from the socket at a time by :class:`AnswerStream`.
CHUNK = 1 << 16


class AnswerStream:
    """An HTTP 200 body read while it arrives (``read(size)``, what lxml's ``iterparse`` wants), scrubbed of
    secrets chunk by chunk. A connection that breaks or stalls mid-body ends the stream early instead of
    raising: ``broken`` then says why (``timed out``, ``connection broken (...)``), and what was read so far
    stays usable. ``received``: bytes read."""

    def __init__(self, response: requests.Response, secrets: tuple[str, ...] = ()) -> None:
        self._chunks: Iterator[bytes] | None = scrub_chunks(_pieces(response), secrets)
        self._buffer = bytearray()
        self.broken: str | None = None
        self.received = 0

    def peek(self, size: int) -> bytes:
        """The next ``size`` bytes (fewer at the end), left to be read."""
        self._fill(size)
        return bytes(self._buffer[:size])

    def read(self, size: int = -1) -> bytes:
        self._fill(size)
        if size < 0 or size >= len(self._buffer):
            out, self._buffer = bytes(self._buffer), bytearray()
        else:
            out, self._buffer = bytes(self._buffer[:size]), self._buffer[size:]
        return out

    def _fill(self, size: int) -> None:
        while self._chunks is not None and (size < 0 or len(self._buffer) < size):
            try:
                chunk = next(self._chunks)
            except StopIteration:
                self._chunks = None
                break
            except (requests.RequestException, HTTPError, OSError) as error:
                self.broken = "timed out" if _timed_out(error) else f"connection broken ({type(error).__name__})"
                self._chunks = None
                break
            self.received += len(chunk)
            self._buffer += chunk


def _pieces(response: requests.Response) -> Iterator[bytes]:
    """The body as it arrives, each piece as soon as the socket has it. ``read1`` returns what has come,
    where ``iter_content`` would drop the bytes it had gathered towards a full chunk when the connection
    breaks: those may hold whole records."""
    raw = response.raw
    if not hasattr(raw, "read1"):  # urllib3 before 2.2
        yield from response.iter_content(CHUNK)
        return
    while piece := raw.read1(CHUNK, decode_content=True):
        yield piece


class Http:
    """A session that paces, times out and retries. ``stats`` counts attempts and problems by kind."""

    def __init__(self, limiter: PaceLimiter, policy: RetryPolicy | None = None, *,
                 secrets: tuple[str, ...] = (), session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None,
                 unreachable_hint: str | None = None) -> None:
        self.limiter = limiter
        self.policy = policy or RetryPolicy()
        self.secrets = tuple(s for s in secrets if s)
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.stats: Counter[str] = Counter()
        #: The environment variable that overrides this source's URL: set, the first request that cannot
        #: connect at all ends the source at once with a hint instead of minutes of retries.
        self.unreachable_hint = unreachable_hint
        self.reached = False  # an answer (any status) has come back from the host

    def close(self) -> None:
        self.session.close()

    def post(self, url: str, data: Mapping[str, str], check: Callable[[bytes], T], what: str) -> T:
        """POST ``data`` (form-encoded: secrets stay out of URLs and logs) and return ``check(body)``."""
        return self.request("POST", url, data, check, what)

    def get(self, url: str, params: Mapping[str, str], check: Callable[[bytes], T], what: str) -> T:
        """GET ``url`` with ``params`` in its query string and return ``check(body)``."""
        return self.request("GET", url, params, check, what)

    def post_stream(self, url: str, data: Mapping[str, str] | Callable[[], Mapping[str, str]],
                    read: Callable[[AnswerStream], T], what: str | Callable[[], str], *,
                    retrying: Callable[[str], None] | None = None) -> T:
        """POST ``data`` and return ``read(stream)``, ``read`` parsing the body while it arrives.

        ``data`` (and ``what``) may be functions, called for each attempt: ``retrying(problem)`` is told of
        each problem before the next attempt, so the caller can change its request (ask for less)."""
        def consume(response: requests.Response) -> T:
            return read(AnswerStream(response, self.secrets))

        return self._attempts("POST", url, data, consume, what, stream=True, retrying=retrying)

    def request(self, method: str, url: str, values: Mapping[str, str], check: Callable[[bytes], T],
                what: str) -> T:
        """One request, paced and retried; ``values`` go in the body (POST) or the query string (GET)."""
        def consume(response: requests.Response) -> T:
            return check(scrub_answer(response.content, self.secrets))

        return self._attempts(method, url, values, consume, what, stream=False, retrying=None)

    def _attempts(self, method: str, url: str, values: Mapping[str, str] | Callable[[], Mapping[str, str]],
                  consume: Callable[[requests.Response], T], what: str | Callable[[], str], *, stream: bool,
                  retrying: Callable[[str], None] | None) -> T:
        policy = self.policy
        problems: list[str] = []
        for attempt in range(1, policy.attempts + 1):
            sent = dict(values() if callable(values) else values)
            self.limiter.acquire()
            self.stats["requests"] += 1
            wait: float | None = None
            try:
                timeout = (policy.connect_timeout, policy.read_timeout)
                if method == "POST":
                    response = self.session.post(url, data=sent, timeout=timeout, stream=stream)
                else:
                    response = self.session.get(url, params=sent, timeout=timeout, stream=stream)
                if not stream or response.status_code != 200:
                    body = response.content
            except requests.Timeout as error:
                if self.unreachable_hint is not None and not self.reached and _never_connected(error):
                    raise self._unreachable(url, "connection timed out") from None
                problem = "timed out"
            except requests.RequestException as error:
                if self.unreachable_hint is not None and not self.reached and _never_connected(error):
                    raise self._unreachable(url, _connect_reason(error)) from None
                problem = "timed out" if _timed_out(error) else f"connection failed ({type(error).__name__})"
            else:
                self.reached = True
                status = response.status_code
                if status == 200:
                    try:
                        return consume(response)
                    except Retryable as refused:
                        problem = refused.problem
                    finally:
                        response.close()
                elif status == 429 or status == 408 or status >= 500:
                    problem = f"HTTP {status}" + (" (rate limit exceeded)" if status == 429 else "")
                    wait = retry_after_seconds(response.headers.get("Retry-After"))
                    if wait is not None:
                        wait = min(wait, policy.retry_after_cap)
                else:
                    snippet = " ".join(body[:200].decode("utf-8", "replace").split())
                    named = what() if callable(what) else what
                    raise HttpRefused(status, self.scrub(f"{named}: HTTP {status} from {_no_query(url)}: {snippet}"))
            self.stats[problem.split(":")[0]] += 1
            problems.append(problem)
            if attempt == policy.attempts:
                break
            if retrying is not None:
                retrying(problem)
            if wait is None:
                wait = self._backoff(attempt)
            if problem.startswith("HTTP 429"):
                self.limiter.pause(wait)
            self.stats["retries"] += 1
            self._sleep(wait)
        seen = "; ".join(f"{n}x {p}" for p, n in Counter(problems).most_common())
        named = what() if callable(what) else what
        raise SourceError(self.scrub(f"{named} failed after {policy.attempts} attempts ({seen}) at {_no_query(url)}"))

    def _unreachable(self, url: str, reason: str) -> SourceError:
        """The first request to a host never connected: stop at once with what to check (no retries: an
        offline machine or a missing proxy does not come back in the next minute)."""
        host = urlsplit(url).netloc
        return SourceError(self.scrub(
            f"cannot reach {host} ({reason}): no network? Check HTTPS_PROXY/HTTP_PROXY/NO_PROXY, run with "
            f"--offline to skip live searches, or set {self.unreachable_hint} to a mirror"))

    def scrub(self, text: str) -> str:
        return scrub(text, self.secrets)

    def _backoff(self, attempt: int) -> float:
        base = min(self.policy.backoff_cap, self.policy.backoff * 2 ** (attempt - 1))
        return base * self._rng.uniform(0.5, 1.0)


def _causes(error: BaseException) -> list[BaseException]:
    """The error and what it wraps (requests wraps urllib3's MaxRetryError, which holds the reason)."""
    seen: list[BaseException] = []
    pending: list[BaseException] = [error]
    while pending and len(seen) < 10:
        item = pending.pop()
        seen.append(item)
        for inner in (getattr(item, "reason", None), item.__cause__, item.__context__, *item.args):
            if isinstance(inner, BaseException) and inner not in seen:
                pending.append(inner)
    return seen


def _timed_out(error: BaseException) -> bool:
    """True when the server stopped sending within the read timeout (requests wraps urllib3's
    ``ReadTimeoutError`` in a ``ConnectionError`` when it happens while the body is read)."""
    return any(isinstance(cause, requests.Timeout | ReadTimeoutError | TimeoutError) for cause in _causes(error))


def _never_connected(error: BaseException) -> bool:
    """True when no connection was made at all (refused, no route, unknown host, proxy refused, connect
    timeout), as opposed to a connection that broke or stalled once open."""
    if isinstance(error, requests.ConnectTimeout | requests.exceptions.ProxyError):
        return True
    return any(isinstance(cause, NewConnectionError | NameResolutionError | ProxyError) for cause in _causes(error))


def _connect_reason(error: BaseException) -> str:
    for cause in _causes(error):
        if isinstance(cause, NameResolutionError):
            return "host name not resolved"
        if isinstance(cause, ProxyError | requests.exceptions.ProxyError):
            return "the proxy refused the connection"
    return "connection refused or no route"


def _no_query(url: str) -> str:
    """A URL without its query string, for messages (the query string may be long or hold a key)."""
    return url.split("?", 1)[0]
