"""Poison records: bytes no consumer can turn into its contract, written straight into every consumed topic.

Four kinds per topic: a bad magic byte, an unknown schema id, a real record of
the topic with its body cut in half, and valid wire-format bytes of another
topic's schema. Each carries a ``flux.chaos.poison`` header (consumers copy
the original headers into the dead letter), so the audit can tell our poison
from anything else that reaches a dead-letter topic.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from confluent_kafka import Consumer, Producer, TopicPartition

from flux.catalogue import TopicKind, load_catalogue
from flux.contracts import FetchTrigger, FetchWeather, Location, RefreshNews
from flux.kafka.config import consumer_config, producer_config
from flux.serde.sync_serde import Serde
from flux.serde.wire import pack_header
from flux.settings import Settings

__all__ = [
    "POISON_HEADER",
    "POISON_KINDS",
    "PoisonRecord",
    "consumed_topics",
    "dead_letter_readers",
    "write_poison",
]

POISON_HEADER: Final = "flux.chaos.poison"
POISON_KINDS: Final = ("bad-magic-byte", "unknown-schema-id", "truncated-body", "wrong-schema")
UNKNOWN_SCHEMA_ID: Final = 987_654


@dataclass(frozen=True, slots=True)
class PoisonRecord:
    """One poison record as written: where it is and what it is."""

    topic: str
    partition: int
    offset: int
    kind: str
    marker: str
    dead_letter_topic: str
    value: bytes


def consumed_topics() -> list[str]:
    """Every topic some Flux process consumes (commands and events), in catalogue order."""
    catalogue = load_catalogue()
    kinds = (TopicKind.COMMAND, TopicKind.EVENT, TopicKind.STREAM)
    return [t.name for t in catalogue.of_kind(*kinds) if t.consumers and t.dead_letter]


def dead_letter_readers(bff_instances: int) -> dict[str, int]:
    """How many consumers park a poison record of each consumed topic: one per consuming service
    (a consumer group), and every BFF instance (each reads every event in a group of its own)."""
    catalogue = load_catalogue()
    return {
        name: sum(max(1, bff_instances) if c == "bff" else 1 for c in catalogue.topic(name).consumers)
        for name in consumed_topics()
    }


def _wrong_schema_bytes(serde: Serde, topic: str) -> bytes:
    now = datetime.now(UTC)
    if topic == FetchWeather.TOPIC:
        return serde.encode(RefreshNews(command_id=uuid.uuid4(), issued_at=now))
    return serde.encode(
        FetchWeather(
            command_id=uuid.uuid4(),
            issued_at=now,
            event=FetchTrigger.LOCATION_UPDATE,
            user_id=uuid.uuid4(),
            data=Location(city="Poison", lat=1.0, lon=1.0),
            timestamp=now,
        )
    )


def _last_values(settings: Settings, topics: list[str]) -> dict[str, bytes]:
    """The value of one real record of each topic (the newest), when the topic has any."""
    consumer = Consumer(
        consumer_config(settings, group_id="flux-chaos-poison", client_id="flux-chaos-poison")
    )
    found: dict[str, bytes] = {}
    try:
        metadata = consumer.list_topics(timeout=15)
        assignment = []
        for topic in topics:
            for partition in metadata.topics[topic].partitions:
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=15)
                if high > low:
                    assignment.append(TopicPartition(topic, partition, high - 1))
        consumer.assign(assignment)
        for _ in range(40):
            for msg in consumer.consume(num_messages=500, timeout=0.25):
                if not msg.error() and msg.value() and POISON_HEADER not in dict(msg.headers() or []):
                    found.setdefault(msg.topic() or "", msg.value() or b"")
            if len(found) == len(topics):
                break
    finally:
        consumer.close()
    return found


def _poison_values(topic: str, serde: Serde, real: bytes | None) -> dict[str, bytes]:
    truncated = real[: max(6, len(real) // 2)] if real and len(real) > 12 else pack_header(1) + b"\x02"
    return {
        "bad-magic-byte": b"\x07" + uuid.uuid4().bytes,
        "unknown-schema-id": pack_header(UNKNOWN_SCHEMA_ID) + b"\x00\x02\x04\x06",
        "truncated-body": truncated,
        "wrong-schema": _wrong_schema_bytes(serde, topic),
    }


def write_poison(settings: Settings, run_id: str) -> list[PoisonRecord]:
    """Write every poison kind into every consumed topic; return where each landed."""
    catalogue = load_catalogue()
    topics = consumed_topics()
    serde = Serde.from_settings(settings)
    real = _last_values(settings, topics)
    producer = Producer(producer_config(settings, client_id="flux-chaos-poison"))
    written: list[PoisonRecord] = []
    failures: list[str] = []

    def delivered(kind: str, marker: str) -> Any:
        def report(err: Any, msg: Any) -> None:
            if err is not None:
                failures.append(f"{msg.topic()}: {err}")
                return
            topic = msg.topic() or ""
            written.append(
                PoisonRecord(
                    topic,
                    msg.partition() or 0,
                    msg.offset() or 0,
                    kind,
                    marker,
                    catalogue.dead_letter_for(topic),
                    msg.value() or b"",
                )
            )

        return report

    for topic in topics:
        for kind, value in _poison_values(topic, serde, real.get(topic)).items():
            marker = f"{run_id}:{kind}:{uuid.uuid4().hex[:12]}"
            producer.produce(
                topic,
                value=value,
                key=b"chaos-poison",
                headers=[(POISON_HEADER, marker.encode())],
                on_delivery=delivered(kind, marker),
            )
    remaining = producer.flush(30)
    if remaining or failures:
        raise RuntimeError(f"poison not written: {remaining} undelivered; {failures[:3]}")
    return written
