"""The interfaces every crypto provider implements: market snapshots and the live ticker stream."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol, runtime_checkable

from flux.services.crypto.model import MoverBoard, Tick, TopCoins

__all__ = ["CryptoMarketProvider", "CryptoProvider", "CryptoTickerProvider"]


@runtime_checkable
class CryptoMarketProvider(Protocol):
    """Request-driven market snapshots."""

    async def top_coins(self, limit: int = 10) -> TopCoins:
        """The ``limit`` largest coins by market cap.

        Raises:
            flux.resilience.UpstreamError: The upstream failed (after the resilience policy).
        """
        ...

    async def movers(self, limit: int = 5) -> MoverBoard:
        """The ``limit`` biggest 24 h gainers and losers among the largest coins.

        Raises:
            flux.resilience.UpstreamError: The upstream failed (after the resilience policy).
        """
        ...


@runtime_checkable
class CryptoTickerProvider(Protocol):
    """The stream of ticks (ADR-007: stream only, never cached)."""

    def ticks(self, product_ids: Sequence[str]) -> AsyncIterator[Tick]:
        """An endless stream of ticks of ``product_ids``; it reconnects by itself after drops.

        Implementations return an async generator: close it (``contextlib.aclosing`` or ``aclose()``)
        to release the connection at once rather than at garbage collection.

        Raises:
            flux.resilience.UpstreamError: From the iterator, once reconnecting is hopeless.
        """
        ...


@runtime_checkable
class CryptoProvider(CryptoMarketProvider, CryptoTickerProvider, Protocol):
    """Everything the crypto service needs from its upstreams."""

    async def aclose(self) -> None:
        """Release connections; the provider is unusable afterwards."""
        ...
