"""The Coinbase ticker stream against the fake feed over a real loopback WebSocket.

Covers subscription, drops (the adapter reconnects with backoff and resubscribes, without
duplicate ticks), refused handshakes, silence past the idle timeout, corrupt frames, and the
feed's own error message.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncGenerator, Callable

import pytest

from flux.resilience import RetryPolicy, UpstreamClientError, UpstreamConnectionError
from flux.services.crypto import CoinbaseTickerStream, CoinGeckoMarkets, Tick
from flux.upstreams import FakeUpstreams, FaultMode, FaultTarget

from .conftest import RecordingSleep, fast_policy

PRODUCTS = ["BTC-USD", "ETH-USD", "SOL-USD"]


def make_stream(fake: FakeUpstreams, sleep: RecordingSleep, *, attempts: int = 6) -> CoinbaseTickerStream:
    return CoinbaseTickerStream(
        url=fake.ws_url,
        reconnect=RetryPolicy(max_attempts=attempts, base_delay_s=0.01, max_delay_s=0.05),
        open_timeout_s=1.0,
        idle_timeout_s=0.8,
        rng=random.Random(1),
        sleep=sleep,
    )


async def collect(
    ticks: AsyncGenerator[Tick, None], count: int, on_tick: Callable[[int], None] | None = None
) -> list[Tick]:
    received: list[Tick] = []
    try:
        async with asyncio.timeout(10):
            async for tick in ticks:
                received.append(tick)
                if on_tick is not None:
                    on_tick(len(received))
                if len(received) >= count:
                    break
    finally:
        await ticks.aclose()  # release the socket now, not at garbage collection
    return received


def assert_no_duplicates(ticks: list[Tick]) -> None:
    last: dict[str, int] = {}
    for tick in ticks:
        assert tick.sequence > last.get(tick.product_id, -1), f"duplicate or stale tick {tick}"
        last[tick.product_id] = tick.sequence


async def test_subscribes_and_streams_valid_ticks(fake: FakeUpstreams, sleep: RecordingSleep) -> None:
    stream = make_stream(fake, sleep)
    ticks = await collect(stream.ticks(PRODUCTS), 60)
    assert {t.product_id for t in ticks} == set(PRODUCTS)
    assert all(t.best_bid <= t.price <= t.best_ask for t in ticks)
    assert_no_duplicates(ticks)
    assert stream.connections == 1
    assert sleep.waits == []


async def test_reconnects_and_resubscribes_after_a_drop(fake: FakeUpstreams, sleep: RecordingSleep) -> None:
    stream = make_stream(fake, sleep)
    subscriptions_before = fake.feed.subscriptions

    def drop_midway(received: int) -> None:
        if received == 30:
            # cut the socket, and refuse the first reconnection attempt too
            fake.faults.inject(FaultMode.DROP_WS, target=FaultTarget.COINBASE, count=1)

    ticks = await collect(stream.ticks(PRODUCTS), 120, drop_midway)
    assert fake.feed.drops >= 1
    assert stream.connections == 2
    assert fake.feed.subscriptions - subscriptions_before == 2
    assert len(sleep.waits) == 2  # the drop, then the refused handshake
    assert all(0 <= w <= 0.05 for w in sleep.waits)
    assert_no_duplicates(ticks)
    assert {t.product_id for t in ticks[60:]} == set(PRODUCTS)


async def test_gives_up_after_repeated_refusals(fake: FakeUpstreams, sleep: RecordingSleep) -> None:
    fake.faults.inject(FaultMode.SERVER_ERROR, target=FaultTarget.COINBASE)
    stream = make_stream(fake, sleep, attempts=3)
    with pytest.raises(UpstreamConnectionError):
        await collect(stream.ticks(PRODUCTS), 1)
    assert stream.connections == 0
    assert len(sleep.waits) == 2


async def test_silence_past_the_idle_timeout_reconnects(fake: FakeUpstreams, sleep: RecordingSleep) -> None:
    stream = make_stream(fake, sleep)

    def stall(received: int) -> None:
        if received == 10:
            fake.faults.inject(FaultMode.SLOW, target=FaultTarget.COINBASE, delay_s=2.0, count=1)

    ticks = await collect(stream.ticks(PRODUCTS), 40, stall)
    assert stream.connections == 2
    assert_no_duplicates(ticks)


@pytest.mark.parametrize("mode", [FaultMode.MALFORMED, FaultMode.TRUNCATED])
async def test_corrupt_frames_are_skipped(
    fake: FakeUpstreams, sleep: RecordingSleep, mode: FaultMode
) -> None:
    stream = make_stream(fake, sleep)

    def corrupt(received: int) -> None:
        if received == 5:
            fake.faults.inject(mode, target=FaultTarget.COINBASE, count=8)

    ticks = await collect(stream.ticks(PRODUCTS), 40, corrupt)
    assert stream.malformed_frames == 8
    assert stream.connections == 1
    assert_no_duplicates(ticks)


async def test_feed_error_message_is_raised(fake: FakeUpstreams, sleep: RecordingSleep) -> None:
    stream = make_stream(fake, sleep)
    with pytest.raises(UpstreamClientError, match="not a valid product"):
        await collect(stream.ticks(["NOPE-USD"]), 1)
    assert sleep.waits == []


async def test_bad_product_ids_are_refused_before_connecting(
    fake: FakeUpstreams, sleep: RecordingSleep
) -> None:
    stream = make_stream(fake, sleep)
    with pytest.raises(ValueError, match="BASE-QUOTE"):
        await collect(stream.ticks(["btc"]), 1)
    assert stream.connections == 0


async def test_ticks_and_markets_share_one_simulated_market(
    fake: FakeUpstreams, sleep: RecordingSleep
) -> None:
    markets = CoinGeckoMarkets(base_url=fake.base_url, policy=fast_policy("coingecko", sleep))
    try:
        top = await markets.top_coins(5)
    finally:
        await markets.aclose()
    ticks = await collect(make_stream(fake, sleep).ticks(["BTC-USD"]), 3)
    btc = next(c for c in top.coins if c.symbol == "BTC")
    assert abs(ticks[-1].price - btc.price_usd) / btc.price_usd < 0.01
