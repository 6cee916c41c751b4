"""CoalescingCache: one upstream call per key in flight, TTL'd results, failures never cached."""

import asyncio

import pytest

from flux.resilience.coalesce import CoalescingCache


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_concurrent_callers_share_one_fetch() -> None:
    cache: CoalescingCache[str, int] = CoalescingCache(ttl_s=30)
    release = asyncio.Event()
    calls = 0

    async def fetch() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        return 42

    waiters = [asyncio.create_task(cache.get("delhi", fetch)) for _ in range(1000)]
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*waiters)
    assert results == [42] * 1000
    assert calls == 1
    assert cache.upstream_calls == 1


async def test_different_keys_fetch_separately() -> None:
    cache: CoalescingCache[str, str] = CoalescingCache(ttl_s=30)

    async def fetch_for(key: str) -> str:
        return key.upper()

    a, b = await asyncio.gather(
        cache.get("a", lambda: fetch_for("a")), cache.get("b", lambda: fetch_for("b"))
    )
    assert (a, b) == ("A", "B")
    assert cache.upstream_calls == 2


async def test_result_cached_until_ttl_then_refetched() -> None:
    clock = FakeClock()
    cache: CoalescingCache[str, int] = CoalescingCache(ttl_s=30, clock=clock)
    values = iter([1, 2])

    async def fetch() -> int:
        return next(values)

    assert await cache.get("k", fetch) == 1
    clock.now += 29.9
    assert await cache.get("k", fetch) == 1
    assert cache.cached("k") == 1
    clock.now += 0.2
    assert cache.cached("k") is None
    assert await cache.get("k", fetch) == 2
    assert cache.upstream_calls == 2


async def test_failure_reaches_every_waiter_and_is_not_cached() -> None:
    cache: CoalescingCache[str, int] = CoalescingCache(ttl_s=30)
    release = asyncio.Event()
    attempts = 0

    async def failing() -> int:
        nonlocal attempts
        attempts += 1
        await release.wait()
        raise RuntimeError("upstream down")

    waiters = [asyncio.create_task(cache.get("k", failing)) for _ in range(10)]
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    assert attempts == 1
    assert cache.cached("k") is None

    async def working() -> int:
        return 7

    assert await cache.get("k", working) == 7
    assert cache.upstream_calls == 2


async def test_cancelled_waiter_does_not_cancel_the_shared_fetch() -> None:
    cache: CoalescingCache[str, int] = CoalescingCache(ttl_s=30)
    release = asyncio.Event()

    async def fetch() -> int:
        await release.wait()
        return 5

    first = asyncio.create_task(cache.get("k", fetch))
    await asyncio.sleep(0)
    second = asyncio.create_task(cache.get("k", fetch))
    await asyncio.sleep(0)
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    release.set()
    assert await first == 5
    assert cache.upstream_calls == 1


async def test_size_bound_evicts_oldest() -> None:
    cache: CoalescingCache[int, int] = CoalescingCache(ttl_s=30, max_entries=3)
    for i in range(5):

        async def fetch(i: int = i) -> int:
            return i * 10

        await cache.get(i, fetch)
    assert cache.cached(0) is None
    assert cache.cached(1) is None
    assert [cache.cached(i) for i in (2, 3, 4)] == [20, 30, 40]
