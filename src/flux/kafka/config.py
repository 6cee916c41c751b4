"""The one place where Flux's Kafka client configuration is decided.

Every producer, consumer and admin client in Flux is configured here, so
delivery guarantees (acks, idempotence, commit policy) are uniform and easy
to audit. Security options come from :class:`flux.settings.Settings`.
"""

from __future__ import annotations

from typing import Final

from flux.settings import Settings

__all__ = [
    "ClientConfig",
    "admin_config",
    "consumer_config",
    "election_config",
    "log_reader_config",
    "producer_config",
    "transactional_producer_config",
]

ClientConfig = dict[str, str | int | float | bool]

# librdkafka retries internally; this bounds how long a send may take in total
# before the delivery callback reports failure (the caller then decides).
DELIVERY_TIMEOUT_MS: Final = 30_000
# A transaction left open by a producer that died is aborted by the coordinator after this long
# (a successor's ``init_transactions`` aborts it at once).
TRANSACTION_TIMEOUT_MS: Final = 15_000


def admin_config(settings: Settings) -> ClientConfig:
    return {**settings.kafka_client_config(), "socket.timeout.ms": 10_000}


def producer_config(settings: Settings, *, client_id: str, linger_ms: int = 5) -> ClientConfig:
    """Producer for at-least-once delivery: every write acknowledged by all in-sync replicas."""
    return {
        **settings.kafka_client_config(),
        "client.id": client_id,
        "acks": "all",
        "enable.idempotence": True,
        "linger.ms": linger_ms,
        "compression.type": "lz4",
        "delivery.timeout.ms": DELIVERY_TIMEOUT_MS,
        # Reconnect quickly after a broker restart.
        "reconnect.backoff.ms": 100,
        "reconnect.backoff.max.ms": 2_000,
    }


def consumer_config(
    settings: Settings,
    *,
    group_id: str,
    client_id: str,
    offset_reset: str = "earliest",
) -> ClientConfig:
    """Consumer that commits only what the application says it has finished (at-least-once)."""
    return {
        **settings.kafka_client_config(),
        "group.id": group_id,
        "client.id": client_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": offset_reset,
        "session.timeout.ms": 10_000,
        "heartbeat.interval.ms": 1_000,
        "max.poll.interval.ms": 300_000,
        "reconnect.backoff.ms": 100,
        "reconnect.backoff.max.ms": 2_000,
        "partition.assignment.strategy": "cooperative-sticky",
    }


def transactional_producer_config(
    settings: Settings,
    *,
    client_id: str,
    transactional_id: str,
    transaction_timeout_ms: int = TRANSACTION_TIMEOUT_MS,
) -> ClientConfig:
    """Producer whose writes are transactions under ``transactional_id``: when another producer
    initialises the same id, this one is fenced (every later write fails), see ADR-021."""
    return {
        **producer_config(settings, client_id=client_id, linger_ms=0),
        "transactional.id": transactional_id,
        "transaction.timeout.ms": transaction_timeout_ms,
        "delivery.timeout.ms": min(DELIVERY_TIMEOUT_MS, transaction_timeout_ms),
    }


def log_reader_config(settings: Settings, *, client_id: str) -> ClientConfig:
    """Consumer that replays a log partition it assigns itself (no group offsets are ever
    committed): committed transactions only, an end-of-partition event, short fetch waits."""
    return {
        **consumer_config(settings, group_id=client_id, client_id=client_id),
        "isolation.level": "read_committed",
        "enable.partition.eof": True,
        "fetch.wait.max.ms": 50,
        "fetch.min.bytes": 1,
    }


def election_config(
    settings: Settings, *, group_id: str, client_id: str, session_timeout_ms: int = 10_000
) -> ClientConfig:
    """Group member used only for its assignment (leader election): sticky cooperative assignment
    keeps the partition with its owner while others join; a member silent for
    ``session_timeout_ms`` loses it."""
    return {
        **consumer_config(settings, group_id=group_id, client_id=client_id, offset_reset="latest"),
        "session.timeout.ms": session_timeout_ms,
        "heartbeat.interval.ms": max(100, min(1_000, session_timeout_ms // 6)),
    }
