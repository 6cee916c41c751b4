"""Write-side enforcement of the data contracts: an event that breaks a rule is never produced.

The serde (built with ``write_rules``) raises :class:`~flux.serde.RuleViolation` from ``encode`` and
counts it in ``flux_serde_contract_violations_total{subject,rule,action}``. Here the service logs it with
the rule's name and, when the rule's action is ``DLQ``, writes the record to the topic's dead-letter
topic (from the catalogue) and waits for the acknowledgement, so nothing is lost silently and
nothing blocks: the command that caused the event still counts as handled.

The dead-lettered value is the event in the Confluent wire format, encoded *without* the rules (so
``flux dlq show`` decodes it through the registry as any parked record). Headers are Confluent's
``__rule.*`` (as confluent-kafka's ``DlqAction`` writes them: a consumer replaying the record skips
that rule) and Flux's ``flux.dlq.*`` (partition and offset ``-1``: the record never reached its
topic).

Example:
    >>> violations = ContractViolations(producer, serde, service="weather-service")  # doctest: +SKIP
    >>> await violations.handle(violation, event, key="delhi")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from typing import Final

from flux.catalogue import Catalogue, load_catalogue
from flux.kafka.producer import AsyncProducer
from flux.serde import AsyncSerde, RuleViolation
from flux.serde.contract_schema import contract_schema
from flux.serde.violations import rule_headers

__all__ = ["ContractViolations", "violation_headers"]

LOG = logging.getLogger(__name__)

# The same bound flux.kafka.dead_letter puts on error messages in headers.
MAX_MESSAGE_CHARS: Final = 1000
DLQ_ACTION: Final = "DLQ"


def violation_headers(violation: RuleViolation, topic: str, service: str) -> list[tuple[str, bytes]]:
    """Confluent's ``__rule.*`` and Flux's ``flux.dlq.*`` headers of a record refused on write."""
    message = str(violation)[:MAX_MESSAGE_CHARS].encode("utf-8", "replace")
    return [
        *rule_headers(violation, topic),
        ("flux.dlq.error.class", type(violation).__name__.encode()),
        ("flux.dlq.error.message", message),
        ("flux.dlq.original.topic", topic.encode()),
        ("flux.dlq.original.partition", b"-1"),
        ("flux.dlq.original.offset", b"-1"),
        ("flux.dlq.original.timestamp", str(int(time.time() * 1000)).encode()),
        ("flux.dlq.service", service.encode()),
    ]


class ContractViolations:
    """Logs events refused by a WRITE rule and dead-letters those whose rule says ``DLQ``.

    Args:
        producer: the service's producer (acks=all).
        serde: the service's serde (encodes the refused event without its rules).
        service: the service's name, for logs and headers.
    """

    __slots__ = ("_catalogue", "_producer", "_serde", "service")

    def __init__(
        self, producer: AsyncProducer, serde: AsyncSerde, *, service: str, catalogue: Catalogue | None = None
    ) -> None:
        self._producer = producer
        self._serde = serde
        self._catalogue = catalogue or load_catalogue()
        self.service = service

    async def handle(self, violation: RuleViolation, event: object, key: str | None) -> str | None:
        """Log ``violation`` and dead-letter ``event`` when its action is DLQ; returns the DLQ topic.

        Raises:
            Exception: the dead-letter topic could not be written (the caller retries later).
        """
        topic = contract_schema(type(event)).topic
        LOG.warning(
            "event refused by its data contract",
            extra={
                "topic": topic,
                "subject": violation.subject,
                "rule": violation.rule,
                "action": violation.action,
                "key": key,
                "error": violation.reason[:200],
            },
        )
        if violation.action != DLQ_ACTION:
            return None
        dlq = self._catalogue.dead_letter_for(topic)
        value = (await self._serde.codec(type(event))).encode(event)
        await self._producer.send(
            dlq,
            value=value,
            key=key.encode() if key is not None else None,
            headers=violation_headers(violation, topic, self.service),
        )
        LOG.warning("dead-lettered refused event", extra={"topic": topic, "dlq": dlq, "rule": violation.rule})
        return dlq
