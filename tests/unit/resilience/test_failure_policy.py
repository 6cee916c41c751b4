"""The one failure policy: environment failures are retried (boundedly), record failures are dead-lettered."""

import random

import httpx
import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.schema_registry import SchemaRegistryError

from flux.kafka.producer import DeliveryError
from flux.resilience import RecordFailurePolicy, RetryPolicy, is_transient
from flux.serde import SerdeError
from flux.serde.errors import BadMagicByte
from flux.services.runtime.failures import CommandRejected


@pytest.mark.parametrize(
    "error",
    [
        KafkaException(KafkaError(KafkaError._TRANSPORT)),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        ConnectionRefusedError(),
        OSError("network unreachable"),
        TimeoutError(),
        SchemaRegistryError(503, 50301, "unavailable"),
        SchemaRegistryError(500, 50001, "storage error"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_environment_failures_are_transient(error: BaseException) -> None:
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        SchemaRegistryError(404, 40403, "schema not found"),
        SchemaRegistryError(404, 40401, "subject not found"),
        CommandRejected("latitude out of range"),
        ValueError("bad"),
        KeyError("x"),
        RuntimeError("bug"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_record_failures_are_not_transient(error: BaseException) -> None:
    assert not is_transient(error)


def test_delivery_error_is_transient() -> None:
    assert is_transient(DeliveryError("not acknowledged in time"))


def test_serde_errors_are_not_transient() -> None:
    assert not is_transient(SerdeError("truncated"))
    assert not is_transient(BadMagicByte(0x7B))


def test_transient_failures_are_retried_with_backoff_until_the_bound_then_dead_lettered() -> None:
    policy = RecordFailurePolicy(RetryPolicy(max_attempts=4, base_delay_s=0.1, max_delay_s=0.4))
    rng = random.Random(7)
    error = SchemaRegistryError(503, 50301, "unavailable")
    delays = [policy.retry_delay(error, attempt, rng) for attempt in range(1, 6)]
    assert [d is not None for d in delays] == [True, True, True, False, False]
    ceilings = [0.1, 0.2, 0.4]
    assert all(0.0 <= d <= c for d, c in zip(delays[:3], ceilings, strict=True))  # type: ignore[operator]


def test_record_failures_are_dead_lettered_at_once() -> None:
    policy = RecordFailurePolicy()
    rng = random.Random(1)
    for error in (RuntimeError("conversion bug"), KeyError("x"), SchemaRegistryError(404, 40403, "gone")):
        assert policy.retry_delay(error, 1, rng) is None
