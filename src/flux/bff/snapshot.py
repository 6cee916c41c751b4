"""The BFF's internal event model: a typed :class:`Snapshot` and the :class:`Stream` it belongs to.

Everything the Kafka side consumes is turned into a ``Snapshot`` before it
reaches the gateway, so caching, dedup and fan-out never see Avro, Protobuf
or topic names.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

__all__ = [
    "CHANNELS",
    "GLOBAL_KEY",
    "Publish",
    "Snapshot",
    "Stream",
    "now_ms",
    "weather_room",
]

GLOBAL_KEY: Final = "global"


class Stream(StrEnum):
    """One kind of server → client update; the value is the Socket.IO event name."""

    WEATHER = "weather"
    TOPCOINS = "crypto:topcoins"
    MOVERS = "crypto:movers"
    TICKER = "crypto:ticker"
    NEWS = "news"
    STOCKS = "stocks"

    @property
    def cached(self) -> bool:
        """Tickers are relayed, never cached (ADR-007); every other stream is a snapshot."""
        return self is not Stream.TICKER

    def room(self, key: str) -> str:
        """Socket.IO room that receives this stream for ``key``."""
        if self is Stream.WEATHER:
            return weather_room(key)
        return _GLOBAL_ROOMS[self]


_GLOBAL_ROOMS: Final[dict[Stream, str]] = {
    Stream.TOPCOINS: "crypto.global",
    Stream.MOVERS: "crypto.global",
    Stream.TICKER: "crypto.global",
    Stream.NEWS: "news.global",
    Stream.STOCKS: "stock.global",
}

# Channel a client may subscribe to → the cached streams that hydrate it.
CHANNELS: Final[dict[str, tuple[Stream, ...]]] = {
    "crypto.global": (Stream.TOPCOINS, Stream.MOVERS),
    "news.global": (Stream.NEWS,),
    "stock.global": (Stream.STOCKS,),
}


def weather_room(city_key: str) -> str:
    """Room of one (already normalised) city."""
    return f"weather.{city_key}"


def now_ms() -> int:
    """Wall-clock time in epoch milliseconds (the unit of ``producedAt``)."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One update as the gateway sees it.

    Attributes:
        stream: Which client event it becomes.
        key: Cache key within the stream (normalised city, or ``"global"``).
        snapshot_id: Producer-assigned id; equal ids are the same snapshot redelivered.
        produced_at_ms: When the producing service created it (epoch ms).
        data: JSON-able payload shown to clients.
    """

    stream: Stream
    key: str
    snapshot_id: str
    produced_at_ms: int
    data: dict[str, Any]

    @property
    def cache_key(self) -> str:
        return f"{self.stream.value}|{self.key}"

    @property
    def room(self) -> str:
        return self.stream.room(self.key)

    def wire(self) -> dict[str, Any]:
        """The JSON object clients receive: ``{snapshotId, producedAt, data}``."""
        return {"snapshotId": self.snapshot_id, "producedAt": self.produced_at_ms, "data": self.data}

    def to_record(self) -> dict[str, Any]:
        """Self-describing JSON form used by the Valkey tier."""
        return {
            "stream": self.stream.value,
            "key": self.key,
            "snapshotId": self.snapshot_id,
            "producedAt": self.produced_at_ms,
            "data": self.data,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Snapshot:
        """Inverse of :meth:`to_record`; raises ``KeyError``/``ValueError``/``TypeError`` on bad input."""
        data = record["data"]
        if not isinstance(data, dict):
            raise TypeError("snapshot data must be an object")
        return cls(
            stream=Stream(record["stream"]),
            key=str(record["key"]),
            snapshot_id=str(record["snapshotId"]),
            produced_at_ms=int(record["producedAt"]),
            data=data,
        )


Publish = Callable[[Snapshot], Awaitable[bool]]
"""Hands one snapshot to the gateway; True when it was new (not a duplicate or stale)."""
