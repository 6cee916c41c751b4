"""confluent-kafka's own clients against our server, unchanged: SchemaRegistryClient, the Avro and
Protobuf serializers/deserializers, and a produce/consume round trip through the stack's Kafka."""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from flux.catalogue import TopicKind, load_catalogue
from flux.devstack.stack import RunningStack
from flux.kafka.admin import ensure_topics
from flux.kafka.config import consumer_config, producer_config

pytestmark = pytest.mark.integration


def reading_schema(namespace: str) -> str:
    return json.dumps(
        {
            "type": "record",
            "name": "Reading",
            "namespace": namespace,
            "fields": [
                {"name": "city", "type": "string"},
                {"name": "celsius", "type": "double"},
                {"name": "note", "type": ["null", "string"], "default": None},
            ],
        }
    )


@pytest.fixture
def sr(registry_url: str) -> SchemaRegistryClient:
    return SchemaRegistryClient({"url": registry_url})


def test_schema_registry_client_calls(sr: SchemaRegistryClient, subject: str) -> None:
    schema = Schema(reading_schema("flux.interop." + subject.replace("-", "_")), "AVRO")
    schema_id = sr.register_schema(subject, schema)
    assert sr.get_schema(schema_id).schema_str == schema.schema_str
    registered = sr.lookup_schema(subject, schema)
    assert (registered.schema_id, registered.version) == (schema_id, 1)
    latest = sr.get_latest_version(subject)
    assert (latest.schema_id, latest.version, latest.subject) == (schema_id, 1, subject)
    assert sr.get_version(subject, 1).schema_id == schema_id
    assert sr.get_versions(subject) == [1]
    assert subject in sr.get_subjects()
    assert sr.set_compatibility(subject, "FULL") == {"compatibility": "FULL"}
    assert sr.get_compatibility(subject) == "FULL"
    assert sr.test_compatibility(subject, schema) is True
    breaking = Schema(
        json.dumps(
            {
                "type": "record",
                "name": "Reading",
                "namespace": "flux.interop." + subject.replace("-", "_"),
                "fields": [{"name": "city", "type": "int"}],
            }
        ),
        "AVRO",
    )
    assert sr.test_compatibility(subject, breaking) is False
    with pytest.raises(SchemaRegistryError) as incompatible:
        sr.register_schema(subject, breaking)
    assert incompatible.value.http_status_code == 409
    with pytest.raises(SchemaRegistryError) as missing:
        sr.get_version(subject, 42)
    assert missing.value.error_code == 40402
    assert sr.delete_version(subject, 1) == 1
    assert sr.delete_subject(subject, permanent=True) == [1]
    with pytest.raises(SchemaRegistryError) as gone:
        sr.get_versions(subject)
    assert gone.value.error_code == 40401


def test_avro_serializer_round_trip_through_kafka(
    sr: SchemaRegistryClient, stack: RunningStack, registry_url: str
) -> None:
    topic = f"it-interop-{uuid.uuid4().hex[:8]}"
    schema_str = reading_schema("flux.interop.kafka")
    serializer = AvroSerializer(sr, schema_str)
    deserializer = AvroDeserializer(sr)
    value = {"city": "Delhi", "celsius": 31.5, "note": None}
    ctx = SerializationContext(topic, MessageField.VALUE)
    payload = serializer(value, ctx)
    assert payload is not None
    assert payload[0] == 0  # Confluent wire format: magic byte, then the 4-byte id
    schema_id = int.from_bytes(payload[1:5], "big")
    assert sr.get_latest_version(f"{topic}-value").schema_id == schema_id
    spec = next(t for t in load_catalogue().of_kind(TopicKind.EVENT))
    ensure_topics(stack.settings, [dataclasses.replace(spec, name=topic, partitions=1, dead_letter=None)])
    producer = Producer(producer_config(stack.settings, client_id="it-interop"))
    errors: list[object] = []
    producer.produce(topic, key=b"delhi", value=payload, on_delivery=lambda err, _msg: errors.append(err))
    assert producer.flush(30) == 0
    assert errors == [None]
    consumer = Consumer(
        consumer_config(stack.settings, group_id=f"it-{uuid.uuid4().hex}", client_id="it-interop")
    )
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    try:
        message = None
        for _ in range(100):
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                break
        assert message is not None and message.error() is None
        # a fresh client (no cache) resolves the id from our server
        fresh = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
        assert fresh(message.value(), ctx) == value
        assert deserializer(message.value(), ctx) == value
    finally:
        consumer.close()


