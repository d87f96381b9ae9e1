"""The scheduling examples in the README are valid: the cron line (a small validator written here),
the systemd service and timer (``systemd-analyze verify``), the GitHub Actions workflow (PyYAML)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

CRON_FIELDS = (  # name, low, high, names
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")),
    ("day of week", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)


def cron_problems(expression: str) -> list[str]:
    """Problems of a five-field cron schedule (Vixie cron: lists, ranges, steps, names; no @-macros)."""
    fields = expression.split()
    if len(fields) != 5:
        return [f"expected 5 fields, got {len(fields)}"]
    problems = []
    for text, (name, low, high, names) in zip(fields, CRON_FIELDS, strict=True):
        for part in text.split(","):
            match = re.fullmatch(r"(\*|[0-9a-z]+(?:-[0-9a-z]+)?)(?:/(\d+))?", part.lower())
            if not match:
                problems.append(f"{name}: cannot read {part!r}")
                continue
            base, step = match.groups()
            if step is not None and int(step) == 0:
                problems.append(f"{name}: step 0 in {part!r}")
            if base == "*":
                continue
            for value in base.split("-"):
                number = names.index(value) + (low if name == "month" else 0) if value in names else (
                    int(value) if value.isdigit() else None)
                if number is None or not low <= number <= high:
                    problems.append(f"{name}: {value!r} is not in {low}-{high}")
    return problems


def blocks(repo: Path, language: str) -> list[str]:
    text = (repo / "README.md").read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def test_the_cron_validator_refuses_what_cron_refuses() -> None:
    assert cron_problems("0 6 * * 1") == []
    assert cron_problems("*/15 0-23/2 1,15 jan-jun mon-fri") == []
    assert cron_problems("0 6 * *") == ["expected 5 fields, got 4"]
    assert cron_problems("60 6 * * 1") == ["minute: '60' is not in 0-59"]
    assert cron_problems("0 6 * * 8")[0].startswith("day of week")
    assert cron_problems("0 6 * foo 1")[0].startswith("month")
    assert cron_problems("*/0 6 * * 1") == ["minute: step 0 in '*/0'"]


def test_the_cron_line_is_valid(repo: Path) -> None:
    (block,) = blocks(repo, "cron")
    lines = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert len(lines) == 1
    schedule = " ".join(lines[0].split()[:5])
    assert cron_problems(schedule) == []
    command = lines[0].split(None, 5)[5]
    assert "%" not in command, "cron turns % into a newline"
    assert "prisma-harvest refresh" in command and "--exit-code" in command


def test_the_systemd_units_verify(repo: Path, tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed here (apt-get install systemd); the units are not checked")
    units = {}
    for block in blocks(repo, "ini"):
        first, _, body = block.partition("\n")
        units[first.removeprefix("# ").strip()] = body
    assert set(units) == {"prisma-refresh@.service", "prisma-refresh@.timer"}
    # the documented paths do not exist here: point them into tmp_path, with an executable stand-in
    executable = tmp_path / ".venv" / "bin" / "prisma-harvest"
    executable.parent.mkdir(parents=True)
    executable.write_text("#!/bin/sh\n")
    executable.chmod(0o755)
    for name, body in units.items():
        instance = name.replace("@.", "@peer-support.")
        (tmp_path / instance).write_text(body.replace("/srv/reviews", str(tmp_path)), encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", "./prisma-refresh@peer-support.timer",
                           "./prisma-refresh@peer-support.service"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    calendar = re.search(r"OnCalendar=(.+)", units["prisma-refresh@.timer"])
    assert calendar is not None
    checked = subprocess.run(["systemd-analyze", "calendar", calendar.group(1)], capture_output=True, text=True,
                             timeout=60)
    assert checked.returncode == 0, checked.stderr


def test_the_github_actions_schedule_parses(repo: Path) -> None:
    (block,) = blocks(repo, "yaml")
    workflow = yaml.safe_load(block)
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as true
    (schedule,) = triggers["schedule"]
    assert cron_problems(schedule["cron"]) == []
    steps = workflow["jobs"]["refresh"]["steps"]
    assert any("prisma-harvest refresh" in str(step.get("run", "")) for step in steps)
