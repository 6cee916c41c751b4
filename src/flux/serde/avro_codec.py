"""Encode and decode one generated Avro class in the Confluent wire format, without I/O.

A codec knows its class's own schema id and every writer schema id it has been told about (the
async/sync facades fetch unknown ids from the registry and call :meth:`AvroCodec.learn_writer`).
Records written with the class's own schema take the fast path: the schema compiled once into a
straight-line reader (:mod:`flux.serde.avro_reader`; fastavro reads whatever that reader refuses,
and every error comes from fastavro). Records written with an older (or newer) compatible version
are resolved by fastavro to the class's schema, so old events decode into today's classes.
"""

from __future__ import annotations

import json
import logging
import struct
from collections.abc import Callable
from io import BytesIO
from typing import Any, ClassVar, Generic, TypeVar

from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.types import Schema

from flux.contracts.types import AvroContract
from flux.schemas.compatibility import InvalidSchemaError, check_compatibility
from flux.serde.avro_reader import StraightLineReader, compile_reader
from flux.serde.errors import BadMagicByte, SchemaMismatch, TruncatedRecord, UnknownSchemaId
from flux.serde.fieldwise import ENCODE_ERRORS, FieldwiseWriter
from flux.serde.wire import HEADER, HEADER_SIZE, MAGIC_BYTE, pack_header

__all__ = ["AvroCodec"]

LOG = logging.getLogger(__name__)

C = TypeVar("C", bound=AvroContract)

# (writer schema, reader schema or None for "same as writer") or the reason the writer is unreadable.
_Plan = tuple[Schema, Schema | None] | str


