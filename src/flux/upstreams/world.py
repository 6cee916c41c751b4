"""The simulated world behind the fake upstreams: one market, one stock market, one newsroom.

The fake servers render this state in each provider's wire format, so a live adapter talking to
them sees the same data the simulated providers produce.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from flux.services.crypto.simulated import SimulatedMarket
from flux.services.news.simulated import SimulatedNewsProvider
from flux.services.simulation import Clock, utc_now
from flux.services.stock.simulated import SimulatedStockMarket
from flux.upstreams.fault_control import FaultController

__all__ = ["SimulatedWorld"]


@dataclass(slots=True)
class SimulatedWorld:
    """Shared state of the fake upstream servers.

    Attributes:
        seed: Simulation seed.
        clock: Source of "now".
        market: Crypto prices (CoinGecko and Coinbase both read it).
        stocks: Stock prices (Alpha Vantage).
        news: Headlines (RSS and Atom feeds).
        faults: The fault control.
        hits: Requests (and WebSocket handshakes) seen per fake upstream.
    """

    seed: int
    clock: Clock = utc_now
    market: SimulatedMarket = field(init=False)
    stocks: SimulatedStockMarket = field(init=False)
    news: SimulatedNewsProvider = field(init=False)
    faults: FaultController = field(default_factory=FaultController)
    hits: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.market = SimulatedMarket(self.seed, clock=self.clock)
        self.stocks = SimulatedStockMarket(self.seed, clock=self.clock)
        self.news = SimulatedNewsProvider(self.seed, clock=self.clock)
