"""What the driver observes during a run: client receipts, command acks, room memberships, fault windows.

Every timestamp is wall-clock epoch milliseconds, the unit of ``producedAt``
(all processes run on one host, so their clocks agree).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Ack", "FaultWindow", "Membership", "Receipt", "now_ms"]


def now_ms() -> float:
    """Wall-clock time in epoch milliseconds (float: sub-millisecond latencies stay visible)."""
    return time.time() * 1000.0


@dataclass(frozen=True, slots=True)
class Receipt:
    """One server → client message as a simulated user received it.

    Attributes:
        user: Index of the simulated user.
        stream: Socket.IO event name (``weather``, ``crypto:ticker``, ...).
        key: ``cityKey`` for weather, ``global`` otherwise.
        snapshot_id: The message's ``snapshotId``.
        produced_at: The message's ``producedAt`` (epoch ms).
        received_at: When the user's handler ran (epoch ms).
    """

    user: int
    stream: str
    key: str
    snapshot_id: str
    produced_at: int
    received_at: float


@dataclass(slots=True)
class Ack:
    """One client request and its acknowledgement.

    Attributes:
        user: Index of the simulated user (``-1`` for the flooder).
        user_id: The UUID the user connected with.
        event: ``locationUpdate`` or ``refresh``.
        stream: The stream that answers it (``weather``, ``news``, ...).
        key: Room key: normalised city or ``global``.
        sent_at: When the request left the client.
        acked_at: When the acknowledgement arrived (None: no ack before the timeout).
        ok: Whether the BFF accepted it.
        coalesced: The BFF rode it on an identical command sent moments before.
        error: Error code of a refused request.
    """

    user: int
    user_id: str
    event: str
    stream: str
    key: str
    sent_at: float
    acked_at: float | None = None
    ok: bool = False
    coalesced: bool = False
    error: str = ""

    @property
    def accepted(self) -> bool:
        return self.ok and self.acked_at is not None


@dataclass(slots=True)
class Membership:
    """One stretch of time a user spent in a room (from the join request to leaving or disconnecting).

    ``hydrations`` are the (request sent, ack received) spans of every join request made during the
    membership (the first join and any re-request of the same room): the BFF answers each with the
    cached snapshot, so one repeat of a snapshot already held is expected inside each span.
    """

    user: int
    room: str
    joined_at: float
    left_at: float | None = None
    hydrations: list[tuple[float, float]] = field(default_factory=list)

    def covers(self, moment: float) -> bool:
        return self.joined_at <= moment and (self.left_at is None or moment <= self.left_at)


@dataclass(slots=True)
class FaultWindow:
    """A fault as it happened: when it began, when the real mechanism lifted it, when the next one began."""

    name: str
    kind: str
    started_at: float
    lifted_at: float = 0.0
    ended_at: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)
    expected_down: tuple[str, ...] = ()
