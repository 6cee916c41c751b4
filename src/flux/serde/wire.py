"""Confluent wire format: magic byte 0, 4-byte big-endian schema id, then the body.

Protobuf bodies are preceded by the message-index array: the path of the message type within its
``.proto`` file, as zig-zag varints (count first). The common case, the file's first message, is
the single byte ``0``, exactly as confluent-kafka writes it.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Sequence
from typing import Final

from flux.serde.errors import BadMagicByte, TruncatedRecord

__all__ = [
    "HEADER",
    "HEADER_SIZE",
    "MAGIC_BYTE",
    "decode_message_indexes",
    "encode_message_indexes",
    "pack_header",
    "read_header",
]

LOG = logging.getLogger(__name__)

MAGIC_BYTE: Final = 0
HEADER: Final = struct.Struct(">bI")
HEADER_SIZE: Final = HEADER.size


def pack_header(schema_id: int) -> bytes:
    """Return the 5-byte prefix for ``schema_id``."""
    return HEADER.pack(MAGIC_BYTE, schema_id)


def read_header(data: bytes) -> int:
    """Return the schema id of ``data``.

    Raises:
        TruncatedRecord: fewer than 5 bytes.
        BadMagicByte: the first byte is not 0.
    """
    if len(data) < HEADER_SIZE:
        raise TruncatedRecord(f"record of {len(data)} bytes is shorter than the 5-byte header")
    magic, schema_id = HEADER.unpack_from(data)
    if magic != MAGIC_BYTE:
        raise BadMagicByte(data[0])
    return int(schema_id)


def _zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 63)


def _write_varint(out: bytearray, value: int) -> None:
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def encode_message_indexes(indexes: Sequence[int]) -> bytes:
    """Encode a message-index path; ``[0]`` becomes the single byte ``0``."""
    if list(indexes) == [0]:
        return b"\x00"
    out = bytearray()
    _write_varint(out, _zigzag(len(indexes)))
    for index in indexes:
        _write_varint(out, _zigzag(index))
    return bytes(out)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = 0
    result = 0
    while True:
        if pos >= len(data):
            raise TruncatedRecord("record ends inside the Protobuf message-index array")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7
        if shift > 63:
            raise TruncatedRecord("malformed varint in the Protobuf message-index array")


def decode_message_indexes(data: bytes, pos: int) -> tuple[list[int], int]:
    """Read a message-index path at ``pos``; return it and the position of the message body."""
    count, pos = _read_varint(data, pos)
    if count == 0:
        return [0], pos
    if count < 0 or count > 64:
        raise TruncatedRecord(f"implausible message-index count {count}")
    indexes = []
    for _ in range(count):
        index, pos = _read_varint(data, pos)
        indexes.append(index)
    return indexes, pos
