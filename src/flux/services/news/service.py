"""The news service: the latest global headlines, refreshed on command and on a schedule (ADR-006)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from flux.contracts import Article, NewsUpdated, RefreshNews
from flux.contracts.snapshot_sizes import NEWS_SIZE
from flux.services.news import make_news_provider
from flux.services.news import model as news
from flux.services.runtime.context import ServiceContext
from flux.services.runtime.process import ServiceDefinition
from flux.services.runtime.record_handling import CommandRoute
from flux.services.runtime.snapshots import GlobalSnapshot

__all__ = ["SERVICE_NAME", "article_fields", "build"]

SERVICE_NAME: Final = "news-service"
REFRESH_INTERVAL_S: Final = 60.0
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def article_fields(articles: tuple[news.Article, ...]) -> Mapping[str, Any]:
    """Newest first; articles without a publication time sort last."""
    ordered = sorted(articles, key=lambda a: a.published_at or _EPOCH, reverse=True)
    return {
        "articles": [
            Article(
                id=a.article_id,
                title=a.title,
                url=a.url,
                source=a.source,
                published_at=a.published_at or _EPOCH,
                summary=a.summary or None,
            )
            for a in ordered
        ]
    }


async def build(ctx: ServiceContext) -> ServiceDefinition:
    """The news service's routes and schedule for the shared runtime."""
    provider = make_news_provider(ctx.settings)
    headlines = GlobalSnapshot(
        ctx,
        NewsUpdated,
        fetch=provider.latest,
        fields=article_fields,
        size=NEWS_SIZE,
        interval_s=REFRESH_INTERVAL_S,
    )
    return ServiceDefinition(
        routes=[CommandRoute(RefreshNews, headlines.on_command, answer_now=headlines.answer_now)],
        produces=[NewsUpdated],
        jobs=[headlines.run_schedule],
        aclose=provider.aclose,
    )
