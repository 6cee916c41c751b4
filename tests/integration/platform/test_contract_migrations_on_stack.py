"""On the real stack: the weather event's v1<->v2 migration rules, through Kafka and Flux's registry.

The schema history is registered as ``make register-schemas`` registers it (each version with its
metadata and rule set, which Flux's registry keeps). A v2 event produced by Flux's serde is read by a
v1 consumer — Flux's serde pinned to version 1, and confluent-kafka's ``AvroDeserializer`` pinned
with ``use.latest.with.metadata``, which takes the migration rules from the registry — and a v1
event produced by confluent-kafka's serializer is read by Flux's v2 reader.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.rule_registry import RuleRegistry
from confluent_kafka.schema_registry.rules.cel.cel_executor import CelExecutor
from confluent_kafka.schema_registry.rules.cel.cel_field_executor import CelFieldExecutor
from confluent_kafka.serialization import MessageField, SerializationContext

from flux.contracts import WeatherUpdated
from flux.devstack.stack import RunningStack
from flux.kafka.config import consumer_config, producer_config
from flux.schema_tools.contracts import CONTRACT_VERSION_PROPERTY
from flux.schema_tools.examples import example_datum
from flux.schema_tools.subjects import load_subjects
from flux.serde import Serde
from flux.serde.rule_executors import JsonSafeJsonataExecutor
from tests.integration.bff.bff_stack_harness import registered_schemas

__all__ = ["registered_schemas"]

pytestmark = pytest.mark.integration

HISTORY = load_subjects().subject(WeatherUpdated.SUBJECT)
CTX = SerializationContext(WeatherUpdated.TOPIC, MessageField.VALUE)


def _rules() -> RuleRegistry:
    registry = RuleRegistry()
    for executor in (CelExecutor(), CelFieldExecutor(), JsonSafeJsonataExecutor()):
        registry.register_executor(executor)
    return registry


def _pinned(version: int) -> dict[str, Any]:
    return {"use.latest.with.metadata": {CONTRACT_VERSION_PROPERTY: str(version)}}


def _datum(version: int, city: str) -> dict[str, Any]:
    datum = example_datum(HISTORY.versions[version - 1].avro_json())
    datum.update(error=None, city_key=city, event_id=str(uuid.uuid4()))
    datum["produced_at"] = datetime.now(UTC)
    datum["data"].update(country="NO", lat=59.91, lon=10.75, temperature_c=7.5)
    if version == 2:
        datum["data"]["feels_like_c"] = 5.0
    return datum


def _round_trip(stack: RunningStack, value: bytes) -> bytes:
    """Produce ``value`` to the weather topic and read the same record back."""
    producer = Producer(producer_config(stack.settings, client_id="migration-test"))
    delivered: list[Any] = []
    producer.produce(
        WeatherUpdated.TOPIC, value=value, key=b"oslo", on_delivery=lambda _e, m: delivered.append(m)
    )
    producer.flush(10)
    [msg] = delivered
    consumer = Consumer(consumer_config(stack.settings, group_id=f"migration-{uuid.uuid4()}", client_id="m"))
    try:
        consumer.assign([TopicPartition(msg.topic(), msg.partition(), msg.offset())])
        read = consumer.poll(10)
        assert read is not None and read.error() is None
        return bytes(read.value())
    finally:
        consumer.close()


def test_a_v1_consumer_reads_v2_events_and_a_v2_consumer_v1_events(
    stack: RunningStack, registered_schemas: None
) -> None:
    client = SchemaRegistryClient(stack.settings.registry_client_config())
    # v2 producer (Flux's classes are the latest) -> v1 consumers, Flux's and confluent-kafka's
    written = Serde(client, write_rules=True).encode(WeatherUpdated.from_dict(_datum(2, "oslo")))
    v2_bytes = _round_trip(stack, written)
    flux_v1 = Serde(client, read_rules=True).decode_datum(WeatherUpdated, v2_bytes, version=1)
    confluent_v1 = AvroDeserializer(client, conf=_pinned(1), rule_registry=_rules())(v2_bytes, CTX)
    assert "feels_like_c" not in flux_v1["data"]
    assert flux_v1 == confluent_v1
    assert flux_v1["data"]["temperature_c"] == 7.5

    # v1 producer (confluent-kafka pinned to v1) -> Flux's v2 reader
    serializer = AvroSerializer(
        client,
        HISTORY.versions[0].text,
        conf={"auto.register.schemas": False, **_pinned(1)},
        rule_registry=_rules(),
    )
    v1_bytes = _round_trip(stack, bytes(serializer(_datum(1, "oslo"), CTX)))
    event = Serde(client, read_rules=True).decode(WeatherUpdated, v1_bytes)
    assert event.data is not None
    assert event.data.feels_like_c is None
    assert event.data.temperature_c == 7.5
