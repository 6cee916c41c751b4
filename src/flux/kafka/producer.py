"""The asyncio producer every Flux process uses: per-record delivery futures, headers, no extra buffering.

Why not ``confluent_kafka.aio.AIOProducer``: in 2.16 its batch mode rejects
record headers (dead letters need them) and buffers records in Python until a
batch fills or an inactivity timer fires, which adds latency to every command.
This class keeps librdkafka's own batching (``linger.ms``) and bridges delivery
reports to asyncio futures. Reports are served **on the event loop's thread**:
while records are outstanding a task calls the non-blocking ``poll(0)`` every
millisecond, so callbacks resolve their futures directly. (Serving them from a
helper thread costs a GIL hand-off per record; under load that queued
acknowledgements for up to a second.) See ADR-016.

Example:
    >>> producer = AsyncProducer(producer_config(settings, client_id="weather-service"))  # doctest: +SKIP
    >>> await producer.send(topic, value=b"...", key=b"delhi")  # doctest: +SKIP
    >>> await producer.aclose()  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any, Final

from confluent_kafka import KafkaException, Message, Producer

from flux.kafka.config import ClientConfig

__all__ = ["AsyncProducer", "DeliveryError", "Headers"]

LOG = logging.getLogger(__name__)

Headers = Sequence[tuple[str, bytes]]
POLL_INTERVAL_S: Final = 0.001


class DeliveryError(RuntimeError):
    """The broker did not acknowledge a record, or librdkafka refused to queue it."""


class AsyncProducer:
    """Produce records and await their acknowledgement (acks=all per :mod:`flux.kafka.config`)."""

    __slots__ = ("_pending", "_poller", "_producer")

    def __init__(self, config: ClientConfig) -> None:
        self._producer = Producer(dict(config))
        self._pending = 0
        self._poller: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """Records queued and not yet acknowledged (or failed)."""
        return self._pending

    def produce(
        self,
        topic: str,
        *,
        value: bytes | None,
        key: bytes | None = None,
        headers: Headers | None = None,
        partition: int | None = None,
    ) -> asyncio.Future[Message]:
        """Queue a record; the returned future resolves to the acknowledged message.

        Raises:
            DeliveryError: librdkafka refused the record (e.g. larger than ``message.max.bytes``).
        """
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()

        def on_delivery(err: Any, msg: Message) -> None:
            self._pending -= 1
            if future.done():
                return
            if err is not None:
                future.set_exception(DeliveryError(f"{topic}: {KafkaException(err)}"))
            else:
                future.set_result(msg)

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
                self._producer.poll(0)  # local queue full: serve reports to make room (back-pressure)
            except KafkaException as exc:
                raise DeliveryError(f"{topic}: cannot queue record: {exc}") from exc
        self._pending += 1
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll_while_pending())
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

    async def _poll_while_pending(self) -> None:
        while self._pending > 0:
            self._producer.poll(0)
            await asyncio.sleep(POLL_INTERVAL_S)

    async def aclose(self, wait_s: float = 30.0) -> None:
        """Wait (polling on this thread) until every record is acknowledged or ``wait_s`` passes."""
        deadline = time.monotonic() + wait_s
        while self._pending > 0 and time.monotonic() < deadline:
            self._producer.poll(0)
            await asyncio.sleep(POLL_INTERVAL_S)
        if self._pending:
            LOG.warning("producer closed with unacknowledged records", extra={"undelivered": self._pending})
        if self._poller is not None:
            self._poller.cancel()
