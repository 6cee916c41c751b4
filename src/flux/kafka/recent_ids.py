"""Remember recently seen ids, bounded in count and age: the idempotency window of a Kafka consumer.

Delivery is at least once (ADR-009), so every consumer drops what it has just
handled: the services their command ids, the BFF the ids of relayed ticker
batches. One bounded, expiring memory serves both.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from uuid import UUID

__all__ = ["RecentIds"]


def _compact(key: Hashable) -> Hashable:
    # A UUID is a GC-tracked object; its int is not. 200,000 remembered ids stored as ints keep the
    # garbage collector's full passes short (they were a major source of latency spikes).
    return key.int if isinstance(key, UUID) else key


class RecentIds:
    """A bounded set with expiry: ``add`` ids, ask ``seen``; the oldest fall out first.

    Example:
        >>> recent = RecentIds(capacity=2, ttl_s=60)
        >>> recent.add("a"); recent.seen("a")
        True
    """

    __slots__ = ("_clock", "_entries", "capacity", "ttl_s")

    def __init__(self, capacity: int, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = capacity
        self.ttl_s = ttl_s
        self._clock = clock
        self._entries: OrderedDict[Hashable, float] = OrderedDict()

    def add(self, key: Hashable) -> None:
        key = _compact(key)
        self._entries[key] = self._clock()
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def seen(self, key: Hashable) -> bool:
        key = _compact(key)
        added = self._entries.get(key)
        if added is None:
            return False
        if self._clock() - added > self.ttl_s:
            del self._entries[key]
            return False
        return True

    def first_sighting(self, key: Hashable) -> bool:
        """Record ``key``; False when it was seen within the window (then it is kept, not refreshed)."""
        if self.seen(key):
            return False
        self.add(key)
        return True

    def __len__(self) -> int:
        return len(self._entries)
