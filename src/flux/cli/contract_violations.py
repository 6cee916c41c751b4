"""What ``flux contracts violations`` does (its parser is in :mod:`flux.cli.contracts`).

Every dead-letter topic of the catalogue is read to its current end; the records that carry a
rule's name (Confluent's ``__rule.*`` headers, written wherever a data contract refuses a record)
are the violations. They are listed newest first, then counted per rule.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from typing import Final, TextIO

from flux.catalogue import TopicKind, TopicSpec, load_catalogue
from flux.cli.errors import CliError, ExitCode
from flux.cli.kafka_read import KafkaRecord, TopicReader
from flux.cli.parked import ParkedRecord
from flux.cli.record_format import format_timestamp, key_text
from flux.cli.topic_lookup import dead_letter_pair
from flux.settings import get_settings

__all__ = ["Violation", "run_violations", "violations_of"]

RULE_NAME: Final = "__rule.name"
RULE_MODE: Final = "__rule.mode"
RULE_SUBJECT: Final = "__rule.subject"
RULE_TOPIC: Final = "__rule.topic"
RULE_ACTION: Final = "flux.dlq.rule.action"


@dataclass(frozen=True, slots=True)
class Violation:
    """One refused record: where it is parked and what its headers say about the rule."""

    parked: ParkedRecord

    @property
    def record(self) -> KafkaRecord:
        return self.parked.record

    @property
    def rule(self) -> str:
        return self.record.header(RULE_NAME) or "?"

    @property
    def mode(self) -> str:
        return self.record.header(RULE_MODE) or "?"

    @property
    def subject(self) -> str:
        return self.record.header(RULE_SUBJECT) or "?"

    @property
    def topic(self) -> str:
        return self.record.header(RULE_TOPIC) or self.parked.original_topic or "?"

    @property
    def action(self) -> str:
        return self.record.header(RULE_ACTION) or "?"

    def as_json(self) -> dict[str, object]:
        rec = self.record
        return {
            "parkedAt": rec.timestamp_ms,
            "location": self.parked.location,
            "topic": self.topic,
            "subject": self.subject,
            "rule": self.rule,
            "mode": self.mode,
            "action": self.action,
            "service": self.parked.service,
            "key": key_text(rec.key),
            "reason": self.record.header("__rule.exception") or "",
        }


def violations_of(records: list[KafkaRecord]) -> list[Violation]:
    """The records of a dead-letter topic that a rule refused (those naming a rule)."""
    return [Violation(ParkedRecord(r)) for r in records if r.header(RULE_NAME)]


def _dead_letter_topics(topic: str | None) -> list[TopicSpec]:
    if topic is not None:
        return [dead_letter_pair(topic).dead_letter]
    return list(load_catalogue().of_kind(TopicKind.DEAD_LETTER))


def _collect(topics: list[TopicSpec]) -> tuple[list[Violation], list[str]]:
    found: list[Violation] = []
    missing: list[str] = []
    with TopicReader(get_settings(), "contracts-violations") as reader:
        for spec in topics:
            try:
                found.extend(violations_of(reader.read_all(spec.name)))
            except CliError as exc:
                if exc.code is not ExitCode.NOT_FOUND:
                    raise
                missing.append(spec.name)
    found.sort(key=lambda v: (v.record.timestamp_ms or 0, v.record.offset), reverse=True)
    return found, missing


def run_violations(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """``flux contracts violations``: the newest ``--max`` refused records, then a count per rule."""
    stream = out or sys.stdout
    found, missing = _collect(_dead_letter_topics(args.topic))
    shown = found[: args.max]
    if args.json:
        for violation in shown:
            stream.write(json.dumps(violation.as_json()) + "\n")
        return 0
    for name in missing:
        stream.write(f"{name}: not on the broker (run `flux topics create`)\n")
    if not found:
        stream.write("no record has been refused by a data-contract rule\n")
        return 0
    rows = [("PARKED", "TOPIC", "RULE", "MODE", "ACTION", "BY", "KEY")]
    for v in shown:
        key = key_text(v.record.key)
        rows.append(
            (
                format_timestamp(v.record.timestamp_ms),
                v.topic,
                v.rule,
                v.mode,
                v.action,
                v.parked.service,
                key if key is not None else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        stream.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)))
        stream.write(f"  {row[-1]}\n")
    per_rule = Counter(f"{v.subject} {v.rule}" for v in found)
    stream.write(f"{len(found)} refused record(s); newest {len(shown)} shown. By rule:\n")
    for name, count in sorted(per_rule.items(), key=lambda item: (-item[1], item[0])):
        stream.write(f"  {count:>6}  {name}\n")
    return 0
