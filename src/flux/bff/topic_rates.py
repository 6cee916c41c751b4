"""Messages per second and dead-letter counts of the catalogue's topics, from Kafka's own offsets.

Nothing is scraped from metrics: on request, :class:`TopicRates` reads every catalogue topic's
offsets (:func:`flux.kafka.offsets.read_topic_offsets`, in a worker thread) and keeps that sample
next to the one before it, so a topic's rate is the growth of its end offset (summed over its
partitions) divided by the time between the two samples. A dead-letter topic's count is the
records it holds now (end minus start offset summed over partitions).

Bounded by construction: the state is two samples with one entry per catalogue topic (the topic
names come from the catalogue, never from a request), and the broker is asked at most once per
``min_interval_s`` whatever the number of pages polling; concurrent requests share one read. When
Kafka does not answer, the answer says so (``available`` False, the reason) and rates are unknown.
Compacted snapshot topics are counted like the others: their end offsets grow with every write.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from flux.kafka.config import ClientConfig
from flux.kafka.offsets import OffsetsUnavailable, TopicOffsets, read_topic_offsets

__all__ = ["KafkaOffsetReader", "OffsetReader", "RatesView", "TopicRate", "TopicRates"]

LOG = logging.getLogger(__name__)

DEFAULT_MIN_INTERVAL_S: Final = 1.0

OffsetReader = Callable[[Sequence[str]], Awaitable[Mapping[str, TopicOffsets]]]
"""Reads the offsets of the named topics (a topic missing on the broker is left out)."""


@dataclass(frozen=True, slots=True)
class TopicRate:
    """One topic in a :class:`RatesView`."""

    end_offset: int
    records: int
    partitions: int
    per_second: float | None
    """None until two samples exist (or when the end offset went down: the topic was recreated)."""


@dataclass(frozen=True, slots=True)
class RatesView:
    """What the last sample says: per topic, and when and how it was taken."""

    available: bool
    error: str | None
    sampled_at_ms: int | None
    window_s: float | None
    topics: Mapping[str, TopicRate] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Sample:
    at: float
    wall_ms: int
    offsets: Mapping[str, TopicOffsets]


class TopicRates:
    """End offsets and rates of a fixed set of topics, sampled on request (see the module docs).

    Args:
        topics: The topics to watch (the catalogue's, dead-letter topics included).
        read: Reads their offsets (:class:`KafkaOffsetReader` in production).
        min_interval_s: A request within this long of the last read reuses it.
        timeout_s: Budget of one read; beyond it the sample counts as unavailable.
        clock: Monotonic clock (tests).
        wall_ms: Wall clock in milliseconds, for ``sampled_at_ms``.
    """

    def __init__(
        self,
        topics: Sequence[str],
        read: OffsetReader,
        *,
        min_interval_s: float = DEFAULT_MIN_INTERVAL_S,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        wall_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        self.topics: tuple[str, ...] = tuple(dict.fromkeys(topics))
        self._read = read
        self.min_interval_s = min_interval_s
        self.timeout_s = timeout_s
        self._clock = clock
        self._wall_ms = wall_ms
        self._reading: asyncio.Future[RatesView] | None = None
        self._previous: _Sample | None = None
        self._latest: _Sample | None = None
        self._finished_at: float | None = None
        self._error: str | None = None
        self.reads = 0

    async def sample(self) -> RatesView:
        """The view after a fresh read, or the last one when the last read finished less than
        ``min_interval_s`` ago. Requests arriving while a read runs share it (one in flight)."""
        if self._reading is None:
            now = self._clock()
            if self._finished_at is not None and now - self._finished_at < self.min_interval_s:
                return self._view()
            self._reading = asyncio.ensure_future(self._read_once())
        reading = self._reading
        return await asyncio.shield(reading)

    async def _read_once(self) -> RatesView:
        self.reads += 1
        try:
            try:
                async with asyncio.timeout(self.timeout_s):
                    offsets = await self._read(self.topics)
            except (OffsetsUnavailable, TimeoutError) as exc:
                self._error = str(exc) or f"Kafka did not answer within {self.timeout_s:g}s"
                LOG.warning("topic offsets unavailable: %s", self._error)
                return self._view()
            except Exception as exc:  # a monitoring view: say so, never fail the page
                LOG.exception("reading the topic offsets failed")
                self._error = f"reading the offsets failed: {type(exc).__name__}"
                return self._view()
            self._error = None
            wanted = {name: offsets[name] for name in self.topics if name in offsets}
            self._previous, self._latest = self._latest, _Sample(self._clock(), self._wall_ms(), wanted)
            return self._view()
        finally:
            self._finished_at = self._clock()
            self._reading = None

    async def close(self) -> None:
        """Release the reader's Kafka client, if it has one (:meth:`KafkaOffsetReader.close`)."""
        close = getattr(self._read, "close", None)
        if close is not None:
            await close()

    def _view(self) -> RatesView:
        latest, previous = self._latest, self._previous
        if self._error is not None or latest is None:
            return RatesView(False, self._error or "not sampled yet", None, None)
        window = latest.at - previous.at if previous is not None else None
        topics: dict[str, TopicRate] = {}
        for name, now in latest.offsets.items():
            before = previous.offsets.get(name) if previous is not None else None
            rate = None
            if before is not None and window and window > 0 and now.end >= before.end:
                rate = (now.end - before.end) / window
            topics[name] = TopicRate(now.end, now.records, now.partitions, rate)
        return RatesView(True, None, latest.wall_ms, window, topics)


class KafkaOffsetReader:
    """:data:`OffsetReader` over one ``AdminClient``, created on first use, called in a worker thread.

    Args:
        config: Admin client configuration (:func:`flux.kafka.config.admin_config`).
        timeout_s: Budget of each broker request.
    """

    def __init__(self, config: ClientConfig, *, timeout_s: float = 3.0) -> None:
        self._config = dict(config)
        self.timeout_s = timeout_s
        self._admin: object | None = None

    def _read_now(self, topics: Sequence[str]) -> Mapping[str, TopicOffsets]:
        if self._admin is None:
            from confluent_kafka.admin import AdminClient  # noqa: PLC0415

            self._admin = AdminClient(self._config)  # librdkafka only once the page is used
        return read_topic_offsets(self._admin, topics, timeout_s=self.timeout_s)

    async def __call__(self, topics: Sequence[str]) -> Mapping[str, TopicOffsets]:
        return await asyncio.to_thread(self._read_now, topics)

    async def close(self) -> None:
        """Drop the admin client; librdkafka destroys it in a worker thread (that may wait a little)."""
        held, self._admin = [self._admin], None
        if held[0] is not None:
            await asyncio.to_thread(held.clear)  # the last reference goes in the worker
