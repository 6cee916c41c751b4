"""Prometheus metrics of one BFF instance (own registry, so several apps can live in one process).

Every name is ``flux_bff_<what>[_unit][_total]`` (docs/operations.md, "Metrics"), but consumer lag,
the shared ``flux_kafka_consumer_lag_records{component="bff"}`` (:mod:`flux.kafka.lag`).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from flux.kafka.lag import consumer_lag_gauge

__all__ = ["BffMetrics"]

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class BffMetrics:
    """Every metric the BFF exports on ``/metrics``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.connections = Gauge("flux_bff_connections", "Connected Socket.IO clients", registry=r)
        self.connects = Counter("flux_bff_connects", "Accepted connections", registry=r)
        self.rejected_connects = Counter(
            "flux_bff_rejected_connects", "Connections refused by the auth hook", registry=r
        )
        self.refused_connects = Counter(
            "flux_bff_refused_connects",
            "Connections refused by a capacity limit (server_full, too_many_connections_from_address)",
            ["reason"],
            registry=r,
        )
        self.rooms = Gauge("flux_bff_rooms", "Rooms with at least one member", registry=r)
        self.emits = Counter(
            "flux_bff_emits", "Room emits (one per room, not per client)", ["event"], registry=r
        )
        self.hydrations = Counter(
            "flux_bff_hydrations", "Snapshots sent to one client on join", ["event"], registry=r
        )
        self.duplicates = Counter(
            "flux_bff_duplicates_dropped", "Updates dropped as redelivered or stale", ["event"], registry=r
        )
        self.cache_hits = Counter("flux_bff_cache_hits", "Hydration cache hits", ["tier"], registry=r)
        self.cache_misses = Counter("flux_bff_cache_misses", "Hydration cache misses", registry=r)
        self.cache_failures = Counter(
            "flux_bff_cache_failures", "Valkey operations that failed or were refused", ["op"], registry=r
        )
        self.client_errors = Counter(
            "flux_bff_client_errors", "Error acknowledgements sent to clients", ["code"], registry=r
        )
        self.commands = Counter("flux_bff_commands", "Commands produced to Kafka", ["command"], registry=r)
        self.coalesced = Counter(
            "flux_bff_refresh_coalesced",
            "Refresh requests folded into an earlier command",
            ["command"],
            registry=r,
        )
        self.slow_client_drops = Counter(
            "flux_bff_slow_client_drops",
            "Ticker batches dropped for slow clients (drop-to-latest)",
            registry=r,
        )
        self.slow_client_disconnects = Counter(
            "flux_bff_slow_client_disconnects",
            "Clients disconnected because their send queue overflowed",
            registry=r,
        )
        self.stale_tickers = Counter(
            "flux_bff_stale_tickers_dropped",
            "Ticker batches skipped because they were too old to relay",
            registry=r,
        )
        self.consumed = Counter("flux_bff_kafka_consumed", "Kafka records consumed", ["topic"], registry=r)
        self.dead_letters = Counter(
            "flux_bff_dead_letters", "Records sent to a dead-letter topic", ["topic"], registry=r
        )
        # {component="bff", topic, partition}: the one lag metric of every Flux consumer.
        self.kafka_lag = consumer_lag_gauge(r)
        self.e2e_latency = Histogram(
            "flux_bff_e2e_latency_seconds",
            "produced_at → room emit, per event",
            ["event"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.arrival_latency = Histogram(
            "flux_bff_arrival_latency_seconds",
            "produced_at → decoded and handed to the gateway (Kafka and decoding), per event",
            ["event"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.fanout_duration = Histogram(
            "flux_bff_fanout_seconds",
            "Time one room emit takes (writing the frame to every member)",
            ["event"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
