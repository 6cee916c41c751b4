"""The one metric of data-contract violations, shared by every process that runs the serde.

``flux_contract_violations_total{subject,rule,action}`` counts each :class:`RuleViolation` the serde
raises (on write in the services, on read wherever a serde reads with rules), once per record. The
serde counts; callers only log and dead-letter.

Example:
    >>> from flux.serde import RuleViolation
    >>> count_violation(RuleViolation(subject="s-value", rule="r", kind="CONDITION", mode="WRITE",
    ...                               action="ERROR", reason="doc"))
"""

from __future__ import annotations

from typing import Final

from confluent_kafka.schema_registry.serde import (
    DLQ_RULE_EXCEPTION_HEADER,
    DLQ_RULE_MODE_HEADER,
    DLQ_RULE_NAME_HEADER,
    DLQ_RULE_SUBJECT_HEADER,
    DLQ_RULE_TOPIC_HEADER,
)
from prometheus_client import Counter

from flux.serde.errors import RuleViolation

__all__ = ["CONTRACT_VIOLATIONS", "count_violation", "rule_headers"]

# Headers stay small (the bound flux.kafka.dead_letter puts on error messages).
MAX_HEADER_CHARS: Final = 1000

CONTRACT_VIOLATIONS: Final = Counter(
    "flux_contract_violations_total",
    "Records that broke a data-contract rule whose action is ERROR or DLQ",
    ["subject", "rule", "action"],
)


def count_violation(violation: RuleViolation) -> None:
    """Count ``violation`` once."""
    CONTRACT_VIOLATIONS.labels(violation.subject, violation.rule, violation.action).inc()


def rule_headers(violation: RuleViolation, topic: str) -> list[tuple[str, bytes]]:
    """Confluent's ``__rule.*`` headers of a dead-lettered record, as confluent-kafka's ``DlqAction``
    writes them (a confluent-kafka consumer replaying the record skips the rule named here)."""
    return [
        (DLQ_RULE_NAME_HEADER, violation.rule.encode()),
        (DLQ_RULE_MODE_HEADER, violation.mode.encode()),
        (DLQ_RULE_SUBJECT_HEADER, violation.subject.encode()),
        (DLQ_RULE_TOPIC_HEADER, topic.encode()),
        (DLQ_RULE_EXCEPTION_HEADER, violation.reason[:MAX_HEADER_CHARS].encode("utf-8", "replace")),
    ]
