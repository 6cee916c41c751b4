"""Coalesce concurrent identical upstream calls and keep results for a short TTL.

1,000 users asking for one city's weather within the TTL cost one upstream
call: the first caller starts the fetch, concurrent callers await the same
future, later callers get the cached result until it expires. The services use it in front of
their data providers, the BFF's contracts browser in front of the schema registry.

Example:
    >>> cache = CoalescingCache[str, int](ttl_s=30)
    >>> value = await cache.get("delhi", fetch_delhi)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["CoalescingCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class CoalescingCache(Generic[K, V]):
    """Per-key single-flight with a TTL'd, size-bounded result cache. Failures are not cached."""

    __slots__ = ("_clock", "_inflight", "_results", "max_entries", "ttl_s", "upstream_calls")

    def __init__(
        self, ttl_s: float, *, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ):
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._clock = clock
        self._results: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._inflight: dict[K, asyncio.Future[V]] = {}
        self.upstream_calls = 0

    def __len__(self) -> int:
        """Results kept now (expired ones included until they are next looked up or pushed out)."""
        return len(self._results)

    def cached(self, key: K) -> V | None:
        entry = self._results.get(key)
        if entry is None:
            return None
        stored_at, value = entry
        if self._clock() - stored_at > self.ttl_s:
            del self._results[key]
            return None
        return value

    async def get(self, key: K, fetch: Callable[[], Awaitable[V]]) -> V:
        """The cached value of ``key``, or the result of one shared ``fetch()``."""
        value = self.cached(key)
        if value is not None:
            return value
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        self.upstream_calls += 1
        try:
            value = await fetch()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it, nobody logs "never retrieved"
            raise
        else:
            future.set_result(value)
            self._store(key, value)
            return value
        finally:
            self._inflight.pop(key, None)

    def _store(self, key: K, value: V) -> None:
        self._results[key] = (self._clock(), value)
        self._results.move_to_end(key)
        while len(self._results) > self.max_entries:
            self._results.popitem(last=False)
