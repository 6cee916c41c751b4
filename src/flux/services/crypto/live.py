"""The live crypto provider: CoinGecko for market snapshots, the Coinbase feed for ticks.

Example:
    >>> provider = LiveCryptoProvider(
    ...     markets=CoinGeckoMarkets(base_url="https://api.coingecko.com"),
    ...     ticker=CoinbaseTickerStream(url="wss://ws-feed.exchange.coinbase.com"),
    ... )
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from flux.services.crypto.coinbase import CoinbaseTickerStream
from flux.services.crypto.coingecko import CoinGeckoMarkets
from flux.services.crypto.model import MoverBoard, Tick, TopCoins

__all__ = ["CoinGeckoMarkets", "CoinbaseTickerStream", "LiveCryptoProvider"]


class LiveCryptoProvider:
    """A :class:`~flux.services.crypto.provider.CryptoProvider` over the real upstreams.

    Args:
        markets: Top coins and movers source.
        ticker: Tick stream source.
    """

    def __init__(self, *, markets: CoinGeckoMarkets, ticker: CoinbaseTickerStream) -> None:
        self.markets = markets
        self.ticker = ticker

    async def top_coins(self, limit: int = 10) -> TopCoins:
        """The ``limit`` largest coins by market cap (CoinGecko)."""
        return await self.markets.top_coins(limit)

    async def movers(self, limit: int = 5) -> MoverBoard:
        """Top 24 h gainers and losers (CoinGecko)."""
        return await self.markets.movers(limit)

    def ticks(self, product_ids: Sequence[str]) -> AsyncIterator[Tick]:
        """The Coinbase ticker stream of ``product_ids``."""
        return self.ticker.ticks(product_ids)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.markets.aclose()
