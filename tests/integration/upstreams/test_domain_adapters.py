"""Domain-specific live adapter behaviour against the fake upstreams over loopback."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr

from flux.resilience import UpstreamClientError, UpstreamConnectionError
from flux.services.crypto import CoinGeckoMarkets
from flux.services.news import FeedNewsProvider
from flux.services.stock import AlphaVantageStockProvider
from flux.services.weather import Location, OpenMeteoWeatherProvider
from flux.upstreams import FakeUpstreams

from .conftest import RecordingSleep, fast_policy


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_weather_reading_is_current_and_plausible(fake: FakeUpstreams, sleep: RecordingSleep) -> None:
    provider = OpenMeteoWeatherProvider(base_url=fake.base_url, policy=fast_policy("open-meteo", sleep))
    try:
        reading = await provider.current(Location("Oslo", 59.91, 10.75))
    finally:
        await provider.aclose()
    assert reading.location.city == "Oslo"
    assert reading.source == "open-meteo"
    assert datetime.now(UTC) - reading.observed_at < timedelta(minutes=16)
    assert -60 < reading.temperature_c < 55


async def test_news_merges_rss_and_atom_without_duplicates(
    fake: FakeUpstreams, sleep: RecordingSleep
) -> None:
    provider = FeedNewsProvider(feed_urls=fake.news_feed_urls, policy_factory=lambda n: fast_policy(n, sleep))
    try:
        articles = await provider.latest(25)
    finally:
        await provider.aclose()
    assert len(articles) == 25
    assert {a.source for a in articles} == {"Flux Simulated World News", "Flux Simulated Markets"}
    assert len({a.article_id for a in articles}) == 25
    assert len({a.title.casefold() for a in articles}) == 25
    times = [a.published_at for a in articles]
    assert times == sorted(times, reverse=True)  # type: ignore[type-var]


async def test_news_survives_one_dead_feed(fake: FakeUpstreams, sleep: RecordingSleep) -> None:
    dead = f"http://127.0.0.1:{free_port()}/gone.rss"
    provider = FeedNewsProvider(
        feed_urls=[dead, *fake.news_feed_urls[:1]], policy_factory=lambda n: fast_policy(n, sleep, attempts=1)
    )
    try:
        articles = await provider.latest(5)
    finally:
        await provider.aclose()
    assert len(articles) == 5


async def test_news_fails_when_every_feed_fails(fake: FakeUpstreams, sleep: RecordingSleep) -> None:
    dead = f"http://127.0.0.1:{free_port()}/gone.rss"
    provider = FeedNewsProvider(feed_urls=[dead], policy_factory=lambda n: fast_policy(n, sleep, attempts=2))
    try:
        with pytest.raises(UpstreamConnectionError):
            await provider.latest(5)
    finally:
        await provider.aclose()


async def test_movers_come_from_the_same_market_as_top_coins(
    fake: FakeUpstreams, sleep: RecordingSleep
) -> None:
    markets = CoinGeckoMarkets(
        base_url=fake.base_url, policy=fast_policy("coingecko", sleep), universe_size=50
    )
    try:
        top = await markets.top_coins(30)
        board = await markets.movers(5)
    finally:
        await markets.aclose()
    assert len(top.coins) == 30
    assert top.coins[0].symbol == "BTC"
    by_id = {c.coin_id: c for c in top.coins}
    for mover in board.gainers + board.losers:
        # the market keeps walking between the two calls: same coin, nearly the same change
        now, before = mover.change_pct_24h, by_id[mover.coin_id].change_pct_24h
        assert now is not None
        assert before is not None
        assert abs(now - before) < 1
    assert board.gainers and board.losers


async def test_wrong_stocks_key_is_a_client_error(fake: FakeUpstreams, sleep: RecordingSleep) -> None:
    provider = AlphaVantageStockProvider(
        base_url=fake.base_url, api_key=SecretStr("wrong"), policy=fast_policy("alphavantage", sleep)
    )
    try:
        with pytest.raises(UpstreamClientError):
            await provider.top_performers()
    finally:
        await provider.aclose()
    assert sleep.waits == []


async def test_http_fault_control_endpoint(fake: FakeUpstreams, sleep: RecordingSleep) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        bad = await client.post(fake.control_url, json={"mode": "explode"})
        assert bad.status_code == 400
        posted = await client.post(
            fake.control_url, json={"mode": "5xx", "duration_s": 30, "target": "weather"}
        )
        assert posted.status_code == 200
        assert posted.json()["mode"] == "5xx"
        assert (await client.get(fake.control_url)).json()["target"] == "weather"
        answer = await client.get(f"{fake.base_url}/v1/forecast", params={"latitude": 1, "longitude": 2})
        assert answer.status_code == 503
        cleared = await client.delete(fake.control_url)
        assert cleared.json() == {"mode": "none", "served": {"5xx": 1}}
        answer = await client.get(
            f"{fake.base_url}/v1/forecast",
            params={"latitude": 1, "longitude": 2, "current": "temperature_2m"},
        )
        assert answer.status_code == 200
        assert "temperature_2m" in answer.json()["current"]


async def test_fake_weather_validates_like_the_real_api(fake: FakeUpstreams) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        answer = await client.get(f"{fake.base_url}/v1/forecast", params={"latitude": 123, "longitude": 0})
    assert answer.status_code == 400
    assert answer.json()["error"] is True
