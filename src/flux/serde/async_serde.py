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

from typing import Any, TypeVar, cast

from confluent_kafka.schema_registry import AsyncSchemaRegistryClient, SchemaRegistryError

from flux.serde.avro_codec import AvroCodec
from flux.serde.errors import UnknownSchemaId
from flux.serde.serde_core import SerdeCore, WireCodec
from flux.settings import Settings

__all__ = ["AsyncSerde", "WireCodec"]

T = TypeVar("T")


class AsyncSerde(SerdeCore):
    """Encode/decode generated contract objects through the Schema Registry (asyncio).

    Args:
        client: confluent-kafka's async registry client (it caches ids and schemas too).
        auto_register: register a class's schema when it is missing instead of failing. Off in
            services: schemas are registered by ``make register-schemas``.
    """

    def __init__(self, client: AsyncSchemaRegistryClient, *, auto_register: bool = False) -> None:
        super().__init__(auto_register=auto_register)
        self.client = client

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, auto_register: bool = False) -> AsyncSerde:
        """Build a serde talking to ``settings.registry_url``."""
        config = (settings or Settings()).registry_client_config()
        return cls(AsyncSchemaRegistryClient(config), auto_register=auto_register)

    async def aclose(self) -> None:
        """Close the registry client's HTTP session."""
        await self.client.aclose()

    async def codec(self, contract: type[T]) -> WireCodec:
        """Return the (cached) codec of ``contract``, looking its schema id up on first use.

        Raises:
            SchemaNotRegistered: the class's schema is not registered under its subject.
        """
        codec = self._codecs.get(contract)
        if codec is not None:
            return codec
        coordinates, schema = self._wanted(contract)
        try:
            schema_id = (await self.client.lookup_schema(coordinates.subject, schema)).schema_id
        except SchemaRegistryError as exc:
            self._register_or_raise(contract, coordinates, exc)
            schema_id = await self.client.register_schema(coordinates.subject, schema)
        return self._bind(contract, coordinates, schema_id)

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

    async def decode_datum(self, contract: type, data: bytes) -> Any:
        """Like :meth:`decode`, but an Avro record stays fastavro's datum (a dict in the class's
        schema, logical types applied) instead of becoming a class instance; a Protobuf record is
        its message. For consumers that only reshape the data (the BFF), this skips building and
        taking apart an object per record.

        Raises:
            SerdeError: the record cannot be read as ``contract`` (dead-letter it).
        """
        codec = self._codecs.get(contract) or await self.codec(contract)
        try:
            return codec.decode_datum(data) if isinstance(codec, AvroCodec) else codec.decode(data)
        except UnknownSchemaId as exc:
            await self.learn_writer(codec, exc.schema_id)
        return codec.decode_datum(data) if isinstance(codec, AvroCodec) else codec.decode(data)

    async def learn_writer(self, codec: WireCodec, schema_id: int) -> None:
        """Fetch writer schema ``schema_id`` from the registry and teach it to ``codec``."""
        if codec.knows(schema_id):
            return
        try:
            schema = await self.client.get_schema(schema_id, fmt=codec.WRITER_FORMAT)
        except SchemaRegistryError as exc:
            self._writer_missing(schema_id, exc)
        self._teach(codec, schema_id, schema)
