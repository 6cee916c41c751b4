"""ProtobufCodec: Confluent framing with message indexes, and typed errors."""

from __future__ import annotations

import base64
from typing import NoReturn

import pytest
from google.protobuf import descriptor_pb2

from flux.contracts import Tick, TickerBatch
from flux.schemas import protobuf_schema
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


def _writer_descriptor(change: str) -> str:
    """The ticker's descriptor (``format=serialized``), with one field added or retyped."""
    proto = descriptor_pb2.FileDescriptorProto()
    TickerBatch.DESCRIPTOR.file.CopyToProto(proto)
    batch = next(m for m in proto.message_type if m.name == "TickerBatch")
    if change == "add":
        batch.field.add(
            name="venue", number=99, type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING, label=1
        )
    else:
        retyped = next(f for f in batch.field if f.type == descriptor_pb2.FieldDescriptorProto.TYPE_STRING)
        retyped.type = descriptor_pb2.FieldDescriptorProto.TYPE_BOOL
    return base64.standard_b64encode(proto.SerializeToString()).decode("ascii")


@pytest.mark.parametrize(("change", "readable"), [("add", True), ("retype", False)])
def test_writer_descriptors_are_judged_without_compiling_anything(
    change: str, readable: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A serving process never runs protoc: writers arrive as descriptors, the reader's is the class's."""
    assert ProtobufCodec.WRITER_FORMAT == "serialized"

    def no_protoc(*_: object) -> NoReturn:
        raise AssertionError("protoc ran")

    monkeypatch.setattr(protobuf_schema, "_compile_text", no_protoc)
    codec = ProtobufCodec(TickerBatch, 21, TEXT)
    codec.learn_writer(30, "PROTOBUF", _writer_descriptor(change))
    data = ProtobufCodec(TickerBatch, 30, TEXT).encode(ticker_sample())
    if readable:
        assert codec.decode(data).batch_sequence == 7
    else:
        with pytest.raises(SchemaMismatch, match="cannot read schema id 30"):
            codec.decode(data)
