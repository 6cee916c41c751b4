"""What a news provider returns: articles, de-duplicated and newest first.

Example:
    >>> article_id_for("https://example.org/a?utm_source=x#top") == article_id_for("https://example.org/a")
    True
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["Article", "article_id_for", "canonical_url", "latest_unique"]

_TRACKING_PREFIXES = ("utm_", "fbclid", "gclid", "at_medium", "at_campaign")


@dataclass(frozen=True, slots=True)
class Article:
    """One news article.

    Attributes:
        article_id: Stable id derived from the canonical URL (same story, same id, across refreshes).
        title: Headline, plain text.
        url: Link to the article (http or https).
        source: Name of the feed or outlet.
        published_at: Publication time (UTC), if the feed gives one.
        summary: Plain-text summary, possibly empty, bounded in length.
    """

    article_id: str
    title: str
    url: str
    source: str
    published_at: datetime | None
    summary: str


def canonical_url(url: str) -> str:
    """``url`` without fragment and tracking parameters, with a lower-case host."""
    parts = urlsplit(url.strip())
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.startswith(_TRACKING_PREFIXES)
    ]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(query), ""))


def article_id_for(url: str) -> str:
    """The stable id of the article at ``url``."""
    return hashlib.sha256(canonical_url(url).encode()).hexdigest()[:24]


def _title_key(title: str) -> str:
    return " ".join(title.casefold().split())


def latest_unique(articles: Iterable[Article], limit: int) -> tuple[Article, ...]:
    """The ``limit`` newest articles, each story once (same id or same headline); undated ones last."""
    epoch = datetime.min.replace(tzinfo=UTC)
    ordered = sorted(articles, key=lambda a: (a.published_at or epoch, a.article_id), reverse=True)
    seen_ids: set[str] = set()
    seen_titles: set[str] = set()
    unique: list[Article] = []
    for article in ordered:
        key = _title_key(article.title)
        if article.article_id in seen_ids or key in seen_titles:
            continue
        seen_ids.add(article.article_id)
        seen_titles.add(key)
        unique.append(article)
        if len(unique) >= limit:
            break
    return tuple(unique)
