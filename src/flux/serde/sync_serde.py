"""Registry-backed serde for synchronous code (CLIs, scripts, confluent-kafka callbacks).

Same behaviour as :class:`flux.serde.async_serde.AsyncSerde`, through confluent-kafka's blocking
``SchemaRegistryClient``.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from confluent_kafka.schema_registry import (
    RegisteredSchema,
    Schema,
    SchemaRegistryClient,
    SchemaRegistryError,
)

from flux.serde.errors import UnknownSchemaId
from flux.serde.rule_runner import Headers
from flux.serde.serde_core import SerdeCore, WireCodec, not_found
from flux.settings import Settings

__all__ = ["Serde"]

T = TypeVar("T")


class Serde(SerdeCore):
    """Encode/decode generated contract objects through the Schema Registry (blocking I/O).

    Args:
        client: confluent-kafka's registry client.
        auto_register: register a class's schema when it is missing instead of failing.
        write_rules: run each class's WRITE rules in :meth:`encode`.
        read_rules: run migration and READ rules in :meth:`decode` and :meth:`decode_datum`.
    """

    def __init__(
        self,
        client: SchemaRegistryClient,
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
    ) -> Serde:
        """Build a serde talking to ``settings.registry_url``."""
        config = (settings or Settings()).registry_client_config()
        return cls(
            SchemaRegistryClient(config),
            auto_register=auto_register,
            write_rules=write_rules,
            read_rules=read_rules,
        )

    def codec(self, contract: type[T]) -> WireCodec:
        """Return the (cached) codec of ``contract``, looking its schema id up on first use.

        Raises:
            SchemaNotRegistered: the class's schema is not registered under its subject.
        """
        codec = self._codecs.get(contract)
        if codec is not None:
            return codec
        coordinates, schema = self._wanted(contract)
        try:
            schema_id = self._lookup(coordinates.subject, schema).schema_id
        except SchemaRegistryError as exc:
            self._register_or_raise(contract, coordinates, exc)
            schema_id = self.client.register_schema(coordinates.subject, schema)
        return self._bind(contract, coordinates, schema_id)

    def _lookup(self, subject: str, schema: Schema) -> RegisteredSchema:
        """The version holding ``schema`` with its contracts, else the one holding its text."""
        try:
            return self.client.lookup_schema(subject, schema)
        except SchemaRegistryError as exc:
            plain = self._plain(schema)
            if plain is None or not not_found(exc):
                raise
            return self.client.lookup_schema(subject, plain)

    def encode(self, obj: object, *, headers: Headers | None = None) -> bytes:
        """Serialize a contract object in the Confluent wire format (after its WRITE rules when
        ``write_rules`` is on).

        Raises:
            RuleViolation: a WRITE rule failed with action ERROR or DLQ (produce nothing).
        """
        codec = self._codecs.get(type(obj)) or self.codec(type(obj))
        if not self.write_rules:
            return codec.encode(obj)
        return self._encode(codec, obj, headers)

    def decode(self, contract: type[T], data: bytes, *, headers: Headers | None = None) -> T:
        """Deserialize ``data`` into a ``contract`` instance, resolving older writer schemas (and
        running the migration and READ rules when ``read_rules`` is on).

        Raises:
            SerdeError: the record cannot become a ``contract`` or broke a rule (dead-letter it).
        """
        codec = self._codecs.get(contract) or self.codec(contract)
        try:
            return cast("T", self._read(codec, data, datum=False, version=None, headers=headers))
        except UnknownSchemaId as exc:
            self.learn_writer(codec, exc.schema_id)
        return cast("T", self._read(codec, data, datum=False, version=None, headers=headers))

    def decode_datum(
        self, contract: type, data: bytes, *, version: int | None = None, headers: Headers | None = None
    ) -> Any:
        """The record as a datum (Avro) or message (Protobuf); see :meth:`AsyncSerde.decode_datum`.

        Raises:
            SerdeError: the record cannot be read as ``contract`` or broke a rule (dead-letter it).
        """
        codec = self._codecs.get(contract) or self.codec(contract)
        try:
            return self._read(codec, data, datum=True, version=version, headers=headers)
        except UnknownSchemaId as exc:
            self.learn_writer(codec, exc.schema_id)
        return self._read(codec, data, datum=True, version=version, headers=headers)

    def learn_writer(self, codec: WireCodec, schema_id: int) -> None:
        """Fetch writer schema ``schema_id`` from the registry and teach it to ``codec``."""
        if codec.knows(schema_id):
            return
        try:
            schema = self.client.get_schema(schema_id, fmt=codec.WRITER_FORMAT)
        except SchemaRegistryError as exc:
            self._writer_missing(schema_id, exc)
        self._teach(codec, schema_id, schema)
