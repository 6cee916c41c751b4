"""Prometheus metrics of a domain service (one process per service, default registry).

Every name is ``flux_service_<what>[_unit][_total]`` with a ``service`` label (docs/operations.md,
"Metrics"); consumer lag is the shared ``flux_kafka_consumer_lag_records`` (:mod:`flux.kafka.lag`).
"""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter, Gauge, Histogram

from flux.kafka.lag import consumer_lag_gauge
from flux.observability.grouped_histogram import GroupedHistogram

__all__ = [
    "COMMANDS_CONSUMED",
    "COMMANDS_DUPLICATE",
    "CONSUMER_LAG",
    "DEAD_LETTERS",
    "EVENTS_PUBLISHED",
    "HANDLER_LATENCY",
    "SERVICE_DEGRADED",
    "TICKS_INGESTED",
    "TRANSIENT_FAILURES",
    "UPSTREAM_ERRORS",
    "UPSTREAM_LATENCY",
]

COMMANDS_CONSUMED: Final = Counter(
    "flux_service_commands_consumed_total", "Commands read from Kafka", ["service", "topic"]
)
COMMANDS_DUPLICATE: Final = Counter(
    "flux_service_commands_duplicate_total",
    "Redelivered commands skipped by command id",
    ["service", "topic"],
)
EVENTS_PUBLISHED: Final = Counter(
    "flux_service_events_published_total", "Events acknowledged by Kafka", ["service", "topic"]
)
DEAD_LETTERS: Final = Counter(
    "flux_service_dead_letters_total", "Records sent to a dead-letter topic", ["service", "topic", "error"]
)
TRANSIENT_FAILURES: Final = Counter(
    "flux_service_transient_failures_total", "Batches retried after a broker/registry failure", ["service"]
)
UPSTREAM_LATENCY: Final = Histogram(
    "flux_service_upstream_latency_seconds",
    "Upstream call latency, retries included",
    ["service", "call"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
UPSTREAM_ERRORS: Final = Counter(
    "flux_service_upstream_errors_total",
    "Upstream calls that failed after retries",
    ["service", "call", "error"],
)
# One observation per landed batch with the count of its commands (they share the figure).
HANDLER_LATENCY: Final = GroupedHistogram(
    "flux_service_command_latency_seconds",
    "Command read to event acknowledged",
    ["service", "topic"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
# {component=<service>, topic, partition}: the one lag metric of every Flux consumer.
CONSUMER_LAG: Final = consumer_lag_gauge()
TICKS_INGESTED: Final = Counter(
    "flux_service_ticks_ingested_total", "Ticks read from the ticker stream", ["service"]
)
SERVICE_DEGRADED: Final = Gauge(
    "flux_service_degraded",
    "1 while the service runs without a part it was asked to use (e.g. a live upstream's API key)",
    ["service", "part"],
)
