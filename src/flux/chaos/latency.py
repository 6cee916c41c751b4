"""Latency figures of a run: nearest-rank percentiles and the live message latency of the ticker stream.

Example:
    >>> percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50)
    3.0
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Final

from flux.chaos.observations import Receipt

__all__ = ["TICKER", "live_latencies", "percentile"]

# The one stream the BFF relays live (every other stream is a snapshot that hydration may replay).
TICKER: Final = "crypto:ticker"


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100, nearest rank) of ``values``; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def live_latencies(receipts: Iterable[Receipt], start: float = 0.0, end: float = math.inf) -> list[float]:
    """Message latency (receive time - producedAt, ms) of the ticker stream, which is relayed live.

    Snapshots are left out: a hydration legitimately carries an old ``producedAt``.
    """
    return [
        r.received_at - r.produced_at for r in receipts if r.stream == TICKER and start <= r.received_at < end
    ]
