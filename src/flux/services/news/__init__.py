"""News domain, upstream side: articles, the provider interface, live feeds and simulation.

Example:
    >>> from flux.settings import Settings
    >>> type(make_news_provider(Settings(provider="simulated"))).__name__
    'SimulatedNewsProvider'
"""

from __future__ import annotations

from flux.resilience import RetryPolicy, UpstreamPolicy
from flux.services.news.live import FeedNewsProvider
from flux.services.news.model import Article
from flux.services.news.provider import NewsProvider
from flux.services.news.simulated import SimulatedNewsProvider
from flux.services.upstream_config import UpstreamConfig
from flux.settings import ProviderMode, Settings

__all__ = ["Article", "FeedNewsProvider", "NewsProvider", "SimulatedNewsProvider", "make_news_provider"]


def make_news_provider(settings: Settings, upstreams: UpstreamConfig | None = None) -> NewsProvider:
    """The news provider ``settings.provider`` asks for.

    Args:
        settings: Flux settings (``provider``, ``sim_seed``).
        upstreams: Live feed list; read from ``FLUX_*`` variables when omitted.
    """
    if settings.provider is ProviderMode.SIMULATED:
        return SimulatedNewsProvider(settings.sim_seed)
    cfg = upstreams or UpstreamConfig()
    retry = RetryPolicy(max_attempts=cfg.upstream_max_attempts)
    return FeedNewsProvider(
        feed_urls=cfg.news_feeds,
        policy_factory=lambda name: UpstreamPolicy(name, retry=retry, timeout_s=cfg.upstream_timeout_s),
        timeout_s=cfg.upstream_timeout_s,
    )
