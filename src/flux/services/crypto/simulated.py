"""Offline crypto market: geometric random-walk prices over 30 coins, and everything derived from them.

One :class:`SimulatedMarket` holds the prices; top coins, movers and the tick stream all read the same
market, so a coin's tick price, its top-coins price and its 24 h change always agree. The market is
deterministic for a seed and a clock.

Example:
    >>> import asyncio
    >>> provider = SimulatedCryptoProvider(7)
    >>> top = asyncio.run(provider.top_coins(3))
    >>> [c.symbol for c in top.coins]
    ['BTC', 'ETH', 'USDT']
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import random
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

from flux.resilience import UpstreamClientError
from flux.services.crypto.model import Coin, MoverBoard, Tick, TopCoins, build_mover_board
from flux.services.simulation import SECONDS_PER_YEAR, Clock, geometric_step, to_price, utc_now

__all__ = ["DEFAULT_ASSETS", "SimulatedAsset", "SimulatedCryptoProvider", "SimulatedMarket"]

LOG = logging.getLogger(__name__)

SOURCE: Final = "simulated"
QUOTE: Final = "USD"


@dataclass(frozen=True, slots=True)
class SimulatedAsset:
    """A coin of the simulated market: its identity, a starting price, supply and volatility."""

    coin_id: str
    symbol: str
    name: str
    start_price: float
    circulating_supply: float
    annual_volatility: float

    @property
    def product_id(self) -> str:
        """Its Coinbase-style product id against the dollar."""
        return f"{self.symbol}-{QUOTE}"


DEFAULT_ASSETS: Final[tuple[SimulatedAsset, ...]] = (
    SimulatedAsset("bitcoin", "BTC", "Bitcoin", 91_000.0, 19_900_000, 0.55),
    SimulatedAsset("ethereum", "ETH", "Ethereum", 3_100.0, 120_500_000, 0.70),
    SimulatedAsset("tether", "USDT", "Tether", 1.0, 140_000_000_000, 0.01),
    SimulatedAsset("solana", "SOL", "Solana", 140.0, 480_000_000, 0.95),
    SimulatedAsset("binancecoin", "BNB", "BNB", 620.0, 145_000_000, 0.60),
    SimulatedAsset("ripple", "XRP", "XRP", 2.2, 58_000_000_000, 0.90),
    SimulatedAsset("usd-coin", "USDC", "USDC", 1.0, 60_000_000_000, 0.01),
    SimulatedAsset("dogecoin", "DOGE", "Dogecoin", 0.16, 148_000_000_000, 1.10),
    SimulatedAsset("cardano", "ADA", "Cardano", 0.45, 36_000_000_000, 1.00),
    SimulatedAsset("tron", "TRX", "TRON", 0.28, 94_000_000_000, 0.70),
    SimulatedAsset("avalanche-2", "AVAX", "Avalanche", 14.5, 420_000_000, 1.10),
    SimulatedAsset("chainlink", "LINK", "Chainlink", 13.0, 680_000_000, 1.00),
    SimulatedAsset("stellar", "XLM", "Stellar", 0.25, 31_000_000_000, 0.95),
    SimulatedAsset("sui", "SUI", "Sui", 1.7, 3_600_000_000, 1.30),
    SimulatedAsset("hedera-hashgraph", "HBAR", "Hedera", 0.15, 42_000_000_000, 1.10),
    SimulatedAsset("bitcoin-cash", "BCH", "Bitcoin Cash", 520.0, 19_900_000, 0.85),
    SimulatedAsset("litecoin", "LTC", "Litecoin", 88.0, 76_000_000, 0.85),
    SimulatedAsset("polkadot", "DOT", "Polkadot", 2.6, 1_600_000_000, 1.05),
    SimulatedAsset("shiba-inu", "SHIB", "Shiba Inu", 0.0000089, 589_000_000_000_000, 1.20),
    SimulatedAsset("uniswap", "UNI", "Uniswap", 6.4, 630_000_000, 1.10),
    SimulatedAsset("near", "NEAR", "NEAR Protocol", 2.0, 1_280_000_000, 1.20),
    SimulatedAsset("aptos", "APT", "Aptos", 2.9, 720_000_000, 1.20),
    SimulatedAsset("internet-computer", "ICP", "Internet Computer", 4.1, 540_000_000, 1.20),
    SimulatedAsset("ethereum-classic", "ETC", "Ethereum Classic", 13.5, 152_000_000, 0.95),
    SimulatedAsset("cosmos", "ATOM", "Cosmos Hub", 2.7, 470_000_000, 1.05),
    SimulatedAsset("filecoin", "FIL", "Filecoin", 1.6, 690_000_000, 1.15),
    SimulatedAsset("arbitrum", "ARB", "Arbitrum", 0.22, 5_400_000_000, 1.20),
    SimulatedAsset("optimism", "OP", "Optimism", 0.38, 1_800_000_000, 1.25),
    SimulatedAsset("render-token", "RENDER", "Render", 1.9, 518_000_000, 1.30),
    SimulatedAsset("the-graph", "GRT", "The Graph", 0.05, 10_500_000_000, 1.25),
)


@dataclass(slots=True)
class _AssetState:
    asset: SimulatedAsset
    price: float
    open_24h: float
    turnover: float
    updated_at: datetime
    sequence: int
    trade_id: int


class SimulatedMarket:
    """Live-looking prices for a fixed set of coins, moved by a seeded geometric random walk.

    Each coin's price follows its own driftless geometric Brownian motion in (scaled) clock time, so
    the walk's statistics do not depend on how often it is sampled.

    Args:
        seed: Random seed; the same seed, clock and call sequence give the same prices.
        assets: Coins of the market.
        clock: Source of "now".
        time_scale: Simulated seconds per clock second (raise it for a livelier demo).
    """

    def __init__(
        self,
        seed: int,
        *,
        assets: Sequence[SimulatedAsset] = DEFAULT_ASSETS,
        clock: Clock = utc_now,
        time_scale: float = 1.0,
    ) -> None:
        if not assets:
            raise ValueError("a market needs at least one asset")
        self._rng = random.Random(seed)
        self._clock = clock
        self._time_scale = time_scale
        now = clock()
        day_fraction = math.sqrt(86_400 / SECONDS_PER_YEAR)
        self._states: dict[str, _AssetState] = {}
        for index, asset in enumerate(assets):
            start = asset.start_price * math.exp(self._rng.gauss(0.0, 0.15 * min(asset.annual_volatility, 1)))
            daily_sigma = asset.annual_volatility * day_fraction
            open_24h = start * math.exp(-self._rng.gauss(0.0, 1.6 * daily_sigma))
            self._states[asset.product_id] = _AssetState(
                asset=asset,
                price=start,
                open_24h=open_24h,
                turnover=self._rng.uniform(0.02, 0.12),
                updated_at=now,
                sequence=1_000_000 * (index + 1),
                trade_id=10_000 * (index + 1),
            )
        self._weights = [math.sqrt(s.price * s.asset.circulating_supply) for s in self._states.values()]
        self._cumulative_weights: dict[tuple[str, ...], list[float]] = {}

    @property
    def product_ids(self) -> tuple[str, ...]:
        """All products, in catalogue order."""
        return tuple(self._states)

    def now(self) -> datetime:
        """The market's clock."""
        return self._clock()

    def advance(self) -> datetime:
        """Move every coin's price to the clock's now; returns that now."""
        now = self._clock()
        for state in self._states.values():
            self._move(state, now)
        return now

    def trade(self, product_id: str) -> Tick:
        """A trade in ``product_id`` now: its price moves to now, and the tick is returned.

        Raises:
            KeyError: Unknown product.
        """
        state = self._states[product_id]
        now = self._clock()
        self._move(state, now)
        state.sequence += 1 + self._rng.randrange(3)
        state.trade_id += 1
        return self._tick(state, now)

    def pick_product(self, product_ids: Sequence[str]) -> str:
        """A product to trade next, busier coins more often."""
        if len(product_ids) == 1:
            return product_ids[0]
        key = tuple(product_ids)
        cumulative = self._cumulative_weights.get(key)
        if cumulative is None:
            index = {pid: i for i, pid in enumerate(self._states)}
            cumulative = list(itertools.accumulate(self._weights[index[pid]] for pid in key))
            self._cumulative_weights[key] = cumulative
        return self._rng.choices(key, cum_weights=cumulative, k=1)[0]

    def coins(self) -> tuple[Coin, ...]:
        """Every coin at the current prices, ranked by market cap."""
        now = self.advance()
        unranked = [self._coin(state, now) for state in self._states.values()]
        ranked = sorted(unranked, key=lambda c: (-(c.market_cap_usd or 0), c.coin_id))
        return tuple(
            Coin(
                coin_id=c.coin_id,
                symbol=c.symbol,
                name=c.name,
                rank=rank,
                price_usd=c.price_usd,
                market_cap_usd=c.market_cap_usd,
                volume_24h_usd=c.volume_24h_usd,
                change_pct_24h=c.change_pct_24h,
                image_url=None,
                last_updated=c.last_updated,
            )
            for rank, c in enumerate(ranked, start=1)
        )

    def _move(self, state: _AssetState, now: datetime) -> None:
        dt_s = (now - state.updated_at).total_seconds() * self._time_scale
        if dt_s > 0:
            state.price = geometric_step(
                state.price, state.asset.annual_volatility, dt_s, self._rng.gauss(0, 1)
            )
            state.updated_at = now

    def _coin(self, state: _AssetState, now: datetime) -> Coin:
        asset = state.asset
        market_cap = state.price * asset.circulating_supply
        return Coin(
            coin_id=asset.coin_id,
            symbol=asset.symbol,
            name=asset.name,
            rank=None,
            price_usd=to_price(state.price),
            market_cap_usd=Decimal(round(market_cap)),
            volume_24h_usd=Decimal(round(market_cap * state.turnover)),
            change_pct_24h=Decimal(f"{(state.price / state.open_24h - 1) * 100:.2f}"),
            image_url=None,
            last_updated=now,
        )

    def _tick(self, state: _AssetState, now: datetime) -> Tick:
        price = to_price(state.price)
        half_spread = state.price * 0.00015
        volume_base = state.asset.circulating_supply * state.turnover
        return Tick(
            product_id=state.asset.product_id,
            price=price,
            best_bid=min(price, to_price(state.price - half_spread)),
            best_ask=max(price, to_price(state.price + half_spread)),
            volume_24h=Decimal(f"{volume_base:.4f}"),
            open_24h=to_price(state.open_24h),
            time=now,
            trade_id=state.trade_id,
            sequence=state.sequence,
        )


