"""``flux topics tail TOPIC``: print a catalogue topic's records as they arrive, decoded through the registry.

One line per record (``--json``: one JSON object per line) on stdout; a note on stderr says where
reading starts. A record that does not decode is printed as such and the tail goes on. Ctrl-C,
``--max`` and ``--timeout`` end it with exit code 0. The consumer commits nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from typing import TextIO

from flux.cli.decoding import RecordDecoder
from flux.cli.kafka_read import TopicReader
from flux.cli.record_format import tail_json, tail_line
from flux.cli.topic_lookup import catalogue_topic
from flux.settings import get_settings

__all__ = ["run_tail"]


def run_tail(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run ``flux topics tail`` with parsed ``args`` (topic, from_beginning, json, max, timeout)."""
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a tail normally ends
        _tail(args, out or sys.stdout)
    return 0


def _tail(args: argparse.Namespace, stream: TextIO) -> None:
    settings = get_settings()
    spec = catalogue_topic(args.topic)
    with TopicReader(settings, "tail") as reader:
        partitions = reader.partitions(spec.name)
        decoder = RecordDecoder.for_topic(spec, settings)
        decoder.check_registry()
        where = "beginning" if args.from_beginning else "end"
        noun = "partition" if len(partitions) == 1 else "partitions"
        print(
            f"# tailing {spec.name} ({len(partitions)} {noun}) from the {where}; Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )
        shown = 0
        last_record = time.monotonic()
        for record in reader.follow(spec.name, from_beginning=args.from_beginning):
            if record is None:
                if args.timeout is not None and time.monotonic() - last_record >= args.timeout:
                    return
                continue
            last_record = time.monotonic()
            decoded = decoder.decode(record.value)
            stream.write((tail_json(record, decoded) if args.json else tail_line(record, decoded)) + "\n")
            stream.flush()
            shown += 1
            if args.max is not None and shown >= args.max:
                return
