"""How the BFF's Kafka adapters turn bytes into contract objects and back.

:class:`RecordCodec` is the seam to the registry-backed serde
(:mod:`flux.serde`): values on the wire are Confluent wire format (magic
byte, schema id, Avro or Protobuf body) and become the generated classes of
:mod:`flux.contracts`.
"""

from __future__ import annotations

from typing import Any, Protocol

from flux.settings import Settings

__all__ = ["RecordCodec", "registry_codec"]


class RecordCodec(Protocol):
    """Decodes event values and encodes command values for one topic."""

    async def decode(self, topic: str, value: bytes) -> Any:
        """Return the generated contract instance carried by ``value`` (raise on bad input)."""
        ...

    async def encode(self, topic: str, obj: Any) -> bytes:
        """Return the wire bytes of contract instance ``obj`` for ``topic``."""
        ...

    async def close(self) -> None: ...


def registry_codec(settings: Settings) -> RecordCodec:
    """The production codec: :mod:`flux.serde` against the Schema Registry at ``settings.registry_url``."""
    from flux.bff.serde_codec import SerdeCodec  # noqa: PLC0415 - keeps the serde import lazy

    codec: RecordCodec = SerdeCodec(settings)
    return codec
