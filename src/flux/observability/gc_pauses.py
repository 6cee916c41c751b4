"""Garbage-collector pauses as a Prometheus histogram, and the collector tuning of busy processes.

A CPython collection stops the event loop; with tens of thousands of live
objects (one BFF holding thousands of connections) a full collection takes
long enough to show up in end-to-end latency. prometheus_client exports how
many collections ran, not how long they took; :class:`GcPauseRecorder` adds
that, per generation.

Example:
    >>> from prometheus_client import CollectorRegistry
    >>> recorder = GcPauseRecorder(CollectorRegistry())
    >>> recorder.install()
    >>> import gc; _ = gc.collect()
    >>> recorder.uninstall()
"""

from __future__ import annotations

import gc
import time
from typing import Any, Final

from prometheus_client import CollectorRegistry, Histogram

__all__ = ["GcPauseRecorder", "tune_collector"]

_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class GcPauseRecorder:
    """Observes every collection's duration into ``flux_process_gc_pause_seconds{generation}``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.pauses = Histogram(
            "flux_process_gc_pause_seconds",
            "Duration of garbage collections (the event loop is stopped meanwhile)",
            ["generation"],
            buckets=_BUCKETS,
            registry=registry,
        )
        self._children = [self.pauses.labels(str(generation)) for generation in range(3)]
        self._started = 0.0

    def install(self) -> None:
        """Start recording (idempotent)."""
        if self._callback not in gc.callbacks:
            gc.callbacks.append(self._callback)

    def uninstall(self) -> None:
        """Stop recording."""
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started:
            self._children[min(int(info.get("generation", 2)), 2)].observe(
                time.perf_counter() - self._started
            )
            self._started = 0.0


def tune_collector(gen0_threshold: int) -> None:
    """Fewer young collections, and none of them over the objects that exist at start-up.

    A process delivering tens of thousands of messages a second allocates so
    fast that with the default threshold (700) short-lived objects, such as the
    event-loop handles of a write that must wait, survive two young
    collections and are promoted; every 25 % growth of the old generation then
    costs a full collection that stops the loop for hundreds of milliseconds.
    A higher generation-0 threshold lets them die by reference counting first.
    ``gc.freeze()`` moves everything alive now (modules, classes, settings)
    out of the collector's reach for good.

    Args:
        gen0_threshold: Allocations between young collections; 0 keeps Python's defaults.
    """
    if gen0_threshold <= 0:
        return
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0_threshold, gen1, gen2)
