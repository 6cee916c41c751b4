"""One failure policy for every Kafka consumer: retry what the environment broke, dead-letter the rest.

A record whose handling fails is either the record's fault (it does not decode,
its content is invalid, or converting it hit a bug) or the environment's (the
broker, the network or the registry is unavailable, so the same record may
succeed later). :func:`is_transient` is the one classification; a
:class:`RecordFailurePolicy` bounds the retries of a transient failure, after
which the record is dead-lettered with its error class like any bad record.
The services, the BFF and the registry's storage all decide this way.

Example:
    >>> import random
    >>> policy = RecordFailurePolicy(RetryPolicy(max_attempts=3, base_delay_s=0.0, max_delay_s=0.0))
    >>> policy.retry_delay(OSError("connection refused"), 1, random.Random(1))
    0.0
    >>> policy.retry_delay(OSError("connection refused"), 3, random.Random(1)) is None  # bound reached
    True
    >>> policy.retry_delay(KeyError("field"), 1, random.Random(1)) is None  # the record's fault
    True
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

import httpx
from confluent_kafka import KafkaException
from confluent_kafka.schema_registry import SchemaRegistryError

from flux.kafka.producer import DeliveryError
from flux.resilience.retry import RetryPolicy
from flux.schemas.error_codes import is_not_found

__all__ = ["RecordFailurePolicy", "is_transient"]


def is_transient(error: BaseException) -> bool:
    """True when retrying later may succeed: broker, network or registry unavailability.

    A registry answer of the 404 family (an id nobody registered, a subject that does not exist)
    is about the record and is not transient; any other registry error is the registry's state.
    """
    if isinstance(error, SchemaRegistryError):
        return not is_not_found(error.error_code, error.http_status_code)
    return isinstance(
        error, DeliveryError | KafkaException | httpx.TransportError | OSError | asyncio.TimeoutError
    )


@dataclass(frozen=True, slots=True)
class RecordFailurePolicy:
    """How long one record may be retried before it is dead-lettered.

    Attributes:
        retry: Backoff between attempts and the bound on them (``max_attempts`` counts the first).
    """

    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(max_attempts=8, base_delay_s=0.2))

    def retry_delay(self, error: BaseException, attempt: int, rng: random.Random) -> float | None:
        """Seconds to wait before trying the record again after ``attempt`` failed; None = dead-letter.

        Args:
            error: What the attempt raised.
            attempt: The attempt that failed (1 for the first).
            rng: Source of the backoff jitter.
        """
        if not self.should_retry(error, attempt):
            return None
        return self.retry.backoff_delay(attempt, rng)

    def should_retry(self, error: BaseException, attempt: int) -> bool:
        """True when attempt ``attempt`` (1 for the first) failed transiently and the bound allows more."""
        return is_transient(error) and attempt < self.retry.max_attempts
