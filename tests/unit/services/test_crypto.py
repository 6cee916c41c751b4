"""Crypto: CoinGecko and Coinbase parsing, the movers board, and the simulated market."""

import json
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from flux.resilience import UpstreamBadPayload, UpstreamClientError
from flux.services.crypto import SimulatedCryptoProvider, SimulatedMarket
from flux.services.crypto.coinbase import (
    FeedError,
    Heartbeat,
    SubscriptionsAck,
    parse_coinbase_message,
    subscribe_message,
)
from flux.services.crypto.coingecko import parse_coingecko_markets
from flux.services.crypto.model import Tick


def coin(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": "bitcoin",
        "symbol": "btc",
        "name": "Bitcoin",
        "image": "https://assets.example/bitcoin.png",
        "current_price": 91234.5,
        "market_cap": 1815000000000,
        "market_cap_rank": 1,
        "fully_diluted_valuation": 1815000000000,
        "total_volume": 41000000000,
        "high_24h": 92000,
        "low_24h": 89000.1,
        "price_change_24h": 1200.4,
        "price_change_percentage_24h": 1.33,
        "circulating_supply": 19900000,
        "max_supply": 21000000,
        "roi": None,
        "last_updated": "2026-11-22T10:00:01.123Z",
    }
    entry.update(overrides)
    return entry


def test_parses_markets_with_exact_decimals() -> None:
    (parsed,) = parse_coingecko_markets(json.dumps([coin()]).encode())
    assert parsed.coin_id == "bitcoin"
    assert parsed.symbol == "BTC"
    assert parsed.price_usd == Decimal("91234.5")
    assert parsed.change_pct_24h == Decimal("1.33")
    assert parsed.rank == 1
    assert parsed.last_updated == datetime(2026, 11, 22, 10, 0, 1, 123000, tzinfo=UTC)


def test_documented_nullable_fields_may_be_null() -> None:
    body = [coin(market_cap_rank=None, price_change_percentage_24h=None, image=None, market_cap=None)]
    (parsed,) = parse_coingecko_markets(json.dumps(body).encode())
    assert parsed.rank is None
    assert parsed.change_pct_24h is None


@pytest.mark.parametrize(
    "override",
    [
        {"current_price": None},
        {"current_price": -1},
        {"current_price": "lots"},
        {"id": ""},
        {"name": "x" * 500},
        {"market_cap_rank": 0},
        {"price_change_percentage_24h": -150},
        {"image": "javascript:alert(1)"},
        {"last_updated": "whenever"},
    ],
)
def test_rejects_invalid_coin_fields(override: dict[str, Any]) -> None:
    with pytest.raises(UpstreamBadPayload):
        parse_coingecko_markets(json.dumps([coin(**override)]).encode())


def test_rejects_non_arrays_and_oversized_pages() -> None:
    with pytest.raises(UpstreamBadPayload):
        parse_coingecko_markets(b'{"status": {"error_code": 429}}')
    with pytest.raises(UpstreamBadPayload, match="exceed"):
        parse_coingecko_markets(json.dumps([coin()] * 251).encode())


TICKER = {
    "type": "ticker",
    "sequence": 37475248783,
    "product_id": "ETH-USD",
    "price": "1285.22",
    "open_24h": "1310.79",
    "volume_24h": "245532.79269678",
    "low_24h": "1280.52",
    "high_24h": "1313.8",
    "volume_30d": "9788783.60117027",
    "best_bid": "1285.04",
    "best_bid_size": "0.46688654",
    "best_ask": "1285.27",
    "best_ask_size": "1.56637040",
    "side": "buy",
    "time": "2026-11-22T10:28:22.061769Z",
    "trade_id": 370843401,
    "last_size": "11.4396987",
}


def test_parses_ticker_messages() -> None:
    tick = parse_coinbase_message(json.dumps(TICKER))
    assert isinstance(tick, Tick)
    assert tick.product_id == "ETH-USD"
    assert tick.price == Decimal("1285.22")
    assert tick.best_bid == Decimal("1285.04")
    assert tick.best_ask == Decimal("1285.27")
    assert tick.open_24h == Decimal("1310.79")
    assert tick.sequence == 37475248783
    assert tick.trade_id == 370843401
    assert tick.time == datetime(2026, 11, 22, 10, 28, 22, 61769, tzinfo=UTC)


@pytest.mark.parametrize(
    "override",
    [
        {"price": "abc"},
        {"price": "-1"},
        {"product_id": "ethusd"},
        {"sequence": "x"},
        {"trade_id": None},
        {"time": "noon"},
        {"best_bid": None},
    ],
)
def test_rejects_invalid_tickers(override: dict[str, Any]) -> None:
    with pytest.raises(UpstreamBadPayload):
        parse_coinbase_message(json.dumps({**TICKER, **override}))


