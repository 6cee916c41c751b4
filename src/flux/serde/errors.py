"""The one typed error a consumer dead-letters, and its precise kinds.

Every record that cannot become a typed object raises a :class:`SerdeError`; catch that single
class around ``decode`` and send the record to the topic's dead-letter topic. Registry outages are
*not* serde errors (the record is fine; retry later): they surface as the registry client's own
exceptions.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BadMagicByte",
    "RuleViolation",
    "SchemaMismatch",
    "SchemaNotRegistered",
    "SerdeError",
    "TruncatedRecord",
    "UnknownSchemaId",
]


# Confluent's DLQ headers (confluent_kafka.schema_registry.serde.DLQ_RULE_*_HEADER, as its DlqAction
# writes them: a confluent-kafka consumer replaying the record skips the rule named there). Spelt out
# so that raising an error does not import confluent-kafka's serde; a unit test pins them to its own.
RULE_HEADERS: Final = ("__rule.name", "__rule.mode", "__rule.subject", "__rule.topic", "__rule.exception")
# Headers stay small (the bound flux.kafka.dead_letter puts on error messages).
MAX_REASON_CHARS: Final = 1000


class SerdeError(ValueError):
    """A record's bytes cannot be turned into the expected typed object (dead-letter it)."""


class BadMagicByte(SerdeError):
    """The record does not start with the Confluent wire-format magic byte 0."""

    def __init__(self, first_byte: int) -> None:
        super().__init__(f"bad magic byte {first_byte:#04x}: not Confluent wire format")
        self.first_byte = first_byte


class UnknownSchemaId(SerdeError):
    """The record's schema id is not known to this process (or to the registry)."""

    def __init__(self, schema_id: int, detail: str = "") -> None:
        text = f"unknown schema id {schema_id}"
        super().__init__(f"{text}: {detail}" if detail else text)
        self.schema_id = schema_id


class TruncatedRecord(SerdeError):
    """The record ends before its header or body is complete."""


class SchemaMismatch(SerdeError):
    """The record was written with a schema the reader's class cannot read, or its body is invalid."""


class RuleViolation(SerdeError):
    """A record broke a rule of its data contract and the rule's action is ``ERROR`` or ``DLQ``.

    On write the record must not be produced; on read it must not be used. Either way the caller
    dead-letters it: ``action == "DLQ"`` says the contract asks for the topic's dead-letter topic,
    ``"ERROR"`` that the record is refused (a consumer dead-letters it like any other bad record).

    Attributes:
        subject: the subject whose contract holds the rule.
        rule: the rule's name.
        kind: ``CONDITION`` or ``TRANSFORM``.
        mode: the mode the rule ran in (``WRITE``, ``READ``, ``UPGRADE``, ``DOWNGRADE``).
        action: the action that fired (``ERROR``, ``DLQ``, or an action Flux does not know).
        reason: why: the rule's ``doc``, or the error the expression raised.
    """

    def __init__(self, *, subject: str, rule: str, kind: str, mode: str, action: str, reason: str) -> None:
        super().__init__(f"{subject}: rule '{rule}' ({kind}, {mode}) failed, action {action}: {reason}")
        self.subject = subject
        self.rule = rule
        self.kind = kind
        self.mode = mode
        self.action = action
        self.reason = reason

    def dead_letter_headers(self, topic: str) -> list[tuple[str, bytes]]:
        """The headers of this record in ``topic``'s dead-letter topic, written wherever it is
        refused (on write by a service, on read by the BFF; :mod:`flux.kafka.dead_letter` adds them
        to its own): Confluent's ``__rule.*`` and Flux's ``flux.dlq.rule.*``."""
        reason = self.reason[:MAX_REASON_CHARS].encode("utf-8", "replace")
        name, mode, subject, source, exception = RULE_HEADERS
        return [
            (name, self.rule.encode()),
            (mode, self.mode.encode()),
            (subject, self.subject.encode()),
            (source, topic.encode()),
            (exception, reason),
            ("flux.dlq.rule.name", self.rule.encode()),
            ("flux.dlq.rule.action", self.action.encode()),
        ]


class SchemaNotRegistered(LookupError):
    """A producer's schema is not registered under its subject (run ``make register-schemas``).

    A deployment problem, not a bad record: it is deliberately not a :class:`SerdeError`.
    """
