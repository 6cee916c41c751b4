"""The weather event's v1↔v2 migration rules: a v1 consumer reads v2 events and a v2 consumer reads
v1 events, with Flux's serde and with confluent-kafka's deserializer pinned by
``use.latest.with.metadata`` (confluent-kafka's in-process mock registry holds the history as
``make register-schemas`` registers it)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.rule_registry import RuleRegistry
from confluent_kafka.schema_registry.rules.cel.cel_executor import CelExecutor
from confluent_kafka.schema_registry.rules.cel.cel_field_executor import CelFieldExecutor
from confluent_kafka.schema_registry.rules.jsonata.jsonata_executor import JsonataExecutor
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError

from flux.contracts import WeatherUpdated
from flux.schema_tools.contracts import CONTRACT_VERSION_PROPERTY
from flux.schema_tools.examples import example_datum
from flux.schema_tools.subjects import load_subjects
from flux.serde import Serde
from flux.serde.rule_executors import JsonSafeJsonataExecutor

HISTORY = load_subjects().subject(WeatherUpdated.SUBJECT)
CTX = SerializationContext(WeatherUpdated.TOPIC, MessageField.VALUE)


def _registry(name: str) -> SchemaRegistryClient:
    client = SchemaRegistryClient.new_client({"url": f"mock://migrations-{name}"})
    for version in HISTORY.versions:
        client.register_schema(
            HISTORY.subject,
            Schema.from_dict(
                {
                    "schema": version.text,
                    "schemaType": "AVRO",
                    "metadata": version.metadata,
                    "ruleSet": version.rule_set,
                }
            ),
        )
    return client


def _rules(jsonata: Any) -> RuleRegistry:
    registry = RuleRegistry()
    for executor in (CelExecutor(), CelFieldExecutor(), jsonata):
        registry.register_executor(executor)
    return registry


def _pinned(version: int) -> dict[str, Any]:
    return {"use.latest.with.metadata": {CONTRACT_VERSION_PROPERTY: str(version)}}


def _datum(version: int) -> dict[str, Any]:
    datum = example_datum(HISTORY.versions[version - 1].avro_json())
    datum["error"] = None
    datum["data"].update(country="NO", lat=59.91, lon=10.75)
    if version == 2:
        datum["data"]["feels_like_c"] = 19.0
    return datum


def _v1_bytes(client: SchemaRegistryClient) -> bytes:
    """A v1 producer: confluent-kafka's serializer pinned to v1 (Flux's classes are always the latest)."""
    serializer = AvroSerializer(
        client,
        HISTORY.versions[0].text,
        conf={"auto.register.schemas": False, **_pinned(1)},
        rule_registry=_rules(JsonSafeJsonataExecutor()),
    )
    return bytes(serializer(_datum(1), CTX))


def _confluent_reader(client: SchemaRegistryClient, version: int, jsonata: Any) -> AvroDeserializer:
    return AvroDeserializer(client, conf=_pinned(version), rule_registry=_rules(jsonata))


def test_a_v1_consumer_reads_v2_events_through_the_downgrade() -> None:
    client = _registry("down")
    v2_bytes = Serde(client, write_rules=True).encode(WeatherUpdated.from_dict(_datum(2)))
    flux = Serde(client, read_rules=True).decode_datum(WeatherUpdated, v2_bytes, version=1)
    confluent = _confluent_reader(client, 1, JsonSafeJsonataExecutor())(v2_bytes, CTX)
    assert "feels_like_c" not in flux["data"]
    assert flux == confluent
    assert flux["data"]["temperature_c"] == _datum(2)["data"]["temperature_c"]


def test_a_v2_consumer_reads_v1_events_through_the_upgrade() -> None:
    client = _registry("up")
    v1_bytes = _v1_bytes(client)
    flux = Serde(client, read_rules=True).decode(WeatherUpdated, v1_bytes)
    confluent = _confluent_reader(client, 2, JsonSafeJsonataExecutor())(v1_bytes, CTX)
    assert flux.data is not None and flux.data.feels_like_c is None
    assert confluent["data"]["feels_like_c"] is None
    assert WeatherUpdated.from_dict(confluent) == flux


def test_same_version_readers_need_no_migration() -> None:
    client = _registry("same")
    v1_bytes = _v1_bytes(client)
    flux = Serde(client, read_rules=True).decode_datum(WeatherUpdated, v1_bytes, version=1)
    confluent = _confluent_reader(client, 1, JsonataExecutor())(v1_bytes, CTX)
    assert flux == confluent == {**_datum(1), "data": {**_datum(1)["data"]}}


def test_confluent_kafkas_own_jsonata_executor_cannot_migrate_records_with_logical_types() -> None:
    """Why Flux wraps it: jsonata-python takes JSON values only; fastavro gives UUIDs and datetimes."""
    client = _registry("stock-jsonata")
    v2_bytes = Serde(client, write_rules=True).encode(WeatherUpdated.from_dict(_datum(2)))
    with pytest.raises(SerializationError) as failed:
        _confluent_reader(client, 1, JsonataExecutor())(v2_bytes, CTX)
    assert "Only JSON types" in str(failed.value.__cause__)


def test_migrated_records_keep_their_envelope() -> None:
    client = _registry("envelope")
    v2_bytes = Serde(client, write_rules=True).encode(WeatherUpdated.from_dict(_datum(2)))
    as_v1 = Serde(client, read_rules=True).decode_datum(WeatherUpdated, v2_bytes, version=1)
    original = _datum(2)
    for key in ("event_id", "produced_at", "source", "snapshot_hash", "city_key", "status"):
        assert as_v1[key] == original[key]
    assert json.dumps(sorted(as_v1["data"])) == json.dumps(
        sorted(k for k in original["data"] if k != "feels_like_c")
    )
