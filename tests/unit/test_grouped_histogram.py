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
    ours_lines, theirs_lines = _series(ours), _series(theirs)
    # sums are added in another order: compare them as numbers
    split = lambda lines: ([x for x in lines if "_sum" not in x], [x for x in lines if "_sum" in x])  # noqa: E731
    (ours_rest, ours_sums), (theirs_rest, theirs_sums) = split(ours_lines), split(theirs_lines)
    assert ours_rest == theirs_rest
    assert [s.rsplit(" ", 1)[0] for s in ours_sums] == [s.rsplit(" ", 1)[0] for s in theirs_sums]
    for mine, reference_line in zip(ours_sums, theirs_sums, strict=True):
        assert float(mine.rsplit(" ", 1)[1]) == pytest.approx(float(reference_line.rsplit(" ", 1)[1]))


def test_labels_must_match_the_declared_names() -> None:
    grouped = GroupedHistogram("x_seconds", "X", ["service"], BUCKETS, registry=None)
    with pytest.raises(ValueError, match="expected labels"):
        grouped.labels("a", "b")


def test_the_name_is_taken_in_its_registry() -> None:
    registry = CollectorRegistry()
    GroupedHistogram("y_seconds", "Y", ["service"], BUCKETS, registry=registry)
    with pytest.raises(ValueError, match="Duplicated"):
        Histogram("y_seconds", "Y", ["service"], registry=registry)
