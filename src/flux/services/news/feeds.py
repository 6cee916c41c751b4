"""Safe parsing of RSS 2.0 and Atom 1.0 documents into articles.

XML goes through :mod:`defusedxml` with DTDs forbidden, so entity-expansion ("billion laughs") and
external-entity tricks are rejected outright. Items without a usable title or http(s) link are
skipped; a document that is not well-formed RSS/Atom is rejected as a whole.

Example:
    >>> body = b'''<rss version="2.0"><channel><title>Demo</title>
    ... <item><title>Hello</title><link>https://example.org/1</link></item></channel></rss>'''
    >>> [a.title for a in parse_feed(body, "demo")]
    ['Hello']
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Final
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from flux.resilience import UpstreamBadPayload
from flux.services.news.model import Article, article_id_for

__all__ = ["MAX_ITEMS_PER_FEED", "html_to_text", "parse_feed"]

LOG = logging.getLogger(__name__)

ATOM: Final = "{http://www.w3.org/2005/Atom}"
MAX_ITEMS_PER_FEED: Final = 200
MAX_TITLE: Final = 300
MAX_SUMMARY: Final = 500
MAX_URL: Final = 2000
_SPACES: Final = re.compile(r"\s+")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(markup: str, *, max_length: int = MAX_SUMMARY) -> str:
    """Plain text of an HTML fragment, whitespace collapsed, cut to ``max_length`` characters."""
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    text = _SPACES.sub(" ", "".join(extractor.parts)).strip()
    return text if len(text) <= max_length else text[: max_length - 1].rstrip() + "…"


def _text(element: Element | None) -> str:
    if element is None:
        return ""
    return _SPACES.sub(" ", "".join(element.itertext())).strip()


def _valid_url(url: str) -> bool:
    return (
        url.startswith(("https://", "http://")) and len(url) <= MAX_URL and not any(c.isspace() for c in url)
    )


def _rfc822(text: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _iso(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _article(
    title: str, url: str, source: str, published_at: datetime | None, summary: str
) -> Article | None:
    title = html_to_text(title, max_length=MAX_TITLE)
    if not title or not _valid_url(url):
        return None
    return Article(
        article_id=article_id_for(url),
        title=title,
        url=url,
        source=source,
        published_at=published_at,
        summary=html_to_text(summary),
    )


def _rss_items(root: Element, fallback_source: str) -> list[Article | None]:
    channel = root.find("channel")
    if channel is None:
        raise UpstreamBadPayload(fallback_source, "RSS document without <channel>")
    source = _text(channel.find("title"))[:100] or fallback_source
    items = channel.findall("item")[:MAX_ITEMS_PER_FEED]
    return [
        _article(
            _text(item.find("title")),
            _text(item.find("link")) or _text(item.find("guid")),
            source,
            _rfc822(_text(item.find("pubDate"))),
            _text(item.find("description")),
        )
        for item in items
    ]


def _atom_link(entry: Element) -> str:
    for link in entry.findall(f"{ATOM}link"):
        if link.get("rel", "alternate") == "alternate":
            return (link.get("href") or "").strip()
    return ""


def _atom_entries(root: Element, fallback_source: str) -> list[Article | None]:
    source = _text(root.find(f"{ATOM}title"))[:100] or fallback_source
    entries = root.findall(f"{ATOM}entry")[:MAX_ITEMS_PER_FEED]
    return [
        _article(
            _text(entry.find(f"{ATOM}title")),
            _atom_link(entry),
            source,
            _iso(_text(entry.find(f"{ATOM}published")) or _text(entry.find(f"{ATOM}updated"))),
            _text(entry.find(f"{ATOM}summary")) or _text(entry.find(f"{ATOM}content")),
        )
        for entry in entries
    ]


def parse_feed(body: bytes, upstream: str) -> tuple[Article, ...]:
    """Articles of an RSS 2.0 or Atom 1.0 document.

    Args:
        body: The raw document.
        upstream: Name used in errors and as the source when the feed has no title.

    Raises:
        UpstreamBadPayload: Not well-formed XML, a DTD or entity declaration, or neither RSS nor Atom.
    """
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise UpstreamBadPayload(upstream, f"unsafe or malformed XML ({type(exc).__name__})") from exc
    if root.tag == "rss":
        candidates = _rss_items(root, upstream)
    elif root.tag == f"{ATOM}feed":
        candidates = _atom_entries(root, upstream)
    else:
        raise UpstreamBadPayload(upstream, f"not an RSS or Atom document (root {root.tag[:60]!r})")
    articles = tuple(a for a in candidates if a is not None)
    skipped = len(candidates) - len(articles)
    if skipped:
        LOG.warning("feed %s: skipped %d items without a title or http(s) link", upstream, skipped)
    return articles