def test_parses_control_messages() -> None:
    ack = parse_coinbase_message(
        json.dumps({"type": "subscriptions", "channels": [{"name": "ticker", "product_ids": ["BTC-USD"]}]})
    )
    assert ack == SubscriptionsAck({"ticker": ("BTC-USD",)})
    beat = parse_coinbase_message(
        json.dumps(
            {
                "type": "heartbeat",
                "sequence": 90,
                "last_trade_id": 20,
                "product_id": "BTC-USD",
                "time": TICKER["time"],
            }
        )
    )
    assert isinstance(beat, Heartbeat)
    assert beat.sequence == 90
    error = parse_coinbase_message(
        json.dumps({"type": "error", "message": "Failed", "reason": "bad product"})
    )
    assert error == FeedError("Failed", "bad product")
    assert parse_coinbase_message(json.dumps({"type": "status", "products": []})) is None
    for bad in ('{"price": 1}', "[]", '{"type": "tick', ""):
        with pytest.raises(UpstreamBadPayload):
            parse_coinbase_message(bad)


def test_subscribe_message_shape() -> None:
    assert json.loads(subscribe_message(["BTC-USD"])) == {
        "type": "subscribe",
        "product_ids": ["BTC-USD"],
        "channels": ["ticker", "heartbeat"],
    }


class SteppingClock:
    def __init__(self, step: timedelta = timedelta(milliseconds=50)) -> None:
        self.now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
        self.step = step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


def market_snapshot(seed: int) -> list[Any]:
    market = SimulatedMarket(seed, clock=SteppingClock())
    ticks = [market.trade(market.pick_product(market.product_ids)) for _ in range(200)]
    return [ticks, market.coins()]


def test_simulated_market_is_deterministic_for_a_seed() -> None:
    assert market_snapshot(11) == market_snapshot(11)
    assert market_snapshot(11) != market_snapshot(12)


async def test_simulated_market_has_many_coins_and_consistent_boards() -> None:
    clock = SteppingClock(timedelta(0))
    provider = SimulatedCryptoProvider(4, clock=clock)
    top = await provider.top_coins(50)
    assert len(top.coins) >= 20
    caps = [c.market_cap_usd for c in top.coins]
    assert caps == sorted(caps, reverse=True)
    assert [c.rank for c in top.coins] == list(range(1, len(top.coins) + 1))
    board = await provider.movers(5)
    prices = {c.coin_id: (c.price_usd, c.change_pct_24h) for c in top.coins}
    for mover in board.gainers + board.losers:
        assert prices[mover.coin_id] == (mover.price_usd, mover.change_pct_24h)
    assert all(c.change_pct_24h is not None and c.change_pct_24h > 0 for c in board.gainers)
    assert all(c.change_pct_24h is not None and c.change_pct_24h < 0 for c in board.losers)
    gains = [c.change_pct_24h for c in board.gainers]
    assert gains == sorted(gains, reverse=True)
    # the stream trades at the same prices the boards show (clock frozen: no price move)
    tick = provider.market.trade("BTC-USD")
    assert tick.price == next(c.price_usd for c in top.coins if c.symbol == "BTC")
    assert tick.best_bid <= tick.price <= tick.best_ask


def test_random_walk_volatility_is_sensible() -> None:
    clock = SteppingClock(timedelta(0))
    market = SimulatedMarket(2, clock=clock)
    log_returns = []
    previous = float(market.trade("BTC-USD").price)
    for _ in range(2000):
        clock.now += timedelta(hours=1)
        price = float(market.trade("BTC-USD").price)
        log_returns.append(math.log(price / previous))
        previous = price
    hourly = math.sqrt(sum(r * r for r in log_returns) / len(log_returns))
    expected = 0.55 * math.sqrt(3600 / (365 * 24 * 3600))
    assert 0.8 * expected < hourly < 1.2 * expected


async def test_simulated_tick_stream_rate_and_ordering() -> None:
    provider = SimulatedCryptoProvider(1, tick_rate_hz=2000)
    seen: dict[str, int] = {}
    count = 0
    async for tick in provider.ticks(["BTC-USD", "ETH-USD", "NOPE-USD"]):
        assert tick.product_id in {"BTC-USD", "ETH-USD"}
        assert tick.sequence > seen.get(tick.product_id, -1)
        seen[tick.product_id] = tick.sequence
        count += 1
        if count == 400:
            break
    assert set(seen) == {"BTC-USD", "ETH-USD"}


async def test_simulated_stream_rejects_only_unknown_products() -> None:
    provider = SimulatedCryptoProvider(1)
    with pytest.raises(UpstreamClientError):
        async for _ in provider.ticks(["NOPE-USD"]):
            pass
