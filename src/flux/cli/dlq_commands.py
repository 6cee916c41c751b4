"""What ``flux dlq list``, ``show`` and ``replay`` do (their parsers are in :mod:`flux.cli.dlq`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TextIO

from flux.catalogue import TopicKind, load_catalogue
from flux.cli.errors import CliError, ExitCode
from flux.cli.kafka_read import TopicReader
from flux.cli.parked import (
    ParkedRecord,
    count_by_class,
    format_counts,
    parked_json,
    parked_lines,
    parked_summary,
)
from flux.cli.replay import confirm, plan_replay, produce_plan
from flux.cli.topic_lookup import dead_letter_pair, source_of
from flux.settings import get_settings

__all__ = ["run_list", "run_replay", "run_show"]


def run_list(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """``flux dlq list``: one line per dead-letter topic, then a total."""
    stream = out or sys.stdout
    catalogue = load_catalogue()
    dead_letters = catalogue.of_kind(TopicKind.DEAD_LETTER)
    rows: list[tuple[str, str, str]] = []
    total = 0
    with TopicReader(get_settings(), "dlq-list") as reader:
        for spec in dead_letters:
            try:
                parked = [ParkedRecord(r) for r in reader.read_all(spec.name)]
            except CliError as exc:
                if exc.code is not ExitCode.NOT_FOUND:
                    raise
                rows.append((spec.name, "-", "not on the broker (run `flux topics create`)"))
                if args.json:
                    stream.write(json.dumps({"topic": spec.name, "records": None, "byErrorClass": {}}) + "\n")
                continue
            counts = count_by_class(parked)
            total += len(parked)
            if args.json:
                source = source_of(spec, catalogue)
                stream.write(
                    json.dumps(
                        {
                            "topic": spec.name,
                            "source": source.name if source else None,
                            "records": len(parked),
                            "byErrorClass": dict(sorted(counts.items())),
                        }
                    )
                    + "\n"
                )
            rows.append((spec.name, str(len(parked)), format_counts(counts)))
    if not args.json:
        header = ("DEAD-LETTER TOPIC", "RECORDS", "BY ERROR CLASS")
        width = max(len(r[0]) for r in [header, *rows])
        count_width = max(len(r[1]) for r in [header, *rows])
        for name, count, classes in [header, *rows]:
            stream.write(f"{name:<{width}}  {count:>{count_width}}  {classes}\n")
        stream.write(f"{total} parked record(s) in {len(dead_letters)} dead-letter topics\n")
    return 0


def run_show(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """``flux dlq show TOPIC``: the oldest parked records (all, or ``--max``) with their headers."""
    stream = out or sys.stdout
    pair = dead_letter_pair(args.topic)
    with TopicReader(get_settings(), "dlq-show") as reader:
        parked = [ParkedRecord(r) for r in reader.read_all(pair.dead_letter.name, limit=args.max)]
    if args.json:
        for record in parked:
            stream.write(parked_json(record) + "\n")
        return 0
    if not parked:
        stream.write(f"{pair.dead_letter.name} is empty\n")
        return 0
    for record in parked:
        stream.write("\n".join(parked_lines(record)) + "\n")
    shown = "first " if args.max is not None else ""
    stream.write(f"{pair.dead_letter.name}: {shown}{parked_summary(parked)}\n")
    return 0


def run_replay(
    args: argparse.Namespace,
    out: TextIO | None = None,
    stdin: TextIO | None = None,
    prompt_to: TextIO | None = None,
) -> int:
    """``flux dlq replay TOPIC``: plan, show, confirm, produce, summarise."""
    stream = out or sys.stdout
    settings = get_settings()
    pair = dead_letter_pair(args.topic)
    with TopicReader(settings, "dlq-replay") as reader:
        reader.partitions(pair.source.name)  # the target must exist before anything is asked
        parked = [ParkedRecord(r) for r in reader.read_all(pair.dead_letter.name)]
    plan = plan_replay(parked, pair, error_class=args.error_class, limit=args.max)
    for record, reason in plan.skipped:
        stream.write(f"skip {record.location}: {reason}\n")
    if not plan.records:
        which = f" of error class {args.error_class}" if args.error_class else ""
        stream.write(f"nothing to replay: no parked records{which} in {pair.dead_letter.name}\n")
        return 0
    verb = "would replay" if args.dry_run else "replay"
    for record in plan.records:
        stream.write(
            f"{verb} {record.location} -> {plan.target}  {record.error_class}  "
            f"(original partition {record.original_partition}, offset {record.original_offset})\n"
        )
    if args.dry_run:
        stream.write(
            f"dry run: {parked_summary(plan.records)} would be replayed to {plan.target}; nothing was produced\n"
        )
        return 0
    stream.flush()
    confirm(plan.question(), yes=args.yes, stdin=stdin or sys.stdin, prompt_to=prompt_to or sys.stderr)
    result = asyncio.run(produce_plan(settings, plan))
    for record, partition, offset in result.delivered:
        stream.write(f"replayed {record.location} -> {plan.target}/{partition}/{offset}\n")
    for record, error in result.failed:
        stream.write(f"FAILED {record.location}: {error}\n")
    stream.write(
        f"replayed {len(result.delivered)} of {len(plan.records)} record(s) to {plan.target}; "
        f"{pair.dead_letter.name} still holds them (replay never deletes)\n"
    )
    if result.failed:
        raise CliError(f"{len(result.failed)} record(s) were not delivered to {plan.target}", ExitCode.FAILED)
    return 0
