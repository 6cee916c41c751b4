"""A Kafka producer whose delivery reports are served on the event loop's own thread.

:class:`flux.kafka.producer.AsyncProducer` serves delivery reports from a helper thread, which
must take the GIL once per record. While the loop thread is busy handling the next batch, each
hand-off waits for the interpreter's switch interval: acknowledging a batch of 150 events took
~1 s under load (measured), the main source of the command loop's latency. Here the loop itself
polls (non-blocking) every millisecond while records are outstanding, so the callbacks run on the
loop thread and resolve their futures directly.

Example:
    >>> producer = LoopProducer(producer_config(settings, client_id="weather-service"))  # doctest: +SKIP
    >>> await producer.produce(topic, value=b"...", key=b"delhi")  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Final

from confluent_kafka import Message, Producer

from flux.kafka.config import ClientConfig
from flux.kafka.producer import DeliveryError

__all__ = ["LoopProducer"]

LOG = logging.getLogger(__name__)

POLL_INTERVAL_S: Final = 0.001


class LoopProducer:
    """Produce records; each returned future resolves (on the loop thread) once the broker acknowledges."""

    __slots__ = ("_pending", "_poller", "_producer")

    def __init__(self, config: ClientConfig) -> None:
        self._producer = Producer(dict(config))
        self._pending = 0
        self._poller: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """Records produced and not yet acknowledged (or failed)."""
        return self._pending

    def produce(
        self, topic: str, *, value: bytes | None, key: bytes | None = None
    ) -> asyncio.Future[Message]:
        """Queue a record; the returned future resolves to the acknowledged message."""
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()

        def on_delivery(err: Any, msg: Message) -> None:
            self._pending -= 1
            if future.done():
                return
            if err is not None:
                future.set_exception(DeliveryError(f"{topic}: {err}"))
            else:
                future.set_result(msg)

        while True:
            try:
                self._producer.produce(topic, value=value, key=key, on_delivery=on_delivery)
                break
            except BufferError:
                self._producer.poll(0)  # local queue full: serve reports to make room
        self._pending += 1
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll_while_pending())
        return future

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
            LOG.warning(
                "event producer closed with unacknowledged records", extra={"undelivered": self._pending}
            )
        if self._poller is not None:
            self._poller.cancel()
