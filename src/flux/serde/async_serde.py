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

from confluent_kafka.schema_registry import (
    AsyncSchemaRegistryClient,
    RegisteredSchema,
    Schema,
    SchemaRegistryError,
)

from flux.serde.errors import UnknownSchemaId
from flux.serde.rule_runner import Headers
from flux.serde.serde_core import SerdeCore, WireCodec, not_found
from flux.settings import Settings

__all__ = ["AsyncSerde", "WireCodec"]

T = TypeVar("T")


class AsyncSerde(SerdeCore):
    """Encode/decode generated contract objects through the Schema Registry (asyncio).

    Args:
        client: confluent-kafka's async registry client (it caches ids and schemas too).
        auto_register: register a class's schema when it is missing instead of failing. Off in
            services: schemas are registered by ``make register-schemas``.
        write_rules: run each class's WRITE rules in :meth:`encode` (services turn this on).
        read_rules: run migration and READ rules in :meth:`decode` and :meth:`decode_datum`.
    """

    def __init__(
        self,
        client: AsyncSchemaRegistryClient,
        *,
        auto_register: bool = False,
        write_rules: bool = False,
        read_rules: bool = False,
    ) -> None:
        super().__init__(auto_register=auto_register, write_rules=write_rules, read_rules=read_rules)
        self.client = client

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        auto_register: bool = False,
        write_rules: bool = False,
        read_rules: bool = False,
    ) -> AsyncSerde:
        """Build a serde talking to ``settings.registry_url``."""
        config = (settings or Settings()).registry_client_config()
        return cls(
            AsyncSchemaRegistryClient(config),
            auto_register=auto_register,
            write_rules=write_rules,
            read_rules=read_rules,
        )

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
            schema_id = (await self._lookup(coordinates.subject, schema)).schema_id
        except SchemaRegistryError as exc:
            self._register_or_raise(contract, coordinates, exc)
            schema_id = await self.client.register_schema(coordinates.subject, schema)
        return self._bind(contract, coordinates, schema_id)

    async def _lookup(self, subject: str, schema: Schema) -> RegisteredSchema:
        """The version holding ``schema`` with its contracts, else (a registry that dropped them)
        the one holding its text."""
        try:
            return await self.client.lookup_schema(subject, schema)
        except SchemaRegistryError as exc:
            plain = self._plain(schema)
            if plain is None or not not_found(exc):
                raise
            return await self.client.lookup_schema(subject, plain)

    async def encode(self, obj: object, *, headers: Headers | None = None) -> bytes:
        """Serialize a contract object in the Confluent wire format (after its WRITE rules when
        ``write_rules`` is on; ``headers`` are the record's, for rules replayed past).

        Raises:
            RuleViolation: a WRITE rule failed with action ERROR or DLQ (produce nothing).
            SchemaMismatch: the object does not fit its schema.
        """
        encoded = self.encode_now(obj, headers=headers)
        if encoded is None:  # first use of the class: look its id up, then encode as loaded
            await self.codec(type(obj))
            encoded = self.encode_now(obj, headers=headers)
        return cast("bytes", encoded)

    async def decode(self, contract: type[T], data: bytes, *, headers: Headers | None = None) -> T:
        """Deserialize ``data`` into a ``contract`` instance, resolving older writer schemas (and
        running the migration and READ rules when ``read_rules`` is on).

        Raises:
            SerdeError: the record cannot become a ``contract``, or broke a rule (``RuleViolation``):
                dead-letter it.
        """
        codec = self._codecs.get(contract) or await self.codec(contract)
        try:
            return cast("T", self._read(codec, data, datum=False, version=None, headers=headers))
        except UnknownSchemaId as exc:
            await self.learn_writer(codec, exc.schema_id)
        return cast("T", self._read(codec, data, datum=False, version=None, headers=headers))

    async def decode_datum(
        self, contract: type, data: bytes, *, version: int | None = None, headers: Headers | None = None
    ) -> Any:
        """Like :meth:`decode`, but an Avro record stays fastavro's datum (a dict in the class's
        schema, logical types applied) instead of becoming a class instance; a Protobuf record is
        its message. For consumers that only reshape the data (the BFF), this skips building and
        taking apart an object per record.

        ``version`` reads the record as that version of the contract, as a reader pinned with
        confluent-kafka's ``use.latest.with.metadata`` does: through the migration rules between
        the writer's version and it, else by Avro schema resolution.

        Raises:
            SerdeError: the record cannot be read as ``contract``, or broke a rule
                (``RuleViolation``): dead-letter it.
        """
        codec = self._codecs.get(contract) or await self.codec(contract)
        try:
            return self._read(codec, data, datum=True, version=version, headers=headers)
        except UnknownSchemaId as exc:
            await self.learn_writer(codec, exc.schema_id)
        return self._read(codec, data, datum=True, version=version, headers=headers)

    async def learn_writer(self, codec: WireCodec, schema_id: int) -> None:
        """Fetch writer schema ``schema_id`` from the registry and teach it to ``codec``."""
        if codec.knows(schema_id):
            return
        try:
            schema = await self.client.get_schema(schema_id, fmt=codec.WRITER_FORMAT)
        except SchemaRegistryError as exc:
            self._writer_missing(schema_id, exc)
        self._teach(codec, schema_id, schema)
