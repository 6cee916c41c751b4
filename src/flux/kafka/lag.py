"""Consumer lag: one metric for every Flux consumer (services, BFF, registry log reader).

``flux_kafka_consumer_lag_records{component,topic,partition}`` is how many records a consumer is
behind the end of a partition: the high watermark minus its position (the next offset it reads).
``component`` names the consumer: the service (``weather-service``, ...), ``bff`` or ``registry``.
The high watermark comes from the consumer's last fetch response (``cached=True``): no broker call.

Example:
    >>> from prometheus_client import CollectorRegistry
    >>> lag = ConsumerLag(consumer_lag_gauge(CollectorRegistry()), "weather-service")
    >>> lag.set("weather.service.command.fetch", 0, records_behind(position=5, low=0, high=8))
    >>> await lag.report(consumer, [("weather.service.command.fetch", 0, 5)])  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from confluent_kafka import TopicPartition
from prometheus_client import REGISTRY, CollectorRegistry, Gauge

from flux.kafka.consumer import AsyncConsumer

__all__ = ["ConsumerLag", "consumer_lag_gauge", "records_behind"]

LOG = logging.getLogger(__name__)


def consumer_lag_gauge(registry: CollectorRegistry = REGISTRY) -> Gauge:
    """The lag gauge, registered in ``registry`` (once per registry)."""
    return Gauge(
        "flux_kafka_consumer_lag_records",
        "Records a consumer is behind the end of a partition (high watermark - position)",
        ["component", "topic", "partition"],
        registry=registry,
    )


def records_behind(position: int, low: int, high: int) -> int:
    """``high - position``, never negative; a consumer with no position yet (negative, Kafka's
    ``OFFSET_INVALID``) is behind by everything still in the partition (``high - low``)."""
    return max(0, high - position if position >= 0 else high - low)


class ConsumerLag:
    """Reports one consumer's lag under its ``component`` label."""

    __slots__ = ("component", "gauge")

    def __init__(self, gauge: Gauge, component: str) -> None:
        self.gauge = gauge
        self.component = component

    def set(self, topic: str, partition: int, behind: int) -> None:
        self.gauge.labels(self.component, topic, str(partition)).set(max(0, behind))

    async def report(self, consumer: AsyncConsumer, positions: Iterable[tuple[str, int, int]]) -> None:
        """Set the lag of every ``(topic, partition, position)`` (best effort: a partition whose
        watermarks are unknown is skipped)."""
        for topic, partition, position in positions:
            try:
                low, high = await consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), cached=True
                )
            except Exception as exc:
                LOG.debug("lag lookup failed", extra={"topic": topic, "error": str(exc)})
                continue
            self.set(topic, partition, records_behind(position, low, high))
