"""Pace, retries and secrets: the HTTP side of the PubMed harvester, against the fake server."""

from __future__ import annotations

import threading
import time

import pytest

from harvester.errors import SourceError
from harvester.sources.http import Http, RetryPolicy, retry_after_seconds, scrub
from harvester.sources.pace import PaceLimiter, shared_limiter
from harvester.sources.pubmed import LIMIT, LIMIT_WITH_KEY, NCBI_EUTILS_URL, PubMed, Settings, _parse_esearch
from tests.fake_eutils import FAULT_KINDS, FakeEutils, Faults


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.starts: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_pace_spaces_requests_evenly_with_a_margin() -> None:
    clock = Clock()
    limiter = PaceLimiter(10.0, clock=clock.time, sleep=clock.sleep)
    starts = []
    for _ in range(21):
        limiter.acquire()
        starts.append(clock.now)
    gaps = {round(b - a, 6) for a, b in zip(starts, starts[1:], strict=False)}
    assert gaps == {0.11}  # 10/s plus the 10% margin
    assert starts[-1] - starts[0] == pytest.approx(2.2)
    limiter.pause(5.0)
    before = clock.now
    limiter.acquire()
    assert clock.now - before == pytest.approx(5.0)
    limiter.rate = 3.0
    assert limiter.interval == pytest.approx(1.1 / 3)


def test_pace_is_shared_by_threads() -> None:
    limiter = PaceLimiter(40.0, margin=0.0)
    slots: list[float] = []
    late: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(10):
            slot = limiter.acquire()
            returned = time.monotonic()
            with lock:
                slots.append(slot)
                late.append(returned - slot)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    slots.sort()
    assert len(slots) == 40
    gaps = [b - a for a, b in zip(slots, slots[1:], strict=False)]
    assert min(gaps) >= 1 / 40 - 1e-9  # one slot per interval, whichever thread asks
    assert min(late) >= -1e-3  # nobody starts before its slot


def test_one_limiter_per_quota() -> None:
    first = shared_limiter("host|ip-test", 3.0)
    assert shared_limiter("host|ip-test", 3.0) is first
    assert shared_limiter("host|key:other-test", 10.0) is not first
    shared_limiter("host|ip-test", 10.0)
    assert first.rate == 10.0


def test_settings_from_the_environment() -> None:
    plain = Settings.from_env(environ={})
    assert plain.base_url == NCBI_EUTILS_URL and plain.rate == LIMIT and plain.api_key is None
    assert plain.batch_size == 10_000  # EFetch's documented most records per request
    keyed = Settings.from_env(email="a@b.org", environ={"NCBI_API_KEY": "SECRETKEY"})
    assert keyed.rate == LIMIT_WITH_KEY
    assert "SECRETKEY" not in repr(keyed) and "SECRETKEY" not in str(keyed.public())
    assert keyed.public()["api_key_used"] is True and keyed.public()["email"] == "a@b.org"
    capped = Settings.from_env(environ={"PRISMA_HARVEST_EUTILS_RATE": "50"})
    assert capped.rate == LIMIT  # NCBI's host: never faster than NCBI allows
    mirror = Settings.from_env(environ={"PRISMA_HARVEST_EUTILS_RATE": "50",
                                        "PRISMA_HARVEST_EUTILS_URL": "http://127.0.0.1:1/x"})
    assert mirror.rate == 50 and mirror.base_url == "http://127.0.0.1:1/x/"
    with pytest.raises(SourceError, match="PRISMA_HARVEST_EUTILS_BATCH: expected 1..10000"):
        Settings.from_env(environ={"PRISMA_HARVEST_EUTILS_BATCH": "10001"})
    with pytest.raises(SourceError, match="expected a number"):
        Settings.from_env(environ={"PRISMA_HARVEST_EUTILS_TIMEOUT": "soon"})


def test_scrub_and_retry_after() -> None:
    assert scrub("https://x/esearch.fcgi?term=a&api_key=abc123&tool=t", ()) == \
        "https://x/esearch.fcgi?term=a&api_key=***&tool=t"
    assert scrub("failed for key abc123", ("abc123",)) == "failed for key ***"
    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: no wait


