"""The compiled Avro reader against fastavro: the same datum for every body it accepts, refusal of
whatever is unusual (so fastavro decides), on every contract's schema and on a schema using every
Avro type and logical type."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_reader, schemaless_writer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flux.contracts.generated.fetch_weather import FetchWeather
from flux.contracts.types import AvroContract
from flux.serde import AvroCodec, SchemaMismatch, TruncatedRecord
from flux.serde.avro_reader import NotStraightLine, compile_reader
from flux.serde.wire import pack_header

from .avro_strategies import datum_strategy
from .samples import ALL_AVRO, avro_sample

EVERY_TYPE: dict[str, Any] = {
    "type": "record",
    "name": "EveryType",
    "namespace": "test.reader",
    "fields": [
        {"name": "flag", "type": "boolean"},
        {"name": "small", "type": "int"},
        {"name": "big", "type": "long"},
        {"name": "ratio", "type": "float"},
        {"name": "precise", "type": "double"},
        {"name": "blob", "type": "bytes"},
        {"name": "label", "type": "string"},
        {"name": "nothing", "type": "null"},
        {"name": "digest", "type": {"type": "fixed", "name": "Digest", "size": 4}},
        {"name": "again", "type": "Digest"},
        {"name": "colour", "type": {"type": "enum", "name": "Colour", "symbols": ["RED", "GREEN", "BLUE"]}},
        {"name": "colours", "type": {"type": "array", "items": "Colour"}},
        {
            "name": "points",
            "type": {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "Point",
                    "fields": [{"name": "x", "type": "double"}, {"name": "y", "type": ["null", "float"]}],
                },
            },
        },
        {"name": "origin", "type": "Point"},
        {"name": "tags", "type": {"type": "map", "values": ["null", "long", "string"]}},
        {"name": "matrix", "type": {"type": "array", "items": {"type": "array", "items": "int"}}},
        {
            "name": "chain",
            "type": [
                "null",
                {
                    "type": "record",
                    "name": "Link",
                    "fields": [{"name": "value", "type": "int"}, {"name": "next", "type": ["null", "Link"]}],
                },
            ],
        },
        {"name": "id", "type": ["null", {"type": "string", "logicalType": "uuid"}]},
        {"name": "at_ms", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "at_us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "clock_ms", "type": {"type": "int", "logicalType": "time-millis"}},
        {"name": "clock_us", "type": {"type": "long", "logicalType": "time-micros"}},
        {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 4}},
        {
            "name": "fixed_price",
            "type": {
                "type": "fixed",
                "name": "Money",
                "size": 8,
                "logicalType": "decimal",
                "precision": 10,
                "scale": 2,
            },
        },
        {"name": "note", "type": {"type": "string", "logicalType": "not-a-known-logical-type"}},
    ],
}
EVERY_TYPE_PARSED = parse_schema(EVERY_TYPE)
SCHEMAS = [(c.__name__, json.loads(c.SCHEMA_TEXT)) for c in ALL_AVRO] + [("EveryType", EVERY_TYPE)]
_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fastavro(parsed: Any, data: bytes, offset: int = 0) -> tuple[Any, int]:
    stream = io.BytesIO(data)
    stream.seek(offset)
    datum = schemaless_reader(stream, parsed, None)
    return datum, stream.tell()


def _encode(parsed: Any, datum: Any) -> bytes:
    body = io.BytesIO()
    schemaless_writer(body, parsed, datum)
    return body.getvalue()


def _agrees(parsed: Any, data: bytes, offset: int = 0) -> bool:
    """The compiled reader either refuses ``data`` or reads exactly what fastavro reads; returns
    whether it accepted."""
    read = compile_reader(parsed)
    assert read is not None
    try:
        got = read(data, offset)
    except Exception:
        return False
    # repr: a damaged double may be NaN, which equals nothing; repr also tells -0.0 from 0.0
    assert repr(got) == repr(_fastavro(parsed, data, offset))
    return True


def test_every_contract_and_every_type_compiles() -> None:
    for name, schema in SCHEMAS:
        assert compile_reader(parse_schema(schema)) is not None, name


@pytest.mark.parametrize(("name", "schema"), SCHEMAS, ids=[name for name, _ in SCHEMAS])
def test_random_datums_read_as_fastavro_reads_them(name: str, schema: dict[str, Any]) -> None:
    parsed = parse_schema(schema)
    read = compile_reader(parsed)
    assert read is not None

    @_SETTINGS
    @given(datum_strategy(schema), st.binary(max_size=6))
    def check(datum: Any, prefix: bytes) -> None:
        data = prefix + _encode(parsed, datum)
        assert repr(read(data, len(prefix))) == repr(_fastavro(parsed, data, len(prefix)))

    check()


@pytest.mark.parametrize(("name", "schema"), SCHEMAS, ids=[name for name, _ in SCHEMAS])
def test_damaged_bodies_are_refused_or_read_as_fastavro_reads_them(name: str, schema: dict[str, Any]) -> None:
    parsed = parse_schema(schema)

    @_SETTINGS
    @given(datum_strategy(schema), st.data())
    def check(datum: Any, draw: st.DataObject) -> None:
        data = bytearray(_encode(parsed, datum))
        cut = draw.draw(st.integers(0, len(data)))
        if draw.draw(st.booleans()):
            damaged = bytes(data[:cut])  # truncated
        else:
            data[min(cut, len(data) - 1)] = draw.draw(st.integers(0, 255))  # one byte changed
            damaged = bytes(data)
        _agrees(parsed, damaged)

    check()


_ENUM = {"type": "enum", "name": "E", "symbols": ["A", "B", "C"]}
_UNION = ["null", "int", "string"]


@pytest.mark.parametrize(
    ("schema", "body", "fastavro_reads"),
    [
        ({"type": "boolean"}, b"\x02", True),  # boolean byte 2: fastavro says True
        (_ENUM, b"\x01\x00", True),  # enum index -1: fastavro wraps to the last symbol
        (_ENUM, b"\x06", False),  # enum index 3 of 3 symbols
        (_UNION, b"\x05", True),  # union index -3: fastavro wraps
        (_UNION, b"\x08", False),  # union index 4 of 3 branches
        ({"type": "long"}, b"\xff" * 10 + b"\x01", True),  # an 11-byte varint: fastavro wraps it
        ({"type": "long"}, b"\x80" * 9 + b"\x02", True),  # 65 bits in ten bytes: fastavro drops one
        ({"type": "string"}, b"\x01", False),  # string of length -1
        ({"type": "string"}, b"\x7f", False),  # string longer than the record
    ],
)
def test_unusual_encodings_are_left_to_fastavro(schema: Any, body: bytes, fastavro_reads: bool) -> None:
    parsed = parse_schema(schema)
    read = compile_reader(parsed)
    assert read is not None
    with pytest.raises((NotStraightLine, IndexError, ValueError)):
        read(body, 0)
    try:
        _fastavro(parsed, body)
    except Exception:
        assert not fastavro_reads
    else:
        assert fastavro_reads


def test_negative_block_counts_with_sizes_are_read() -> None:
    parsed = parse_schema({"type": "array", "items": "int"})
    # a block of -2 items (so a byte size follows: 2), the items 1 and 2, then the end block
    body = b"\x03\x04\x02\x04\x00"
    read = compile_reader(parsed)
    assert read is not None
    assert read(body, 0) == ([1, 2], 5) == _fastavro(parsed, body)


def test_a_block_claiming_more_items_than_bytes_is_refused_without_allocating() -> None:
    parsed = parse_schema({"type": "array", "items": "long"})
    read = compile_reader(parsed)
    assert read is not None
    with pytest.raises(NotStraightLine):
        read(b"\xfe\xff\xff\xff\x0f", 0)  # 2**31 - 1 items announced in five bytes


def test_field_names_are_literals_not_code() -> None:
    # A parsed schema is a dict a caller could build by hand: names must never become code.
    sneaky = "a'}, p\nimport os  # "
    schema = {
        "type": "record",
        "name": "R",
        "fields": [{"name": sneaky, "type": "int"}],
        "__named_schemas": {},
    }
    read = compile_reader(schema)
    assert read is not None
    assert read(b"\x54", 0) == ({sneaky: 42}, 1)


def test_schemas_it_leaves_to_fastavro_do_not_compile() -> None:
    assert (
        compile_reader({"type": "record", "name": "R", "fields": [{"name": "x", "type": "Unknown"}]}) is None
    )
    assert compile_reader({"type": "no-such-type"}) is None


def test_the_codec_decodes_through_the_compiled_reader_and_falls_back_to_fastavro() -> None:
    codec = AvroCodec(FetchWeather, 3)
    command = avro_sample(FetchWeather)
    data = codec.encode(command)
    straight = codec._reader
    assert straight is not None
    assert straight(data, 5)[1] == len(data)
    assert codec.decode(data) == command
    assert codec.decode_datum(data) == _fastavro(FetchWeather.PARSED_SCHEMA, data, 5)[0]

    # The enum byte after command_id, issued_at and source: index -1, which fastavro wraps and the
    # compiled reader refuses. The codec gives fastavro's answer.
    body = bytearray(data)
    at = _enum_offset(data)
    body[at] = 0x01
    odd = bytes(body)
    with pytest.raises(NotStraightLine):
        straight(odd, 5)
    wrapped = codec.decode(odd)
    assert wrapped.event == list(type(command.event))[-1]
    assert codec.decode_datum(odd) == _fastavro(FetchWeather.PARSED_SCHEMA, odd, 5)[0]

    with pytest.raises(TruncatedRecord):
        codec.decode(data[:-6])  # the last field (a six-byte timestamp) missing
    with pytest.raises(SchemaMismatch):
        codec.decode(data + b"\x00")
    # not bytes: fastavro reads it
    assert codec.decode(bytearray(data)) == command  # type: ignore[arg-type]


def test_writers_learned_with_the_same_schema_use_the_compiled_reader() -> None:
    codec = AvroCodec(FetchWeather, 3)
    codec.learn_writer(9, "AVRO", FetchWeather.SCHEMA_TEXT)
    assert codec._fast[pack_header(9)] is codec._own  # read by the compiled reader
    data = pack_header(9) + codec.encode(avro_sample(FetchWeather))[5:]
    assert codec.decode(data) == avro_sample(FetchWeather)


def _enum_offset(data: bytes) -> int:
    """Where FetchWeather's ``event`` byte is: after the command id, issued_at and source."""
    pos = 5
    length = data[pos] >> 1
    pos += 1 + length  # command_id
    while data[pos] & 0x80:  # issued_at varint
        pos += 1
    pos += 1
    length = data[pos] >> 1
    return pos + 1 + length  # after source


