"""confluent-kafka's own ``SchemaRegistryClient`` (and Avro serde) with data contracts: what the
client parses from Flux's answers is what it parses from Confluent's (the expected values below
are built as the client builds them from Confluent's JSON: absent lists as ``[]``, absent rule
attributes as ``None``)."""

from __future__ import annotations

import json
import struct

import pytest
from confluent_kafka.schema_registry import (
    Metadata,
    MetadataProperties,
    MetadataTags,
    Rule,
    RuleKind,
    RuleMode,
    RuleParams,
    RuleSet,
    Schema,
    SchemaRegistryClient,
    ServerConfig,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

pytestmark = pytest.mark.integration


def reading(subject: str, *extra: str) -> str:
    fields = [{"name": "city", "type": "string"}, {"name": "celsius", "type": "double"}]
    fields += [{"name": name, "type": ["null", "string"], "default": None} for name in extra]
    namespace = "flux.dc." + subject.replace("-", "_")
    return json.dumps({"type": "record", "name": "Reading", "namespace": namespace, "fields": fields})


def properties(**values: str) -> Metadata:
    """Metadata with properties only, as the client parses it from Confluent (``sensitive=[]``)."""
    return Metadata(tags=None, properties=MetadataProperties(values), sensitive=[])


METADATA = Metadata(
    tags=MetadataTags({"$.city": ["PII"]}),
    properties=MetadataProperties({"owner": "ops"}),
    sensitive=["owner"],
)
CHECK = Rule(
    name="celsius",
    doc=None,
    kind=RuleKind.CONDITION,
    mode=RuleMode.WRITE,
    type="CEL",
    tags=None,
    params=None,
    expr="message.celsius > -273.15",
    on_success=None,
    on_failure="ERROR",
    disabled=False,
)
UPGRADE = Rule(
    name="rename",
    doc="v1 to v2",
    kind=RuleKind.TRANSFORM,
    mode=RuleMode.UPGRADE,
    type="JSONATA",
    tags=["PII"],
    params=RuleParams({"k": "v"}),
    expr="$",
    on_success=None,
    on_failure=None,
    disabled=True,
)


@pytest.fixture
def sr(registry_url: str) -> SchemaRegistryClient:
    return SchemaRegistryClient({"url": registry_url})


def test_client_sees_metadata_on_every_read(sr: SchemaRegistryClient, subject: str) -> None:
    schema = Schema(reading(subject), "AVRO", metadata=METADATA)
    schema_id = sr.register_schema(subject, schema)
    latest = sr.get_latest_version(subject)
    assert (latest.schema_id, latest.version) == (schema_id, 1)
    assert latest.schema.metadata == METADATA
    assert latest.schema.rule_set is None
    assert sr.get_version(subject, 1).schema.metadata == METADATA
    assert sr.get_schema(schema_id).metadata == METADATA
    found = sr.lookup_schema(subject, schema)
    assert (found.schema_id, found.version, found.schema.metadata) == (schema_id, 1, METADATA)
    by_metadata = sr.get_latest_with_metadata(subject, {"owner": "ops"})
    assert (by_metadata.schema_id, by_metadata.version) == (schema_id, 1)
    with pytest.raises(SchemaRegistryError) as none:
        sr.get_latest_with_metadata(subject, {"owner": "nobody"})
    assert (none.value.http_status_code, none.value.error_code) == (404, 40403)


@pytest.mark.usefixtures("flux_only")
def test_client_sees_rule_sets_as_registered(sr: SchemaRegistryClient, subject: str) -> None:
    rules = RuleSet(migration_rules=[UPGRADE], domain_rules=[CHECK])
    schema_id = sr.register_schema(subject, Schema(reading(subject), "AVRO", rule_set=rules))
    expected = RuleSet(migration_rules=[UPGRADE], domain_rules=[CHECK], encoding_rules=[])
    assert sr.get_latest_version(subject).schema.rule_set == expected
    assert sr.get_schema(schema_id).rule_set == expected
    # the same text with other rules is another schema
    other = sr.register_schema(subject, Schema(reading(subject), "AVRO", rule_set=RuleSet(None, [CHECK])))
    assert other != schema_id
    bad = Rule("x", None, RuleKind.CONDITION, RuleMode.UPGRADE, "CEL", None, None, "true", None, None, False)
    with pytest.raises(SchemaRegistryError) as invalid:
        sr.register_schema(subject, Schema(reading(subject), "AVRO", rule_set=RuleSet(None, [bad])))
    assert (invalid.value.http_status_code, invalid.value.error_code) == (422, 42210)


def test_client_config_defaults_and_overrides(sr: SchemaRegistryClient, subject: str) -> None:
    config = ServerConfig(
        default_metadata=properties(owner="team"),
        override_metadata=properties(env="prod"),
        compatibility_group="major",
    )
    assert sr.set_config(subject, config) == {
        "compatibilityGroup": "major",
        "defaultMetadata": {"properties": {"owner": "team"}},
        "overrideMetadata": {"properties": {"env": "prod"}},
    }
    read_back = sr.get_config(subject)
    assert (read_back.default_metadata, read_back.override_metadata) == (
        properties(owner="team"),
        properties(env="prod"),
    )
    assert read_back.compatibility_group == "major"
    sr.register_schema(subject, Schema(reading(subject), "AVRO"))
    assert sr.get_latest_version(subject).schema.metadata == properties(owner="team", env="prod")
    second = Schema(reading(subject, "note"), "AVRO", metadata=properties(env="dev", major="2"))
    second_id = sr.register_schema(subject, second)
    got = sr.get_version(subject, "latest")  # get_latest_version would answer from the client's cache
    assert (got.schema_id, got.version) == (second_id, 2)
    assert got.schema.metadata == properties(owner="team", env="prod", major="2")  # the override wins
    assert sr.get_latest_with_metadata(subject, {"major": "2"}).schema_id == second_id


def test_serializer_uses_the_latest_version_with_metadata(sr: SchemaRegistryClient, subject: str) -> None:
    v1 = sr.register_schema(
        subject, Schema(reading(subject), "AVRO", metadata=properties(app="weather", rev="1"))
    )
    v2 = sr.register_schema(
        subject, Schema(reading(subject, "note"), "AVRO", metadata=properties(app="weather", rev="2"))
    )
    topic = subject.removesuffix("-value")
    ctx = SerializationContext(topic, MessageField.VALUE)
    pinned = AvroSerializer(
        sr, reading(subject), conf={"auto.register.schemas": False, "use.latest.with.metadata": {"rev": "1"}}
    )
    payload = pinned({"city": "Oslo", "celsius": 3.5}, ctx)
    assert payload is not None
    assert struct.unpack(">bI", payload[:5]) == (0, v1)
    newest = AvroSerializer(
        sr,
        reading(subject),
        conf={"auto.register.schemas": False, "use.latest.with.metadata": {"app": "weather"}},
    )
    newer_payload = newest({"city": "Oslo", "celsius": 3.5, "note": None}, ctx)
    assert newer_payload is not None
    assert struct.unpack(">bI", newer_payload[:5]) == (0, v2)
    assert AvroDeserializer(sr)(payload, ctx) == {"city": "Oslo", "celsius": 3.5}
