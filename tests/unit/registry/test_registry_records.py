"""The registry log's records: Confluent-shaped keys, round trips, tombstones, bad input."""

from __future__ import annotations

import json

import pytest

from flux.registry.core.metadata import Metadata
from flux.registry.core.model import Reference, StoredSchema
from flux.registry.core.records import (
    ConfigRecord,
    DeleteSubjectRecord,
    HighWaterRecord,
    ModeRecord,
    SchemaRecord,
    decode_record,
    encode_record,
)
from flux.registry.core.rules import Rule, RuleKind, RuleMode, RuleSet
from flux.registry.core.subject_config import SubjectConfig
from flux.schemas.types import SchemaType

AVRO = StoredSchema(7, SchemaType.AVRO, '"string"')
PROTO = StoredSchema(8, SchemaType.PROTOBUF, 'syntax = "proto3";', (Reference("a.proto", "a", 2),))


def test_schema_key_is_confluent_shaped_and_byte_stable() -> None:
    key, value = encode_record(SchemaRecord("orders-value", 3, AVRO))
    assert key == b'{"keytype":"SCHEMA","subject":"orders-value","version":3,"magic":1}'
    assert value is not None
    assert json.loads(value) == {
        "subject": "orders-value",
        "version": 3,
        "id": 7,
        "schema": '"string"',
        "deleted": False,
    }


@pytest.mark.parametrize(
    "record",
    [
        SchemaRecord("s", 1, AVRO),
        SchemaRecord("s", 2, PROTO, deleted=True),
        SchemaRecord("s", 2, None),
        ConfigRecord(None, SubjectConfig(compatibility="FULL")),
        ConfigRecord("s", None),
        ModeRecord("s", "IMPORT"),
        ModeRecord(None, None),
        DeleteSubjectRecord("s", 4),
        HighWaterRecord(99),
    ],
)
def test_round_trip(record: object) -> None:
    key, value = encode_record(record)  # type: ignore[arg-type]
    assert decode_record(key, value) == record


def test_protobuf_value_carries_type_and_references() -> None:
    _, value = encode_record(SchemaRecord("s", 1, PROTO))
    assert value is not None
    body = json.loads(value)
    assert body["schemaType"] == "PROTOBUF"
    assert body["references"] == [{"name": "a.proto", "subject": "a", "version": 2}]


def test_ignored_records() -> None:
    assert decode_record(None, b"{}") is None
    assert decode_record(b'{"keytype":"NOOP","magic":0}', None) is None
    assert decode_record(b'{"keytype":"SOMETHING_NEW","magic":0}', b"{}") is None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (b"not json", b"{}"),
        (b"[1]", b"{}"),
        (b'{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}', b'{"id":1}'),
        (b'{"keytype":"SCHEMA","subject":"s","version":"x","magic":1}', b"{}"),
        (
            b'{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}',
            b'{"id":1,"schema":"x","schemaType":"XML"}',
        ),
    ],
)
def test_malformed_records_raise_value_error(key: bytes, value: bytes) -> None:
    with pytest.raises(ValueError, match="record"):
        decode_record(key, value)


WITH_CONTRACTS = StoredSchema(
    9,
    SchemaType.AVRO,
    '"string"',
    metadata=Metadata(tags=(("$.ssn", ("PII",)),), properties=(("owner", "ops"),), sensitive=("owner",)),
    rule_set=RuleSet(
        domain_rules=(Rule("ssn", kind=RuleKind.CONDITION, mode=RuleMode.WRITE, type="CEL", expr="x"),)
    ),
)
FULL_CONFIG = SubjectConfig(
    alias="other",
    normalize=True,
    validate_fields=False,
    compatibility="FULL",
    compatibility_group="major",
    default_metadata=Metadata(properties=(("a", "1"),)),
    override_metadata=Metadata(),
    default_rule_set=RuleSet(),
    override_rule_set=WITH_CONTRACTS.rule_set,
)


@pytest.mark.parametrize(
    "record",
    [
        SchemaRecord("s", 3, WITH_CONTRACTS),
        SchemaRecord("s", 3, WITH_CONTRACTS, deleted=True),
        ConfigRecord("s", FULL_CONFIG),
        ConfigRecord(None, SubjectConfig()),
    ],
)
def test_round_trip_with_data_contracts(record: object) -> None:
    key, value = encode_record(record)  # type: ignore[arg-type]
    assert decode_record(key, value) == record


def test_schema_value_carries_confluent_shaped_contracts() -> None:
    _, value = encode_record(SchemaRecord("s", 1, WITH_CONTRACTS))
    assert value is not None
    body = json.loads(value)
    assert body["metadata"] == {
        "tags": {"$.ssn": ["PII"]},
        "properties": {"owner": "ops"},
        "sensitive": ["owner"],
    }
    assert body["ruleSet"]["domainRules"][0]["kind"] == "CONDITION"
    # and a schema without contracts writes neither key (old readers see the old record)
    _, plain = encode_record(SchemaRecord("s", 1, AVRO))
    assert plain is not None
    assert "metadata" not in json.loads(plain)
    assert "ruleSet" not in json.loads(plain)


def test_records_written_before_data_contracts_still_replay() -> None:
    old_schema = decode_record(
        b'{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}',
        b'{"subject":"s","version":1,"id":7,"schema":"\\"string\\"","deleted":false}',
    )
    assert old_schema == SchemaRecord("s", 1, AVRO)
    old_config = decode_record(
        b'{"keytype":"CONFIG","subject":null,"magic":0}', b'{"compatibilityLevel":"FULL"}'
    )
    assert old_config == ConfigRecord(None, SubjectConfig(compatibility="FULL"))
    # Confluent's config values (extra attributes such as "subject" ignored)
    confluent = decode_record(
        b'{"keytype":"CONFIG","subject":"s","magic":0}',
        b'{"subject":"s","compatibilityLevel":"NONE","compatibilityGroup":"g","overrideMetadata":{"properties":{"k":"v"}}}',
    )
    assert confluent == ConfigRecord(
        "s",
        SubjectConfig(
            compatibility="NONE",
            compatibility_group="g",
            override_metadata=Metadata(properties=(("k", "v"),)),
        ),
    )


@pytest.mark.parametrize(
    "value",
    [
        b'{"id":1,"schema":"x","metadata":"oops"}',
        b'{"id":1,"schema":"x","ruleSet":{"domainRules":[{"name":"r","kind":"NOPE"}]}}',
    ],
)
def test_malformed_contracts_in_records_raise_value_error(value: bytes) -> None:
    with pytest.raises(ValueError, match="record"):
        decode_record(b'{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}', value)
