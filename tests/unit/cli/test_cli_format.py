"""What the CLI prints: record lines and JSON, parked records, schemas, diffs and close-match hints."""

from __future__ import annotations

import base64
import json
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from uuid import UUID

from flux.cli.decoding import Decoded
from flux.cli.errors import with_close_matches
from flux.cli.kafka_read import KafkaRecord
from flux.cli.parked import ParkedRecord, format_counts, parked_json, parked_lines, parked_summary
from flux.cli.record_format import format_timestamp, jsonable, key_text, summarize, tail_json, tail_line
from flux.cli.registry_client import SchemaVersion
from flux.cli.registry_inspect import format_show, pretty_schema, schema_diff

STAMP = 1_767_225_600_123  # 2026-01-01 00:00:00.123 UTC


class Colour(Enum):
    RED = "red"


def record(
    value: bytes | None = b"v", key: bytes | None = b"delhi", headers: tuple[tuple[str, bytes], ...] = ()
) -> KafkaRecord:
    return KafkaRecord("weather.service.event.updated", 2, 41, STAMP, key, value, headers)


def test_jsonable_keeps_every_value_without_rounding() -> None:
    value = {
        "when": datetime(2026, 1, 1, 12, 30, tzinfo=UTC),
        "id": UUID(int=1),
        "price": Decimal("64123.456789012345"),
        "raw": b"\x00\xff",
        "colour": Colour.RED,
        "nan": float("nan"),
        "nested": [{"n": 1, "ok": True, "none": None}],
    }
    assert jsonable(value) == {
        "when": "2026-01-01T12:30:00+00:00",
        "id": "00000000-0000-0000-0000-000000000001",
        "price": "64123.456789012345",
        "raw": "base64:AP8=",
        "colour": "red",
        "nan": "nan",
        "nested": [{"n": 1, "ok": True, "none": None}],
    }
    json.dumps(jsonable(value))  # serialisable as it is


def test_summary_is_one_short_line() -> None:
    assert summarize({"a": 1, "b": [1, 2, 3], "c": {"d": None, "e": {"f": 1}}, "g": []}) == (
        "a=1 b=[3 items] c={d=null e={…}} g=[0 items]"
    )
    assert summarize({"one": ["x"]}) == "one=[1 item]"
    assert summarize("plain") == "plain"
    long = summarize({f"field{i}": "x" * 30 for i in range(20)})
    assert len(long) == 160 and long.endswith("…")
    assert summarize({"s": "y" * 100}) == "s=" + "y" * 39 + "…"


def test_timestamps_and_keys() -> None:
    assert format_timestamp(STAMP) == "2026-01-01 00:00:00.123Z"
    assert format_timestamp(None) == "-"
    assert key_text(b"new york") == "new york"
    assert key_text("Zürich".encode()) == "Zürich"
    assert key_text(b"\xff\x00") == "hex:ff00"
    assert key_text(None) is None


def test_tail_line_for_decoded_undecodable_and_tombstone_records() -> None:
    ok = Decoded(value={"city_key": "delhi", "status": "SUCCESS"}, schema_id=7, decoded_as="WeatherUpdated")
    assert tail_line(record(), ok) == (
        "2026-01-01 00:00:00.123Z  p2/41  key=delhi  WeatherUpdated  city_key=delhi status=SUCCESS"
    )
    bad = Decoded(error="bad magic byte 0x07: not Confluent wire format")
    assert tail_line(record(key=None), bad) == (
        "2026-01-01 00:00:00.123Z  p2/41  key=-  UNDECODABLE  bad magic byte 0x07: not Confluent wire format"
    )
    assert tail_line(record(value=None), Decoded(decoded_as="tombstone")).endswith("key=delhi  tombstone")


def test_tail_line_leaves_the_envelope_ids_and_times_to_json() -> None:
    event = {
        "event_id": "e",
        "produced_at": "t",
        "source": "weather-service",
        "snapshot_hash": "h",
        "city_key": "x",
    }
    line = tail_line(record(), Decoded(value=event, schema_id=7, decoded_as="WeatherUpdated"))
    assert line.endswith("  WeatherUpdated  source=weather-service city_key=x")
    only_envelope = {"command_id": "c", "issued_at": "t"}
    line = tail_line(record(), Decoded(value=only_envelope, schema_id=4, decoded_as="RefreshNews"))
    assert line.endswith("  RefreshNews  command_id=c issued_at=t")
    assert json.loads(tail_json(record(), Decoded(value=event, schema_id=7)))["value"] == event


def test_tail_json_has_every_field() -> None:
    ok = Decoded(value={"at": datetime(2026, 1, 1, tzinfo=UTC)}, schema_id=7, decoded_as="writer schema 7")
    assert json.loads(tail_json(record(), ok)) == {
        "topic": "weather.service.event.updated",
        "partition": 2,
        "offset": 41,
        "key": "delhi",
        "timestamp": STAMP,
        "schemaId": 7,
        "value": {"at": "2026-01-01T00:00:00+00:00"},
        "decodedAs": "writer schema 7",
        "error": None,
    }
    bad = json.loads(tail_json(record(key=b"\x01\xfe"), Decoded(schema_id=99, error="unknown schema id 99")))
    assert (bad["key"], bad["schemaId"], bad["value"], bad["decodedAs"], bad["error"]) == (
        "hex:01fe",
        99,
        None,
        None,
        "unknown schema id 99",
    )


PARKED_HEADERS = (
    ("flux.dlq.error.class", b"SchemaMismatch"),
    ("flux.dlq.error.message", b"record body does not match schema id 3"),
    ("flux.dlq.original.topic", b"weather.service.command.fetch"),
    ("flux.dlq.original.partition", b"2"),
    ("flux.dlq.original.offset", b"41"),
    ("flux.dlq.original.timestamp", str(STAMP - 123).encode()),
    ("flux.dlq.service", b"weather-service"),
    ("x-trace", b"abc"),
    ("bin", b"\xff"),
)