def _client(fake: FakeEutils, *, attempts: int = 6, key: str | None = None,
            waits: list[float] | None = None) -> PubMed:
    settings = Settings(base_url=fake.url, api_key=key, rate=200.0, batch_size=50, email="me@example.org",
                        policy=RetryPolicy(attempts=attempts, backoff=0.01, read_timeout=0.5, connect_timeout=0.5))
    sleep = waits.append if waits is not None else time.sleep
    limiter = PaceLimiter(200.0, sleep=lambda seconds: None)  # the fake does not enforce pace here
    http = Http(limiter, settings.policy, secrets=(key or "",), sleep=sleep)
    return PubMed(settings, http=http)


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_every_fault_is_retried_then_the_answer_is_taken(kind: str) -> None:
    """Two faults in a row, then the answer: three requests per call (a slow answer is just taken)."""
    faults = Faults(retry_after="1", slow_seconds=0.05, stall_seconds=1.0)
    repeat = 1 if kind == "slow" else 2
    with FakeEutils(10, enforce_pace=False, faults=faults) as fake:
        waits: list[float] = []
        client = _client(fake, waits=waits)
        faults.script = [kind] * repeat
        answer = client.esearch("x")
        assert answer.count == 10 and len(answer.ids) == 10
        faults.script = [kind] * repeat
        batch = client.efetch([str(p) for p in fake.pmids()])
        assert len(batch.records) == 10 and not batch.missing
        assert fake.stats.faults == {kind: 2 * repeat}
    assert fake.stats.total == (2 if kind == "slow" else 6)
    if kind in ("truncated", "dropped"):
        # an EFetch answer cut short keeps its whole records: the rest is asked for next, not retried
        assert 2 <= client.http.stats["retries"] <= 4
    else:
        assert client.http.stats["retries"] == (0 if kind == "slow" else 4)
    if kind == "429":
        assert waits == [1.0] * 4  # Retry-After honoured
    else:
        assert all(w < 1.0 for w in waits)


def test_429_without_retry_after_backs_off_exponentially() -> None:
    with FakeEutils(3, enforce_pace=False, faults=Faults(script=["429"] * 4, retry_after=None)) as fake:
        waits: list[float] = []
        _client(fake, waits=waits).esearch("x")
    assert len(waits) == 4
    assert all(0.5 * 0.01 * 2**i <= w <= 0.01 * 2**i for i, w in enumerate(waits))


def test_giving_up_names_every_problem_and_never_the_key() -> None:
    with FakeEutils(3, enforce_pace=False, faults=Faults(rate=1.0, kinds=("5xx",))) as fake:
        client = _client(fake, attempts=3, key="SECRETKEY42")
        with pytest.raises(SourceError) as caught:
            client.esearch("x")
        assert fake.stats.keys_seen == {"SECRETKEY42"}
        url = fake.url
    message = str(caught.value)
    assert "failed after 3 attempts" in message and "HTTP 5" in message and url in message
    assert "SECRETKEY42" not in message


def test_a_host_never_reached_ends_at_once_with_a_hint() -> None:
    """No retries when the first connection cannot be made (an offline machine, a missing proxy): one
    attempt, and a message saying what to check. Retries once the host has answered: tests/test_offline.py."""
    settings = Settings(base_url="http://127.0.0.1:9/eutils/", api_key="SECRETKEY42", rate=100.0,
                        policy=RetryPolicy(attempts=4, backoff=0.01, connect_timeout=0.5, read_timeout=0.5))
    client = PubMed(settings)
    with pytest.raises(SourceError, match=r"cannot reach 127.0.0.1:9 \(connection refused") as caught:
        client.esearch("x")
    assert client.http.stats["requests"] == 1 and "PRISMA_HARVEST_EUTILS_URL" in str(caught.value)
    assert "SECRETKEY42" not in str(caught.value)


def test_client_errors_are_not_retried() -> None:
    with FakeEutils(3, enforce_pace=False) as fake:
        client = _client(fake)
        with pytest.raises(SourceError, match="HTTP 404"):
            client.http.post(fake.url + "nothing.fcgi", {"db": "pubmed"}, lambda body: body, "a request")
        assert fake.stats.total == 1


def test_the_cap_error_is_not_retried() -> None:
    with FakeEutils(3, enforce_pace=False) as fake:
        client = _client(fake)
        with pytest.raises(SourceError, match="out of acceptable range"):
            client.http.post(fake.url + "esearch.fcgi", {"term": "x", "retstart": "10000"}, _parse_esearch,
                             "ESearch")
        assert fake.stats.total == 1


def test_identification_on_every_request() -> None:
    with FakeEutils(5, enforce_pace=False) as fake:
        client = _client(fake, key="K")
        client.esearch("x")
        client.efetch(["30000000"])
    assert fake.stats.methods == {"POST": 2}  # never GET: the key stays out of URLs
    for entry in fake.stats.log:
        assert entry["params"]["tool"] == "prisma-harvester" and entry["params"]["email"] == "me@example.org"
        assert entry["api_key"] is True