class AvroCodec(Generic[C]):
    """Wire-format codec of one generated Avro class.

    Args:
        contract: the generated class (``FetchWeather``, ``WeatherUpdated``, ...).
        schema_id: the registry id of ``contract.SCHEMA_TEXT`` under ``contract.SUBJECT``.
    """

    WRITER_FORMAT: ClassVar[str | None] = None
    """How the serde asks the registry for writer schemas (the default: the schema text)."""

    __slots__ = (
        "_fast",
        "_from_dict",
        "_header",
        "_own",
        "_plans",
        "_reader",
        "_schema",
        "contract",
        "fieldwise",
        "schema_id",
    )

    def __init__(self, contract: type[C], schema_id: int) -> None:
        self.contract = contract
        self.schema_id = schema_id
        self._schema = contract.PARSED_SCHEMA
        self._header = pack_header(schema_id)
        self._from_dict: Callable[[Any], C] = contract.from_dict
        # The plan of writers whose schema is the class's own (no resolution): the one object, so
        # the hot path tells it by identity and reads such records with the compiled reader.
        self._own: tuple[Schema, Schema | None] = (self._schema, None)
        self._plans: dict[int, _Plan] = {schema_id: self._own}
        # Readable writers keyed by their whole 5-byte header: the hot path's only lookup.
        self._fast: dict[bytes, tuple[Schema, Schema | None]] = {self._header: self._own}
        self._reader: StraightLineReader | None = compile_reader(self._schema)
        # Encodes field by field, each field's bytes remembered (None: the schema cannot be split).
        self.fieldwise = FieldwiseWriter.for_contract(contract)

    def knows(self, schema_id: int) -> bool:
        """True when records with ``schema_id`` can be decoded (or rejected) without the registry."""
        return schema_id in self._plans

    def learn_writer(self, schema_id: int, schema_type: str, text: str) -> None:
        """Record how to read data written with registry schema ``schema_id``.

        Incompatible or non-Avro writers are remembered too: their records raise ``SchemaMismatch``.
        """
        header = pack_header(schema_id)
        self._fast.pop(header, None)  # what was learned before goes; readable writers are set below
        if schema_type.upper() != "AVRO":
            self._plans[schema_id] = f"schema id {schema_id} is {schema_type}, not AVRO"
            return
        try:
            writer_json = json.loads(text)
        except ValueError as exc:
            self._plans[schema_id] = f"schema id {schema_id} is not valid JSON: {exc}"
            return
        if writer_json == json.loads(self.contract.SCHEMA_TEXT):
            self._plans[schema_id] = self._fast[header] = self._own
            return
        try:
            problems = check_compatibility("AVRO", self.contract.SCHEMA_TEXT, [text], "BACKWARD")
        except InvalidSchemaError as exc:
            problems = [str(exc)]
        if problems:
            reason = f"{self.contract.__name__} cannot read schema id {schema_id}: {'; '.join(problems)}"
            LOG.warning("%s", reason)
            self._plans[schema_id] = reason
            return
        self._plans[schema_id] = self._fast[header] = (
            parse_schema(writer_json),
            self._schema,
        )
        LOG.info("schema id %d will be resolved to %s", schema_id, self.contract.__name__)

    def to_datum(self, obj: C) -> dict[str, Any]:
        """Return fastavro's datum form of ``obj``."""
        return obj.to_dict()

    def encode(self, obj: C) -> bytes:
        """Serialize ``obj``: magic byte, schema id, Avro binary body.

        Raises:
            SchemaMismatch: a field holds a value the schema does not allow (e.g. a Decimal with
                more decimal places than the schema's scale).
        """
        if self.fieldwise is not None:
            return self._header + self.fieldwise.encode(obj)
        try:
            buffer = BytesIO()
            buffer.write(self._header)
            schemaless_writer(buffer, self._schema, obj.to_dict())
        except ENCODE_ERRORS as exc:
            raise SchemaMismatch(f"{type(obj).__name__} does not fit its schema: {exc}") from exc
        return buffer.getvalue()

    def encode_checked(self, obj: C, reads: tuple[str, ...], check: Callable[[dict[str, Any]], Any]) -> bytes:
        """:meth:`encode` with ``check`` (WRITE rules reading only the top-level fields ``reads``,
        returning the record as they left it) run unless those fields' values passed before
        (:meth:`FieldwiseWriter.encode_checked`); without a field-wise writer, always run.

        Raises:
            SchemaMismatch: the record does not fit the schema. Whatever ``check`` raises.
        """
        if self.fieldwise is None:
            return self.encode_datum(check(obj.to_dict()))
        return self._header + self.fieldwise.encode_checked(obj, reads, check)

    def encode_datum(self, datum: dict[str, Any]) -> bytes:
        """Serialize a datum in the class's schema (what :meth:`encode` does after ``to_dict``).

        Raises:
            SchemaMismatch: the datum does not fit the schema.
        """
        buffer = BytesIO()
        buffer.write(self._header)
        try:
            schemaless_writer(buffer, self._schema, datum)
        except ENCODE_ERRORS as exc:
            raise SchemaMismatch(f"{self.contract.__name__} datum does not fit its schema: {exc}") from exc
        return buffer.getvalue()

    def decode_datum(self, data: bytes) -> dict[str, Any]:
        """Decode ``data`` to fastavro's datum form in the class's schema (no class instance)."""
        plan = self._fast_plan(data)
        datum: dict[str, Any] | None = None if plan is None else self._compiled(data, plan)
        return self._read(data) if datum is None else datum

    def _fast_plan(self, data: bytes) -> tuple[Schema, Schema | None] | None:
        """The plan of ``data``'s writer from its header alone (None: the slow path decides)."""
        try:
            return self._fast.get(data[:HEADER_SIZE])
        except TypeError:  # a bytearray: its slice is unhashable
            return None

    def _compiled(self, data: bytes, plan: tuple[Schema, Schema | None]) -> Any:
        """The datum read by the compiled reader, when ``plan`` is the class's own schema and the
        reader accepts the whole body; else None (the caller reads with fastavro)."""
        if plan is not self._own or self._reader is None or type(data) is not bytes:
            return None  # a memoryview's slices are not bytes
        try:
            datum, end = self._reader(data, HEADER_SIZE)
        except Exception:  # refused: fastavro decides (see flux.serde.avro_reader)
            return None
        return datum if end == len(data) else None

    def decode_datum_as(self, data: bytes, reader: Schema | None) -> dict[str, Any]:
        """Decode ``data`` to a datum of ``reader`` (a parsed schema), or of the writer's own schema
        when ``reader`` is None (no resolution: what migration rules start from)."""
        datum: dict[str, Any] = self._read(data, reader, override=True)
        return datum

    def _read(self, data: bytes, reader: Schema | None = None, *, override: bool = False) -> Any:
        try:
            magic, schema_id = HEADER.unpack_from(data)
        except struct.error:
            raise TruncatedRecord(f"record of {len(data)} bytes is shorter than the 5-byte header") from None
        if magic != MAGIC_BYTE:
            raise BadMagicByte(data[0])
        plan = self._plans.get(schema_id)
        if plan is None:
            raise UnknownSchemaId(schema_id)
        if isinstance(plan, str):
            raise SchemaMismatch(plan)
        stream = BytesIO(data)
        stream.seek(HEADER_SIZE)
        try:
            datum = schemaless_reader(stream, plan[0], reader if override else plan[1])
        except EOFError as exc:
            raise TruncatedRecord(f"record body ends early (schema id {schema_id})") from exc
        except Exception as exc:
            raise SchemaMismatch(f"record body does not match schema id {schema_id}: {exc!r}") from exc
        if stream.tell() != len(data):
            raise SchemaMismatch(
                f"{len(data) - stream.tell()} trailing bytes after the record (schema id {schema_id})"
            )
        return datum

    def decode(self, data: bytes) -> C:
        """Deserialize ``data`` into an instance of the class.

        Raises:
            SerdeError: ``BadMagicByte``, ``UnknownSchemaId``, ``TruncatedRecord`` or ``SchemaMismatch``.
        """
        # The hot path: one dict lookup for magic byte + schema id together, then the compiled
        # reader for the class's own schema, else _read's steps inlined. Anything unusual (short
        # record, bad magic, unknown or unreadable writer, bad body) takes the slow path, which
        # raises the precise error.
        plan = self._fast_plan(data)
        if plan is None:
            return self.from_datum(self._read(data))
        datum = self._compiled(data, plan)
        if datum is None:
            stream = BytesIO(data)
            stream.seek(HEADER_SIZE)
            try:
                datum = schemaless_reader(stream, plan[0], plan[1])
            except Exception:
                return self.from_datum(self._read(data))
            if stream.tell() != len(data):
                return self.from_datum(self._read(data))
        return self.from_datum(datum)

    def from_datum(self, datum: Any) -> C:
        """Build the class's instance from a datum in its schema."""
        try:
            return self._from_dict(datum)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SchemaMismatch(f"datum does not build a {self.contract.__name__}: {exc!r}") from exc
