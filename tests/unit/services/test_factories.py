"""make_<domain>_provider picks the simulation by default and the live adapters when asked."""

import pytest
from pydantic import SecretStr

from flux.resilience import UpstreamClientError
from flux.services.crypto import LiveCryptoProvider, SimulatedCryptoProvider, make_crypto_provider
from flux.services.news import FeedNewsProvider, SimulatedNewsProvider, make_news_provider
from flux.services.stock import (
    AlphaVantageStockProvider,
    SimulatedStockProvider,
    UnconfiguredStockProvider,
    make_stock_provider,
    stock_degradation,
)
from flux.services.upstream_config import UpstreamConfig
from flux.services.weather import OpenMeteoWeatherProvider, SimulatedWeatherProvider, make_weather_provider
from flux.settings import ProviderMode, Settings

LIVE = UpstreamConfig(
    weather_url="http://127.0.0.1:1",
    coingecko_url="http://127.0.0.1:1",
    coinbase_ws_url="ws://127.0.0.1:1/ws",
    news_feeds=["http://127.0.0.1:1/a.rss"],
    stocks_url="http://127.0.0.1:1",
    stocks_api_key=SecretStr("k"),
    upstream_timeout_s=0.5,
    upstream_max_attempts=2,
)


def test_simulated_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLUX_PROVIDER", raising=False)
    settings = Settings()
    assert settings.provider is ProviderMode.SIMULATED
    assert isinstance(make_weather_provider(settings), SimulatedWeatherProvider)
    assert isinstance(make_crypto_provider(settings), SimulatedCryptoProvider)
    assert isinstance(make_news_provider(settings), SimulatedNewsProvider)
    assert isinstance(make_stock_provider(settings), SimulatedStockProvider)


async def test_live_mode_builds_live_adapters_with_configured_policies() -> None:
    settings = Settings(provider=ProviderMode.LIVE)
    weather = make_weather_provider(settings, LIVE)
    crypto = make_crypto_provider(settings, LIVE)
    news = make_news_provider(settings, LIVE)
    stock = make_stock_provider(settings, LIVE)
    assert isinstance(weather, OpenMeteoWeatherProvider)
    assert isinstance(crypto, LiveCryptoProvider)
    assert isinstance(news, FeedNewsProvider)
    assert isinstance(stock, AlphaVantageStockProvider)
    assert weather.policy.timeout_s == 0.5
    assert weather.policy.retry.max_attempts == 2
    assert crypto.ticker.url == "ws://127.0.0.1:1/ws"
    for provider in (weather, crypto, news, stock):
        await provider.aclose()


async def test_live_stocks_without_a_key_run_degraded() -> None:
    for missing in (None, SecretStr("")):
        cfg = LIVE.model_copy(update={"stocks_api_key": missing})
        provider = make_stock_provider(Settings(provider=ProviderMode.LIVE), cfg)
        assert isinstance(provider, UnconfiguredStockProvider)
        assert "FLUX_STOCKS_API_KEY" in stock_degradation(provider)["alphavantage"]
        with pytest.raises(UpstreamClientError, match="FLUX_STOCKS_API_KEY"):
            await provider.top_performers()
    keyed = make_stock_provider(Settings(provider=ProviderMode.LIVE), LIVE)
    assert stock_degradation(keyed) == {}
    await keyed.aclose()


def test_upstream_config_reads_env_and_hides_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUX_NEWS_FEEDS", "http://a/x.rss, http://b/y.atom")
    monkeypatch.setenv("FLUX_STOCKS_API_KEY", "topsecret")
    cfg = UpstreamConfig()
    assert cfg.news_feeds == ["http://a/x.rss", "http://b/y.atom"]
    assert cfg.stocks_api_key is not None
    assert cfg.stocks_api_key.get_secret_value() == "topsecret"
    assert "topsecret" not in repr(cfg)
