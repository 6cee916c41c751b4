"""flux.kafka.consumer.AsyncConsumer on the real broker: drain, the shared drain loop, commits, watermarks."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from flux.catalogue import TopicKind, TopicSpec
from flux.devstack.stack import RunningStack
from flux.kafka.admin import ensure_topics
from flux.kafka.config import consumer_config, producer_config
from flux.kafka.consumer import AsyncConsumer
from flux.kafka.producer import AsyncProducer

pytestmark = pytest.mark.integration


def _topic() -> TopicSpec:
    return TopicSpec(
        name=f"_test.consumer.{uuid.uuid4().hex[:10]}",
        kind=TopicKind.INTERNAL,
        domain="test",
        producer="test",
        consumers=("test",),
        partitions=1,
        cleanup_policy="delete",
        retention_ms=3_600_000,
        key="test",
    )


async def _produce(stack: RunningStack, topic: str, values: list[bytes]) -> None:
    producer = AsyncProducer(producer_config(stack.settings, client_id="it-consumer-producer"))
    try:
        await asyncio.gather(*(producer.send(topic, value=v, key=b"k") for v in values))
    finally:
        await producer.aclose(wait_s=5.0)


async def test_the_drain_loop_returns_a_lone_record_at_once_and_batches_what_is_fetched(
    stack: RunningStack,
) -> None:
    spec = _topic()
    await asyncio.to_thread(ensure_topics, stack.settings, [spec])
    group = f"it-{uuid.uuid4().hex[:8]}"
    consumer = AsyncConsumer(consumer_config(stack.settings, group_id=group, client_id=group))
    try:
        await consumer.assign([TopicPartition(spec.name, 0, OFFSET_BEGINNING)])
        assert consumer.drain(10) == []  # nothing fetched: returns at once, never blocks
        started = time.monotonic()
        assert await consumer.next_batch(10, wait_s=0.3) == []
        assert time.monotonic() - started >= 0.25  # it did wait for the first record

        await _produce(stack, spec.name, [b"lone"])
        batch: list = []
        deadline = time.monotonic() + 15
        while not batch and time.monotonic() < deadline:
            batch = [m for m in await consumer.next_batch(10, wait_s=0.5) if m.error() is None]
        assert [m.value() for m in batch] == [b"lone"]

        await _produce(stack, spec.name, [f"v{i}".encode() for i in range(50)])
        seen: list[bytes] = []
        sizes: list[int] = []
        deadline = time.monotonic() + 15
        while len(seen) < 50 and time.monotonic() < deadline:
            got = [m.value() for m in await consumer.next_batch(20, wait_s=0.5) if m.error() is None]
            if got:
                sizes.append(len(got))
            seen += got
        assert seen == [f"v{i}".encode() for i in range(50)]  # in order, nothing lost or repeated
        assert max(sizes) <= 20 and max(sizes) > 1  # batches are bounded, and grow when records wait

        await consumer.commit([TopicPartition(spec.name, 0, 51)], asynchronous=False)
        low, high = await consumer.get_watermark_offsets(TopicPartition(spec.name, 0), timeout_s=5.0)
        assert (low, high) == (0, 51)
        metadata = await consumer.list_topics(timeout_s=5.0)
        assert spec.name in metadata.topics
    finally:
        await consumer.close()
        await consumer.close()  # idempotent