def parked(
    headers: tuple[tuple[str, bytes], ...] = PARKED_HEADERS, value: bytes | None = b"\x00\x00\x00\x00\x03\x0a"
) -> ParkedRecord:
    return ParkedRecord(
        KafkaRecord("weather.service.command.fetch.dlq", 0, 3, STAMP, b"delhi", value, headers)
    )


def test_parked_record_reads_the_dead_letter_headers() -> None:
    p = parked()
    assert (p.error_class, p.error_message, p.service) == (
        "SchemaMismatch",
        "record body does not match schema id 3",
        "weather-service",
    )
    assert (p.original_topic, p.original_partition, p.original_offset, p.original_timestamp_ms) == (
        "weather.service.command.fetch",
        2,
        41,
        STAMP - 123,
    )
    assert p.location == "weather.service.command.fetch.dlq/0/3"
    assert p.original_headers() == [("x-trace", b"abc"), ("bin", b"\xff")]
    bare = parked(headers=(("flux.dlq.original.offset", b"not-a-number"),))
    assert (bare.error_class, bare.original_topic, bare.original_offset, bare.service) == (
        "(no error class)",
        None,
        None,
        "?",
    )


def test_parked_lines_and_json() -> None:
    assert parked_lines(parked()) == [
        "weather.service.command.fetch.dlq/0/3  parked 2026-01-01 00:00:00.123Z",
        "  original  weather.service.command.fetch partition 2 offset 41, 2026-01-01 00:00:00.000Z",
        "  error     SchemaMismatch: record body does not match schema id 3",
        "  service   weather-service",
        "  key       delhi",
        "  value     6 bytes: 00 00 00 00 03 0a",
        "  headers   x-trace=abc bin=hex:ff",
    ]
    long = parked_lines(parked(value=bytes(range(30))))[5]
    assert long.startswith("  value     30 bytes: 00 01 02") and long.endswith(" …")
    assert parked_lines(parked(value=None))[5] == "  value     none (tombstone)"
    as_json = json.loads(parked_json(parked()))
    assert base64.b64decode(as_json["value"]) == b"\x00\x00\x00\x00\x03\x0a"
    assert as_json["valueBytes"] == 6
    assert as_json["errorClass"] == "SchemaMismatch"
    assert as_json["originalTopic"] == "weather.service.command.fetch"
    assert (as_json["originalPartition"], as_json["originalOffset"]) == (2, 41)
    assert as_json["service"] == "weather-service"
    assert as_json["headers"] == {"x-trace": "abc", "bin": "hex:ff"}


def test_counts_by_error_class() -> None:
    assert format_counts(Counter()) == "-"
    assert format_counts(Counter({"B": 1, "A": 1, "C": 3})) == "C=3 A=1 B=1"
    assert parked_summary([parked(), parked()]) == "2 records: SchemaMismatch=2"
    assert parked_summary([parked()]) == "1 record: SchemaMismatch=1"


V1 = SchemaVersion(
    "s-value", 1, 10, "AVRO", '{"type":"record","name":"A","fields":[{"name":"a","type":"int"}]}'
)
V2 = SchemaVersion(
    "s-value",
    2,
    11,
    "AVRO",
    '{"type":"record","name":"A","fields":[{"name":"a","type":"int"},'
    '{"name":"b","type":["null","string"],"default":null}]}',
    ({"name": "Money", "subject": "money-value", "version": 1},),
)


def test_pretty_schema() -> None:
    assert pretty_schema(V1.schema, "AVRO").splitlines()[:3] == ["{", '  "type": "record",', '  "name": "A",']
    proto = 'syntax = "proto3";\nmessage A { int32 a = 1; }\n\n'
    assert pretty_schema(proto, "PROTOBUF") == proto.rstrip()
    assert pretty_schema("not json", "AVRO") == "not json"


def test_show_page() -> None:
    page = format_show(V2, [1, 2], "FULL")
    head, schema = page.split("\n\n", 1)
    assert head.splitlines() == [
        "subject     s-value",
        "version     2 (versions: 1, 2)",
        "id          11",
        "type        AVRO",
        "level       FULL",
        "references  Money -> money-value v1",
    ]
    assert json.loads(schema) == json.loads(V2.schema)
    assert "references  none" in format_show(V1, [1], "BACKWARD")


def test_diff_is_a_unified_diff_of_the_pretty_printed_schemas() -> None:
    text = schema_diff(V1, V2)
    lines = text.splitlines()
    assert lines[0] == "--- s-value v1 (id 10)"
    assert lines[1] == "+++ s-value v2 (id 11)"
    assert lines[2].startswith("@@ ")
    assert lines[3:] == [
        "     {",
        '       "name": "a",',
        '       "type": "int"',
        "+    },",
        "+    {",
        '+      "name": "b",',
        '+      "type": [',
        '+        "null",',
        '+        "string"',
        "+      ],",
        '+      "default": null',
        "     }",
        "   ]",
        " }",
    ]
    assert schema_diff(V1, V1) == ""


def test_close_matches() -> None:
    names = ["weather.service.event.updated", "news.service.event.updated", "crypto.ticker.event.updated"]
    assert with_close_matches("no", "weather.service.event.update", names).startswith(
        "no (did you mean: weather.service.event.updated"
    )
    assert with_close_matches("no", "ticker", names) == "no (did you mean: crypto.ticker.event.updated?)"
    assert with_close_matches("no", "zzzz", names) == "no"
