"""Connection stability: a client is disconnected only by a fault that stops the BFF itself.

Every other fault (Kafka, the registry, Valkey, a domain service, the upstreams,
poison records, one flooding client) must leave every user's Socket.IO
connection up. A disconnect outside the windows of BFF faults is a broken
promise, whatever its cause; the reasons the clients gave are reported so the
cause can be found (``transport error`` at a fixed period once exposed a
heartbeat that could not keep Engine.IO's writer alive).

With several BFF instances behind the balancer, killing one (``bff-instance-kill``) explains the
disconnects of the users it held (the window's ``victims``) and nobody else's.

Example:
    >>> from flux.chaos.observations import FaultWindow
    >>> pause = FaultWindow("bff-pause", BFF_STOPPING_KINDS[0], 1000.0, 2000.0, 3000.0)
    >>> check_connections([pause], [(1500.0, 0, "ping timeout"), (4000.0, 1, "transport error")])["unexpected"]
    1
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, Final

from flux.chaos.observations import FaultWindow

__all__ = ["BFF_STOPPING_KINDS", "VICTIMS_DETAIL", "Disconnect", "check_connections", "disconnect_explained"]

# Fault kinds that stop the BFF's process (its clients lose their connection by design).
BFF_STOPPING_KINDS: Final = ("sigstop/sigcont",)
_MAX_LISTED: Final = 10
VICTIMS_DETAIL: Final = "victims"
"""A fault window's detail: the users on the one BFF instance it stopped (only theirs are explained)."""

Disconnect = tuple[float, int, str]
"""(epoch ms, user index, reason the client library gave)."""


def _explains(window: FaultWindow, user: int | None) -> bool:
    victims = window.detail.get(VICTIMS_DETAIL)
    if victims is not None:
        return user is not None and user in victims
    return window.kind in BFF_STOPPING_KINDS or "bff" in window.expected_down


def disconnect_explained(windows: Sequence[FaultWindow], moment: float, user: int | None = None) -> bool:
    """True when ``moment`` lies in the window of a fault that stops the BFF (up to its end) — for a
    fault that stopped one instance, only when ``user`` was one of its clients."""
    return any(
        _explains(w, user) and w.started_at <= moment <= (w.ended_at or w.lifted_at or w.started_at)
        for w in windows
    )


def check_connections(windows: Sequence[FaultWindow], disconnects: Sequence[Disconnect]) -> dict[str, Any]:
    """Count the disconnects no BFF fault explains, by reason and by the window they fell in."""
    unexpected = [d for d in disconnects if not disconnect_explained(windows, d[0], d[1])]

    def window_name(moment: float) -> str:
        for w in windows:
            if w.started_at <= moment < (w.ended_at or w.started_at):
                return w.name
        return "outside any window"

    return {
        "total": len(disconnects),
        "unexpected": len(unexpected),
        "users": len({d[1] for d in unexpected}),
        "reasons": dict(Counter(d[2] or "?" for d in unexpected)),
        "windows": dict(Counter(window_name(d[0]) for d in unexpected)),
        "first": [
            {"at": d[0], "user": d[1], "reason": d[2], "window": window_name(d[0])}
            for d in unexpected[:_MAX_LISTED]
        ],
        "passed": not unexpected,
    }
