"""Wire-format header and Protobuf message-index encoding, checked against confluent-kafka's own."""

from __future__ import annotations

import io

import pytest
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer

from flux.serde import BadMagicByte, TruncatedRecord
from flux.serde.wire import decode_message_indexes, encode_message_indexes, pack_header, read_header


def test_header_round_trip_is_big_endian() -> None:
    assert pack_header(258) == b"\x00\x00\x00\x01\x02"
    assert read_header(pack_header(2**31 - 1) + b"body") == 2**31 - 1


def test_bad_magic_byte() -> None:
    with pytest.raises(BadMagicByte) as info:
        read_header(b"\x01\x00\x00\x00\x01")
    assert info.value.first_byte == 1


def test_short_header_is_truncated() -> None:
    with pytest.raises(TruncatedRecord):
        read_header(b"\x00\x00")


@pytest.mark.parametrize("indexes", [[0], [1], [0, 2], [3, 1, 4], [300], [1, 0]])
def test_message_indexes_match_confluent_kafka(indexes: list[int]) -> None:
    theirs = io.BytesIO()
    ProtobufSerializer._encode_varints(theirs, indexes)
    ours = encode_message_indexes(indexes)
    assert ours == theirs.getvalue()
    decoded, position = decode_message_indexes(b"\x00" * 3 + ours + b"rest", 3)
    assert decoded == indexes
    assert position == 3 + len(ours)


def test_message_index_array_cut_short() -> None:
    with pytest.raises(TruncatedRecord):
        decode_message_indexes(b"\x04\x80", 0)
