"""Entry point of the ``flux`` command.

Each command group lives in its own module under :mod:`flux.cli` and exposes
``register(subparsers)``; the module sets ``func`` on its parsers. Modules are
imported only when present so that a group under construction never breaks
the others.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Final

__all__ = ["main"]

COMMAND_MODULES: Final = (
    "flux.cli.dev",
    "flux.cli.topics",
    "flux.cli.registry",
    "flux.cli.schemas",
    "flux.cli.service",
    "flux.cli.bff",
    "flux.cli.watch",
    "flux.cli.chaos",
    "flux.cli.upstreams",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="flux", description="Flux real-time data platform")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    result = args.func(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
