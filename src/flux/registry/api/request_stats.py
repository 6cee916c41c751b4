"""Requests and their latency, counted in plain ints on the hot path and exported on scrape.

A ``prometheus_client`` counter and histogram cost four locked increments and their checks per
request; the registry serves every request on one event loop per process, so plain integers
do, and a collector turns them into the same series at scrape time:
``flux_registry_requests_total{method,route,status}`` and
``flux_registry_request_seconds{route}`` (histogram). Methods outside HTTP's usual set count as
``OTHER``, so a client inventing methods cannot grow the label set; routes are canonical route
patterns (or ``unmatched``), statuses a bounded set of codes.

Example:
    >>> stats = RequestStats()
    >>> stats.record("GET", "/subjects", 200, 0.0004)
    >>> stats.successes(), stats.failures()
    (1, 0)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from flux.observability.grouped_histogram import HistogramCells

__all__ = ["LATENCY_BUCKETS", "RequestStats"]

LATENCY_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})


class RequestStats(Collector):
    """Counts by (method, route, status) and a latency histogram by route.

    Args:
        uncounted_routes: routes left out of Confluent's success and failure counts (the probes).
    """

    def __init__(self, uncounted_routes: frozenset[str] = frozenset()) -> None:
        self._uncounted = uncounted_routes
        self._counts: dict[tuple[str, str, int], int] = {}
        self._latency: dict[str, HistogramCells] = {}

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request (``seconds``: its time in the handler)."""
        if method not in _METHODS:
            method = "OTHER"
        key = (method, route, status)
        counts = self._counts
        counts[key] = counts.get(key, 0) + 1
        cells = self._latency.get(route)
        if cells is None:
            cells = self._latency[route] = HistogramCells(LATENCY_BUCKETS)
        cells.observe(seconds)

    def successes(self) -> int:
        """Answers below 400, the probes aside (Confluent's ``api-success-count``)."""
        return sum(
            n
            for (_, route, status), n in self._counts.items()
            if status < 400 and route not in self._uncounted
        )

    def failures(self) -> int:
        """Answers of 400 and above, the probes aside (Confluent's ``api-failure-count``)."""
        return sum(
            n
            for (_, route, status), n in self._counts.items()
            if status >= 400 and route not in self._uncounted
        )

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "flux_registry_requests",
            "HTTP requests by method, route and status",
            labels=["method", "route", "status"],
        )
        for (method, route, status), count in sorted(self._counts.items()):
            requests.add_metric([method, route, str(status)], count)
        yield requests
        latency = HistogramMetricFamily(
            "flux_registry_request_seconds", "HTTP request latency by route", labels=["route"]
        )
        for route, cells in sorted(self._latency.items()):
            latency.add_metric([route], cells.buckets(), sum_value=cells.total)
        yield latency
