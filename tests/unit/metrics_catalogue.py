"""Every metric each Flux component serves on ``/metrics``, read from the collectors themselves.

A BFF renders its own registry (:class:`BffMetrics`, with the garbage-collector pauses the CLI adds)
and then the process-wide default registry; the registry renders its own collector, then the
default one; a domain service renders the default registry. The default registry holds
prometheus_client's process collectors (``process_*``, ``python_*``) and what Flux modules register
at import: the services' metrics, the serde's contract violations, the services' consumer lag.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from prometheus_client import REGISTRY, CollectorRegistry

import flux.serde.violations  # registers the contract-violation counter
import flux.services.runtime.metrics  # noqa: F401 - registers the services' metrics
from flux.bff.metrics import BffMetrics
from flux.observability.gc_pauses import GcPauseRecorder
from flux.registry.api.metrics import RegistryMetrics

__all__ = ["COMPONENTS", "Metric", "all_metrics", "exposed", "own_metrics", "served_metrics"]

COMPONENTS = ("bff", "registry", "service")


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric family as Prometheus sees it."""

    name: str  # as exposed: a counter's ends in _total
    kind: str  # counter, gauge, histogram, summary, info, ...
    labels: tuple[str, ...]

    def sample_names(self) -> set[str]:
        """The names of its samples (what a query may use)."""
        if self.kind == "histogram":
            return {self.name + suffix for suffix in ("_bucket", "_count", "_sum")}
        if self.kind == "summary":
            return {self.name, self.name + "_count", self.name + "_sum"}
        return {self.name}


def exposed(registry: CollectorRegistry) -> dict[str, Metric]:
    """Every family ``registry`` renders, by exposed name (labelled families without children too)."""
    found: dict[str, Metric] = {}
    # prometheus_client has no public listing of a registry's collectors and their label names.
    for collector in list(registry._collector_to_names):
        labels = tuple(getattr(collector, "_labelnames", ()))
        for family in collector.collect():
            name = family.name + "_total" if family.type == "counter" else family.name
            # a custom collector's families (e.g. the registry's RequestStats) carry their own
            found[name] = Metric(name, family.type, labels or tuple(getattr(family, "_labelnames", ())))
    return found


@cache
def _own_registries() -> dict[str, CollectorRegistry]:
    bff = BffMetrics()
    GcPauseRecorder(bff.registry)  # as `flux bff` does (flux.cli.bff), not installed here
    return {"bff": bff.registry, "registry": RegistryMetrics().collector}


def own_metrics(component: str) -> dict[str, Metric]:
    """What ``component`` registers itself (a service's: the ``flux_service_*`` of the default registry)."""
    if component == "service":
        return {n: m for n, m in exposed(REGISTRY).items() if n.startswith("flux_service_")}
    return exposed(_own_registries()[component])


def served_metrics(component: str) -> dict[str, Metric]:
    """Everything ``component``'s ``/metrics`` shows: its own, then the default registry's."""
    if component == "service":
        return exposed(REGISTRY)
    return {**exposed(_own_registries()[component]), **exposed(REGISTRY)}


def all_metrics() -> dict[str, Metric]:
    """Every metric of every component, by name."""
    found: dict[str, Metric] = {}
    for component in COMPONENTS:
        found.update(served_metrics(component))
    return found
