"""The registry's request counts and latency histogram: plain ints per request, Prometheus series
on scrape, the same names and buckets as a prometheus_client counter and histogram would give."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from flux.registry.api.request_stats import LATENCY_BUCKETS, RequestStats


def rendered(stats: RequestStats) -> list[str]:
    registry = CollectorRegistry()
    registry.register(stats)
    return generate_latest(registry).decode().splitlines()


def test_counts_by_method_route_and_status() -> None:
    stats = RequestStats()
    for _ in range(3):
        stats.record("GET", "/subjects", 200, 0.001)
    stats.record("POST", "/subjects/{subject}", 404, 0.002)
    lines = rendered(stats)
    assert 'flux_registry_requests_total{method="GET",route="/subjects",status="200"} 3.0' in lines
    assert 'flux_registry_requests_total{method="POST",route="/subjects/{subject}",status="404"} 1.0' in lines


def test_the_histogram_is_the_one_prometheus_client_would_render() -> None:
    stats = RequestStats()
    reference_registry = CollectorRegistry()
    reference = Histogram(
        "flux_registry_request_seconds", "x", ["route"], registry=reference_registry, buckets=LATENCY_BUCKETS
    )
    for seconds in (0.0001, 0.0005, 0.0007, 0.003, 0.2, 4.0, 9.0, 0.0005):
        stats.record("GET", "/schemas/ids/{id}", 200, seconds)
        reference.labels("/schemas/ids/{id}").observe(seconds)
    ours = [line for line in rendered(stats) if line.startswith("flux_registry_request_seconds_")]
    theirs = [
        line
        for line in generate_latest(reference_registry).decode().splitlines()
        if line.startswith("flux_registry_request_seconds_") and "_created" not in line
    ]
    assert sorted(ours) == sorted(theirs)


def test_invented_methods_share_one_label_so_the_series_stay_bounded() -> None:
    stats = RequestStats()
    for n in range(1000):
        stats.record(f"M{n}", "unmatched", 405, 0.0001)
    lines = [line for line in rendered(stats) if line.startswith("flux_registry_requests_total{")]
    assert lines == ['flux_registry_requests_total{method="OTHER",route="unmatched",status="405"} 1000.0']


def test_confluent_success_and_failure_counts_leave_the_probes_out() -> None:
    stats = RequestStats(uncounted_routes=frozenset({"/health", "/metrics"}))
    stats.record("GET", "/health", 200, 0.0001)
    stats.record("GET", "/metrics", 200, 0.0001)
    stats.record("GET", "/subjects", 200, 0.0001)
    stats.record("GET", "/subjects/{subject}/versions", 404, 0.0001)
    stats.record("POST", "/subjects/{subject}/versions", 409, 0.0001)
    assert (stats.successes(), stats.failures()) == (1, 2)
