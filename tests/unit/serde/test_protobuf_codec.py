"""ProtobufCodec: Confluent framing with message indexes, and typed errors."""

from __future__ import annotations

import pytest

from flux.contracts import Tick, TickerBatch
from flux.serde import (
    BadMagicByte,
    ProtobufCodec,
    SchemaMismatch,
    SerdeError,
    TruncatedRecord,
    UnknownSchemaId,
)
from flux.serde.contract_schema import contract_schema
from flux.serde.protobuf_codec import message_indexes
from flux.serde.wire import pack_header

from .samples import ticker_sample

TEXT = contract_schema(TickerBatch).text


def test_round_trip_and_framing() -> None:
    codec = ProtobufCodec(TickerBatch, 21, TEXT)
    batch = ticker_sample()
    data = codec.encode(batch)
    assert data[:6] == pack_header(21) + b"\x00"
    assert data[6:] == batch.SerializeToString()
    assert codec.decode(data) == batch


def test_message_index_of_each_top_level_message() -> None:
    assert message_indexes(TickerBatch) == [0]
    assert message_indexes(Tick) == [1]


def test_record_of_another_message_type_is_a_mismatch() -> None:
    tick = ProtobufCodec(Tick, 21, TEXT).encode(ticker_sample().ticks[0])
    with pytest.raises(SchemaMismatch, match=r"\[1\]"):
        ProtobufCodec(TickerBatch, 21, TEXT).decode(tick)


def test_unknown_id_then_learned() -> None:
    codec = ProtobufCodec(TickerBatch, 21, TEXT)
    data = ProtobufCodec(TickerBatch, 22, TEXT).encode(ticker_sample())
    with pytest.raises(UnknownSchemaId):
        codec.decode(data)
    codec.learn_writer(22, "PROTOBUF", TEXT + "\n")
    assert codec.decode(data).batch_sequence == 7


def test_avro_writer_id_is_a_mismatch() -> None:
    codec = ProtobufCodec(TickerBatch, 21, TEXT)
    codec.learn_writer(5, "AVRO", "{}")
    with pytest.raises(SchemaMismatch, match="AVRO"):
        codec.decode(pack_header(5) + b"\x00")


def test_truncated_body_and_bad_magic() -> None:
    codec = ProtobufCodec(TickerBatch, 21, TEXT)
    data = codec.encode(ticker_sample())
    with pytest.raises(SerdeError):  # protobuf reports a cut body as "truncated" or "corrupt"
        codec.decode(data[:-3])
    with pytest.raises(TruncatedRecord):
        codec.decode(data[:5])
    with pytest.raises(BadMagicByte):
        codec.decode(b"\x05" + data[1:])
