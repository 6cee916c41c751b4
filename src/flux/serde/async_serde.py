"""Registry-backed serde for asyncio code: encode and decode contract objects by class.

Registry I/O goes through confluent-kafka's ``AsyncSchemaRegistryClient`` and happens only the
first time a class is used (its schema id is looked up) or an unseen writer schema id arrives;
after that, ``encode``/``decode`` run the codec's synchronous fast path. Hot loops can take the
codec itself (:meth:`AsyncSerde.codec`) and call its ``encode``/``decode`` directly.

Example:
    serde = AsyncSerde.from_settings(Settings())
    payload = await serde.encode(event)
    event = await serde.decode(WeatherUpdated, payload)
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar, cast

from confluent_kafka.schema_registry import AsyncSchemaRegistryClient, Schema, SchemaRegistryError

from flux.serde.avro_codec import AvroCodec
from flux.serde.contract_schema import contract_schema
from flux.serde.errors import SchemaNotRegistered, UnknownSchemaId
from flux.serde.protobuf_codec import ProtobufCodec
from flux.settings import Settings

__all__ = ["AsyncSerde", "Codec"]

LOG = logging.getLogger(__name__)

T = TypeVar("T")
Codec = AvroCodec[Any] | ProtobufCodec[Any]

# Confluent error codes: subject not found, version not found, schema not found.
NOT_FOUND_CODES = frozenset({40401, 40402, 40403})


def build_codec(contract: type, schema_id: int) -> Codec:
    """Return the codec of ``contract`` bound to its schema id."""
    coordinates = contract_schema(contract)
    if coordinates.schema_type == "AVRO":
        return AvroCodec(contract, schema_id)
    return ProtobufCodec(contract, schema_id, coordinates.text)


def not_found(exc: SchemaRegistryError) -> bool:
    """True when the registry said the subject, version or schema does not exist."""
    return exc.http_status_code == 404 or exc.error_code in NOT_FOUND_CODES


class AsyncSerde:
    """Encode/decode generated contract objects through the Schema Registry (asyncio).

    Args:
        client: confluent-kafka's async registry client (it caches ids and schemas too).
        auto_register: register a class's schema when it is missing instead of failing. Off in
            services: schemas are registered by ``make register-schemas``.
    """

    def __init__(self, client: AsyncSchemaRegistryClient, *, auto_register: bool = False) -> None:
        self.client = client
        self.auto_register = auto_register
        self._codecs: dict[type, Codec] = {}

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, auto_register: bool = False) -> AsyncSerde:
        """Build a serde talking to ``settings.registry_url``."""
        config = (settings or Settings()).registry_client_config()
        return cls(AsyncSchemaRegistryClient(config), auto_register=auto_register)

    async def aclose(self) -> None:
        """Close the registry client's HTTP session."""
        await self.client.aclose()

    async def codec(self, contract: type[T]) -> Codec:
        """Return the (cached) codec of ``contract``, looking its schema id up on first use.

        Raises:
            SchemaNotRegistered: the class's schema is not registered under its subject.
        """
        codec = self._codecs.get(contract)
        if codec is not None:
            return codec
        coordinates = contract_schema(contract)
        schema = Schema(coordinates.text, coordinates.schema_type)
        try:
            registered = await self.client.lookup_schema(coordinates.subject, schema)
            schema_id = registered.schema_id
        except SchemaRegistryError as exc:
            if not not_found(exc):
                raise
            if not self.auto_register:
                raise SchemaNotRegistered(
                    f"{contract.__name__}'s schema is not registered under {coordinates.subject}: "
                    f"{exc.error_message} (run `make register-schemas`)"
                ) from exc
            schema_id = await self.client.register_schema(coordinates.subject, schema)
        if schema_id is None:
            raise SchemaNotRegistered(f"the registry returned no id for {coordinates.subject}")
        LOG.info("%s uses schema id %d (%s)", contract.__name__, schema_id, coordinates.subject)
        codec = build_codec(contract, schema_id)
        self._codecs[contract] = codec
        return codec

    async def encode(self, obj: object) -> bytes:
        """Serialize a contract object in the Confluent wire format."""
        codec = self._codecs.get(type(obj)) or await self.codec(type(obj))
        return codec.encode(obj)

    async def decode(self, contract: type[T], data: bytes) -> T:
        """Deserialize ``data`` into a ``contract`` instance, resolving older writer schemas.

        Raises:
            SerdeError: the record cannot become a ``contract`` (dead-letter it).
        """
        codec = self._codecs.get(contract) or await self.codec(contract)
        try:
            return cast("T", codec.decode(data))
        except UnknownSchemaId as exc:
            await self.learn_writer(codec, exc.schema_id)
        return cast("T", codec.decode(data))

    async def learn_writer(self, codec: Codec, schema_id: int) -> None:
        """Fetch writer schema ``schema_id`` from the registry and teach it to ``codec``."""
        if codec.knows(schema_id):
            return
        try:
            schema = await self.client.get_schema(schema_id)
        except SchemaRegistryError as exc:
            if not_found(exc):
                raise UnknownSchemaId(schema_id, f"not in the registry ({exc.error_message})") from exc
            raise
        codec.learn_writer(schema_id, str(schema.schema_type or "AVRO"), str(schema.schema_str))
