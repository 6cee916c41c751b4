"""``flux dlq``: look at the dead-letter topics and replay what is parked in them.

- ``flux dlq list``: every dead-letter topic of the catalogue, its record count and the count per
  ``flux.dlq.error.class``.
- ``flux dlq show TOPIC``: the parked records with their ``flux.dlq.*`` headers (TOPIC is the
  source topic or its dead-letter topic).
- ``flux dlq replay TOPIC``: re-produce the parked records' original bytes and keys to their
  original topic, after a fix; asks first (or ``--yes``), ``--dry-run`` only shows. The records
  stay in the dead-letter topic.

The work is in :mod:`flux.cli.dlq_commands`, imported only when a sub-command runs.
"""

from __future__ import annotations

import argparse
from typing import Any

from flux.cli.arguments import positive_int

__all__ = ["register"]


def _run(name: str) -> Any:
    def run(args: argparse.Namespace) -> int:
        from flux.cli import dlq_commands  # noqa: PLC0415 - keep `flux --help` fast

        result: int = getattr(dlq_commands, name)(args)
        return result

    return run


def register(subparsers: Any) -> None:
    """Add ``flux dlq list|show|replay`` to the ``flux`` command."""
    dlq = subparsers.add_parser("dlq", help="dead-letter topics: list, show and replay parked records")
    actions = dlq.add_subparsers(dest="dlq_command", metavar="ACTION", required=True)

    listing = actions.add_parser(
        "list", help="every dead-letter topic with its record count, by flux.dlq.error.class"
    )
    listing.add_argument("--json", action="store_true", help="one JSON object per dead-letter topic")
    listing.set_defaults(func=_run("run_list"))

    show = actions.add_parser(
        "show", help="the parked records of a topic's DLQ with their flux.dlq.* headers"
    )
    show.add_argument("topic", metavar="TOPIC", help="a source topic or its dead-letter topic")
    show.add_argument("--max", type=positive_int, metavar="N", help="show the oldest N records only")
    show.add_argument("--json", action="store_true", help="one JSON object per record (value in base64)")
    show.set_defaults(func=_run("run_show"))

    replay = actions.add_parser(
        "replay",
        help="re-produce parked records to their original topic (they stay in the DLQ)",
        description="Re-produce the parked records' original value, key and headers to the topic "
        "they were dead-lettered from, oldest first. Nothing is deleted from the dead-letter topic, "
        "so replaying twice sends the records twice. Asks for confirmation unless --yes.",
    )
    replay.add_argument("topic", metavar="TOPIC", help="a source topic or its dead-letter topic")
    replay.add_argument(
        "--dry-run", action="store_true", help="print what would be replayed; produce nothing"
    )
    replay.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    replay.add_argument("--max", type=positive_int, metavar="N", help="replay the oldest N records only")
    replay.add_argument(
        "--error-class",
        metavar="CLASS",
        help="only records whose flux.dlq.error.class is CLASS (e.g. SchemaMismatch)",
    )
    replay.set_defaults(func=_run("run_replay"))
