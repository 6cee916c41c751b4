"""News: safe RSS/Atom parsing, de-duplication, and the simulated newsroom."""

from datetime import UTC, datetime, timedelta

import pytest

from flux.resilience import UpstreamBadPayload
from flux.services.news import SimulatedNewsProvider
from flux.services.news.feeds import html_to_text, parse_feed
from flux.services.news.model import Article, article_id_for, latest_unique
from flux.services.news.simulated import simulated_article

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Example World</title><link>https://example.org/</link>
<item><title>Rivers rise after storm</title><link>https://example.org/rivers?utm_source=rss</link>
<description>&lt;p&gt;Water levels &lt;b&gt;rose&lt;/b&gt; overnight.&lt;/p&gt;</description>
<pubDate>Sun, 22 Nov 2026 09:30:00 GMT</pubDate><guid>https://example.org/rivers</guid></item>
<item><title>No link here</title></item>
<item><title>Sneaky</title><link>javascript:alert(1)</link></item>
<item><title>Markets open higher</title><link>https://example.org/markets</link>
<pubDate>Sun, 22 Nov 2026 08:00:00 +0100</pubDate></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Example Tech</title><id>urn:x</id>
<updated>2026-11-22T10:00:00Z</updated>
<entry><title>New chip announced</title><link rel="alternate" href="https://example.net/chip"/>
<id>urn:chip</id><updated>2026-11-22T10:00:00Z</updated><summary>Faster and cooler.</summary></entry>
<entry><title>Rivers rise after storm</title><link href="https://example.org/rivers#comments"/>
<id>urn:rivers</id><published>2026-11-22T09:45:00+00:00</published></entry>
</feed>"""


def test_parses_rss_items_and_skips_unusable_ones() -> None:
    articles = parse_feed(RSS, "feed")
    assert [a.title for a in articles] == ["Rivers rise after storm", "Markets open higher"]
    first = articles[0]
    assert first.source == "Example World"
    assert first.summary == "Water levels rose overnight."
    assert first.published_at == datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    assert articles[1].published_at == datetime(2026, 11, 22, 7, 0, tzinfo=UTC)


def test_parses_atom_entries() -> None:
    articles = parse_feed(ATOM, "feed")
    assert [a.title for a in articles] == ["New chip announced", "Rivers rise after storm"]
    assert articles[0].url == "https://example.net/chip"
    assert articles[0].summary == "Faster and cooler."
    assert articles[1].published_at == datetime(2026, 11, 22, 9, 45, tzinfo=UTC)


@pytest.mark.parametrize(
    "body",
    [
        # entity expansion ("billion laughs")
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        b"<rss><channel><title>&lol2;</title></channel></rss>",
        # external entity
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<rss><channel><title>&x;</title></channel></rss>",
        # any DTD at all
        b'<?xml version="1.0"?><!DOCTYPE rss><rss><channel><title>t</title></channel></rss>',
        b"<rss><channel><item><title>cut off",
        b"<html><body>not a feed</body></html>",
        b"<rss version='2.0'></rss>",
        b"\x00\x01binary",
    ],
)
def test_rejects_unsafe_malformed_or_foreign_documents(body: bytes) -> None:
    with pytest.raises(UpstreamBadPayload):
        parse_feed(body, "feed")


def test_html_to_text_strips_markup_and_bounds_length() -> None:
    assert html_to_text("<p>a <script>x</script><i>b</i></p>") == "a xb"
    assert len(html_to_text("word " * 500, max_length=50)) == 50


def test_same_story_across_feeds_is_kept_once_newest_first() -> None:
    merged = latest_unique(parse_feed(RSS, "a") + parse_feed(ATOM, "b"), 10)
    assert [a.title for a in merged] == [
        "New chip announced",
        "Rivers rise after storm",
        "Markets open higher",
    ]
    assert article_id_for("https://Example.org/rivers?utm_source=rss#x") == article_id_for(
        "https://example.org/rivers"
    )


def test_latest_unique_limits_and_dedupes_headlines() -> None:
    t = datetime(2026, 11, 22, tzinfo=UTC)
    articles = [
        Article(
            article_id_for(f"https://x.org/{i}"),
            f"Story {i % 3}",
            f"https://x.org/{i}",
            "x",
            t + timedelta(i),
            "",
        )
        for i in range(9)
    ]
    result = latest_unique(articles, 2)
    assert [a.title for a in result] == ["Story 2", "Story 1"]


def test_simulated_articles_are_deterministic() -> None:
    assert simulated_article(3, 77) == simulated_article(3, 77)
    assert simulated_article(3, 77) != simulated_article(4, 77)


async def test_simulated_headlines_rotate_with_time_and_keep_ids() -> None:
    now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    provider = SimulatedNewsProvider(8, interval_s=60, clock=lambda: now)
    first = await provider.latest(10)
    assert len(first) == 10
    times = [a.published_at for a in first]
    assert times == sorted(times, reverse=True)
    now += timedelta(minutes=3)
    later = await provider.latest(10)
    assert later[0].published_at == first[0].published_at + timedelta(minutes=3)  # type: ignore[operator]
    shared = {a.article_id for a in first} & {a.article_id for a in later}
    assert len(shared) >= 6  # the same stories keep their ids across refreshes
