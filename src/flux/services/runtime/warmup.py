"""Rebuild the idempotency memory after a restart from the service's own recent events.

Every event caused by a command carries that command's id as ``correlation_id``.
Reading the last few minutes of the service's output topics tells which
commands already produced their event, so a command redelivered after a crash
(published, but not yet committed) is not handled a second time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from confluent_kafka import Consumer, TopicPartition

from flux.kafka.config import consumer_config
from flux.kafka.recent_ids import RecentIds
from flux.serde import AsyncSerde, SerdeError
from flux.serde.contract_schema import contract_schema
from flux.settings import Settings

__all__ = ["remember_recent_commands"]

LOG = logging.getLogger(__name__)


def _read_window(
    settings: Settings, topics: Sequence[str], window_s: float, limit: int
) -> list[tuple[str, bytes]]:
    consumer = Consumer(
        consumer_config(settings, group_id="flux-warmup-unused", client_id="warmup", offset_reset="latest")
    )
    records: list[tuple[str, bytes]] = []
    try:
        since_ms = int((time.time() - window_s) * 1000)
        wanted: list[TopicPartition] = []
        metadata = consumer.list_topics(timeout=10)
        for topic in topics:
            for partition in metadata.topics[topic].partitions:
                wanted.append(TopicPartition(topic, partition, since_ms))
        starts = consumer.offsets_for_times(wanted, timeout=10)
        # The newest events matter most (a crash leaves its last batch uncommitted): when the window
        # holds more than the limit, each partition is read from its end minus its share.
        per_partition = max(1, limit // max(1, len(starts)))
        ends = {}
        assign = []
        for tp in starts:
            _, high = consumer.get_watermark_offsets(TopicPartition(tp.topic, tp.partition), timeout=10)
            if tp.offset >= 0 and tp.offset < high:
                ends[(tp.topic, tp.partition)] = high
                assign.append(TopicPartition(tp.topic, tp.partition, max(tp.offset, high - per_partition)))
        if not assign:
            return records
        consumer.assign(assign)
        deadline = time.monotonic() + 30
        while ends and len(records) < limit and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=1000, timeout=0.5):
                if msg.error():
                    continue
                key = (msg.topic() or "", msg.partition() or 0)
                records.append((key[0], msg.value() or b""))
                if (msg.offset() or 0) + 1 >= ends.get(key, 0):
                    ends.pop(key, None)
    finally:
        consumer.close()
    return records


async def remember_recent_commands(
    settings: Settings,
    serde: AsyncSerde,
    contracts: Sequence[type],
    recent: RecentIds,
    *,
    limit: int = 100_000,
) -> int:
    """Add the correlation ids of recent events on ``contracts``' topics to ``recent``; returns the count."""
    by_topic = {contract_schema(c).topic: c for c in contracts}
    records = await asyncio.to_thread(_read_window, settings, list(by_topic), recent.ttl_s, limit)
    remembered = 0
    for topic, value in records:
        try:
            event: object = await serde.decode(by_topic[topic], value)
        except SerdeError:
            continue
        correlation = getattr(event, "correlation_id", None)
        if correlation is not None:
            recent.add(correlation)
            remembered += 1
    LOG.info("idempotency memory warmed", extra={"events_read": len(records), "commands": remembered})
    return remembered
