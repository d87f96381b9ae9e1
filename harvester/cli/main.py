"""Entry point: import every command module of this package so that each registers its commands."""

from __future__ import annotations

import importlib
import pkgutil

import harvester.cli
from harvester.cli.app import app

_NOT_COMMANDS = {"app", "main"}

for _module in sorted(pkgutil.iter_modules(harvester.cli.__path__), key=lambda m: m.name):
    if _module.name not in _NOT_COMMANDS:
        importlib.import_module(f"harvester.cli.{_module.name}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
