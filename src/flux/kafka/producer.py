"""An asyncio producer with per-message delivery futures and record headers.

Why not ``confluent_kafka.aio.AIOProducer``: in 2.16 its batch mode rejects
record headers (dead letters need them) and buffers messages in Python until a
batch fills or an inactivity timeout passes, which adds latency to every
command. This wrapper keeps librdkafka's own batching (``linger.ms``) and only
bridges delivery reports to asyncio futures; a daemon thread serves the
producer's callbacks. See ADR-016.

Example:
    >>> producer = AsyncProducer(producer_config(settings, client_id="weather-service"))  # doctest: +SKIP
    >>> await producer.send(topic, value=b"...", key=b"delhi")  # doctest: +SKIP
    >>> await producer.aclose()  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from typing import Any

from confluent_kafka import KafkaException, Message, Producer

from flux.kafka.config import ClientConfig

__all__ = ["AsyncProducer", "DeliveryError", "Headers"]

LOG = logging.getLogger(__name__)

Headers = Sequence[tuple[str, bytes]]


class DeliveryError(RuntimeError):
    """The broker did not acknowledge a record within the delivery timeout."""


class AsyncProducer:
    """Produce records and await their acknowledgement (acks=all per :mod:`flux.kafka.config`)."""

    __slots__ = ("_closed", "_poller", "_producer")

    def __init__(self, config: ClientConfig) -> None:
        self._producer = Producer(dict(config))
        self._closed = threading.Event()
        self._poller = threading.Thread(target=self._serve_callbacks, name="kafka-producer-poll", daemon=True)
        self._poller.start()

    def _serve_callbacks(self) -> None:
        while not self._closed.is_set():
            self._producer.poll(0.05)

    def produce(
        self,
        topic: str,
        *,
        value: bytes | None,
        key: bytes | None = None,
        headers: Headers | None = None,
        partition: int | None = None,
    ) -> asyncio.Future[Message]:
        """Queue a record; the returned future resolves to the acknowledged message."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Message] = loop.create_future()

        def on_delivery(err: Any, msg: Message) -> None:
            loop.call_soon_threadsafe(_settle, future, err, msg)

        kwargs: dict[str, Any] = {"value": value, "key": key, "on_delivery": on_delivery}
        if headers:
            kwargs["headers"] = list(headers)
        if partition is not None:
            kwargs["partition"] = partition
        while True:
            try:
                self._producer.produce(topic, **kwargs)
                break
            except BufferError:
                # Local queue full: let librdkafka drain a little (back-pressure, not failure).
                self._producer.poll(0.01)
        return future

    async def send(
        self,
        topic: str,
        *,
        value: bytes | None,
        key: bytes | None = None,
        headers: Headers | None = None,
    ) -> Message:
        """Produce and wait for the acknowledgement."""
        return await self.produce(topic, value=value, key=key, headers=headers)

    async def flush(self, wait_s: float = 30.0) -> int:
        """Wait until queued records are delivered; returns how many are still queued."""
        return int(await asyncio.to_thread(self._producer.flush, wait_s))

    async def aclose(self, wait_s: float = 30.0) -> None:
        remaining = await self.flush(wait_s)
        if remaining:
            LOG.warning("producer closed with undelivered records", extra={"undelivered": remaining})
        self._closed.set()
        await asyncio.to_thread(self._poller.join, 1.0)


def _settle(future: asyncio.Future[Message], err: Any, msg: Message) -> None:
    if future.done():
        return
    if err is not None:
        future.set_exception(DeliveryError(str(KafkaException(err))))
    else:
        future.set_result(msg)
