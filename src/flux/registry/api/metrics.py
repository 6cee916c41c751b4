"""Prometheus metrics of one registry instance (own collector registry, so tests can run several)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "RegistryMetrics"]


class RegistryMetrics:
    """Requests, latency, stored schemas and replay lag."""

    def __init__(self) -> None:
        self.collector = CollectorRegistry()
        self.requests = Counter(
            "flux_registry_requests_total",
            "HTTP requests by method, route and status",
            ["method", "route", "status"],
            registry=self.collector,
        )
        self.latency = Histogram(
            "flux_registry_request_seconds",
            "HTTP request latency by route",
            ["route"],
            registry=self.collector,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.schemas = Gauge(
            "flux_registry_schemas", "Schemas (distinct global ids) stored", registry=self.collector
        )
        self.subjects = Gauge(
            "flux_registry_subjects", "Subjects with live versions", registry=self.collector
        )
        self.lag = Gauge(
            "flux_registry_log_lag_records", "Records in the log not applied yet", registry=self.collector
        )
        self.ready = Gauge("flux_registry_ready", "1 once the log is replayed", registry=self.collector)
        self.replay_seconds = Gauge(
            "flux_registry_replay_seconds", "Time the start-up replay took", registry=self.collector
        )

    def render(self) -> bytes:
        return bytes(generate_latest(self.collector))
