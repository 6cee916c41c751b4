"""The stock provider of a live stack without ``FLUX_STOCKS_API_KEY``: every call fails at once.

Alpha Vantage needs a key, and a missing one is a deployment gap, not a reason to stop the stack:
the stock service starts *degraded* with this provider (its ``/health`` and ``/ready`` say why,
``flux_service_degraded`` counts it). Each fetch raises
:class:`~flux.resilience.UpstreamClientError`, which the snapshot schedule treats like any
upstream refusal (it keeps the last good snapshot; there is none), so no stock event is produced
and every other domain keeps working.

Example:
    >>> import asyncio
    >>> try:
    ...     asyncio.run(UnconfiguredStockProvider().top_performers())
    ... except Exception as exc:
    ...     print(type(exc).__name__)
    UpstreamClientError
"""

from __future__ import annotations

from typing import Final

from flux.resilience import UpstreamClientError
from flux.services.stock.model import StockBoard

__all__ = ["MISSING_KEY", "UnconfiguredStockProvider"]

MISSING_KEY: Final = "FLUX_STOCKS_API_KEY is not set: live stock snapshots are unavailable"


class UnconfiguredStockProvider:
    """A :class:`~flux.services.stock.provider.StockProvider` that refuses every call (no key)."""

    async def top_performers(self, limit: int = 10) -> StockBoard:
        del limit
        raise UpstreamClientError("alphavantage", MISSING_KEY, status=401)

    async def aclose(self) -> None:
        return None
