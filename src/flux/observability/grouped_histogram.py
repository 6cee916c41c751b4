"""Histograms kept as plain numbers and exported at scrape time, fed one observation or many at once.

``prometheus_client``'s ``Histogram.observe`` takes one value under a lock and costs about a
microsecond; a service lands a batch of commands whose latency is one figure (batch read to its
events acknowledged), so observing it once per command paid that per command. Here a batch is one
call, ``observe(seconds, count=len(batch))``, and a collector turns the counts into the usual
``_bucket``/``_sum``/``_count`` series when Prometheus scrapes. Observations happen on one event
loop per process; a scrape on another thread may see a batch half-counted, never a wrong total
afterwards.

Example:
    >>> latency = GroupedHistogram("demo_seconds", "Demo", ["topic"], (0.01, 0.1), registry=None)
    >>> latency.labels("t").observe(0.05, count=3)
    >>> latency.labels("t").buckets()
    [('0.01', 0.0), ('0.1', 3.0), ('+Inf', 3.0)]
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence

from prometheus_client.core import HistogramMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector, CollectorRegistry

__all__ = ["GroupedHistogram", "HistogramCells"]


def _bound(value: float) -> str:
    """A bucket bound as ``prometheus_client`` writes it (``0.0005``, ``1.0``)."""
    return repr(float(value))


class HistogramCells:
    """One label set's counts: one per bucket, one above the last, and the sum of values."""

    __slots__ = ("_bounds", "counts", "total")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self._bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.total = 0.0

    def observe(self, value: float, count: int = 1) -> None:
        """Count ``count`` observations of ``value`` (a bucket holds values up to its bound)."""
        self.counts[bisect_left(self._bounds, value)] += count
        self.total += value * count

    def buckets(self) -> list[tuple[str, float]]:
        """Cumulative counts by upper bound, ``+Inf`` last (what ``HistogramMetricFamily`` takes)."""
        out: list[tuple[str, float]] = []
        running = 0
        for bound, n in zip(self._bounds, self.counts, strict=False):
            running += n
            out.append((_bound(bound), float(running)))
        out.append(("+Inf", float(running + self.counts[-1])))
        return out


class GroupedHistogram(Collector):
    """A labelled histogram of :class:`HistogramCells` (see the module docs).

    Args:
        registry: where to register (None: not registered, e.g. for a collector of its own).
    """

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        buckets: Sequence[float],
        *,
        registry: CollectorRegistry | None = REGISTRY,
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self._bounds = tuple(sorted(float(b) for b in buckets))
        self._cells: dict[tuple[str, ...], HistogramCells] = {}
        if registry is not None:
            registry.register(self)

    def labels(self, *values: str) -> HistogramCells:
        """The cells of one label set (made on first use; label sets come from code, not input)."""
        if len(values) != len(self.labelnames):
            raise ValueError(f"{self.name}: expected labels {self.labelnames}, got {values}")
        key = tuple(str(v) for v in values)
        cells = self._cells.get(key)
        if cells is None:
            cells = self._cells[key] = HistogramCells(self._bounds)
        return cells

    def describe(self) -> Iterator[Metric]:
        """The family without samples: a registry checks its names against the others'."""
        yield HistogramMetricFamily(self.name, self.documentation, labels=list(self.labelnames))

    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(self.name, self.documentation, labels=list(self.labelnames))
        for key, cells in sorted(self._cells.items()):
            family.add_metric(list(key), cells.buckets(), sum_value=cells.total)
        yield family
