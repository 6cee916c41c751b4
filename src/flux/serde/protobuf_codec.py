"""Encode and decode one generated Protobuf message class in the Confluent wire format, without I/O.

Wire layout: magic byte 0, 4-byte schema id, the message-index array (path of the message type in
its ``.proto`` file), then the Protobuf body. Protobuf bodies are decoded by the reader's class
directly; a writer schema only needs to be checked once for compatibility.

That check compares descriptors: the reader's comes from the generated class, the writer's is
fetched from the registry as a serialized ``FileDescriptorProto`` (``format=serialized``,
:attr:`ProtobufCodec.WRITER_FORMAT`), so no ``.proto`` text is compiled and protoc never runs
in a serving process (only a registry that ignores the format makes the check compile text).
"""

from __future__ import annotations

import base64
import logging
import struct
from typing import Any, ClassVar, Generic, TypeVar

from google.protobuf import descriptor_pb2
from google.protobuf.message import DecodeError, EncodeError

from flux.schemas.compatibility import InvalidSchemaError, check_compatibility
from flux.serde.errors import BadMagicByte, SchemaMismatch, TruncatedRecord, UnknownSchemaId
from flux.serde.wire import HEADER, HEADER_SIZE, MAGIC_BYTE, decode_message_indexes, encode_message_indexes

__all__ = ["ProtobufCodec", "descriptor_base64", "message_indexes"]

LOG = logging.getLogger(__name__)

M = TypeVar("M")


def descriptor_base64(message_class: Any) -> str:
    """The class's ``.proto`` file as a base64 ``FileDescriptorProto`` (what ``format=serialized`` returns)."""
    proto = descriptor_pb2.FileDescriptorProto()
    message_class.DESCRIPTOR.file.CopyToProto(proto)
    return base64.standard_b64encode(proto.SerializeToString()).decode("ascii")


def message_indexes(message_class: Any) -> list[int]:
    """Return the message-index path of a top-level message class within its file."""
    descriptor = message_class.DESCRIPTOR
    names = list(descriptor.file.message_types_by_name)
    if descriptor.containing_type is not None or descriptor.name not in names:
        raise TypeError(f"{descriptor.full_name} is not a top-level message; nested ones are not supported")
    return [names.index(descriptor.name)]


class ProtobufCodec(Generic[M]):
    """Wire-format codec of one generated Protobuf message class.

    Args:
        message_class: the ``_pb2`` class (``TickerBatch``).
        schema_id: registry id of the class's schema under its subject.
        schema_text: that schema's ``.proto`` text (to check other writers' schemas against).
    """

    WRITER_FORMAT: ClassVar[str | None] = "serialized"
    """How the serde asks the registry for writer schemas (``GET /schemas/ids/{id}?format=...``)."""

    __slots__ = ("_from_bytes", "_indexes", "_known", "_prefix", "message_class", "schema_id", "schema_text")

    def __init__(self, message_class: type[M], schema_id: int, schema_text: str) -> None:
        self.message_class = message_class
        self.schema_id = schema_id
        self.schema_text = schema_text
        self._indexes = message_indexes(message_class)
        self._prefix = HEADER.pack(MAGIC_BYTE, schema_id) + encode_message_indexes(self._indexes)
        self._from_bytes = message_class.FromString  # type: ignore[attr-defined]
        self._known: dict[int, str | None] = {schema_id: None}

    def knows(self, schema_id: int) -> bool:
        """True when records with ``schema_id`` can be decoded (or rejected) without the registry."""
        return schema_id in self._known

    def learn_writer(self, schema_id: int, schema_type: str, text: str) -> None:
        """Check the writer schema once; records of an incompatible one raise ``SchemaMismatch``."""
        if schema_type.upper() != "PROTOBUF":
            self._known[schema_id] = f"schema id {schema_id} is {schema_type}, not PROTOBUF"
            return
        reader = descriptor_base64(self.message_class)
        if text.strip() in (self.schema_text.strip(), reader):
            self._known[schema_id] = None
            return
        try:
            problems = check_compatibility("PROTOBUF", reader, [text], "BACKWARD")
        except InvalidSchemaError as exc:
            problems = [str(exc)]
        name = self.message_class.__name__
        self._known[schema_id] = (
            f"{name} cannot read schema id {schema_id}: {'; '.join(problems)}" if problems else None
        )

    def encode(self, message: M) -> bytes:
        """Serialize ``message`` with the wire-format prefix."""
        try:
            body: bytes = message.SerializeToString()  # type: ignore[attr-defined]
        except EncodeError as exc:
            raise SchemaMismatch(f"{self.message_class.__name__} is not initialised: {exc}") from exc
        return self._prefix + body

    def decode(self, data: bytes) -> M:
        """Deserialize ``data`` into a message.

        Raises:
            SerdeError: ``BadMagicByte``, ``UnknownSchemaId``, ``TruncatedRecord`` or ``SchemaMismatch``
                (the Protobuf runtime cannot always tell a cut body from a corrupt one: a cut body may
                surface as either).
        """
        try:
            magic, schema_id = HEADER.unpack_from(data)
        except struct.error:
            raise TruncatedRecord(f"record of {len(data)} bytes is shorter than the 5-byte header") from None
        if magic != MAGIC_BYTE:
            raise BadMagicByte(data[0])
        if schema_id not in self._known:
            raise UnknownSchemaId(schema_id)
        reason = self._known[schema_id]
        if reason is not None:
            raise SchemaMismatch(reason)
        if len(data) > HEADER_SIZE and data[HEADER_SIZE] == 0:
            indexes, position = [0], HEADER_SIZE + 1
        else:
            indexes, position = decode_message_indexes(data, HEADER_SIZE)
        if indexes != self._indexes:
            raise SchemaMismatch(
                f"record holds message {indexes}, {self.message_class.__name__} is {self._indexes}"
            )
        try:
            message: M = self._from_bytes(data[position:])
        except DecodeError as exc:
            if "runcated" in str(exc):
                raise TruncatedRecord(f"Protobuf body ends early: {exc}") from exc
            raise SchemaMismatch(f"Protobuf body does not parse: {exc}") from exc
        return message
