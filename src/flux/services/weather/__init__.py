"""Weather domain, upstream side: models, the provider interface, live and simulated providers.

Example:
    >>> from flux.settings import Settings
    >>> provider = make_weather_provider(Settings(provider="simulated"))
    >>> type(provider).__name__
    'SimulatedWeatherProvider'
"""

from __future__ import annotations

from flux.resilience import RetryPolicy, UpstreamPolicy
from flux.services.upstream_config import UpstreamConfig
from flux.services.weather.live import OpenMeteoWeatherProvider
from flux.services.weather.model import Location, WeatherReading
from flux.services.weather.provider import WeatherProvider
from flux.services.weather.simulated import SimulatedWeatherProvider
from flux.settings import ProviderMode, Settings

__all__ = [
    "Location",
    "OpenMeteoWeatherProvider",
    "SimulatedWeatherProvider",
    "WeatherProvider",
    "WeatherReading",
    "make_weather_provider",
]


def make_weather_provider(settings: Settings, upstreams: UpstreamConfig | None = None) -> WeatherProvider:
    """The weather provider ``settings.provider`` asks for.

    Args:
        settings: Flux settings (``provider``, ``sim_seed``).
        upstreams: Live endpoints; read from ``FLUX_*`` variables when omitted.
    """
    if settings.provider is ProviderMode.SIMULATED:
        return SimulatedWeatherProvider(settings.sim_seed)
    cfg = upstreams or UpstreamConfig()
    policy = UpstreamPolicy(
        "open-meteo",
        retry=RetryPolicy(max_attempts=cfg.upstream_max_attempts),
        timeout_s=cfg.upstream_timeout_s,
    )
    return OpenMeteoWeatherProvider(base_url=cfg.weather_url, policy=policy, timeout_s=cfg.upstream_timeout_s)
