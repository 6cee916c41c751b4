"""The compose stack's monitoring and its pins: every metric the Grafana dashboard queries is one a
Flux component serves (with the labels it groups and filters by), Prometheus scrapes every component compose runs, and compose's Kafka is the version the
embedded stack runs (so a rename or an upgrade cannot leave them behind silently)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import yaml

from .metrics_catalogue import Metric, all_metrics

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "flux-overview.json"
PROMETHEUS = ROOT / "deploy" / "prometheus"
COMPOSE = ROOT / "docker-compose.yml"

# Labels Prometheus adds to every series (scrape target), and a histogram's bucket bound.
_TARGET_LABELS = {"job", "instance"}
_METRIC = re.compile(r"\b((?:flux|kafka|process|python)_[a-z0-9_]+)\b")
_GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
_MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")


def _samples() -> dict[str, Metric]:
    """Every sample name a Flux component serves (``process_*`` included) → its metric."""
    return {sample: metric for metric in all_metrics().values() for sample in metric.sample_names()}


def _exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def test_every_metric_the_dashboard_queries_is_defined_in_flux() -> None:
    served = _samples()
    assert len(served) >= 30, "no metrics found: the catalogue is broken"
    queried = {name for expr in _exprs() for name in _METRIC.findall(expr)}
    assert len(queried) >= 10
    assert {"process_resident_memory_bytes", "process_cpu_seconds_total"} <= queried
    unknown = sorted(n for n in queried if n not in served)
    assert not unknown, f"the dashboard queries metrics no Flux component serves: {unknown}"


def test_the_dashboard_groups_and_filters_only_by_labels_its_metrics_have() -> None:
    served = _samples()
    for expr in _exprs():
        metrics = [served[n] for n in _METRIC.findall(expr) if n in served]
        known = _TARGET_LABELS | {label for m in metrics for label in m.labels}
        if any(m.kind == "histogram" for m in metrics):
            known.add("le")
        used = {
            label.strip() for group in _GROUPING.findall(expr) for label in group.split(",") if label.strip()
        }
        used |= {label for block in re.findall(r"\{([^}]*)\}", expr) for label in _MATCHER.findall(block)}
        assert used <= known, f"{expr!r} uses labels its metrics do not have: {sorted(used - known)}"


def test_panels_have_unique_ids_and_the_provisioned_data_source() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    source = yaml.safe_load((ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text())
    uid = source["datasources"][0]["uid"]
    assert all(p["datasource"]["uid"] == uid for p in dashboard["panels"])


def test_prometheus_scrapes_every_flux_component_compose_runs() -> None:
    services = _compose()["services"]
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8"))
    targets = {t for job in config["scrape_configs"] for c in job["static_configs"] for t in c["targets"]}
    expected = set()
    for name, service in services.items():
        command = service.get("command") or []
        if service.get("image") == "flux:local" and "--port" in command:  # a Flux server
            expected.add(f"{name}:{command[command.index('--port') + 1]}")
    assert expected <= targets, f"not scraped: {sorted(expected - targets)}"
    assert "bff:8000" in targets and "weather-service:8101" in targets


def test_the_dev_scrape_config_has_the_same_jobs_on_localhost() -> None:
    compose_jobs = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())["scrape_configs"]
    dev_jobs = yaml.safe_load((PROMETHEUS / "prometheus-dev.yml").read_text())["scrape_configs"]
    assert [j["job_name"] for j in compose_jobs] == [j["job_name"] for j in dev_jobs]
    for job in dev_jobs:
        for config in job["static_configs"]:
            assert all(t.startswith("127.0.0.1:") for t in config["targets"])


def test_compose_runs_the_kafka_version_the_embedded_stack_runs() -> None:
    pom = ET.parse(ROOT / "devstack" / "kafka" / "pom.xml").getroot()
    namespace = {"m": "http://maven.apache.org/POM/4.0.0"}
    version = pom.find("m:properties/m:kafka.version", namespace)
    assert version is not None and version.text
    assert _compose()["services"]["kafka"]["image"] == f"apache/kafka:{version.text}"


def test_kafka_has_a_host_listener_and_live_keys_pass_through() -> None:
    compose = _compose()
    kafka = compose["services"]["kafka"]
    assert "HOST://localhost:29092" in kafka["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    assert "29092:29092" in kafka["ports"]
    env = compose["x-flux-env"]
    for key in ("FLUX_STOCKS_API_KEY", "FLUX_COINGECKO_API_KEY"):
        assert key in env and env[key] is None  # from the host's environment, never a value in the file