class SimulatedCryptoProvider:
    """A :class:`~flux.services.crypto.provider.CryptoProvider` over a :class:`SimulatedMarket`.

    Args:
        seed: Market seed (``Settings.sim_seed``); ignored when ``market`` is given.
        market: The market to read (share one with the fake upstream servers, for instance).
        tick_rate_hz: Ticks per second of :meth:`ticks` across all products (``0`` = as fast as possible).
        clock: Source of "now" for a market created here.
    """

    def __init__(
        self,
        seed: int,
        *,
        market: SimulatedMarket | None = None,
        tick_rate_hz: float = 20.0,
        clock: Clock = utc_now,
    ) -> None:
        if tick_rate_hz < 0:
            raise ValueError("tick_rate_hz must be >= 0")
        self.market = market or SimulatedMarket(seed, clock=clock)
        self.tick_rate_hz = tick_rate_hz

    async def top_coins(self, limit: int = 10) -> TopCoins:
        """The ``limit`` largest simulated coins."""
        coins = self.market.coins()
        return TopCoins(coins=coins[:limit], as_of=self.market.now(), source=SOURCE)

    async def movers(self, limit: int = 5) -> MoverBoard:
        """Biggest simulated 24 h gainers and losers."""
        return build_mover_board(self.market.coins(), limit, self.market.now(), SOURCE)

    async def ticks(self, product_ids: Sequence[str]) -> AsyncGenerator[Tick, None]:
        """Ticks of the known ``product_ids`` at ``tick_rate_hz``; unknown products are ignored.

        Raises:
            UpstreamClientError: None of ``product_ids`` is a simulated product.
        """
        known = [pid for pid in dict.fromkeys(product_ids) if pid in self.market.product_ids]
        if not known:
            raise UpstreamClientError(SOURCE, f"no known product among {list(product_ids)[:5]}", status=400)
        unknown = set(product_ids) - set(known)
        if unknown:
            LOG.warning("simulated ticker ignores unknown products: %s", sorted(unknown))
        loop = asyncio.get_running_loop()
        rate = self.tick_rate_hz
        started = loop.time()
        emitted = 0
        while True:
            if rate == 0:
                for _ in range(256):
                    yield self.market.trade(self.market.pick_product(known))
                await asyncio.sleep(0)
                continue
            due = int((loop.time() - started) * rate) + 1 - emitted
            if due > rate:  # the consumer fell behind by over a second: drop the backlog
                emitted += due - 1
                due = 1
            for _ in range(due):
                yield self.market.trade(self.market.pick_product(known))
                emitted += 1
            await asyncio.sleep(max(0.0, started + emitted / rate - loop.time()))

    async def aclose(self) -> None:
        """Nothing to release."""
