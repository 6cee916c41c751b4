"""The one metric of data-contract violations, shared by every process that runs the serde.

``flux_serde_contract_violations_total{subject,rule,action}`` counts each :class:`RuleViolation` the serde
raises (on write in the services, on read wherever a serde reads with rules), once per record. The
serde counts; callers only log and dead-letter.

Example:
    >>> from flux.serde import RuleViolation
    >>> count_violation(RuleViolation(subject="s-value", rule="r", kind="CONDITION", mode="WRITE",
    ...                               action="ERROR", reason="doc"))
"""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter

from flux.serde.errors import RuleViolation

__all__ = ["CONTRACT_VIOLATIONS", "count_violation", "rule_headers"]

CONTRACT_VIOLATIONS: Final = Counter(
    "flux_serde_contract_violations_total",
    "Records that broke a data-contract rule whose action is ERROR or DLQ",
    ["subject", "rule", "action"],
)


def count_violation(violation: RuleViolation) -> None:
    """Count ``violation`` once."""
    CONTRACT_VIOLATIONS.labels(violation.subject, violation.rule, violation.action).inc()


def rule_headers(violation: RuleViolation, topic: str) -> list[tuple[str, bytes]]:
    """Confluent's ``__rule.*`` and Flux's ``flux.dlq.rule.*`` headers of a dead-lettered record
    (see :meth:`RuleViolation.dead_letter_headers`)."""
    return violation.dead_letter_headers(topic)
