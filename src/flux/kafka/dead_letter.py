"""Dead-lettering: a record that cannot be decoded or validated goes to its topic's DLQ, with why.

The DLQ topic comes from the catalogue (``dead_letter`` of the source topic).
Headers carry the error and the record's origin so an operator can find,
understand and replay it; the value and key are the original bytes, untouched.

Dead letters are per consumer: every consumer group that cannot take a record parks it once. A
topic read by several independent consumers (each BFF instance reads every event, in a group of
its own) can hold several dead letters of one record; ``flux.dlq.consumer.group`` tells them
apart, and ``flux dlq replay`` replays each original record once.

Example:
    >>> dlq = DeadLetterPublisher(producer, service="weather-service")  # doctest: +SKIP
    >>> await dlq.publish(msg, error)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from typing import Final

from confluent_kafka import Message

from flux.catalogue import Catalogue, load_catalogue
from flux.kafka.producer import AsyncProducer

__all__ = ["GROUP_HEADER", "DeadLetterPublisher", "dead_letter_headers"]

LOG = logging.getLogger(__name__)

# Error messages can echo attacker-controlled bytes; keep headers small.
MAX_MESSAGE_CHARS: Final = 1000
GROUP_HEADER: Final = "flux.dlq.consumer.group"
"""The consumer group that parked the record, for consumers that are one of several readers."""


def dead_letter_headers(
    msg: Message, error: BaseException, service: str, *, group: str | None = None
) -> list[tuple[str, bytes]]:
    """Headers describing why and from where a record was dead-lettered.

    An error that knows more about its record says so through a ``dead_letter_headers(topic)``
    method (a data-contract ``RuleViolation`` names its rule, as Confluent's ``__rule.*``); its
    headers replace any the record already carried under the same names.
    """
    _, timestamp = msg.timestamp()
    headers = [
        ("flux.dlq.error.class", type(error).__name__.encode()),
        ("flux.dlq.error.message", str(error)[:MAX_MESSAGE_CHARS].encode("utf-8", "replace")),
        ("flux.dlq.original.topic", (msg.topic() or "").encode()),
        ("flux.dlq.original.partition", str(msg.partition()).encode()),
        ("flux.dlq.original.offset", str(msg.offset()).encode()),
        ("flux.dlq.original.timestamp", str(timestamp).encode()),
        ("flux.dlq.service", service.encode()),
    ]
    if group is not None:
        headers.append((GROUP_HEADER, group.encode()))
    own = _error_headers(error, msg.topic() or "")
    names = {name for name, _ in own}
    for item in msg.headers() or []:
        key, value = item[0], item[1]
        if (
            isinstance(key, str)
            and not key.startswith("flux.dlq.")
            and key not in names
            and isinstance(value, bytes)
        ):
            headers.append((key, value))
    headers.extend(own)
    return headers


def _error_headers(error: BaseException, topic: str) -> list[tuple[str, bytes]]:
    """The headers ``error`` gives its record (see :func:`dead_letter_headers`), or none."""
    method = getattr(error, "dead_letter_headers", None)
    if not callable(method):
        return []
    headers = method(topic)
    return [(str(k), v) for k, v in headers if isinstance(v, bytes)]


class DeadLetterPublisher:
    """Publishes poison records to the DLQ named by the catalogue."""

    __slots__ = ("_catalogue", "_producer", "group", "service")

    def __init__(
        self,
        producer: AsyncProducer,
        *,
        service: str,
        group: str | None = None,
        catalogue: Catalogue | None = None,
    ) -> None:
        self._producer = producer
        self._catalogue = catalogue or load_catalogue()
        self.service = service
        self.group = group

    async def publish(self, msg: Message, error: BaseException) -> str:
        """Send ``msg`` to its DLQ and wait for the acknowledgement; returns the DLQ topic."""
        source = msg.topic() or ""
        dlq = self._catalogue.dead_letter_for(source)
        await self._producer.send(
            dlq,
            value=msg.value(),
            key=msg.key(),
            headers=dead_letter_headers(msg, error, self.service, group=self.group),
        )
        LOG.warning(
            "dead-lettered record",
            extra={
                "topic": source,
                "partition": msg.partition(),
                "offset": msg.offset(),
                "dlq": dlq,
                "error_class": type(error).__name__,
                "error": str(error)[:200],
            },
        )
        return dlq
