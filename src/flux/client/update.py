"""What a client receives: a typed :class:`Update` per server event."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["Update", "UpdateKind"]


class UpdateKind(StrEnum):
    """Server → client events; the value is the Socket.IO event name."""

    WEATHER = "weather"
    TOPCOINS = "crypto:topcoins"
    MOVERS = "crypto:movers"
    TICKER = "crypto:ticker"
    NEWS = "news"
    STOCKS = "stocks"


@dataclass(frozen=True, slots=True)
class Update:
    """One snapshot (or ticker batch) as delivered: ``{snapshotId, producedAt, data}``.

    Attributes:
        kind: Which event it arrived as.
        snapshot_id: Id of the snapshot (content hash) or ticker batch.
        produced_at_ms: When the producing service created it (epoch ms).
        data: The payload (camelCase JSON, see docs/client-protocol.md).
        received_at_ms: When this client received it (epoch ms).
    """

    kind: UpdateKind
    snapshot_id: str
    produced_at_ms: int
    data: dict[str, Any]
    received_at_ms: int

    @property
    def key(self) -> str:
        """The update's key: the city for weather, ``global`` otherwise."""
        if self.kind is UpdateKind.WEATHER:
            return str(self.data.get("cityKey", ""))
        return "global"

    @property
    def latency_ms(self) -> int:
        """Producer → this client, in milliseconds (clock skew included)."""
        return self.received_at_ms - self.produced_at_ms

    @classmethod
    def parse(cls, kind: UpdateKind, payload: Any) -> Update:
        """Build from the wire form; raise ``ValueError`` on a malformed payload."""
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
            raise ValueError(f"malformed {kind.value} payload")
        return cls(
            kind=kind,
            snapshot_id=str(payload["snapshotId"]),
            produced_at_ms=int(payload["producedAt"]),
            data=payload["data"],
            received_at_ms=time.time_ns() // 1_000_000,
        )
