"""The embedded stack runs a real Kafka: produce, consume, commit, and survive a broker restart."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.aio import AIOConsumer, AIOProducer

from flux.catalogue import TopicKind, TopicSpec, load_catalogue
from flux.devstack.stack import RunningStack
from flux.kafka.admin import ensure_topics
from flux.kafka.config import consumer_config, producer_config
from flux.settings import Settings
from flux.testing.stack import make_ephemeral_stack

pytestmark = pytest.mark.integration


def _scratch_topic(partitions: int = 2) -> TopicSpec:
    return TopicSpec(
        name=f"_test.{uuid.uuid4().hex[:10]}",
        kind=TopicKind.INTERNAL,
        domain="test",
        producer="test",
        consumers=("test",),
        partitions=partitions,
        cleanup_policy="delete",
        retention_ms=3_600_000,
        key="test",
    )


async def _produce(settings: Settings, topic: str, count: int) -> None:
    producer = AIOProducer(producer_config(settings, client_id="it-producer"))
    try:
        futures = [
            await producer.produce(topic, value=f"v{i}".encode(), key=f"k{i % 4}".encode())
            for i in range(count)
        ]
        await producer.flush()
        delivered = await asyncio.gather(*futures)
        assert all(m.error() is None for m in delivered)
    finally:
        await producer.close()


async def _consume(settings: Settings, topic: str, group: str, count: int, *, commit: bool) -> list[bytes]:
    consumer = AIOConsumer(consumer_config(settings, group_id=group, client_id=f"it-{group}"))
    values: list[bytes] = []
    try:
        await consumer.subscribe([topic])
        deadline = asyncio.get_running_loop().time() + 30
        while len(values) < count and asyncio.get_running_loop().time() < deadline:
            msg = await consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            values.append(msg.value())
            if commit:
                await consumer.commit(message=msg, asynchronous=False)
    finally:
        await consumer.close()
    return values


async def _committed_after_coordinator_loads(consumer: AIOConsumer, tp: TopicPartition) -> TopicPartition:
    """Right after a restart the group coordinator is still loading its offsets; clients retry."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        try:
            return (await consumer.committed([tp], timeout=5))[0]
        except KafkaException as exc:
            retriable = exc.args[0].code() in (
                KafkaError.NOT_COORDINATOR,
                KafkaError._TIMED_OUT,
                KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
            )
            if not retriable or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


async def test_every_catalogue_topic_exists_with_its_partitions(stack: RunningStack) -> None:
    metadata = AdminClient({"bootstrap.servers": stack.kafka_bootstrap}).list_topics(timeout=10)
    for spec in load_catalogue().topics:
        assert spec.name in metadata.topics, spec.name
        assert len(metadata.topics[spec.name].partitions) == spec.partitions


async def test_produce_consume_and_commit_with_aio_clients(stack: RunningStack) -> None:
    settings = stack.settings
    topic = _scratch_topic()
    ensure_topics(settings, [topic])
    await _produce(settings, topic.name, 20)

    group = f"g-{uuid.uuid4().hex[:6]}"
    first = await _consume(settings, topic.name, group, 20, commit=True)
    assert sorted(first) == sorted(f"v{i}".encode() for i in range(20))

    # Everything was committed: the same group sees only what is produced afterwards.
    await _produce(settings, topic.name, 3)
    second = await _consume(settings, topic.name, group, 3, commit=True)
    assert sorted(second) == [b"v0", b"v1", b"v2"]


async def test_broker_restart_keeps_data_and_committed_offsets(tmp_path: Path) -> None:
    dev = make_ephemeral_stack(tmp_path, with_registry=False, with_valkey=False)
    running = dev.up()
    try:
        settings = running.settings
        topic = _scratch_topic(partitions=1)
        ensure_topics(settings, [topic])
        await _produce(settings, topic.name, 10)
        group = "restart-group"
        await _consume(settings, topic.name, group, 4, commit=True)

        running.kafka.stop()
        assert not running.kafka.process.alive()
        running.kafka.start()
        running.kafka.wait_ready()

        consumer = AIOConsumer(consumer_config(settings, group_id=group, client_id="after-restart"))
        try:
            committed = await _committed_after_coordinator_loads(consumer, TopicPartition(topic.name, 0))
            assert committed.offset == 4
        finally:
            await consumer.close()
        everything = await _consume(settings, topic.name, f"fresh-{uuid.uuid4().hex[:6]}", 10, commit=False)
        assert everything == [f"v{i}".encode() for i in range(10)]
        rest = await _consume(settings, topic.name, group, 6, commit=True)
        assert rest == [f"v{i}".encode() for i in range(4, 10)]
    finally:
        dev.down()
    assert not running.kafka.process.alive()
