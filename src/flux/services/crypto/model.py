"""What a crypto provider returns: coins ranked by market cap, a movers board, and live ticks.

Prices are :class:`~decimal.Decimal` so no float rounding creeps into displayed values.

Example:
    >>> from datetime import datetime, UTC
    >>> from decimal import Decimal
    >>> up = Coin("a", "A", "Alpha", 1, Decimal("2"), None, None, Decimal("5.5"), None, None)
    >>> down = Coin("b", "B", "Beta", 2, Decimal("3"), None, None, Decimal("-1"), None, None)
    >>> board = build_mover_board([up, down], 5, datetime(2026, 1, 1, tzinfo=UTC), "demo")
    >>> [c.symbol for c in board.gainers], [c.symbol for c in board.losers]
    (['A'], ['B'])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

__all__ = ["Coin", "MoverBoard", "Tick", "TopCoins", "build_mover_board"]


@dataclass(frozen=True, slots=True)
class Coin:
    """One cryptocurrency's market snapshot, in US dollars.

    Attributes:
        coin_id: Provider's stable id (``"bitcoin"``).
        symbol: Ticker symbol, upper case (``"BTC"``).
        name: Display name.
        rank: Market-cap rank (1 = largest), if known.
        price_usd: Last price.
        market_cap_usd: Market capitalisation, if known.
        volume_24h_usd: Traded value over 24 h, if known.
        change_pct_24h: Price change over 24 h in percent, if known.
        image_url: Logo URL, if any.
        last_updated: When the provider last updated the coin, if given.
    """

    coin_id: str
    symbol: str
    name: str
    rank: int | None
    price_usd: Decimal
    market_cap_usd: Decimal | None
    volume_24h_usd: Decimal | None
    change_pct_24h: Decimal | None
    image_url: str | None
    last_updated: datetime | None


@dataclass(frozen=True, slots=True)
class TopCoins:
    """The largest coins by market cap, best first."""

    coins: tuple[Coin, ...]
    as_of: datetime
    source: str


@dataclass(frozen=True, slots=True)
class MoverBoard:
    """Top gainers (largest rise first) and losers (largest fall first) over 24 h."""

    gainers: tuple[Coin, ...]
    losers: tuple[Coin, ...]
    as_of: datetime
    source: str


@dataclass(frozen=True, slots=True)
class Tick:
    """One ticker update of a product (a trade and the book's top), as the Coinbase feed reports it.

    Attributes:
        product_id: ``BASE-QUOTE`` pair (``"BTC-USD"``).
        price: Last trade price.
        best_bid: Highest bid.
        best_ask: Lowest ask.
        volume_24h: Base-currency volume over 24 h.
        open_24h: Price 24 h ago, if given.
        time: Trade time (UTC).
        trade_id: Id of the last trade.
        sequence: Feed sequence number of the product (increasing).
    """

    product_id: str
    price: Decimal
    best_bid: Decimal
    best_ask: Decimal
    volume_24h: Decimal
    open_24h: Decimal | None
    time: datetime
    trade_id: int
    sequence: int


def build_mover_board(coins: Iterable[Coin], limit: int, as_of: datetime, source: str) -> MoverBoard:
    """Pick the ``limit`` biggest 24 h gainers and losers; coins without a change are left out."""
    changed = [c for c in coins if c.change_pct_24h is not None]
    by_change = sorted(changed, key=lambda c: (c.change_pct_24h, c.coin_id))
    gainers = tuple(c for c in reversed(by_change) if c.change_pct_24h is not None and c.change_pct_24h > 0)
    losers = tuple(c for c in by_change if c.change_pct_24h is not None and c.change_pct_24h < 0)
    return MoverBoard(gainers=gainers[:limit], losers=losers[:limit], as_of=as_of, source=source)
