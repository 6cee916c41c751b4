"""GlobalSnapshot: the schedule skips unchanged content only once that content is acknowledged."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import pytest

from flux.contracts import NewsUpdated
from flux.contracts.snapshot_sizes import MAX_SNAPSHOT_SIZE
from flux.services.news.model import Article
from flux.services.news.service import article_fields
from flux.services.runtime.publisher import Outgoing
from flux.services.runtime.snapshots import GlobalSnapshot

ARTICLES = tuple(
    Article(
        article_id=f"a{i}",
        title=f"Story {i}",
        url=f"https://example.org/story-{i}",
        source="Example World",
        published_at=datetime(2026, 11, 22, 9, i, tzinfo=UTC),
        summary="",
    )
    for i in range(60)
)


class RecordingPublisher:
    """Stands in for the Kafka publisher: records what would be produced, or fails like a broker."""

    def __init__(self) -> None:
        self.published: list[Outgoing] = []
        self.fail = False

    async def publish(self, events: Sequence[Outgoing]) -> None:
        if self.fail:
            raise RuntimeError("broker unavailable")
        self.published.extend(events)
        for outgoing in events:
            if outgoing.on_acked is not None:
                outgoing.on_acked()


def _snapshot(
    publisher: RecordingPublisher, fetched: list[int] | None = None
) -> GlobalSnapshot[tuple[Article, ...]]:
    async def fetch(limit: int) -> tuple[Article, ...]:
        if fetched is not None:
            fetched.append(limit)
        return ARTICLES[:limit]

    ctx: Any = SimpleNamespace(service="news-service", publisher=publisher)
    return GlobalSnapshot(ctx, NewsUpdated, fetch=fetch, fields=article_fields, size=2, interval_s=60.0)


async def test_schedule_skips_content_a_command_already_published() -> None:
    publisher = RecordingPublisher()
    headlines = _snapshot(publisher)
    outgoing = await headlines.on_command(SimpleNamespace(command_id=uuid4()))
    await publisher.publish(outgoing)

    assert await headlines.publish_if_changed() is False
    assert len(publisher.published) == 1


async def test_command_event_that_was_never_acknowledged_does_not_hide_the_content() -> None:
    publisher = RecordingPublisher()
    headlines = _snapshot(publisher)
    outgoing = await headlines.on_command(SimpleNamespace(command_id=uuid4()))
    publisher.fail = True
    with pytest.raises(RuntimeError):
        await publisher.publish(outgoing)  # the command's event is lost with the broker
    publisher.fail = False

    assert await headlines.publish_if_changed() is True
    assert [type(o.event) for o in publisher.published] == [NewsUpdated]
    assert await headlines.publish_if_changed() is False  # now on the topic: skipped


@pytest.mark.parametrize(("limit", "entries"), [(5, 5), (None, 2), (0, 1), (10_000, MAX_SNAPSHOT_SIZE)])
async def test_a_command_gets_the_size_its_limit_asks_for_within_bounds(
    limit: int | None, entries: int
) -> None:
    fetched: list[int] = []
    headlines = _snapshot(RecordingPublisher(), fetched)
    command = SimpleNamespace(command_id=uuid4(), **({} if limit is None else {"limit": limit}))
    [outgoing] = await headlines.on_command(command)

    assert fetched == [entries]
    assert len(outgoing.event.articles) == entries  # type: ignore[attr-defined]


async def test_the_schedule_publishes_its_own_size_after_a_smaller_command() -> None:
    publisher = RecordingPublisher()
    headlines = _snapshot(publisher)
    await publisher.publish(await headlines.on_command(SimpleNamespace(command_id=uuid4(), limit=1)))

    assert await headlines.publish_if_changed() is True
    assert [len(o.event.articles) for o in publisher.published] == [1, 2]  # type: ignore[attr-defined]


async def test_a_refresh_within_the_window_is_answered_at_once_with_content_built_once() -> None:
    built: list[int] = []

    def fields(articles: tuple[Article, ...]) -> Any:
        built.append(len(articles))
        return article_fields(articles)

    async def fetch(limit: int) -> tuple[Article, ...]:
        return ARTICLES[:limit]

    ctx: Any = SimpleNamespace(service="news-service", publisher=RecordingPublisher())
    headlines = GlobalSnapshot(ctx, NewsUpdated, fetch=fetch, fields=fields, size=2, interval_s=60.0)
    assert headlines.answer_now(SimpleNamespace(command_id=uuid4())) is None  # nothing cached yet
    [first] = await headlines.on_command(SimpleNamespace(command_id=uuid4()))
    commands = [SimpleNamespace(command_id=uuid4()) for _ in range(3)]
    answers = [headlines.answer_now(c) for c in commands]

    assert all(a is not None and len(a) == 1 for a in answers)
    events = [a[0].event for a in answers if a is not None]
    assert [e.correlation_id for e in events] == [c.command_id for c in commands]  # type: ignore[attr-defined]
    assert {e.snapshot_hash for e in events} == {first.event.snapshot_hash}  # type: ignore[attr-defined]
    assert built == [2]  # one snapshot, built into fields and hashed once
