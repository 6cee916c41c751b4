"""Fixtures for the ``flux`` command on the real embedded stack: run it, produce and read records.

The command runs in-process (``flux.cli.main.main``) with ``FLUX_KAFKA_BOOTSTRAP`` and
``FLUX_REGISTRY_URL`` pointing at the session ``stack``; helpers talk to the same real broker.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest
from confluent_kafka import Consumer, Message, TopicPartition

from flux.cli.main import main
from flux.devstack.stack import RunningStack
from flux.kafka.config import consumer_config, producer_config
from flux.kafka.producer import AsyncProducer
from flux.settings import Settings

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class CliRun:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(
    stack: RunningStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., CliRun]:
    """Run ``flux ARGS...`` against the stack; returns exit code, stdout and stderr."""
    assert stack.registry_url is not None
    monkeypatch.setenv("FLUX_KAFKA_BOOTSTRAP", stack.kafka_bootstrap)
    monkeypatch.setenv("FLUX_REGISTRY_URL", stack.registry_url)
    monkeypatch.delenv("FLUX_REGISTRY_BASIC_AUTH", raising=False)

    def run(*argv: str) -> CliRun:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err)

    return run


@pytest.fixture
def cli_env(stack: RunningStack) -> dict[str, str]:
    """Environment for ``python -m flux ...`` subprocesses pointed at the stack."""
    assert stack.registry_url is not None
    return {
        **os.environ,
        "FLUX_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
        "FLUX_REGISTRY_URL": stack.registry_url,
        "PYTHONUNBUFFERED": "1",
    }


def produce(
    settings: Settings, topic: str, records: Sequence[tuple[bytes | None, bytes, Sequence[tuple[str, bytes]]]]
) -> list[Message]:
    """Produce ``(key, value, headers)`` records in order and return their acknowledgements."""

    async def send() -> list[Message]:
        producer = AsyncProducer(producer_config(settings, client_id="cli-test"))
        try:
            return [await producer.send(topic, value=v, key=k, headers=list(h)) for k, v, h in records]
        finally:
            await producer.aclose()

    acknowledged = asyncio.run(send())
    gc.collect()  # the closed producer sits in a reference cycle; free it before the stack goes away
    return acknowledged


def _consumer(settings: Settings) -> Consumer:
    return Consumer(consumer_config(settings, group_id=f"cli-test-{uuid.uuid4()}", client_id="cli-test"))


def watermarks(settings: Settings, topic: str) -> dict[int, tuple[int, int]]:
    """(low, high) offsets of every partition of ``topic``."""
    consumer = _consumer(settings)
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            for p in sorted(partitions)
        }
    finally:
        consumer.close()


def record_count(settings: Settings, topic: str) -> int:
    return sum(high - low for low, high in watermarks(settings, topic).values())


def read_after(
    settings: Settings, topic: str, start: dict[int, tuple[int, int]], count: int
) -> list[Message]:
    """The first ``count`` records of ``topic`` after the high watermarks in ``start``."""
    consumer = _consumer(settings)
    try:
        consumer.assign([TopicPartition(topic, p, high) for p, (_, high) in start.items()])
        found: list[Message] = []
        deadline = time.monotonic() + 30
        while len(found) < count:
            assert time.monotonic() < deadline, f"only {len(found)} of {count} records arrived on {topic}"
            found.extend(m for m in consumer.consume(num_messages=100, timeout=0.5) if not m.error())
        return found
    finally:
        consumer.close()


def read_at(settings: Settings, msg: Message) -> Message:
    """Consume the record ``msg`` acknowledged (a real consumed ``Message``, as a service holds)."""
    consumer = _consumer(settings)
    try:
        consumer.assign([TopicPartition(msg.topic() or "", msg.partition() or 0, msg.offset() or 0)])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            got = consumer.poll(0.5)
            if got is not None and not got.error():
                return got
        raise AssertionError("the produced record did not come back")
    finally:
        consumer.close()
