"""Which failures are the record's fault (dead-letter it) and which are the environment's (retry)."""

from __future__ import annotations

import asyncio

import httpx
from confluent_kafka import KafkaException
from confluent_kafka.schema_registry import SchemaRegistryError

from flux.kafka.producer import DeliveryError

__all__ = ["CommandRejected", "is_transient"]


class CommandRejected(ValueError):
    """A command decoded fine but its content is invalid (e.g. latitude out of range): dead-letter it."""


# Registry 404s are about the record (an id nobody registered); everything else is the registry's state.
_REGISTRY_NOT_FOUND = frozenset({40401, 40402, 40403})


def is_transient(error: BaseException) -> bool:
    """True when retrying later may succeed: broker, network or registry unavailability."""
    if isinstance(error, SchemaRegistryError):
        return error.error_code not in _REGISTRY_NOT_FOUND and error.http_status_code != 404
    return isinstance(
        error, DeliveryError | KafkaException | httpx.TransportError | OSError | asyncio.TimeoutError
    )
