"""The asyncio consumer every Flux process uses: blocking calls off the loop, local draining on it.

A ``confluent_kafka.Consumer`` keeps fetched records in librdkafka's local
queue. Taking what is already there (``consume(timeout=0)``) never blocks, so
:meth:`AsyncConsumer.drain` does it on the event loop's thread: no executor
hop and no GIL hand-off per batch, which under load cost tens of milliseconds.
Only a wait for records that have not arrived yet (:meth:`AsyncConsumer.next_batch`)
and the calls that talk to the broker (commit, watermarks, metadata, close) run
in the consumer's own small thread pool.

``next_batch`` is the drain loop every consumer shares (services, BFF): what
is already fetched, up to a batch, else wait for the first record and then
take whatever came with it. A lone record is never held back waiting for a
full batch, and batches grow by themselves under load.

Why not ``confluent_kafka.aio.AIOConsumer``: it runs every call, even the
non-blocking drain, in an executor thread, and offers no public way to drain
on the loop (Flux once reached into its private ``_consumer``). Like the
producer (ADR-016), the consumer is Flux's own thin bridge over the public
``Consumer`` API. Client configuration comes only from :mod:`flux.kafka.config`.

Example:
    >>> consumer = AsyncConsumer(consumer_config(settings, group_id="weather-service"))  # doctest: +SKIP
    >>> await consumer.subscribe(["weather.service.command.fetch"])  # doctest: +SKIP
    >>> records = await consumer.next_batch(500, wait_s=0.05)  # doctest: +SKIP
    >>> await consumer.close()  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from confluent_kafka import Consumer, Message, TopicPartition

from flux.kafka.config import ClientConfig

__all__ = ["AsyncConsumer", "RebalanceCallback"]

T = TypeVar("T")
RebalanceCallback = Callable[[Consumer, list[TopicPartition]], None]


class AsyncConsumer:
    """A Kafka consumer for asyncio code (see module docs).

    Args:
        config: From :func:`flux.kafka.config.consumer_config`.
        workers: Threads for the blocking calls (a wait for records and a commit may overlap).
    """

    __slots__ = ("_closed", "_consumer", "_executor")

    def __init__(self, config: ClientConfig, *, workers: int = 2) -> None:
        self._consumer = Consumer(dict(config))
        name = str(config.get("client.id", "consumer"))
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"kafka-{name}")
        self._closed = False

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    # ------------------------------------------------------------- records
    def drain(self, max_records: int) -> list[Message]:
        """Records already fetched, up to ``max_records``; never blocks (runs on the caller's thread)."""
        messages: list[Message] = self._consumer.consume(num_messages=max_records, timeout=0)
        return messages

    async def next_batch(self, max_records: int, *, wait_s: float) -> list[Message]:
        """What is already fetched (up to ``max_records``), else the first record within ``wait_s``
        together with whatever else arrived with it. Empty when nothing came in time.

        Records may carry errors (``msg.error()``, e.g. partition EOF): callers filter them.
        """
        messages = self.drain(max_records)
        if messages:
            return messages
        first: list[Message] = await self._call(self._consumer.consume, num_messages=1, timeout=wait_s)
        if first and max_records > 1:
            first.extend(self.drain(max_records - 1))
        return first

    # ---------------------------------------------------------- membership
    async def subscribe(
        self,
        topics: Sequence[str],
        *,
        on_assign: RebalanceCallback | None = None,
        on_revoke: RebalanceCallback | None = None,
        on_lost: RebalanceCallback | None = None,
    ) -> None:
        """Join the configured group for ``topics`` (partitions come with the next :meth:`next_batch`).

        The callbacks (``(consumer, partitions)``, as confluent-kafka calls them) run on the
        consumer's thread, inside the wait of a :meth:`next_batch`: they must be quick and must
        hand results to the event loop with ``call_soon_threadsafe``.
        """
        callbacks: dict[str, RebalanceCallback] = {}
        if on_assign is not None:
            callbacks["on_assign"] = on_assign
        if on_revoke is not None:
            callbacks["on_revoke"] = on_revoke
        if on_lost is not None:
            callbacks["on_lost"] = on_lost
        await self._call(self._consumer.subscribe, list(topics), **callbacks)

    async def assign(self, partitions: Sequence[TopicPartition]) -> None:
        """Read exactly ``partitions`` from their given offsets (no group coordination)."""
        await self._call(self._consumer.assign, list(partitions))

    async def assignment(self) -> list[TopicPartition]:
        assigned: list[TopicPartition] = await self._call(self._consumer.assignment)
        return assigned

    # ------------------------------------------------------------ positions
    async def commit(self, offsets: Sequence[TopicPartition], *, asynchronous: bool) -> None:
        """Commit ``offsets`` (the next offset to read per partition); ``asynchronous`` = do not wait
        for the broker's answer."""
        await self._call(self._consumer.commit, offsets=list(offsets), asynchronous=asynchronous)

    async def seek(self, partition: TopicPartition) -> None:
        """Read ``partition`` from its given offset next (rewind after a failed batch)."""
        await self._call(self._consumer.seek, partition)

    async def position(self, partitions: Sequence[TopicPartition]) -> list[TopicPartition]:
        positions: list[TopicPartition] = await self._call(self._consumer.position, list(partitions))
        return positions

    async def get_watermark_offsets(
        self, partition: TopicPartition, *, timeout_s: float = 5.0, cached: bool = False
    ) -> tuple[int, int]:
        """(low, high) watermarks; ``cached`` = from the last fetch response, without a broker call."""
        if cached:  # answered from librdkafka's memory: no need to leave the loop
            low, high = self._consumer.get_watermark_offsets(partition, cached=True)
        else:
            low, high = await self._call(self._consumer.get_watermark_offsets, partition, timeout=timeout_s)
        return int(low), int(high)

    async def list_topics(self, *, timeout_s: float = 5.0) -> Any:
        """Cluster metadata (``ClusterMetadata``: topics with their partitions and errors)."""
        return await self._call(self._consumer.list_topics, timeout=timeout_s)

    # ------------------------------------------------------------- shutdown
    async def close(self) -> None:
        """Leave the group (committing nothing by itself) and release the threads; idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            await self._call(self._consumer.close)
        finally:
            self._executor.shutdown(wait=False)
