"""Offset bookkeeping of the command loop: what to commit after a batch, where to rewind after a failure."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from confluent_kafka import KafkaException, Message, TopicPartition

from flux.kafka.consumer import AsyncConsumer

__all__ = ["commit_in_background", "next_offsets", "rewind", "sleep_unless"]

LOG = logging.getLogger(__name__)


def next_offsets(records: Sequence[Message]) -> list[TopicPartition]:
    """Per partition, the offset after the last of ``records`` (what a commit of them stores)."""
    highest: dict[tuple[str, int], int] = {}
    for msg in records:
        key = (msg.topic() or "", msg.partition() or 0)
        highest[key] = max(highest.get(key, -1), msg.offset() or 0)
    return [TopicPartition(t, p, o + 1) for (t, p), o in highest.items()]


async def commit_in_background(consumer: AsyncConsumer, offsets: list[TopicPartition]) -> None:
    """Commit without waiting for the broker's answer; never fails the batch.

    The batch's events are acknowledged already, so a lost commit only means a redelivery, which
    the idempotency memory absorbs.
    """
    try:
        await consumer.commit(offsets, asynchronous=True)
    except KafkaException as exc:  # e.g. no coordinator during a broker restart
        LOG.warning("commit failed; the batch may be redelivered", extra={"error": str(exc)})


async def rewind(consumer: AsyncConsumer, records: Sequence[Message]) -> None:
    """Read every partition of ``records`` again from the first of them."""
    lowest: dict[tuple[str, int], int] = {}
    for msg in records:
        key = (msg.topic() or "", msg.partition() or 0)
        lowest[key] = min(lowest.get(key, msg.offset() or 0), msg.offset() or 0)
    for (topic, partition), offset in lowest.items():
        try:
            await consumer.seek(TopicPartition(topic, partition, offset))
        except Exception as exc:  # partition revoked meanwhile: its new owner starts from the commit
            LOG.info("rewind skipped", extra={"topic": topic, "partition": partition, "error": str(exc)})


async def sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less when ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
