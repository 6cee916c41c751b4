"""One metric naming scheme (docs/operations.md, "Metrics"), enforced on what each component registers.

Every Flux metric is ``flux_<component>_<what>[_unit][_total]`` with component one of
:data:`FLUX_COMPONENTS`; besides them only prometheus_client's process collectors (``process_*``,
``python_*``) and, on the registry, Confluent's ``kafka_schema_registry_*`` names (unchanged:
Confluent's clients and dashboards know them). Consumer lag has one name everywhere.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from .metrics_catalogue import COMPONENTS, Metric, all_metrics, exposed, own_metrics, served_metrics

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = ROOT / "docs" / "operations.md"

FLUX_COMPONENTS = ("bff", "registry", "service", "kafka", "serde", "process")
SCHEME = re.compile(rf"^flux_(?:{'|'.join(FLUX_COMPONENTS)})_[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
# Metrics any component may carry: measured by a layer they share, not by the component itself.
SHARED = ("flux_kafka_", "flux_serde_", "flux_process_")
STANDARD = ("process_", "python_")  # prometheus_client's process, platform and GC collectors
CONFLUENT = {
    "kafka_schema_registry_" + name
    for name in (
        "master_slave_role",
        "node_count",
        "registered_count",
        "deleted_count",
        "avro_schemas_created",
        "avro_schemas_deleted",
        "json_schemas_created",
        "json_schemas_deleted",
        "protobuf_schemas_created",
        "protobuf_schemas_deleted",
        "api_success_count",
        "api_failure_count",
        "custom_schema_provider_count",
    )
}
UNITS = ("_seconds", "_bytes", "_records")
CONSUMER_LAG = Metric("flux_kafka_consumer_lag_records", "gauge", ("component", "topic", "partition"))
METRIC_TYPES = {"Counter", "Gauge", "Histogram", "Summary", "Info", "Enum"}


def _allowed(component: str, name: str) -> bool:
    if name.startswith(STANDARD):
        return True
    if component == "registry" and name in CONFLUENT:
        return True
    return bool(SCHEME.match(name))


@pytest.mark.parametrize("component", COMPONENTS)
def test_every_metric_a_component_serves_follows_the_scheme(component: str) -> None:
    served = served_metrics(component)
    assert len(served) >= 10, "the catalogue found nothing: the enumeration is broken"
    wrong = sorted(n for n in served if not _allowed(component, n))
    assert not wrong, f"{component}: names outside flux_<component>_<what>[_unit][_total]: {wrong}"


@pytest.mark.parametrize(
    ("component", "prefix"),
    [("bff", "flux_bff_"), ("registry", "flux_registry_"), ("service", "flux_service_")],
)
def test_a_component_names_its_own_metrics_after_itself(component: str, prefix: str) -> None:
    own = own_metrics(component)
    assert any(n.startswith(prefix) for n in own)
    foreign = sorted(
        n
        for n in own
        if not n.startswith((prefix, *SHARED)) and not (component == "registry" and n in CONFLUENT)
    )
    assert not foreign, f"{component} registers metrics named after another component: {foreign}"


def test_confluent_names_stay_exactly_as_confluent_exports_them() -> None:
    registry = own_metrics("registry")
    assert {n for n in registry if n.startswith("kafka_")} == CONFLUENT


def test_counters_end_in_total_and_histograms_in_a_unit() -> None:
    for name, metric in all_metrics().items():
        if not name.startswith("flux_"):
            continue
        if metric.kind == "counter":
            assert name.endswith("_total"), name
        else:
            assert not name.endswith("_total"), f"{name} is a {metric.kind}, not a counter"
        if metric.kind in ("histogram", "summary"):
            assert name.endswith(UNITS), f"{name}: a distribution is of a unit ({UNITS})"


def test_consumer_lag_has_one_name_and_the_same_labels_everywhere() -> None:
    lags = {
        (component, name)
        for component in COMPONENTS
        for name in served_metrics(component)
        if "lag" in name.split("_")
    }
    assert lags == {(component, CONSUMER_LAG.name) for component in COMPONENTS}
    for component in COMPONENTS:
        assert served_metrics(component)[CONSUMER_LAG.name] == CONSUMER_LAG


def _literal_metric_names() -> dict[str, str]:
    """Name → file of every ``Counter("...")``, ``Gauge("...")``, ... with a literal name in src/."""
    found: dict[str, str] = {}
    for path in (ROOT / "src" / "flux").rglob("*.py"):
        if "generated" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
                continue
            func = node.func
            # Counter(...) or prometheus_client.Counter(...)
            called = getattr(func, "id", None) or getattr(func, "attr", "")
            if called in METRIC_TYPES and isinstance(node.args[0].value, str):
                name = node.args[0].value
                exposed_name = name if called != "Counter" or name.endswith("_total") else name + "_total"
                found[exposed_name] = str(path.relative_to(ROOT))
    return found


def test_every_metric_defined_in_the_code_is_served_and_follows_the_scheme() -> None:
    """A ``Counter("flux_foo", ...)`` anywhere in src/ fails here, enumerated by a component or not."""
    defined = _literal_metric_names()
    assert len(defined) >= 30, "the scan found too few definitions: it is broken"
    wrong = sorted(f"{n} ({path})" for n, path in defined.items() if not SCHEME.match(n))
    assert not wrong, f"metric names outside the scheme: {wrong}"
    unserved = sorted(f"{n} ({path})" for n, path in defined.items() if n not in all_metrics())
    assert not unserved, f"defined but served by no component the catalogue knows: {unserved}"


def _documented() -> list[tuple[list[str], str, tuple[str, ...]]]:
    """(names, type, labels) of each row of the table under "## Metrics" in docs/operations.md."""
    text = OPERATIONS.read_text(encoding="utf-8")
    section = text.split("\n## Metrics\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 5 or set(cells[1]) <= {"-", " "}:
            continue
        names = re.findall(r"`((?:flux|kafka_schema_registry)_[a-z0-9_]+)`", cells[1])
        labels = tuple(re.findall(r"`([a-z_]+)`", cells[3]))
        if names:
            rows.append((names, cells[2], labels))
    return rows


def test_the_operations_doc_lists_exactly_the_metrics_the_code_serves() -> None:
    served = {n: m for n, m in all_metrics().items() if not n.startswith(STANDARD)}
    documented: dict[str, tuple[str, tuple[str, ...]]] = {}
    for names, kind, labels in _documented():
        for name in names:
            assert name not in documented, f"{name} is listed twice"
            documented[name] = (kind, labels)
    assert sorted(documented) == sorted(served), "docs/operations.md's Metrics table and the code differ"
    for name, (kind, labels) in documented.items():
        assert kind == served[name].kind, f"{name}: documented as {kind}, is a {served[name].kind}"
        assert labels == served[name].labels, (
            f"{name}: documented labels {labels}, code {served[name].labels}"
        )


def test_the_catalogue_sees_labels_and_kinds() -> None:
    """The enumeration itself: a known metric with its kind and labels."""
    from prometheus_client import CollectorRegistry, Counter

    registry = CollectorRegistry()
    Counter("flux_service_example", "doc", ["service"], registry=registry)
    assert exposed(registry) == {
        "flux_service_example_total": Metric("flux_service_example_total", "counter", ("service",))
    }
    assert not SCHEME.match("flux_foo_total") and not SCHEME.match("flux_consumer_lag")
