"""Shared fixtures. ``shared_dir`` is ../shared beside the repository: absent on a user's machine (the
tests that need it skip, saying why), required in CI (PRISMA_HARVEST_REQUIRE_SHARED=1 makes them fail)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _shared() -> Path:
    configured = os.environ.get("PRISMA_HARVEST_SHARED")
    return Path(configured) if configured else REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    path = _shared()
    if not (path / "corpus" / "MANIFEST.csv").is_file():
        message = f"../shared is not beside the repository (looked in {path}); set PRISMA_HARVEST_SHARED"
        if os.environ.get("PRISMA_HARVEST_REQUIRE_SHARED") == "1":
            pytest.fail(message + " (required: PRISMA_HARVEST_REQUIRE_SHARED=1)")
        pytest.skip(message)
    return path


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture(autouse=True)
def _no_real_eutils(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach NCBI: point the harvester at an address that refuses connections unless a test
    sets its own fake server."""
    monkeypatch.setenv("PRISMA_HARVEST_EUTILS_URL", "http://127.0.0.1:9/eutils/")
    monkeypatch.delenv("NCBI_API_KEY", raising=False)


def missing_tool(what: str, require_env: str) -> None:
    """A system tool the test needs is absent: skip with the reason, or fail where CI requires it."""
    if os.environ.get(require_env) == "1":
        pytest.fail(f"{what} (required here: {require_env}=1)")
    pytest.skip(what)


def example_protocol(folder: Path) -> Path:
    """The bundled example review's protocol, copied into ``folder`` with its ledger there too."""
    text = (REPO / "queries" / "example-peer-support.toml").read_text(encoding="utf-8")
    text = text.replace('ledger = "../cache/example-peer-support.sqlite"', 'ledger = "ledger.sqlite"')
    text = text.replace('"../examples/', f'"{(REPO / "examples").as_posix()}/')
    path = folder / "example.toml"
    path.write_text(text, encoding="utf-8")
    return path


def screened_example(folder: Path) -> Path:
    """The bundled example review in ``folder``, brought in, de-duplicated, ruled and screened through the
    commands (both screeners and the resolver at both stages), as ``make demo`` does."""
    from typer.testing import CliRunner

    from harvester.cli.main import app

    path = example_protocol(folder)
    decisions = REPO / "examples" / "peer-support" / "decisions"
    steps = [["import", str(path)], ["dedupe", str(path)], ["rules", str(path)]]
    for stage in ("title-abstract", "full-text"):
        steps += [["screen", "import", str(path), str(decisions / f"{stage}-{who}.csv")] for who in ("JM", "JS")]
        steps.append(["screen", "import", str(path), str(decisions / f"{stage}-HS.csv"), "--role", "resolver"])
    runner = CliRunner()
    for step in steps:
        result = runner.invoke(app, step)
        assert result.exit_code == 0, result.output
    return path


@pytest.fixture(autouse=True)
def _no_real_services(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach Europe PMC, ClinicalTrials.gov or OpenAlex either: refusing addresses unless a
    test sets its own fake server, and no OpenAlex key from the environment."""
    for name in ("EUROPEPMC", "CTGOV", "OPENALEX"):
        monkeypatch.setenv(f"PRISMA_HARVEST_{name}_URL", f"http://127.0.0.1:9/{name.lower()}/")
    monkeypatch.delenv("OPENALEX_API_KEY", raising=False)

