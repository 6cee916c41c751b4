"""SnapshotCache: memory serves, Valkey failures are counted and isolated by the breaker."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from flux.bff.cache import SnapshotCache
from flux.bff.metrics import BffMetrics
from flux.bff.snapshot import Snapshot, Stream
from flux.resilience.breaker import BreakerState, CircuitBreaker

TTL = {s: 60 for s in Stream if s.cached}


class FakeStore:
    """A remote tier that works, fails, or hangs on demand."""

    def __init__(self) -> None:
        self.data: dict[str, Snapshot] = {}
        self.mode = "ok"
        self.calls = 0

    async def _misbehave(self) -> None:
        self.calls += 1
        if self.mode == "fail":
            raise ConnectionError("valkey down")
        if self.mode == "hang":
            await asyncio.sleep(10)

    async def get(self, cache_key: str) -> Snapshot | None:
        await self._misbehave()
        return self.data.get(cache_key)

    async def put_many(self, snapshots: list[Snapshot], ttl_seconds: Mapping[Stream, int]) -> None:
        await self._misbehave()
        for s in snapshots:
            self.data[s.cache_key] = s

    async def load_all(self) -> list[Snapshot]:
        await self._misbehave()
        return list(self.data.values())

    async def close(self) -> None:
        return None


def weather(city: str, snapshot_id: str, produced_at: int) -> Snapshot:
    return Snapshot(Stream.WEATHER, city, snapshot_id, produced_at, {"cityKey": city})


def failures(metrics: BffMetrics, op: str) -> float:
    return metrics.cache_failures.labels(op)._value.get()


async def test_offer_dedups_and_writes_through_to_the_store() -> None:
    store, metrics = FakeStore(), BffMetrics()
    cache = SnapshotCache(metrics, store=store, ttl_seconds=TTL)
    await cache.start()
    try:
        assert cache.offer(weather("delhi", "h1", 1000))
        assert not cache.offer(weather("delhi", "h1", 1000))
        assert not cache.offer(weather("delhi", "h0", 500))
        assert await cache.flush(2.0)
        assert store.data["weather|delhi"].snapshot_id == "h1"
    finally:
        await cache.close()


async def test_warm_loads_the_store_and_later_events_must_be_newer() -> None:
    store, metrics = FakeStore(), BffMetrics()
    store.data["weather|paris"] = weather("paris", "p2", 2000)
    cache = SnapshotCache(metrics, store=store, ttl_seconds=TTL)
    assert await cache.warm() == 1
    assert cache.latest(Stream.WEATHER, "paris") == store.data["weather|paris"]
    assert not cache.offer(weather("paris", "p1", 1000))  # replayed older event


async def test_memory_miss_falls_back_to_store_then_counts_misses() -> None:
    store, metrics = FakeStore(), BffMetrics()
    store.data["weather|oslo"] = weather("oslo", "o1", 1000)
    cache = SnapshotCache(metrics, store=store, ttl_seconds=TTL)
    found = await cache.lookup(Stream.WEATHER, "oslo")
    assert found is not None and found.snapshot_id == "o1"
    assert metrics.cache_hits.labels("valkey")._value.get() == 1
    assert await cache.lookup(Stream.WEATHER, "oslo") == found  # now in memory
    assert metrics.cache_hits.labels("memory")._value.get() == 1
    assert await cache.lookup(Stream.WEATHER, "lima") is None
    assert metrics.cache_misses._value.get() == 1


@pytest.mark.parametrize("mode", ["fail", "hang"])
async def test_store_failures_open_the_breaker_and_never_reach_the_caller(mode: str) -> None:
    store, metrics = FakeStore(), BffMetrics()
    breaker = CircuitBreaker("valkey", failure_threshold=2, reset_timeout_s=60)
    cache = SnapshotCache(metrics, store=store, ttl_seconds=TTL, timeout=0.05, breaker=breaker)
    cache.offer(weather("rome", "r1", 1000))
    store.mode = mode
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await cache.lookup(Stream.WEATHER, "milan") is None
    assert await cache.lookup(Stream.WEATHER, "turin") is None
    assert breaker.state is BreakerState.OPEN
    calls = store.calls
    assert await cache.lookup(Stream.WEATHER, "genoa") is None  # refused without calling Valkey
    assert store.calls == calls
    assert loop.time() - started < 1.0  # bounded by the timeout, never by Valkey
    assert failures(metrics, "get") == 3
    hit = await cache.lookup(Stream.WEATHER, "rome")  # memory still serves
    assert hit is not None and hit.snapshot_id == "r1"
    assert await cache.warm() == 0


async def test_writes_retry_after_the_store_recovers() -> None:
    store, metrics = FakeStore(), BffMetrics()
    breaker = CircuitBreaker("valkey", failure_threshold=1, reset_timeout_s=0.1)
    cache = SnapshotCache(metrics, store=store, ttl_seconds=TTL, timeout=0.05, breaker=breaker)
    await cache.start()
    try:
        store.mode = "fail"
        cache.offer(weather("bern", "b1", 1000))
        cache.offer(weather("bern", "b2", 2000))
        assert not await cache.flush(0.3)
        assert failures(metrics, "put") >= 1
        store.mode = "ok"
        assert await cache.flush(3.0)
        assert store.data["weather|bern"].snapshot_id == "b2"
    finally:
        await cache.close()


def test_tickers_are_never_cached() -> None:
    cache = SnapshotCache(BffMetrics(), store=None, ttl_seconds=TTL)
    with pytest.raises(ValueError, match="never cached"):
        cache.offer(Snapshot(Stream.TICKER, "global", "1@1", 1, {}))


def test_entries_expire_after_their_ttl() -> None:
    now = [0.0]
    cache = SnapshotCache(BffMetrics(), store=None, ttl_seconds=TTL, clock=lambda: now[0])
    cache.offer(weather("kyiv", "k1", 1))
    assert cache.latest(Stream.WEATHER, "kyiv") is not None
    now[0] = 61.0
    assert cache.latest(Stream.WEATHER, "kyiv") is None
