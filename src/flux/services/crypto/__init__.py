"""Crypto domain, upstream side: models, provider interfaces, live and simulated providers.

Example:
    >>> from flux.settings import Settings
    >>> type(make_crypto_provider(Settings(provider="simulated"))).__name__
    'SimulatedCryptoProvider'
"""

from __future__ import annotations

from flux.resilience import RetryPolicy, UpstreamPolicy
from flux.services.crypto.coinbase import CoinbaseTickerStream
from flux.services.crypto.coingecko import CoinGeckoMarkets
from flux.services.crypto.live import LiveCryptoProvider
from flux.services.crypto.model import Coin, MoverBoard, Tick, TopCoins
from flux.services.crypto.provider import CryptoMarketProvider, CryptoProvider, CryptoTickerProvider
from flux.services.crypto.simulated import SimulatedCryptoProvider, SimulatedMarket
from flux.services.upstream_config import UpstreamConfig
from flux.settings import ProviderMode, Settings

__all__ = [
    "Coin",
    "CoinGeckoMarkets",
    "CoinbaseTickerStream",
    "CryptoMarketProvider",
    "CryptoProvider",
    "CryptoTickerProvider",
    "LiveCryptoProvider",
    "MoverBoard",
    "SimulatedCryptoProvider",
    "SimulatedMarket",
    "Tick",
    "TopCoins",
    "make_crypto_provider",
]


def make_crypto_provider(
    settings: Settings, upstreams: UpstreamConfig | None = None, *, tick_rate_hz: float = 20.0
) -> CryptoProvider:
    """The crypto provider ``settings.provider`` asks for.

    Args:
        settings: Flux settings (``provider``, ``sim_seed``).
        upstreams: Live endpoints; read from ``FLUX_*`` variables when omitted.
        tick_rate_hz: Tick rate of the simulated stream (ignored when live).
    """
    if settings.provider is ProviderMode.SIMULATED:
        return SimulatedCryptoProvider(settings.sim_seed, tick_rate_hz=tick_rate_hz)
    cfg = upstreams or UpstreamConfig()
    markets = CoinGeckoMarkets(
        base_url=cfg.coingecko_url,
        api_key=cfg.coingecko_api_key,
        policy=UpstreamPolicy(
            "coingecko",
            retry=RetryPolicy(max_attempts=cfg.upstream_max_attempts),
            timeout_s=cfg.upstream_timeout_s,
        ),
        timeout_s=cfg.upstream_timeout_s,
    )
    ticker = CoinbaseTickerStream(url=cfg.coinbase_ws_url, open_timeout_s=cfg.upstream_timeout_s)
    return LiveCryptoProvider(markets=markets, ticker=ticker)
