"""Live news from a configurable list of RSS 2.0 / Atom feeds, fetched concurrently.

Each feed is its own upstream with its own resilience policy (breaker included). A refresh
succeeds when at least one feed answers; feeds that fail are logged and left out.

Example:
    >>> provider = FeedNewsProvider(feed_urls=["https://example.org/rss.xml"])
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Final
from urllib.parse import urlsplit

import httpx

from flux.resilience import UpstreamError, UpstreamPolicy
from flux.services.news.feeds import parse_feed
from flux.services.news.model import Article, latest_unique
from flux.services.upstream_http import fetch_bytes

__all__ = ["FeedNewsProvider"]

LOG = logging.getLogger(__name__)

MAX_FEED_BYTES: Final = 2 * 1024 * 1024
MAX_FEEDS: Final = 50
PolicyFactory = Callable[[str], UpstreamPolicy]


def _upstream_name(url: str) -> str:
    parts = urlsplit(url)
    return f"feed:{parts.netloc}{parts.path}"[:120]


class FeedNewsProvider:
    """A :class:`~flux.services.news.provider.NewsProvider` over RSS/Atom feeds.

    Args:
        feed_urls: Feeds to read (``UpstreamConfig.news_feeds``).
        client: Shared HTTP client; one is created (and closed by :meth:`aclose`) when omitted.
        policy_factory: Builds the policy of each feed from its upstream name.
        timeout_s: Per-request timeout of the client created here.
        max_concurrent_feeds: Feeds fetched at once.
    """

    def __init__(
        self,
        *,
        feed_urls: Sequence[str],
        client: httpx.AsyncClient | None = None,
        policy_factory: PolicyFactory | None = None,
        timeout_s: float = 10.0,
        max_concurrent_feeds: int = 4,
    ) -> None:
        urls = list(dict.fromkeys(feed_urls))
        if not urls or len(urls) > MAX_FEEDS:
            raise ValueError(f"need 1..{MAX_FEEDS} feed URLs")
        if not all(u.startswith(("https://", "http://")) for u in urls):
            raise ValueError("feed URLs must be http(s)")
        make_policy = policy_factory or (lambda name: UpstreamPolicy(name, timeout_s=timeout_s))
        self.policies = {url: make_policy(_upstream_name(url)) for url in urls}
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout_s, follow_redirects=True, max_redirects=3)
        self._slots = asyncio.Semaphore(max_concurrent_feeds)

    async def latest(self, limit: int = 20) -> tuple[Article, ...]:
        """The ``limit`` newest articles across all feeds, each story once.

        Raises:
            UpstreamError: Every feed failed (the first feed's error).
        """
        results = await asyncio.gather(*(self._fetch(url) for url in self.policies), return_exceptions=True)
        articles: list[Article] = []
        errors: list[UpstreamError] = []
        for url, result in zip(self.policies, results, strict=True):
            if isinstance(result, UpstreamError):
                LOG.warning("news feed %s failed: %s", _upstream_name(url), result)
                errors.append(result)
            elif isinstance(result, BaseException):
                raise result
            else:
                articles.extend(result)
        if errors and len(errors) == len(self.policies):
            raise errors[0]
        return latest_unique(articles, limit)

    async def _fetch(self, url: str) -> tuple[Article, ...]:
        policy = self.policies[url]

        async def fetch() -> tuple[Article, ...]:
            body = await fetch_bytes(
                self._client,
                policy.name,
                url,
                headers={"accept": "application/rss+xml, application/atom+xml, application/xml"},
                max_bytes=MAX_FEED_BYTES,
            )
            return parse_feed(body, policy.name)

        async with self._slots:
            return await policy.call(fetch)

    async def aclose(self) -> None:
        """Close the HTTP client if this provider created it."""
        if self._owns_client:
            await self._client.aclose()
