"""What every part of the registry service shares: the replayed state, the log and the write lock.

Reads answer from :class:`RegistryState`. Writes take the one lock, validate against the state,
append to the log through a :class:`RecordLog` and return once the log has been applied back to
the state, so every answer reflects durable, replayable state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from flux.registry.core.records import LogRecord
from flux.registry.core.state import RegistryState

__all__ = ["INDEX_STEP", "RecordLog", "RegistryContext"]

INDEX_STEP: Final = 20
"""Schemas whose identity is computed between two turns of the event loop (Protobuf: compiled)."""


class RecordLog(Protocol):
    """Where writes go: appends records and returns once they are applied to the state."""

    async def append(self, records: Sequence[LogRecord]) -> None: ...


@dataclass
class RegistryContext:
    """The state, the log and the lock that serialises writes (one per registry)."""

    state: RegistryState
    log: RecordLog
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def indexed(self) -> None:
        """Complete the identity index (:meth:`RegistryState.index_pending`) in small steps,
        yielding to the loop between them: a lookup or registration that arrives while the
        background indexing after the replay is still running helps it along instead of
        computing every remaining identity in one blocking call."""
        more = self.state.index_pending(INDEX_STEP)
        while more:
            await asyncio.sleep(0)  # a step at a time: other requests run in between
            more = self.state.index_pending(INDEX_STEP)
