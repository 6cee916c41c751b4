"""Registry-backed serde for synchronous code (CLIs, scripts, confluent-kafka callbacks).

Same behaviour as :class:`flux.serde.async_serde.AsyncSerde`, through confluent-kafka's blocking
``SchemaRegistryClient``.
"""

from __future__ import annotations

from typing import TypeVar, cast

from confluent_kafka.schema_registry import SchemaRegistryClient, SchemaRegistryError

from flux.serde.errors import UnknownSchemaId
from flux.serde.serde_core import SerdeCore, WireCodec
from flux.settings import Settings

__all__ = ["Serde"]

T = TypeVar("T")


class Serde(SerdeCore):
    """Encode/decode generated contract objects through the Schema Registry (blocking I/O).

    Args:
        client: confluent-kafka's registry client.
        auto_register: register a class's schema when it is missing instead of failing.
    """

    def __init__(self, client: SchemaRegistryClient, *, auto_register: bool = False) -> None:
        super().__init__(auto_register=auto_register)
        self.client = client

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, auto_register: bool = False) -> Serde:
        """Build a serde talking to ``settings.registry_url``."""
        config = (settings or Settings()).registry_client_config()
        return cls(SchemaRegistryClient(config), auto_register=auto_register)

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
            schema_id = self.client.lookup_schema(coordinates.subject, schema).schema_id
        except SchemaRegistryError as exc:
            self._register_or_raise(contract, coordinates, exc)
            schema_id = self.client.register_schema(coordinates.subject, schema)
        return self._bind(contract, coordinates, schema_id)

    def encode(self, obj: object) -> bytes:
        """Serialize a contract object in the Confluent wire format."""
        codec = self._codecs.get(type(obj)) or self.codec(type(obj))
        return codec.encode(obj)

    def decode(self, contract: type[T], data: bytes) -> T:
        """Deserialize ``data`` into a ``contract`` instance, resolving older writer schemas.

        Raises:
            SerdeError: the record cannot become a ``contract`` (dead-letter it).
        """
        codec = self._codecs.get(contract) or self.codec(contract)
        try:
            return cast("T", codec.decode(data))
        except UnknownSchemaId as exc:
            self.learn_writer(codec, exc.schema_id)
        return cast("T", codec.decode(data))

    def learn_writer(self, codec: WireCodec, schema_id: int) -> None:
        """Fetch writer schema ``schema_id`` from the registry and teach it to ``codec``."""
        if codec.knows(schema_id):
            return
        try:
            schema = self.client.get_schema(schema_id, fmt=codec.WRITER_FORMAT)
        except SchemaRegistryError as exc:
            self._writer_missing(schema_id, exc)
        self._teach(codec, schema_id, schema)
