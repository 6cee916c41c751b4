"""The interface every stock provider implements (live keyed API or simulation)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from flux.services.stock.model import StockBoard

__all__ = ["StockProvider"]


@runtime_checkable
class StockProvider(Protocol):
    """Top performing stocks."""

    async def top_performers(self, limit: int = 10) -> StockBoard:
        """Up to ``limit`` top gainers, losers and most active tickers.

        Raises:
            flux.resilience.UpstreamError: The upstream failed (after the resilience policy).
        """
        ...

    async def aclose(self) -> None:
        """Release connections; the provider is unusable afterwards."""
        ...
