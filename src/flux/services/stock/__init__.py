"""Stock domain, upstream side: models, the provider interface, live and simulated providers.

Example:
    >>> from flux.settings import Settings
    >>> type(make_stock_provider(Settings(provider="simulated"))).__name__
    'SimulatedStockProvider'
"""

from __future__ import annotations

from flux.resilience import RetryPolicy, UpstreamPolicy
from flux.services.stock.live import AlphaVantageStockProvider
from flux.services.stock.model import StockBoard, StockPerformer
from flux.services.stock.provider import StockProvider
from flux.services.stock.simulated import SimulatedStockMarket, SimulatedStockProvider
from flux.services.stock.unconfigured import MISSING_KEY, UnconfiguredStockProvider
from flux.services.upstream_config import UpstreamConfig
from flux.settings import ProviderMode, Settings

__all__ = [
    "AlphaVantageStockProvider",
    "SimulatedStockMarket",
    "SimulatedStockProvider",
    "StockBoard",
    "StockPerformer",
    "StockProvider",
    "UnconfiguredStockProvider",
    "make_stock_provider",
    "stock_degradation",
]


def make_stock_provider(settings: Settings, upstreams: UpstreamConfig | None = None) -> StockProvider:
    """The stock provider ``settings.provider`` asks for.

    Args:
        settings: Flux settings (``provider``, ``sim_seed``).
        upstreams: Live endpoint and key; read from ``FLUX_*`` variables when omitted.

    Live mode without ``FLUX_STOCKS_API_KEY`` gets an :class:`UnconfiguredStockProvider`, which
    refuses every call: the service runs degraded instead of stopping the stack (see
    :func:`stock_degradation`).
    """
    if settings.provider is ProviderMode.SIMULATED:
        return SimulatedStockProvider(settings.sim_seed)
    cfg = upstreams or UpstreamConfig()
    if cfg.stocks_api_key is None or not cfg.stocks_api_key.get_secret_value():
        return UnconfiguredStockProvider()
    return AlphaVantageStockProvider(
        base_url=cfg.stocks_url,
        api_key=cfg.stocks_api_key,
        policy=UpstreamPolicy(
            "alphavantage",
            retry=RetryPolicy(max_attempts=cfg.upstream_max_attempts),
            timeout_s=cfg.upstream_timeout_s,
        ),
        timeout_s=cfg.upstream_timeout_s,
    )


def stock_degradation(provider: StockProvider) -> dict[str, str]:
    """What the stock service runs without, for its probes: the live API when it has no key."""
    return {"alphavantage": MISSING_KEY} if isinstance(provider, UnconfiguredStockProvider) else {}
