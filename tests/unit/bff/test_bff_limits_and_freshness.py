"""Token buckets, refresh coalescing and the dedup rules."""

from __future__ import annotations

from flux.bff.freshness import supersedes
from flux.bff.ratelimit import RefreshCoalescer, TokenBucket
from flux.bff.snapshot import Snapshot, Stream


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def snap(snapshot_id: str, produced_at: int, key: str = "global") -> Snapshot:
    return Snapshot(Stream.NEWS, key, snapshot_id, produced_at, {"id": snapshot_id})


def test_token_bucket_allows_burst_then_refills() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=2.0, burst=3, clock=clock)
    assert [bucket.try_take() for _ in range(4)] == [True, True, True, False]
    clock.now += 0.5  # one token back
    assert bucket.try_take()
    assert not bucket.try_take()
    clock.now += 60  # never more than the burst
    assert sum(bucket.try_take() for _ in range(10)) == 3


def test_coalescer_lets_one_refresh_per_window_through() -> None:
    clock = FakeClock()
    coalescer: RefreshCoalescer[str] = RefreshCoalescer(5.0, clock=clock)
    assert coalescer.should_send("news")
    assert not coalescer.should_send("news")
    assert coalescer.should_send("stocks")
    clock.now += 5.0
    assert coalescer.should_send("news")
    coalescer.forget("news")
    assert coalescer.should_send("news")


def test_coalescer_memory_of_client_keys_is_bounded_by_time_and_count() -> None:
    clock = FakeClock()
    coalescer: RefreshCoalescer[str] = RefreshCoalescer(5.0, clock=clock, capacity=100)
    for n in range(1_000):  # a stream of distinct cities, faster than the window
        assert coalescer.should_send(f"city-{n}")
        clock.now += 0.001
    assert len(coalescer) == 100  # the cap holds while every window is still open
    assert not coalescer.should_send("city-999")  # recent keys keep their window
    clock.now += 5.0
    assert coalescer.should_send("fresh")
    assert len(coalescer) == 1  # expired windows were forgotten


def test_supersedes_drops_redelivery_and_older_snapshots() -> None:
    current = snap("b", 2000)
    assert supersedes(current, None)
    assert not supersedes(snap("b", 2000), current)  # redelivered
    assert not supersedes(snap("a", 1000), current)  # older
    assert supersedes(snap("c", 2000), current)  # same instant, new content
    assert supersedes(snap("c", 3000), current)
