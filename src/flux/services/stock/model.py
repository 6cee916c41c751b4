"""What a stock provider returns: the day's top gainers, losers and most actively traded tickers.

Example:
    >>> from decimal import Decimal
    >>> StockPerformer("ACME", Decimal("12.50"), Decimal("1.25"), Decimal("11.11"), 1000).ticker
    'ACME'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

__all__ = ["StockBoard", "StockPerformer"]


@dataclass(frozen=True, slots=True)
class StockPerformer:
    """One ticker's move over the trading day.

    Attributes:
        ticker: Exchange symbol, upper case.
        price: Last price (USD).
        change_amount: Change since the previous close (USD).
        change_pct: Change since the previous close, percent.
        volume: Shares traded today.
    """

    ticker: str
    price: Decimal
    change_amount: Decimal
    change_pct: Decimal
    volume: int


@dataclass(frozen=True, slots=True)
class StockBoard:
    """The top performers snapshot."""

    gainers: tuple[StockPerformer, ...]
    losers: tuple[StockPerformer, ...]
    most_active: tuple[StockPerformer, ...]
    as_of: datetime
    source: str
