"""Publishing events: serialize through the registry serde, produce, await the broker's acknowledgement."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from confluent_kafka import Message

from flux.kafka.producer import AsyncProducer
from flux.serde import AsyncSerde
from flux.serde.contract_schema import contract_schema
from flux.services.runtime.metrics import EVENTS_PUBLISHED

__all__ = ["EventPublisher", "Outgoing"]

LOG = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """An event to publish: a generated contract object (its class knows the topic) and the record key.

    ``on_acked`` runs once the broker has acknowledged the event (never for an event that failed),
    for state that must only change when the event is durably published.
    """

    event: object
    key: str
    on_acked: Callable[[], None] | None = None

    @property
    def topic(self) -> str:
        return contract_schema(type(self.event)).topic


class EventPublisher:
    """Encodes events with the registry serde and produces them with acks=all."""

    __slots__ = ("_producer", "_serde", "service")

    def __init__(self, producer: AsyncProducer, serde: AsyncSerde, service: str) -> None:
        self._producer = producer
        self._serde = serde
        self.service = service

    async def start(self, outgoing: Outgoing) -> asyncio.Future[Message]:
        """Encode and queue one event; await the returned future for its acknowledgement."""
        value = await self._serde.encode(outgoing.event)
        return self._producer.produce(outgoing.topic, value=value, key=outgoing.key.encode())

    async def publish(self, events: Sequence[Outgoing]) -> None:
        """Publish every event and return once all are acknowledged (raises on the first failure)."""
        if not events:
            return
        futures = [await self.start(o) for o in events]
        await asyncio.gather(*futures)
        for outgoing in events:
            if outgoing.on_acked is not None:
                outgoing.on_acked()
        for topic, count in Counter(o.topic for o in events).items():
            EVENTS_PUBLISHED.labels(self.service, topic).inc(count)
