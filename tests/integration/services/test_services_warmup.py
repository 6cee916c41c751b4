"""Idempotency warm-up on the real broker: the newest events are remembered even when the window holds more."""

from __future__ import annotations

import uuid

import pytest

from flux.contracts import WeatherStatus, WeatherUpdated
from flux.devstack.stack import RunningStack
from flux.kafka.producer import AsyncProducer
from flux.kafka.recent_ids import RecentIds
from flux.serde import AsyncSerde
from flux.services.runtime.envelope import event_id_for, utc_now
from flux.services.runtime.warmup import remember_recent_commands

pytestmark = pytest.mark.integration

PARTITIONS = 6  # weather.service.event.updated


def event(correlation_id: uuid.UUID) -> WeatherUpdated:
    return WeatherUpdated(
        event_id=event_id_for(correlation_id, WeatherUpdated.TOPIC),
        produced_at=utc_now(),
        source="test",
        correlation_id=correlation_id,
        snapshot_hash="0" * 64,
        city_key="warmup",
        status=WeatherStatus.ERROR,
        data=None,
        error=None,
    )


async def test_warmup_reads_the_newest_events_first(
    stack: RunningStack, serde: AsyncSerde, producer: AsyncProducer
) -> None:
    old = [uuid.uuid4() for _ in range(40 * PARTITIONS)]
    new = [uuid.uuid4() for _ in range(5 * PARTITIONS)]
    for ids in (old, new):
        for i, correlation_id in enumerate(ids):
            value = await serde.encode(event(correlation_id))
            await producer.produce(WeatherUpdated.TOPIC, value=value, key=b"warmup", partition=i % PARTITIONS)
    recent = RecentIds(capacity=10_000, ttl_s=600)
    remembered = await remember_recent_commands(
        stack.settings, serde, [WeatherUpdated], recent, limit=10 * PARTITIONS
    )
    assert remembered <= 10 * PARTITIONS
    assert all(recent.seen(i) for i in new), "every one of the newest events is remembered"
    assert not all(recent.seen(i) for i in old)
