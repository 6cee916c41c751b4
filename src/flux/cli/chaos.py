"""``flux chaos``: whole-system fault injection and soak, with a report (``make chaos``).

Exits 1 when an invariant breaks, so ``make chaos`` and CI fail loudly.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path
from typing import Any

__all__ = ["register"]

LOG = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add the ``chaos`` command."""
    from flux.chaos.profiles import PROFILES  # noqa: PLC0415 - keep `flux --help` fast

    parser = subparsers.add_parser(
        "chaos", help="fault injection against the whole platform; report in reports/"
    )
    parser.add_argument(
        "--profile", choices=sorted(PROFILES), default="quick", help="run length (default: quick)"
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports"),
        help="where the report goes (full: chaos.md/.json/.png; others: chaos-<profile>.*)",
    )
    parser.add_argument("--users", type=int, default=None, help="simulated users (default: the profile's)")
    parser.add_argument(
        "--seed", type=int, default=42, help="seed of the users' behaviour and the simulation"
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from flux.chaos.driver import run_chaos  # noqa: PLC0415
    from flux.chaos.profiles import PROFILES  # noqa: PLC0415
    from flux.chaos.report import render_table, render_verdicts, write_reports  # noqa: PLC0415

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    profile = PROFILES[args.profile]
    result = asyncio.run(run_chaos(profile, seed=args.seed, users=args.users, progress=_say))
    paths = write_reports(result, args.report_dir)
    print()
    print(render_table(result.evaluation.rows))
    print()
    print(render_verdicts(result))
    print()
    print(f"report: {', '.join(str(p) for p in paths)}; process logs: {result.logs_dir}")
    print("PASSED" if result.evaluation.passed else "FAILED: an invariant broke (see above)")
    return 0 if result.evaluation.passed else 1


def _say(line: str) -> None:
    print(line, flush=True)
