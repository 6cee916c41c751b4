"""An asyncio face on ``confluent_kafka.Producer``: await each record's delivery report.

librdkafka delivers in its own thread; a small poll thread serves delivery
callbacks, which resolve asyncio futures on the loop that produced. Headers
are supported (the DLQ needs them), unlike ``AIOProducer``'s batch mode.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from confluent_kafka import KafkaException, Producer

from flux.kafka.config import producer_config
from flux.settings import Settings

__all__ = ["DeliveryFailed", "KafkaSender"]

LOG = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """Kafka did not acknowledge a record (or refused it locally)."""


class KafkaSender:
    """Produce with acks=all (``flux.kafka.config.producer_config``) and await the broker's ack.

    Args:
        settings: Flux settings (bootstrap servers, security).
        client_id: Kafka ``client.id``.
    """

    def __init__(self, settings: Settings, *, client_id: str) -> None:
        self._producer = Producer(producer_config(settings, client_id=client_id, linger_ms=1))
        self._running = True
        self._thread = threading.Thread(target=self._poll, name=f"{client_id}-poll", daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while self._running:
            self._producer.poll(0.1)

    async def send(
        self,
        topic: str,
        value: bytes,
        *,
        key: str | bytes | None = None,
        headers: list[tuple[str, str | bytes | None]] | None = None,
    ) -> None:
        """Produce one record and wait for its delivery report.

        Raises:
            DeliveryFailed: The broker did not acknowledge the record.
        """
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def on_delivery(err: Any, _msg: Any) -> None:
            loop.call_soon_threadsafe(_resolve, done, err)

        try:
            self._producer.produce(topic, value=value, key=key, headers=headers, on_delivery=on_delivery)
        except (BufferError, KafkaException) as exc:
            raise DeliveryFailed(f"could not enqueue record: {exc}") from exc
        await done

    async def close(self, timeout_s: float = 5.0) -> None:
        """Flush outstanding records (bounded) and stop the poll thread."""
        remaining = await asyncio.to_thread(self._producer.flush, timeout_s)
        if remaining:
            LOG.warning("producer closed with undelivered records", extra={"undelivered": remaining})
        self._running = False
        await asyncio.to_thread(self._thread.join, 1.0)


def _resolve(done: asyncio.Future[None], err: Any) -> None:
    if done.done():
        return
    if err is None:
        done.set_result(None)
    else:
        done.set_exception(DeliveryFailed(str(err)))
