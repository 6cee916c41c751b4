"""AvroCodec: round trips, schema evolution by writer id, and one typed error per kind of bad record."""

from __future__ import annotations

import dataclasses
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_writer

from flux.contracts import RefreshNews, TopCoinsUpdated, WeatherUpdated
from flux.contracts.types import AvroContract
from flux.schema_tools.examples import example_datum
from flux.schema_tools.subjects import load_subjects
from flux.serde import AvroCodec, BadMagicByte, SchemaMismatch, SerdeError, TruncatedRecord, UnknownSchemaId
from flux.serde.wire import pack_header

from .samples import ALL_AVRO, avro_sample


@pytest.mark.parametrize("contract", ALL_AVRO, ids=lambda c: c.__name__)
def test_every_contract_round_trips(contract: type[AvroContract]) -> None:
    codec = AvroCodec(contract, 11)
    obj = avro_sample(contract)
    data = codec.encode(obj)
    assert data[:5] == pack_header(11)
    assert codec.decode(data) == obj


def test_encode_matches_plain_fastavro_bytes() -> None:
    obj = avro_sample(WeatherUpdated)
    body = io.BytesIO()
    schemaless_writer(body, parse_schema(json.loads(WeatherUpdated.SCHEMA_TEXT)), obj.to_dict())
    assert AvroCodec(WeatherUpdated, 3).encode(obj) == pack_header(3) + body.getvalue()


def _weather_v1_record(schema_id: int) -> tuple[bytes, dict[str, Any]]:
    v1 = load_subjects().for_topic(WeatherUpdated.TOPIC).versions[0]
    datum = example_datum(v1.avro_json())
    body = io.BytesIO()
    schemaless_writer(body, parse_schema(v1.avro_json()), datum)
    return pack_header(schema_id) + body.getvalue(), datum


def test_old_writer_version_decodes_into_todays_class() -> None:
    v1 = load_subjects().for_topic(WeatherUpdated.TOPIC).versions[0]
    data, datum = _weather_v1_record(1)
    codec = AvroCodec(WeatherUpdated, 2)
    with pytest.raises(UnknownSchemaId) as info:
        codec.decode(data)
    assert info.value.schema_id == 1
    codec.learn_writer(1, "AVRO", v1.text)
    event = codec.decode(data)
    assert event.data is not None
    assert event.data.feels_like_c is None  # added in v2, default applies
    assert event.data.city == datum["data"]["city"]
    assert event.event_id == datum["event_id"]


def test_writer_with_identical_schema_takes_the_fast_path() -> None:
    codec = AvroCodec(RefreshNews, 5)
    pretty = json.dumps(json.loads(RefreshNews.SCHEMA_TEXT), indent=2)
    codec.learn_writer(9, "AVRO", pretty)
    other = AvroCodec(RefreshNews, 9)
    obj = avro_sample(RefreshNews)
    assert codec.decode(other.encode(obj)) == obj


def test_incompatible_writer_raises_schema_mismatch() -> None:
    codec = AvroCodec(WeatherUpdated, 2)
    foreign = '{"type":"record","name":"WeatherUpdated","namespace":"flux.weather","fields":[{"name":"x","type":"int"}]}'
    codec.learn_writer(77, "AVRO", foreign)
    with pytest.raises(SchemaMismatch, match="cannot read schema id 77"):
        codec.decode(pack_header(77) + b"\x02")


def test_non_avro_writer_raises_schema_mismatch() -> None:
    codec = AvroCodec(WeatherUpdated, 2)
    codec.learn_writer(8, "PROTOBUF", 'syntax = "proto3";')
    with pytest.raises(SchemaMismatch, match="PROTOBUF"):
        codec.decode(pack_header(8) + b"\x00")


def test_bad_magic_byte() -> None:
    data = bytearray(AvroCodec(RefreshNews, 1).encode(avro_sample(RefreshNews)))
    data[0] = 7
    with pytest.raises(BadMagicByte):
        AvroCodec(RefreshNews, 1).decode(bytes(data))


@pytest.mark.parametrize("cut", [0, 3, 5, 12, -1])
def test_truncated_records(cut: int) -> None:
    codec = AvroCodec(WeatherUpdated, 1)
    data = codec.encode(avro_sample(WeatherUpdated))
    with pytest.raises(TruncatedRecord):
        codec.decode(data[:cut])


def test_trailing_bytes_are_a_mismatch() -> None:
    codec = AvroCodec(RefreshNews, 1)
    with pytest.raises(SchemaMismatch, match="trailing"):
        codec.decode(codec.encode(avro_sample(RefreshNews)) + b"\x00")


def test_record_of_another_topic_with_the_same_id_is_a_serde_error() -> None:
    news = AvroCodec(RefreshNews, 1).encode(avro_sample(RefreshNews))
    with pytest.raises(SerdeError):
        AvroCodec(WeatherUpdated, 1).decode(news)


def test_value_outside_the_schema_raises_on_encode() -> None:
    coins = avro_sample(TopCoinsUpdated)
    too_precise = dataclasses.replace(coins.coins[0], market_cap=Decimal("1.001"))  # scale is 2
    with pytest.raises(SchemaMismatch, match="TopCoinsUpdated"):
        AvroCodec(TopCoinsUpdated, 1).encode(dataclasses.replace(coins, coins=[too_precise]))


def test_generated_instances_stay_frozen() -> None:
    news = avro_sample(RefreshNews)
    with pytest.raises(dataclasses.FrozenInstanceError):
        news.limit = 3
    assert dataclasses.replace(news, limit=3).limit == 3


def test_bytearray_and_memoryview_input_decode_too() -> None:
    codec = AvroCodec(RefreshNews, 4)
    obj = avro_sample(RefreshNews)
    data = codec.encode(obj)
    assert codec.decode(bytearray(data)) == obj  # type: ignore[arg-type]
    assert codec.decode(memoryview(data)) == obj  # type: ignore[arg-type]
