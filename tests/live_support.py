"""What the tests of the cursor-paged live sources share: a protocol with one such source, settings that
point at a fake server with short timeouts, and reading the ledger from outside a running search."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from harvester import protocol as protocol_module
from harvester.protocol import Protocol
from harvester.sources import live
from harvester.sources.http import RetryPolicy

QUERY = '("peer supporter" OR "peer mentor") AND health'


def protocol_with(tmp_path: Path, kind: str, name: str, extra: str = "") -> Protocol:
    path = tmp_path / "review.toml"
    path.write_text(f"""[review]
id = "live-review"
ledger = "ledger.sqlite"
email = "reviewer@example.org"

[query]
text = '{QUERY}'

[[sources]]
name = "{name}"
kind = "{kind}"
{extra}""", encoding="utf-8")
    return protocol_module.load(path)


def settings_for(service: live.Service, url: str, *, page_size: int | None = None, rate: float = 2000.0,
                 timeout: float = 10.0, attempts: int = 8, api_key: str | None = None) -> live.Settings:
    """Settings for a fake service. The timeout is long by default: on a loaded machine an answer without a
    fault can take over a second, and the retry that causes would count as a request. Tests that inject
    stalls pass a timeout below the fake's stall."""
    return live.Settings(service, url, rate, page_size or service.page_size,
                         RetryPolicy(attempts=attempts, backoff=0.01, connect_timeout=timeout, read_timeout=timeout),
                         api_key=api_key, email="reviewer@example.org")


def environment(service: live.Service, url: str, *, page_size: int | None = None) -> dict[str, str]:
    """The same settings as environment variables, for a search in its own process."""
    env = {service.url_env: url, f"{service.env}_RATE": "2000", f"{service.env}_TIMEOUT": "1",
           f"{service.env}_BACKOFF": "0.01", f"{service.env}_ATTEMPTS": "8"}
    if page_size:
        env[f"{service.env}_PAGE_SIZE"] = str(page_size)
    return env


def held(ledger_path: Path) -> int:
    """Records in the ledger, read from outside the process writing it (0 while it cannot be read)."""
    if not ledger_path.exists():
        return 0
    try:
        connection = sqlite3.connect(f"file:{ledger_path}?mode=ro", uri=True, timeout=1)
        try:
            return int(connection.execute("SELECT COUNT(*) FROM records").fetchone()[0])
        finally:
            connection.close()
    except sqlite3.Error:
        return 0


def ledger_bytes(protocol: Protocol) -> bytes:
    path = protocol.ledger_path
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())
