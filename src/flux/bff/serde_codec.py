"""The production :class:`~flux.bff.codec.RecordCodec`: :class:`flux.serde.AsyncSerde` per topic contract."""

from __future__ import annotations

from typing import Any

from flux.contracts import contract_for
from flux.serde import AsyncSerde
from flux.settings import Settings

__all__ = ["SerdeCodec"]


class SerdeCodec:
    """Decodes each topic into its generated contract class; encodes contract instances."""

    def __init__(self, settings: Settings) -> None:
        self._serde = AsyncSerde.from_settings(settings)

    async def decode(self, topic: str, value: bytes) -> Any:
        return await self._serde.decode(contract_for(topic), value)

    async def encode(self, topic: str, obj: Any) -> bytes:
        del topic  # the contract instance knows its subject
        return await self._serde.encode(obj)

    async def close(self) -> None:
        await self._serde.aclose()
