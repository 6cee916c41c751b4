"""How the BFF's Kafka adapters turn a topic's bytes into contract objects and back.

:class:`TopicSerde` is the seam to the registry-backed serde (:mod:`flux.serde`):
values on the wire are Confluent wire format (magic byte, schema id, Avro or
Protobuf body) and become the generated classes of :mod:`flux.contracts`.
Tests put a fake behind it; :class:`RegistryTopicSerde` is the real one.
(A *codec*, in Flux, is only ever one contract class's wire codec,
``flux.serde.AvroCodec`` or ``ProtobufCodec``.)
"""

from __future__ import annotations

from typing import Any, Protocol

from flux.contracts import contract_for
from flux.settings import Settings

__all__ = ["RegistryTopicSerde", "TopicSerde"]


class TopicSerde(Protocol):
    """Decodes event values and encodes command values, by topic."""

    async def decode(self, topic: str, value: bytes) -> Any:
        """Return the event carried by ``value``: its datum (Avro) or message (Protobuf); raise on bad
        input (see :meth:`flux.serde.AsyncSerde.decode_datum`)."""
        ...

    async def encode(self, topic: str, obj: Any) -> bytes:
        """Return the wire bytes of contract instance ``obj`` for ``topic``."""
        ...

    async def close(self) -> None: ...


class RegistryTopicSerde:
    """:class:`flux.serde.AsyncSerde` against the registry at ``settings.registry_url``, per topic contract."""

    def __init__(self, settings: Settings) -> None:
        from flux.serde import AsyncSerde  # noqa: PLC0415 - the serde loads only when Kafka is used

        self._serde = AsyncSerde.from_settings(settings)

    async def decode(self, topic: str, value: bytes) -> Any:
        return await self._serde.decode_datum(contract_for(topic), value)

    async def encode(self, topic: str, obj: Any) -> bytes:
        del topic  # the contract instance knows its subject
        return await self._serde.encode(obj)

    async def close(self) -> None:
        await self._serde.aclose()
