"""Batch the ticker stream (ADR-007): latest tick per product within a short window, published as one record.

A batch is flushed when its window (default 200 ms) has passed since its first
tick or when it holds ``max_products`` products, whichever comes first. Within
a batch only the newest tick of each product is kept: a browser needs the
latest price, not every intermediate trade. Batches are never cached.

Example:
    >>> batcher = TickerBatcher(window_s=0.2, max_products=500)
    >>> batcher.add(tick)  # doctest: +SKIP
    >>> batch = batcher.take()  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

from flux.contracts import Tick as TickMessage
from flux.contracts import TickerBatch
from flux.services.crypto.model import Tick

__all__ = ["TickerBatcher", "to_message"]


def _text(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def to_message(tick: Tick) -> TickMessage:
    """The Protobuf form of a tick (decimal strings, epoch milliseconds)."""
    return TickMessage(
        product_id=tick.product_id,
        price=_text(tick.price),
        best_bid=_text(tick.best_bid),
        best_ask=_text(tick.best_ask),
        volume_24h=_text(tick.volume_24h),
        time_ms=int(tick.time.timestamp() * 1000),
        trade_id=tick.trade_id,
    )


class TickerBatcher:
    """Accumulates ticks and hands out batches; single-task use (no locking)."""

    __slots__ = ("_clock", "_first_at", "_latest", "ingested", "max_products", "sequence", "window_s")

    def __init__(
        self, window_s: float = 0.2, max_products: int = 500, clock: Callable[[], float] = time.monotonic
    ):
        self.window_s = window_s
        self.max_products = max_products
        self._clock = clock
        self._latest: dict[str, Tick] = {}
        self._first_at: float | None = None
        self.sequence = 0
        self.ingested = 0

    def add(self, tick: Tick) -> bool:
        """Add a tick; True when the batch should be flushed now (window passed or full)."""
        self.ingested += 1
        if self._first_at is None:
            self._first_at = self._clock()
        previous = self._latest.get(tick.product_id)
        if previous is None or tick.sequence >= previous.sequence:
            self._latest[tick.product_id] = tick
        return self.due()

    def due(self) -> bool:
        if self._first_at is None:
            return False
        return len(self._latest) >= self.max_products or self._clock() - self._first_at >= self.window_s

    def time_left(self) -> float:
        """Seconds until the open batch's window closes (the window when empty)."""
        if self._first_at is None:
            return self.window_s
        return max(0.0, self.window_s - (self._clock() - self._first_at))

    def __len__(self) -> int:
        return len(self._latest)

    def take(self, *, source: str, produced_at_ms: int) -> TickerBatch | None:
        """The pending batch as a Protobuf message (None when empty); starts a new one."""
        if not self._latest:
            return None
        self.sequence += 1
        batch = TickerBatch(
            batch_sequence=self.sequence,
            produced_at_ms=produced_at_ms,
            source=source,
            ticks=[to_message(t) for t in self._latest.values()],
        )
        self._latest = {}
        self._first_at = None
        return batch
