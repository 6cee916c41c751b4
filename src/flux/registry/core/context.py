"""What every part of the registry service shares: the replayed state, the log and the write lock.

Reads answer from :class:`RegistryState`. Writes take the one lock, validate against the state,
append to the log through a :class:`RecordLog` and return once the log has been applied back to
the state, so every answer reflects durable, replayable state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from flux.registry.core.records import LogRecord
from flux.registry.core.state import RegistryState

__all__ = ["RecordLog", "RegistryContext"]


class RecordLog(Protocol):
    """Where writes go: appends records and returns once they are applied to the state."""

    async def append(self, records: Sequence[LogRecord]) -> None: ...


@dataclass
class RegistryContext:
    """The state, the log and the lock that serialises writes (one per registry)."""

    state: RegistryState
    log: RecordLog
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
