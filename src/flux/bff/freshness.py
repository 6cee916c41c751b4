"""Dedup rules: which incoming update may reach clients.

Kafka delivers at least once (ADR-009), so the same snapshot can arrive
twice, and after a restart an older snapshot can arrive after a newer one
was hydrated from Valkey. Clients must see neither.
"""

from __future__ import annotations

from collections import OrderedDict

from flux.bff.snapshot import Snapshot

__all__ = ["RecentIds", "supersedes"]


def supersedes(candidate: Snapshot, current: Snapshot | None) -> bool:
    """Return True when ``candidate`` should replace ``current`` for the same key.

    A snapshot is dropped when it carries the id already held (redelivery) or
    was produced before the one held (out-of-order or replay): the sequence a
    client sees per key is strictly new ids with non-decreasing ``produced_at``.
    """
    if current is None:
        return True
    if candidate.snapshot_id == current.snapshot_id:
        return False
    return candidate.produced_at_ms >= current.produced_at_ms


class RecentIds:
    """A bounded set of recently seen ids (for relayed streams that have no cache entry)."""

    def __init__(self, capacity: int = 4096) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self._capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def first_sighting(self, item_id: str) -> bool:
        """Record ``item_id``; return False when it was already seen recently."""
        if item_id in self._ids:
            self._ids.move_to_end(item_id)
            return False
        self._ids[item_id] = None
        if len(self._ids) > self._capacity:
            self._ids.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._ids)
