"""How the BFF's Kafka adapters turn a topic's bytes into contract objects and back.

:class:`TopicSerde` is the seam to the registry-backed serde (:mod:`flux.serde`):
values on the wire are Confluent wire format (magic byte, schema id, Avro or
Protobuf body) and become the generated classes of :mod:`flux.contracts`.
Tests put a fake behind it; :class:`RegistryTopicSerde` is the real one.
(A *codec*, in Flux, is only ever one contract class's wire codec,
``flux.serde.AvroCodec`` or ``ProtobufCodec``.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeAlias

from flux.contracts import contract_for
from flux.settings import Settings

__all__ = ["Headers", "RegistryTopicSerde", "TopicSerde"]

Headers: TypeAlias = "Sequence[tuple[str, bytes | str | None]]"
"""A record's headers, as confluent-kafka's ``Message.headers()`` gives them."""


class TopicSerde(Protocol):
    """Decodes event values and encodes command values, by topic."""

    async def decode(self, topic: str, value: bytes, headers: Headers | None = None) -> Any:
        """Return the event carried by ``value``: its datum (Avro) or message (Protobuf); raise on bad
        input, or on a record that breaks its data contract's READ rules (``RuleViolation``; see
        :meth:`flux.serde.AsyncSerde.decode_datum`). ``headers`` are the record's."""
        ...

    async def encode(self, topic: str, obj: Any) -> bytes:
        """Return the wire bytes of contract instance ``obj`` for ``topic``."""
        ...

    async def close(self) -> None: ...


class RegistryTopicSerde:
    """:class:`flux.serde.AsyncSerde` against the registry at ``settings.registry_url``, per topic
    contract, enforcing each contract's READ rules (``read_rules``): a record that breaks one never
    reaches a client (the data contracts, docs/contracts.md)."""

    def __init__(self, settings: Settings, *, read_rules: bool = True) -> None:
        from flux.serde import AsyncSerde  # noqa: PLC0415 - the serde loads only when Kafka is used

        self._serde = AsyncSerde.from_settings(settings, read_rules=read_rules)

    async def decode(self, topic: str, value: bytes, headers: Headers | None = None) -> Any:
        return await self._serde.decode_datum(contract_for(topic), value, headers=headers)

    async def encode(self, topic: str, obj: Any) -> bytes:
        del topic  # the contract instance knows its subject
        return await self._serde.encode(obj)

    async def close(self) -> None:
        await self._serde.aclose()
