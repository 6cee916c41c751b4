"""failures.is_transient: environment failures are retried, record failures are dead-lettered."""

import httpx
import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.schema_registry import SchemaRegistryError

from flux.kafka.producer import DeliveryError
from flux.serde import SerdeError
from flux.serde.errors import BadMagicByte
from flux.services.runtime.failures import CommandRejected, is_transient


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
