"""The one consumer-lag metric (flux.kafka.lag): what "behind" means, and best-effort reporting."""

from __future__ import annotations

from typing import Any, cast

from confluent_kafka import TopicPartition
from prometheus_client import CollectorRegistry

from flux.kafka.consumer import AsyncConsumer
from flux.kafka.lag import ConsumerLag, consumer_lag_gauge, records_behind


class FakeConsumer:
    def __init__(self, watermarks: dict[tuple[str, int], tuple[int, int]]) -> None:
        self.watermarks = watermarks
        self.cached: list[bool] = []

    async def get_watermark_offsets(
        self, partition: TopicPartition, *, cached: bool = False
    ) -> tuple[int, int]:
        self.cached.append(cached)
        key = (partition.topic, partition.partition)
        if key not in self.watermarks:
            raise RuntimeError("unknown partition")
        return self.watermarks[key]


def test_records_behind() -> None:
    assert records_behind(position=5, low=0, high=8) == 3
    assert records_behind(position=8, low=0, high=8) == 0
    assert records_behind(position=9, low=0, high=8) == 0  # a stale watermark is never negative
    assert records_behind(position=-1001, low=3, high=8) == 5  # no position yet: what is left


async def test_report_sets_one_series_per_partition_and_skips_unknown_ones() -> None:
    registry = CollectorRegistry()
    lag = ConsumerLag(consumer_lag_gauge(registry), "weather-service")
    consumer = FakeConsumer({("t", 0): (0, 10), ("t", 1): (2, 7)})
    await lag.report(cast(AsyncConsumer, cast(Any, consumer)), [("t", 0, 4), ("t", 1, -1001), ("gone", 0, 1)])

    def value(topic: str, partition: str) -> float | None:
        labels = {"component": "weather-service", "topic": topic, "partition": partition}
        return registry.get_sample_value("flux_kafka_consumer_lag_records", labels)

    assert value("t", "0") == 6
    assert value("t", "1") == 5
    assert value("gone", "0") is None
    assert consumer.cached == [True, True, True], "watermarks from the last fetch: no broker call"
