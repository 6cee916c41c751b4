"""Entry point of the ``flux`` command.

Each command group lives in its own module under :mod:`flux.cli` and exposes
``register(subparsers)``; the module sets ``func`` on its parsers. Modules are
imported only when present so that a group under construction never breaks
the others.

Expected failures are raised as :class:`flux.cli.errors.CliError` and end the
command with one line on stderr, ``flux: error: <message>``, and the error's
exit code (0 ok, 1 failed, 2 usage, 3 not found, 4 unavailable; see
``docs/cli.md``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any, Final

from flux.cli.errors import CliError, ExitCode

__all__ = ["main"]

COMMAND_MODULES: Final = (
    "flux.cli.dev",
    "flux.cli.topics",
    "flux.cli.dlq",
    "flux.cli.contracts",
    "flux.cli.registry",
    "flux.cli.schemas",
    "flux.cli.service",
    "flux.cli.bff",
    "flux.cli.watch",
    "flux.cli.chaos",
    "flux.cli.upstreams",
)

INTERRUPTED: Final = 130
"""Ctrl-C in a command that does not treat it as its normal end (128 + SIGINT)."""


def installed_version() -> str:
    """The installed ``flux`` distribution's version (``unknown`` when run from an uninstalled tree)."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415 - only for --version

    try:
        return version("flux")
    except PackageNotFoundError:
        return "unknown"


class _VersionAction(argparse.Action):
    """``--version``: looks the version up only when asked, so building the parser stays cheap."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest=dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        print(f"flux {installed_version()}")
        parser.exit(ExitCode.OK)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flux",
        description="Flux real-time data platform",
        epilog="exit codes: 0 ok, 1 failed, 2 usage error, 3 not found, 4 unavailable (docs/cli.md)",
    )
    parser.add_argument("--version", action=_VersionAction, help="print the installed version and exit")
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
    from flux.cli.environment import report_unknown_variables  # noqa: PLC0415 - keep `flux --help` fast

    report_unknown_variables(os.environ)
    try:
        result = args.func(args)
    except CliError as exc:
        print(f"flux: error: {exc}", file=sys.stderr)
        return int(exc.code)
    except KeyboardInterrupt:
        print("flux: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`flux topics tail ... | head`): not an error; stop writing quietly.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(ExitCode.OK)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
