"""Publishing events: serialize through the registry serde, produce, await the broker's acknowledgement.

A batch's events are all encoded first and then produced back to back, so librdkafka puts them in
as few produce requests as it can (one per partition leader) instead of one every time encoding
lets its linger timer fire; the batch's acknowledgements are counted down to one future
(:meth:`~flux.kafka.producer.AsyncProducer.produce_all`), without a future and a closure per event.

The serde runs each event's WRITE rules (its data contract). An event that breaks one is not
produced: :class:`~flux.services.runtime.contract_violations.ContractViolations` logs it and, when
the rule says so, dead-letters it; the rest of the batch is published as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flux.kafka.producer import AsyncProducer
from flux.serde import AsyncSerde, RuleViolation
from flux.serde.contract_schema import contract_schema
from flux.services.runtime.contract_violations import ContractViolations
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
    """Encodes events with the registry serde and produces them with acks=all.

    Args:
        violations: what to do with an event its contract refuses (default: log and dead-letter
            through ``producer``).
    """

    __slots__ = ("_producer", "_serde", "service", "violations")

    def __init__(
        self,
        producer: AsyncProducer,
        serde: AsyncSerde,
        service: str,
        violations: ContractViolations | None = None,
    ) -> None:
        self._producer = producer
        self._serde = serde
        self.service = service
        self.violations = violations or ContractViolations(producer, serde, service=service)

    async def _encode(self, outgoing: Outgoing) -> bytes | None:
        """The event's wire bytes, or None for an event its data contract refuses (logged and, if its
        rule says DLQ, dead-lettered and acknowledged)."""
        try:
            encoded = self._serde.encode_now(outgoing.event)
            return encoded if encoded is not None else await self._serde.encode(outgoing.event)
        except RuleViolation as violation:
            await self.violations.handle(violation, outgoing.event, outgoing.key)
            return None

    async def publish(self, events: Sequence[Outgoing]) -> None:
        """Publish every event and return once all are acknowledged (raises on the first failure).

        An event refused by its contract is skipped (its ``on_acked`` never runs).
        """
        if not events:
            return
        encoded: list[tuple[Outgoing, bytes]] = []
        for outgoing in events:
            value = await self._encode(outgoing)
            if value is not None:
                encoded.append((outgoing, value))
        await self._producer.produce_all([(o.topic, value, o.key.encode()) for o, value in encoded])
        published: dict[str, int] = {}
        for outgoing, _ in encoded:
            if outgoing.on_acked is not None:
                outgoing.on_acked()
            topic = outgoing.topic
            published[topic] = published.get(topic, 0) + 1
        for topic, count in published.items():
            EVENTS_PUBLISHED.labels(self.service, topic).inc(count)
