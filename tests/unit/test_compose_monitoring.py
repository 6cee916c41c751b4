"""The compose stack's monitoring and its pins: every metric the Grafana dashboard queries exists in
Flux's code, Prometheus scrapes every component compose runs, and compose's Kafka is the version the
embedded stack runs (so a rename or an upgrade cannot leave them behind silently)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "flux-overview.json"
PROMETHEUS = ROOT / "deploy" / "prometheus"
COMPOSE = ROOT / "docker-compose.yml"

# prometheus_client's own process collector (every Flux process exposes it on /metrics).
PROCESS_METRICS = {"process_resident_memory_bytes", "process_cpu_seconds_total"}
_SUFFIXES = ("_bucket", "_count", "_sum", "_total")


def _defined_metric_names() -> set[str]:
    """The names passed to Counter/Gauge/Histogram in src/ (a Counter also exposes ``<name>_total``)."""
    names: set[str] = set()
    pattern = re.compile(r'(?:Counter|Gauge|Histogram|Summary)\(\s*"((?:flux|kafka)_[a-z0-9_]+)"', re.S)
    for path in (ROOT / "src" / "flux").rglob("*.py"):
        names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return names


def _base(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def test_every_metric_the_dashboard_queries_is_defined_in_flux() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    defined = _defined_metric_names()
    assert defined, "no metric definitions found: the scan is broken"
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\b((?:flux|kafka|process)_[a-z0-9_]+)\b", target["expr"])
    }
    assert len(queried) >= 10
    unknown = sorted(
        n for n in queried if n not in PROCESS_METRICS and _base(n) not in defined and n not in defined
    )
    assert not unknown, f"the dashboard queries metrics no Flux component defines: {unknown}"


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
