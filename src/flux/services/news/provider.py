"""The interface every news provider implements (live RSS/Atom feeds or simulation)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from flux.services.news.model import Article

__all__ = ["NewsProvider"]


@runtime_checkable
class NewsProvider(Protocol):
    """The latest news."""

    async def latest(self, limit: int = 20) -> tuple[Article, ...]:
        """The ``limit`` newest de-duplicated articles, newest first.

        Raises:
            flux.resilience.UpstreamError: Every source failed (after the resilience policy).
        """
        ...

    async def aclose(self) -> None:
        """Release connections; the provider is unusable afterwards."""
        ...
