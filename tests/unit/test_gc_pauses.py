"""Collector pause histogram and tuning."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from flux.observability.gc_pauses import GcPauseRecorder, tune_collector


@pytest.fixture
def restore_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    gc.unfreeze()


def count(registry: CollectorRegistry, generation: str) -> float:
    value = registry.get_sample_value("flux_process_gc_pause_seconds_count", {"generation": generation})
    return value or 0.0


def test_every_collection_is_observed_per_generation() -> None:
    registry = CollectorRegistry()
    recorder = GcPauseRecorder(registry)
    recorder.install()
    recorder.install()  # idempotent: one observation per collection, not two
    try:
        gc.collect(0)
        gc.collect(2)
        gc.collect(2)
    finally:
        recorder.uninstall()
    assert count(registry, "2") == 2
    assert count(registry, "0") >= 1
    total = registry.get_sample_value("flux_process_gc_pause_seconds_sum", {"generation": "2"})
    assert total is not None and total > 0
    gc.collect(2)
    assert count(registry, "2") == 2, "nothing is recorded after uninstall"


def test_tuning_raises_the_young_threshold_and_freezes_what_exists(restore_gc: None) -> None:
    before = gc.get_threshold()
    tune_collector(50_000)
    assert gc.get_threshold() == (50_000, before[1], before[2])
    assert gc.get_freeze_count() > 0


def test_zero_keeps_the_defaults(restore_gc: None) -> None:
    before = gc.get_threshold()
    tune_collector(0)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
