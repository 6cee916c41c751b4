"""Prometheus metrics of one registry instance (own collector registry, so tests can run several).

Flux's own (``flux_registry_*``) sit beside the names Confluent's server exposes through the
JMX exporter (``kafka_schema_registry_*``: MetricsContainer's ``master-slave-role``,
``node-count``, ``registered-count``, ``deleted-count``, ``<type>-schemas-created``/``-deleted``,
``api-success-count``, ``api-failure-count``, ``custom-schema-provider-count``), so dashboards
built for Confluent's registry read Flux's too. How far the node's replay is behind the log end is
the consumer lag every Flux consumer reports, ``flux_kafka_consumer_lag_records{component="registry"}``
(:mod:`flux.kafka.lag`). The API adds the process's metrics (``process_*``) on ``/metrics``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from flux.kafka.lag import ConsumerLag, consumer_lag_gauge
from flux.registry.api.request_stats import RequestStats
from flux.schemas.types import SchemaType

__all__ = ["CONTENT_TYPE_LATEST", "CacheStats", "ConfluentMetrics", "RegistryMetrics"]


class CacheStats(Protocol):
    """What the metrics read of an answer cache (:class:`flux.registry.core.answers.AnswerCache`)."""

    @property
    def name(self) -> str: ...

    @property
    def hits(self) -> int: ...

    @property
    def misses(self) -> int: ...

    def __len__(self) -> int: ...


_CONFLUENT: Final = "kafka_schema_registry_"


class ConfluentMetrics:
    """Confluent's metric names, as gauges (Confluent's are Kafka metrics, exported as gauges)."""

    def __init__(self, collector: CollectorRegistry) -> None:
        def gauge(name: str, doc: str) -> Gauge:
            return Gauge(_CONFLUENT + name, doc, registry=collector)

        self.leader = gauge("master_slave_role", "1.0 when this node is the primary (serves writes)")
        self.node_count = gauge("node_count", "Registry nodes this node knows of")
        self.registered = gauge("registered_count", "Subject versions registered since start-up")
        self.deleted = gauge("deleted_count", "Subject versions soft-deleted since start-up")
        self.created_by_type = {
            t: gauge(f"{t.value.lower()}_schemas_created", f"{t.value} subject versions registered")
            for t in SchemaType
        }
        self.deleted_by_type = {
            t: gauge(f"{t.value.lower()}_schemas_deleted", f"{t.value} subject versions soft-deleted")
            for t in SchemaType
        }
        self.api_success = gauge("api_success_count", "Successful API calls")
        self.api_failure = gauge("api_failure_count", "Failed API calls")
        self.custom_providers = gauge("custom_schema_provider_count", "Custom schema providers (none)")

    def update(
        self,
        *,
        primary: bool,
        created: Mapping[SchemaType, int],
        deleted: Mapping[SchemaType, int],
        requests: RequestStats,
    ) -> None:
        self.leader.set(1 if primary else 0)
        self.api_success.set(requests.successes())
        self.api_failure.set(requests.failures())
        self.node_count.set(1)
        self.registered.set(sum(created.values()))
        self.deleted.set(sum(deleted.values()))
        for schema_type in SchemaType:
            self.created_by_type[schema_type].set(created.get(schema_type, 0))
            self.deleted_by_type[schema_type].set(deleted.get(schema_type, 0))


class RegistryMetrics:
    """Requests, latency, stored schemas, readiness and replay lag."""

    def __init__(self, uncounted_routes: frozenset[str] = frozenset()) -> None:
        self.collector = CollectorRegistry()
        # plain ints per request, exported on scrape (request_stats)
        self.requests = RequestStats(uncounted_routes=uncounted_routes)
        self.collector.register(self.requests)
        self.schemas = Gauge(
            "flux_registry_schemas", "Schemas (distinct global ids) stored", registry=self.collector
        )
        self.subjects = Gauge(
            "flux_registry_subjects", "Subjects with live versions", registry=self.collector
        )
        # {component="registry", topic, partition}: records in the log not applied yet.
        self.log_lag = ConsumerLag(consumer_lag_gauge(self.collector), "registry")
        self.ready = Gauge("flux_registry_ready", "1 once the log is replayed", registry=self.collector)
        self.replay_seconds = Gauge(
            "flux_registry_replay_seconds", "Time the start-up replay took", registry=self.collector
        )
        self.workers = Gauge(
            "flux_registry_workers",
            "Processes serving this node's port (flux registry serve --workers)",
            registry=self.collector,
        )
        self.cache_hits = Counter(
            "flux_registry_cache_hits",
            "Requests answered from an answer cache (lookup, schema_by_id), in this process",
            ["cache"],
            registry=self.collector,
        )
        self.cache_misses = Counter(
            "flux_registry_cache_misses",
            "Requests an answer cache could not answer (computed, then kept), in this process",
            ["cache"],
            registry=self.collector,
        )
        self.cache_entries = Gauge(
            "flux_registry_cache_entries", "Answers an answer cache holds", ["cache"], registry=self.collector
        )
        self._cache_seen: dict[str, tuple[int, int]] = {}
        self.confluent = ConfluentMetrics(self.collector)

    def update_caches(self, caches: Iterable[CacheStats]) -> None:
        """Bring the cache counters up to the caches' own counts (kept as plain ints on the hot path)."""
        for cache in caches:
            hits, misses = self._cache_seen.get(cache.name, (0, 0))
            self.cache_hits.labels(cache.name).inc(cache.hits - hits)
            self.cache_misses.labels(cache.name).inc(cache.misses - misses)
            self.cache_entries.labels(cache.name).set(len(cache))
            self._cache_seen[cache.name] = (cache.hits, cache.misses)

    def render(self) -> bytes:
        return bytes(generate_latest(self.collector))
