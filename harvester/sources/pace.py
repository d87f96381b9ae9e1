"""One pace limiter per rate-limited service, shared by every thread of the process.

NCBI counts requests per API key (or per IP address without one), not per call site, so the pace must
be kept centrally: every request to E-utilities, whatever code issues it, first takes a slot from the
same :class:`PaceLimiter`. The limiter spaces requests evenly (a token bucket holding one token): at
most one request starts in any interval of ``1 / rate`` seconds, so no one-second window can hold more
than ``rate`` of them. ``margin`` widens the spacing a little because the server measures arrival
times, which jitter; Biopython learnt the same way that exactly 3/s "sometimes" draws a 429.

A 429 from the server pauses the whole limiter (:meth:`PaceLimiter.pause`), so other threads wait too
instead of hammering a service that has just said "slow down".

Several processes sharing one key are not coordinated here (see docs/pubmed.md).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

#: Spacing is ``(1 + MARGIN) / rate``: 10% slower than the published limit.
MARGIN = 0.10


class PaceLimiter:
    """Evenly spaced request slots at ``rate`` per second (thread-safe)."""

    def __init__(self, rate: float, *, margin: float = MARGIN,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be > 0, got {rate}")
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0  # the earliest time the next slot may start
        self.margin = margin
        self.rate = rate
        self.waited = 0.0  # total seconds callers spent waiting, for benchmarks

    @property
    def rate(self) -> float:
        return self._rate

    @rate.setter
    def rate(self, value: float) -> None:
        if value <= 0:
            raise ValueError(f"rate must be > 0, got {value}")
        with self._lock:
            self._rate = value
            self._interval = (1.0 + self.margin) / value

    @property
    def interval(self) -> float:
        """Seconds between two request starts."""
        return self._interval

    def acquire(self) -> float:
        """Block until this caller may start one request; returns the start time of its slot."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self._interval
        delay = start - now
        if delay > 0:
            self.waited += delay
            self._sleep(delay)
        return start

    def pause(self, seconds: float) -> None:
        """Hold every caller back for ``seconds`` from now (after a 429)."""
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)


_LIMITERS: dict[str, PaceLimiter] = {}
_REGISTRY_LOCK = threading.Lock()


def shared_limiter(bucket: str, rate: float) -> PaceLimiter:
    """The process-wide limiter for one quota ``bucket`` (a host plus key fingerprint), at ``rate``.

    Asking again for the same bucket returns the same limiter; a different ``rate`` (an API key was
    configured meanwhile) updates it for everyone.
    """
    with _REGISTRY_LOCK:
        limiter = _LIMITERS.get(bucket)
        if limiter is None:
            limiter = _LIMITERS[bucket] = PaceLimiter(rate)
        elif limiter.rate != rate:
            limiter.rate = rate
        return limiter


def quota_bucket(base_url: str, api_key: str | None) -> str:
    """The quota a request counts against: per key when there is one (a fingerprint, never the key), else
    per address (the host here)."""
    host = urlsplit(base_url).netloc
    if api_key:
        return f"{host}|key:{hashlib.sha256(api_key.encode()).hexdigest()[:16]}"
    return f"{host}|ip"
