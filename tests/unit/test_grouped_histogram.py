"""GroupedHistogram exports what prometheus_client's Histogram exports for the same observations."""

from __future__ import annotations

import random

import pytest
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from flux.observability.grouped_histogram import GroupedHistogram

BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)


def _series(registry: CollectorRegistry) -> list[str]:
    """The exposition's sample lines, ``_created`` aside (a plain-number histogram has none)."""
    lines = generate_latest(registry).decode().splitlines()
    return sorted(line for line in lines if line and not line.startswith("#") and "_created" not in line)


def _split_sums(lines: list[str]) -> tuple[list[str], dict[str, float]]:
    """The sample lines other than ``_sum``, and the ``_sum`` values by series."""
    rest = [line for line in lines if "_sum" not in line]
    sums = dict(line.rsplit(" ", 1) for line in lines if "_sum" in line)
    return rest, {series: float(value) for series, value in sums.items()}


@pytest.mark.parametrize("seed", range(5))
def test_grouped_observations_export_as_the_same_observations_one_by_one(seed: int) -> None:
    rng = random.Random(seed)
    theirs, ours = CollectorRegistry(), CollectorRegistry()
    reference = Histogram("demo_seconds", "Demo", ["service", "topic"], buckets=BUCKETS, registry=theirs)
    grouped = GroupedHistogram("demo_seconds", "Demo", ["service", "topic"], BUCKETS, registry=ours)
    for _ in range(200):
        labels = (rng.choice(["a", "b"]), rng.choice(["t1", "t2", "t3"]))
        value = rng.choice([*BUCKETS, rng.uniform(0, 3)])  # bounds themselves: a bucket holds its bound
        count = rng.randint(1, 5)
        for _ in range(count):
            reference.labels(*labels).observe(value)
        grouped.labels(*labels).observe(value, count)
    ours_rest, ours_sums = _split_sums(_series(ours))
    theirs_rest, theirs_sums = _split_sums(_series(theirs))
    assert ours_rest == theirs_rest
    assert list(ours_sums) == list(theirs_sums)  # the same series
    for series, total in ours_sums.items():  # sums added in another order: equal as numbers
        assert total == pytest.approx(theirs_sums[series])


def test_labels_must_match_the_declared_names() -> None:
    grouped = GroupedHistogram("x_seconds", "X", ["service"], BUCKETS, registry=None)
    with pytest.raises(ValueError, match="expected labels"):
        grouped.labels("a", "b")


def test_the_name_is_taken_in_its_registry() -> None:
    registry = CollectorRegistry()
    GroupedHistogram("y_seconds", "Y", ["service"], BUCKETS, registry=registry)
    with pytest.raises(ValueError, match="Duplicated"):
        Histogram("y_seconds", "Y", ["service"], registry=registry)
