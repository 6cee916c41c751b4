"""What the blocking and the asyncio serde share: codec cache, lookup outcomes, writer schemas.

:class:`flux.serde.sync_serde.Serde` and :class:`flux.serde.async_serde.AsyncSerde` differ only
in how they talk to the registry (confluent-kafka's blocking or async client). Everything that
decides — which schema a class has, when a failed lookup means "register it" or "fail", binding a
codec to its id, turning a missing writer schema into :class:`UnknownSchemaId` — lives here once,
free of I/O, the way python-socketio keeps its server logic apart from its transports.
"""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from confluent_kafka.schema_registry import Schema, SchemaRegistryError

from flux.schemas.error_codes import is_not_found
from flux.serde.avro_codec import AvroCodec
from flux.serde.contract_schema import ContractSchema, contract_schema
from flux.serde.errors import SchemaNotRegistered, UnknownSchemaId
from flux.serde.protobuf_codec import ProtobufCodec

__all__ = ["SerdeCore", "WireCodec", "build_codec", "not_found"]

LOG = logging.getLogger(__name__)

WireCodec = AvroCodec[Any] | ProtobufCodec[Any]
"""The wire codec of one contract class (Avro or Protobuf): what a serde caches per class."""


def build_codec(contract: type, schema_id: int) -> WireCodec:
    """Return the codec of ``contract`` bound to its schema id."""
    coordinates = contract_schema(contract)
    if coordinates.schema_type == "AVRO":
        return AvroCodec(contract, schema_id)
    return ProtobufCodec(contract, schema_id, coordinates.text)


def not_found(exc: SchemaRegistryError) -> bool:
    """True when the registry said the subject, version or schema does not exist."""
    return is_not_found(exc.error_code, exc.http_status_code)


class SerdeCore:
    """Codec cache and registry decisions of one serde (no I/O; see the module docs).

    Args:
        auto_register: register a class's schema when it is missing instead of failing.
    """

    def __init__(self, *, auto_register: bool = False) -> None:
        self.auto_register = auto_register
        self._codecs: dict[type, WireCodec] = {}

    @staticmethod
    def _wanted(contract: type) -> tuple[ContractSchema, Schema]:
        """The subject and schema ``contract`` is written with."""
        coordinates = contract_schema(contract)
        return coordinates, Schema(coordinates.text, coordinates.schema_type)

    def _register_or_raise(
        self, contract: type, coordinates: ContractSchema, exc: SchemaRegistryError
    ) -> None:
        """After a failed lookup: return when the schema should be registered now, else raise."""
        if not not_found(exc):
            raise exc
        if not self.auto_register:
            raise SchemaNotRegistered(
                f"{contract.__name__}'s schema is not registered under {coordinates.subject}: "
                f"{exc.error_message} (run `make register-schemas`)"
            ) from exc

    def _bind(self, contract: type, coordinates: ContractSchema, schema_id: int | None) -> WireCodec:
        """Cache and return the codec of ``contract`` under the id the registry gave."""
        if schema_id is None:
            raise SchemaNotRegistered(f"the registry returned no id for {coordinates.subject}")
        LOG.info("%s uses schema id %d (%s)", contract.__name__, schema_id, coordinates.subject)
        codec = build_codec(contract, schema_id)
        self._codecs[contract] = codec
        return codec

    @staticmethod
    def _writer_missing(schema_id: int, exc: SchemaRegistryError) -> NoReturn:
        """After a failed writer-schema fetch: :class:`UnknownSchemaId` when it does not exist."""
        if not_found(exc):
            raise UnknownSchemaId(schema_id, f"not in the registry ({exc.error_message})") from exc
        raise exc

    @staticmethod
    def _teach(codec: WireCodec, schema_id: int, schema: Schema) -> None:
        codec.learn_writer(schema_id, str(schema.schema_type or "AVRO"), str(schema.schema_str))
