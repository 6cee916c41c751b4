"""Where the live providers find their upstreams, and their keys, read from ``FLUX_*`` variables.

Kept apart from :class:`flux.settings.Settings` so that a test or the fault-injection soak can point
every live adapter at the fake upstream servers (``flux upstreams serve``) by setting a few variables.

Example:
    >>> cfg = UpstreamConfig(weather_url="http://127.0.0.1:9000")
    >>> cfg.weather_url
    'http://127.0.0.1:9000'
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["UpstreamConfig"]


def _split_urls(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class UpstreamConfig(BaseSettings):
    """Endpoints, keys and limits of the live upstream adapters.

    Every field reads ``FLUX_<FIELD>``; ``FLUX_NEWS_FEEDS`` is a comma-separated list of URLs and
    ``FLUX_STOCKS_API_KEY`` the stocks provider's key (a secret: never logged, never in ``repr``).
    """

    model_config = SettingsConfigDict(env_prefix="FLUX_", frozen=True, extra="ignore")

    weather_url: str = "https://api.open-meteo.com"
    coingecko_url: str = "https://api.coingecko.com"
    coingecko_api_key: SecretStr | None = None
    coinbase_ws_url: str = "wss://ws-feed.exchange.coinbase.com"
    news_feeds: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: [
            "https://feeds.bbci.co.uk/news/world/rss.xml",
            "https://www.theguardian.com/world/rss",
        ]
    )
    stocks_url: str = "https://www.alphavantage.co"
    stocks_api_key: SecretStr | None = None
    upstream_timeout_s: float = Field(default=10.0, gt=0)
    upstream_max_attempts: int = Field(default=4, ge=1)

    @field_validator("news_feeds", mode="before")
    @classmethod
    def _parse_news_feeds(cls, value: object) -> object:
        return _split_urls(value)
