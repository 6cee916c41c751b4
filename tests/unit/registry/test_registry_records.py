"""The registry log's records: Confluent-shaped keys, round trips, tombstones, bad input."""

from __future__ import annotations

import json

import pytest

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
        ConfigRecord(None, "FULL"),
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
