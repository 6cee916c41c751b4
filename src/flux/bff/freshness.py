"""Dedup rules: which incoming update may reach clients.

Kafka delivers at least once (ADR-009), so the same snapshot can arrive
twice, and after a restart an older snapshot can arrive after a newer one
was hydrated from Valkey. Clients must see neither. Relayed streams (tickers)
have no cache entry to compare with; they are deduplicated by id with
:class:`flux.kafka.recent_ids.RecentIds`.
"""

from __future__ import annotations

from flux.bff.snapshot import Snapshot

__all__ = ["supersedes"]


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
