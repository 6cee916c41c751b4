"""Per-connection and per-address rate limits and cross-connection refresh coalescing.

:class:`TokenBucket` bounds how often one connection may send messages or
ask for refreshes; :class:`PerAddressLimit` gives each client address one (the
HTTP routes: city search, the contracts browser), remembering a bounded number
of addresses. :class:`RefreshCoalescer` makes a burst of refreshes for the same
domain from many connections become a single Kafka command.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["MAX_TRACKED_ADDRESSES", "PerAddressLimit", "RefreshCoalescer", "TokenBucket"]

MAX_TRACKED_ADDRESSES = 10_000
"""Addresses a :class:`PerAddressLimit` remembers; the least recently seen one starts afresh."""

Clock = Callable[[], float]
K = TypeVar("K")


class TokenBucket:
    """Classic token bucket: ``burst`` tokens, refilled at ``rate`` tokens per second."""

    __slots__ = ("_clock", "_stamp", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: int, clock: Clock = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._stamp = clock()

    def try_take(self) -> bool:
        """Take one token; return False (and take nothing) when the bucket is empty."""
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class PerAddressLimit:
    """A :class:`TokenBucket` per client address, for at most ``max_addresses`` addresses."""

    __slots__ = ("_buckets", "_clock", "burst", "max_addresses", "rate")

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        max_addresses: int = MAX_TRACKED_ADDRESSES,
        clock: Clock = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.max_addresses = max_addresses
        self._clock = clock
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def allow(self, address: str) -> bool:
        """Take a token of ``address``'s bucket; False when it is empty."""
        bucket = self._buckets.get(address)
        if bucket is None:
            bucket = self._buckets[address] = TokenBucket(self.rate, self.burst, self._clock)
            if len(self._buckets) > self.max_addresses:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(address)
        return bucket.try_take()

    def __len__(self) -> int:
        return len(self._buckets)


class RefreshCoalescer(Generic[K]):
    """Let at most one refresh per key through every ``window`` seconds, across all connections.

    Keys come from clients (a domain, a city), so the memory is bounded twice: an entry is
    forgotten once its window has passed (it no longer decides anything), and at most
    ``capacity`` keys are held (beyond that the oldest window is forgotten early, which only lets
    one refresh through sooner; the per-connection rate limits still apply).
    """

    def __init__(self, window: float, clock: Clock = time.monotonic, capacity: int = 10_000) -> None:
        if window < 0:
            raise ValueError("window must be >= 0")
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.window = window
        self.capacity = capacity
        self._clock = clock
        self._last: OrderedDict[K, float] = OrderedDict()  # oldest window first

    def should_send(self, key: K) -> bool:
        """Return True when a command for ``key`` must be produced now (and start a new window)."""
        now = self._clock()
        self._expire(now)
        last = self._last.get(key)
        if last is not None and now - last < self.window:
            return False
        self._last[key] = now
        self._last.move_to_end(key)
        while len(self._last) > self.capacity:
            self._last.popitem(last=False)
        return True

    def forget(self, key: K) -> None:
        """Reopen the window for ``key`` (used when producing the command failed)."""
        self._last.pop(key, None)

    def __len__(self) -> int:
        return len(self._last)

    def _expire(self, now: float) -> None:
        while self._last:
            oldest = next(iter(self._last.values()))
            if now - oldest < self.window:
                return
            self._last.popitem(last=False)
