"""``flux contracts``: the data contracts at work.

- ``flux contracts violations``: the most recent records a data-contract rule refused, from every
  dead-letter topic of the catalogue: when, the topic, the rule, the mode it ran in (``WRITE`` in a
  service, ``READ`` in the BFF), its action and who refused it; then the count per rule.
  ``--topic`` narrows to one topic, ``--max`` sets how many (newest first), ``--json`` prints one
  object per record.

A refused record is one whose dead letter carries Confluent's ``__rule.name`` header
(:meth:`flux.serde.RuleViolation.dead_letter_headers`); other parked records (undecodable bytes)
are ``flux dlq``'s business. The work is in :mod:`flux.cli.contract_violations`.
"""

from __future__ import annotations

import argparse
from typing import Any

from flux.cli.arguments import positive_int

__all__ = ["register"]

DEFAULT_MAX = 20


def _violations(args: argparse.Namespace) -> int:
    from flux.cli.contract_violations import run_violations  # noqa: PLC0415 - keep `flux --help` fast

    return run_violations(args)


def register(subparsers: Any) -> None:
    """Add ``flux contracts violations`` to the ``flux`` command."""
    contracts = subparsers.add_parser("contracts", help="data contracts: the records their rules refused")
    actions = contracts.add_subparsers(dest="contracts_command", metavar="ACTION", required=True)
    violations = actions.add_parser(
        "violations",
        help="the most recent records a data-contract rule refused (from the dead-letter topics)",
    )
    violations.add_argument("--topic", metavar="TOPIC", help="only this topic (or its dead-letter topic)")
    violations.add_argument(
        "--max",
        type=positive_int,
        default=DEFAULT_MAX,
        metavar="N",
        help=f"show the newest N (default {DEFAULT_MAX})",
    )
    violations.add_argument("--json", action="store_true", help="one JSON object per refused record")
    violations.set_defaults(func=_violations)