def test_every_contract_reads_the_same_through_both_paths() -> None:
    for contract in ALL_AVRO:
        codec: AvroCodec[AvroContract] = AvroCodec(contract, 1)
        data = codec.encode(avro_sample(contract))
        assert codec.decode_datum(data) == _fastavro(contract.PARSED_SCHEMA, data, 5)[0], contract.__name__


def test_schemas_nested_past_pythons_block_limit_are_left_to_fastavro() -> None:
    deep: Any = "long"
    for _ in range(11):  # each array level is a while and a for: Python allows 20 nested blocks
        deep = {"type": "array", "items": deep}
    assert compile_reader(parse_schema(deep)) is None
    shallow: Any = "long"
    for _ in range(5):
        shallow = {"type": "array", "items": shallow}
    assert compile_reader(parse_schema(shallow)) is not None


@pytest.mark.parametrize("size", ["4", 2.5, -1])
def test_fixed_sizes_fastavro_cannot_read_are_not_compiled(size: Any) -> None:
    schema = {"type": "fixed", "name": "F", "size": size, "__named_schemas": {}}
    assert compile_reader(schema) is None


def test_a_writer_learned_again_as_something_else_is_no_longer_read_as_before() -> None:
    codec = AvroCodec(FetchWeather, 3)
    codec.learn_writer(9, "AVRO", FetchWeather.SCHEMA_TEXT)
    data = pack_header(9) + codec.encode(avro_sample(FetchWeather))[5:]
    assert codec.decode(data) == avro_sample(FetchWeather)
    codec.learn_writer(9, "PROTOBUF", "syntax = 'proto3';")
    with pytest.raises(SchemaMismatch, match="PROTOBUF"):
        codec.decode(data)
