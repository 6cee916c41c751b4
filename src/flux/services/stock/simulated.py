"""Offline stock market: seeded random-walk prices over 40 tickers, ranked into a top performers board.

Each ticker walks (geometric Brownian motion) from its previous close in clock time; the board ranks
the day's change and volume, so the same market read twice a second apart tells a consistent story.

Example:
    >>> import asyncio
    >>> board = asyncio.run(SimulatedStockProvider(3).top_performers(5))
    >>> len(board.gainers) <= 5 and all(p.change_pct > 0 for p in board.gainers)
    True
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

from flux.services.simulation import SECONDS_PER_YEAR, Clock, geometric_step, utc_now
from flux.services.stock.model import StockBoard, StockPerformer

__all__ = ["DEFAULT_LISTINGS", "SimulatedStockMarket", "SimulatedStockProvider"]

SOURCE: Final = "simulated"

# (ticker, previous close, average daily volume, annual volatility)
DEFAULT_LISTINGS: Final[tuple[tuple[str, float, int, float], ...]] = (
    ("AAPL", 228.0, 52_000_000, 0.25),
    ("MSFT", 415.0, 21_000_000, 0.24),
    ("NVDA", 138.0, 240_000_000, 0.55),
    ("AMZN", 201.0, 40_000_000, 0.32),
    ("GOOGL", 172.0, 27_000_000, 0.30),
    ("META", 560.0, 13_000_000, 0.38),
    ("TSLA", 340.0, 95_000_000, 0.65),
    ("AMD", 140.0, 45_000_000, 0.50),
    ("INTC", 24.0, 70_000_000, 0.45),
    ("NFLX", 890.0, 3_500_000, 0.40),
    ("PLTR", 62.0, 80_000_000, 0.75),
    ("SOFI", 14.5, 60_000_000, 0.70),
    ("F", 11.0, 55_000_000, 0.35),
    ("T", 22.5, 35_000_000, 0.22),
    ("PFE", 26.0, 40_000_000, 0.25),
    ("BAC", 46.0, 38_000_000, 0.28),
    ("NIO", 4.6, 50_000_000, 0.85),
    ("RIVN", 11.8, 35_000_000, 0.80),
    ("LCID", 2.3, 40_000_000, 0.90),
    ("MARA", 22.0, 45_000_000, 1.00),
    ("RIOT", 11.5, 30_000_000, 1.00),
    ("SNAP", 11.3, 30_000_000, 0.70),
    ("UBER", 71.0, 20_000_000, 0.40),
    ("PYPL", 85.0, 14_000_000, 0.38),
    ("COIN", 290.0, 12_000_000, 0.85),
    ("HOOD", 37.0, 30_000_000, 0.80),
    ("SMCI", 33.0, 60_000_000, 1.10),
    ("AAL", 16.0, 30_000_000, 0.50),
    ("CCL", 24.0, 25_000_000, 0.50),
    ("WBD", 10.2, 30_000_000, 0.50),
    ("GME", 27.0, 8_000_000, 1.20),
    ("AMC", 4.5, 18_000_000, 1.20),
    ("PLUG", 2.1, 45_000_000, 1.10),
    ("SIRI", 25.0, 9_000_000, 0.40),
    ("VALE", 10.0, 30_000_000, 0.35),
    ("ITUB", 6.1, 25_000_000, 0.30),
    ("ABEV", 2.3, 20_000_000, 0.30),
    ("NOK", 4.4, 22_000_000, 0.35),
    ("KVUE", 23.0, 15_000_000, 0.25),
    ("SOUN", 7.5, 40_000_000, 1.20),
)


@dataclass(slots=True)
class _Listing:
    ticker: str
    previous_close: float
    price: float
    volume: float
    average_volume: float
    volatility: float
    updated_at: datetime


class SimulatedStockMarket:
    """Intraday prices and volumes for a fixed set of tickers.

    Args:
        seed: Random seed; the same seed, clock and call sequence give the same board.
        clock: Source of "now".
        time_scale: Simulated seconds per clock second.
    """

    def __init__(self, seed: int, *, clock: Clock = utc_now, time_scale: float = 1.0) -> None:
        self._rng = random.Random(seed)
        self._clock = clock
        self._time_scale = time_scale
        now = clock()
        day = math.sqrt(86_400 / SECONDS_PER_YEAR)
        self._listings = []
        for ticker, close, volume, volatility in DEFAULT_LISTINGS:
            opening_gap = self._rng.gauss(0.0, 2.0 * volatility * day)
            self._listings.append(
                _Listing(
                    ticker=ticker,
                    previous_close=close,
                    price=close * math.exp(opening_gap),
                    volume=volume * self._rng.uniform(0.3, 0.6) * (1 + 8 * abs(opening_gap)),
                    average_volume=volume,
                    volatility=volatility,
                    updated_at=now,
                )
            )

    def performers(self) -> tuple[tuple[StockPerformer, ...], datetime]:
        """Every ticker moved to now, with the clock's now."""
        now = self._clock()
        rows = []
        for listing in self._listings:
            dt_s = (now - listing.updated_at).total_seconds() * self._time_scale
            if dt_s > 0:
                listing.price = geometric_step(listing.price, listing.volatility, dt_s, self._rng.gauss(0, 1))
                listing.volume += listing.average_volume * dt_s / 23_400 * self._rng.uniform(0.5, 1.5)
                listing.updated_at = now
            price = Decimal(f"{listing.price:.4f}")
            change = price - Decimal(f"{listing.previous_close:.4f}")
            rows.append(
                StockPerformer(
                    ticker=listing.ticker,
                    price=price,
                    change_amount=change,
                    change_pct=Decimal(f"{float(change) / listing.previous_close * 100:.4f}"),
                    volume=int(listing.volume),
                )
            )
        return tuple(rows), now


class SimulatedStockProvider:
    """A :class:`~flux.services.stock.provider.StockProvider` that needs no network.

    Args:
        seed: Simulation seed (``Settings.sim_seed``); ignored when ``market`` is given.
        market: The market to read (shared with the fake upstream servers, for instance).
        clock: Source of "now" for a market created here.
    """

    def __init__(
        self, seed: int, *, market: SimulatedStockMarket | None = None, clock: Clock = utc_now
    ) -> None:
        self.market = market or SimulatedStockMarket(seed, clock=clock)

    async def top_performers(self, limit: int = 10) -> StockBoard:
        """Up to ``limit`` simulated gainers, losers and most active tickers."""
        rows, now = self.market.performers()
        by_change = sorted(rows, key=lambda p: (p.change_pct, p.ticker))
        return StockBoard(
            gainers=tuple(p for p in reversed(by_change) if p.change_pct > 0)[:limit],
            losers=tuple(p for p in by_change if p.change_pct < 0)[:limit],
            most_active=tuple(sorted(rows, key=lambda p: (-p.volume, p.ticker)))[:limit],
            as_of=now,
            source=SOURCE,
        )

    async def aclose(self) -> None:
        """Nothing to release."""
