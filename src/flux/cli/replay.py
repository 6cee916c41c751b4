"""Replaying dead letters: which parked records go back, the confirmation, and producing them.

A replay re-produces each chosen record's original value and key, with its original headers, to
the topic its ``flux.dlq.original.topic`` header names (which must be the dead-letter topic's
source in the catalogue), and adds ``flux.replay.source``. The partition follows from the key, as
it did the first time. Nothing is deleted from the dead-letter topic: Kafka topics cannot delete
single records, so a second replay sends the same records again (consumers drop duplicates by
their ids, see ADR-009).

Example:
    >>> plan = plan_replay(parked, pair, error_class="SchemaMismatch", limit=10)  # doctest: +SKIP
    >>> confirm(plan.question(), yes=False, stdin=sys.stdin, prompt_to=sys.stderr)  # doctest: +SKIP
    >>> result = asyncio.run(produce_plan(settings, plan))  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, TextIO

from confluent_kafka import Message

from flux.cli.errors import CliError, ExitCode
from flux.cli.parked import REPLAY_SOURCE, ParkedRecord
from flux.cli.topic_lookup import DeadLetterPair
from flux.kafka.config import producer_config
from flux.kafka.producer import AsyncProducer, DeliveryError
from flux.settings import Settings

__all__ = ["ReplayPlan", "ReplayResult", "confirm", "plan_replay", "produce_plan"]

YES_ANSWERS: Final = frozenset({"y", "yes"})


@dataclass(frozen=True, slots=True)
class ReplayPlan:
    """The records a replay would send, and those it leaves out with the reason."""

    pair: DeadLetterPair
    records: tuple[ParkedRecord, ...]
    skipped: tuple[tuple[ParkedRecord, str], ...] = ()

    @property
    def target(self) -> str:
        return self.pair.source.name

    def question(self) -> str:
        noun = "record" if len(self.records) == 1 else "records"
        return (
            f"Replay {len(self.records)} {noun} from {self.pair.dead_letter.name} to {self.target}? "
            "They stay in the dead-letter topic."
        )


@dataclass(slots=True)
class ReplayResult:
    """What a replay sent: (parked record, new partition, new offset), and the failures."""

    delivered: list[tuple[ParkedRecord, int, int]] = field(default_factory=list)
    failed: list[tuple[ParkedRecord, str]] = field(default_factory=list)


def plan_replay(
    parked: Sequence[ParkedRecord],
    pair: DeadLetterPair,
    *,
    error_class: str | None = None,
    limit: int | None = None,
) -> ReplayPlan:
    """Choose what to replay: records of ``error_class`` (any, when None), the first ``limit`` of them.

    A record is left out (and reported) when its ``flux.dlq.original.topic`` header is missing or
    names another topic than ``pair.source``, when it has no value, or when it parks the same
    original record (partition and offset) as one already chosen: several consumers of one topic
    (each BFF instance) each park a record none of them could take, and it is replayed once.
    """
    chosen: list[ParkedRecord] = []
    skipped: list[tuple[ParkedRecord, str]] = []
    origins: set[tuple[int, int]] = set()
    for record in parked:
        if error_class is not None and record.error_class.casefold() != error_class.casefold():
            continue
        if record.original_topic is None:
            skipped.append((record, "no flux.dlq.original.topic header"))
        elif record.original_topic != pair.source.name:
            skipped.append((record, f"parked from {record.original_topic!r}, not {pair.source.name!r}"))
        elif record.record.value is None:
            skipped.append((record, "no value (tombstone)"))
        elif _origin(record) in origins:
            skipped.append(
                (record, "the same original record is already replayed (parked by another consumer)")
            )
        elif limit is None or len(chosen) < limit:
            chosen.append(record)
            if (origin := _origin(record)) is not None:
                origins.add(origin)
    return ReplayPlan(pair, tuple(chosen), tuple(skipped))


def _origin(record: ParkedRecord) -> tuple[int, int] | None:
    partition, offset = record.original_partition, record.original_offset
    return None if partition is None or offset is None else (partition, offset)


def confirm(question: str, *, yes: bool, stdin: TextIO, prompt_to: TextIO) -> None:
    """Return when the user agreed (or passed ``--yes``); raise otherwise.

    Raises:
        CliError: (usage) no ``--yes`` and no terminal to ask on; (failed) the answer was not yes.
    """
    if yes:
        return
    if not stdin.isatty():
        raise CliError(
            "refusing to replay without --yes: there is no terminal to ask for confirmation "
            "(try --dry-run first)",
            ExitCode.USAGE,
        )
    prompt_to.write(f"{question} [y/N] ")
    prompt_to.flush()
    answer = stdin.readline()
    if answer.strip().casefold() not in YES_ANSWERS:
        raise CliError("aborted: nothing was replayed", ExitCode.FAILED)


async def produce_plan(settings: Settings, plan: ReplayPlan) -> ReplayResult:
    """Produce every record of ``plan`` to its target (acks=all) and wait for each acknowledgement."""
    result = ReplayResult()
    producer = AsyncProducer(producer_config(settings, client_id="flux-cli-dlq-replay"))
    queued: list[tuple[ParkedRecord, asyncio.Future[Message]]] = []
    try:
        for parked in plan.records:
            headers = [*parked.original_headers(), (REPLAY_SOURCE, parked.location.encode())]
            try:
                future = producer.produce(
                    plan.target, value=parked.record.value, key=parked.record.key, headers=headers
                )
            except DeliveryError as exc:
                result.failed.append((parked, str(exc)))
                continue
            queued.append((parked, future))
        outcomes = await asyncio.gather(*(f for _, f in queued), return_exceptions=True)
    finally:
        await producer.aclose()
    for (parked, _), outcome in zip(queued, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            result.failed.append((parked, str(outcome)))
        else:
            result.delivered.append((parked, int(outcome.partition() or 0), int(outcome.offset() or 0)))
    return result
