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

__all__ = ["AsyncProducer", "DeliveryError", "Headers", "Record"]

LOG = logging.getLogger(__name__)

Headers = Sequence[tuple[str, bytes]]
# (topic, value, key): what :meth:`AsyncProducer.produce_all` queues.
Record = tuple[str, bytes | None, bytes | None]
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
        self._queue(topic, kwargs)
        self._pending += 1
        self._started()
        return future

    def produce_all(self, records: Sequence[Record]) -> asyncio.Future[None]:
        """Queue ``records`` back to back; the future resolves once every one is acknowledged.

        It fails with the first :class:`DeliveryError`. All the records share one future and one
        delivery callback (a record costs no closure, future or keyword dict of its own): the way
        to publish a batch whose records stand or fall together.

        Raises:
            DeliveryError: librdkafka refused a record; the ones queued before it still go out,
                unawaited.
        """
        acks = _BatchAcks(self, asyncio.get_running_loop().create_future(), len(records))
        if not records:
            acks.future.set_result(None)
            return acks.future
        produce, on_delivery = self._producer.produce, acks.on_delivery
        try:
            for topic, value, key in records:
                try:
                    produce(topic, value, key, on_delivery=on_delivery)
                except BufferError:
                    self._queue(topic, {"value": value, "key": key, "on_delivery": on_delivery})
                except KafkaException as exc:
                    raise DeliveryError(f"{topic}: cannot queue record: {exc}") from exc
                self._pending += 1
        except DeliveryError:
            acks.future.cancel()  # nobody awaits it; the queued records' reports still count down
            raise
        finally:
            self._started()
        return acks.future

    def _queue(self, topic: str, kwargs: dict[str, Any]) -> None:
        """One record into librdkafka's queue, serving delivery reports while the queue is full."""
        while True:
            try:
                self._producer.produce(topic, **kwargs)
                return
            except BufferError:
                self._producer.poll(0)  # local queue full: serve reports to make room (back-pressure)
            except KafkaException as exc:
                raise DeliveryError(f"{topic}: cannot queue record: {exc}") from exc

    def _started(self) -> None:
        """Records are outstanding: make sure the task serving their reports runs."""
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll_while_pending())

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


class _BatchAcks:
    """The acknowledgements of one :meth:`AsyncProducer.produce_all` batch, counted down to its future."""

    __slots__ = ("future", "owner", "remaining")

    def __init__(self, owner: AsyncProducer, future: asyncio.Future[None], count: int) -> None:
        self.owner = owner
        self.future = future
        self.remaining = count

    def on_delivery(self, err: Any, msg: Message) -> None:
        self.owner._pending -= 1
        self.remaining -= 1
        future = self.future
        if future.done():
            return
        if err is not None:
            future.set_exception(DeliveryError(f"{msg.topic()}: {KafkaException(err)}"))
        elif self.remaining <= 0:
            future.set_result(None)