def compile_protos(tmp_path: Path, package: str) -> ModuleType:
    """Generate Python classes for a message importing another file and a well-known type."""
    from grpc_tools import protoc

    src = tmp_path / "protos"
    (src / package).mkdir(parents=True)
    (src / package / "money.proto").write_text(
        f'syntax = "proto3";\npackage {package};\nmessage Money {{ int64 units = 1; string currency = 2; }}\n'
    )
    (src / package / "price.proto").write_text(
        f'syntax = "proto3";\npackage {package};\nimport "{package}/money.proto";\n'
        'import "google/protobuf/timestamp.proto";\n'
        f"message Price {{ string symbol = 1; {package}.Money amount = 2; google.protobuf.Timestamp at = 3; }}\n"
    )
    out = tmp_path / "gen"
    out.mkdir()
    include = Path(protoc.__file__).parent / "_proto"
    status = protoc.main(
        [
            "protoc",
            f"-I{src}",
            f"-I{include}",
            f"--python_out={out}",
            f"{package}/money.proto",
            f"{package}/price.proto",
        ]
    )
    assert status == 0
    sys.path.insert(0, str(out))
    try:
        return importlib.import_module(f"{package}.price_pb2")
    finally:
        sys.path.remove(str(out))


def test_protobuf_serializer_round_trip_with_references(
    sr: SchemaRegistryClient, registry_url: str, tmp_path: Path
) -> None:
    package = f"interop{uuid.uuid4().hex[:8]}"
    price_pb2: Any = compile_protos(tmp_path, package)
    topic = f"it-proto-{package}"
    serializer = ProtobufSerializer(price_pb2.Price, sr, {"use.deprecated.format": False})
    message = price_pb2.Price(symbol="ACME")
    message.amount.units = 12
    message.amount.currency = "EUR"
    message.at.seconds = 1_700_000_000
    ctx = SerializationContext(topic, MessageField.VALUE)
    payload = serializer(message, ctx)
    assert payload is not None
    # the serializer registered the imported file as its own subject, referenced by the value subject
    latest = sr.get_latest_version(f"{topic}-value")
    assert latest.schema.schema_type == "PROTOBUF"
    # stored as .proto text, as Confluent's server stores it, though the client sent a descriptor
    assert latest.schema.schema_str.startswith('syntax = "proto3";\npackage ')
    assert "message Price {" in latest.schema.schema_str
    assert [r.name for r in latest.schema.references] == [f"{package}/money.proto"]
    assert f"{package}/money.proto" in sr.get_subjects()
    deserializer = ProtobufDeserializer(price_pb2.Price, {"use.deprecated.format": False})
    decoded = deserializer(payload, ctx)
    assert decoded == message
    # a client without cache fetches the writer schema in serialized form from our server
    fresh = SchemaRegistryClient({"url": registry_url})
    fetched = fresh.get_schema(latest.schema_id, fmt="serialized")
    assert fetched.schema_type == "PROTOBUF"
    assert fetched.references[0] == SchemaReference(f"{package}/money.proto", f"{package}/money.proto", 1)


async def test_async_client_and_serializer(registry_url: str, subject: str) -> None:
    from confluent_kafka.schema_registry import AsyncSchemaRegistryClient
    from confluent_kafka.schema_registry._async.avro import AsyncAvroDeserializer, AsyncAvroSerializer

    client = AsyncSchemaRegistryClient({"url": registry_url})
    schema_str = reading_schema("flux.interop.async_" + subject.replace("-", "_"))
    schema_id = await client.register_schema(subject, Schema(schema_str, "AVRO"))
    assert (await client.get_latest_version(subject)).schema_id == schema_id
    serializer = await AsyncAvroSerializer(
        client, schema_str, conf={"auto.register.schemas": False, "use.latest.version": True}
    )
    deserializer = await AsyncAvroDeserializer(client)
    topic = subject.removesuffix("-value")
    ctx = SerializationContext(topic, MessageField.VALUE)
    value = {"city": "Pune", "celsius": 24.0, "note": "clear"}
    payload = await serializer(value, ctx)
    assert int.from_bytes(payload[1:5], "big") == schema_id
    assert await deserializer(payload, ctx) == value
