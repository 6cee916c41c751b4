"""Capacity limits: how many connections this instance takes, in total and from one client address.

The gateway asks :meth:`ConnectionAdmission.admit` on every Socket.IO connect;
a refusal becomes the client's ``connect_error`` with a reason it can act on
(:class:`Refusal`), and the refused session is closed shortly after so a client
that ignores the error holds nothing. ``/ready`` turns 503 while the instance
is above ``ready_fraction`` of its limit, so a balancer that probes it sends new
clients elsewhere. :func:`handshake_guard` caps Engine.IO sessions (those that
never send a Socket.IO connect included) before any state is built for them.

The client's address is the TCP peer, or the last ``X-Forwarded-For`` entry when
the peer is a trusted proxy (the balancer writes the address it saw there).
Only that one hop is believed: behind the dev stack's nginx the proxy and the
clients share 127.0.0.1, so walking further left would hand the choice of
address to the client.

Example:
    >>> admission = ConnectionAdmission(max_connections=2, max_per_address=1)
    >>> admission.admit("a", "192.0.2.1") is None
    True
    >>> admission.admit("b", "192.0.2.1").value
    'too_many_connections_from_address'
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sized
from enum import StrEnum
from typing import Any, Final

from aiohttp import web
from aiohttp.typedefs import Middleware

__all__ = [
    "ConnectionAdmission",
    "Refusal",
    "close_refused_session",
    "handshake_guard",
    "peer_address",
]

LOG = logging.getLogger(__name__)

# Time a refused session stays open: long enough for a polling client to fetch its connect_error.
REFUSED_CLOSE_DELAY_S: Final = 1.0

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Refusal(StrEnum):
    """The ``message`` of the ``connect_error`` a refused client receives."""

    SERVER_FULL = "server_full"
    TOO_MANY_FROM_ADDRESS = "too_many_connections_from_address"


def _networks(entries: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _normalised(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def _within(address: str, networks: tuple[Network, ...]) -> bool:
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def peer_address(environ: Mapping[str, Any]) -> str:
    """The TCP peer of the request (Engine.IO's aiohttp driver writes a fixed ``REMOTE_ADDR``)."""
    request = environ.get("aiohttp.request")
    remote = getattr(request, "remote", None) or environ.get("REMOTE_ADDR") or "unknown"
    return _normalised(str(remote)) or str(remote)


class ConnectionAdmission:
    """Counts connections per instance and per address; decides who may connect.

    Args:
        max_connections: Connections of this instance; beyond it ``server_full``.
        max_per_address: Connections of one address; beyond it ``too_many_connections_from_address``.
        ready_fraction: Share of ``max_connections`` above which :attr:`has_headroom` is False.
        trusted_proxies: Peers (addresses or networks) whose ``X-Forwarded-For`` is believed.
        exempt: Addresses or networks without a per-address limit.
    """

    __slots__ = (
        "_by_sid",
        "_exempt",
        "_per_address",
        "_trusted",
        "max_connections",
        "max_per_address",
        "ready_at",
    )

    def __init__(
        self,
        *,
        max_connections: int,
        max_per_address: int,
        ready_fraction: float = 0.9,
        trusted_proxies: Iterable[str] = (),
        exempt: Iterable[str] = (),
    ) -> None:
        self.max_connections = max_connections
        self.max_per_address = max_per_address
        self.ready_at = int(max_connections * ready_fraction)
        self._trusted = _networks(trusted_proxies)
        self._exempt = _networks(exempt)
        self._by_sid: dict[str, str] = {}
        self._per_address: dict[str, int] = {}

    @property
    def connections(self) -> int:
        return len(self._by_sid)

    @property
    def has_headroom(self) -> bool:
        """False while connections exceed ``ready_fraction`` of the limit (``/ready`` answers 503)."""
        return len(self._by_sid) <= self.ready_at

    def from_address(self, address: str) -> int:
        return self._per_address.get(address, 0)

    def client_address(self, environ: Mapping[str, Any]) -> str:
        """The client's address: the peer, or what a trusted peer put last in ``X-Forwarded-For``."""
        peer = peer_address(environ)
        if not _within(peer, self._trusted):
            return peer
        hops = [hop for hop in str(environ.get("HTTP_X_FORWARDED_FOR", "")).split(",") if hop.strip()]
        forwarded = _normalised(hops[-1]) if hops else None
        return forwarded or peer

    def admit(self, sid: str, address: str) -> Refusal | None:
        """Count ``sid`` against the limits and return None, or return why it is refused (not counted)."""
        if len(self._by_sid) >= self.max_connections:
            return Refusal.SERVER_FULL
        held = self._per_address.get(address, 0)
        if held >= self.max_per_address and not _within(address, self._exempt):
            return Refusal.TOO_MANY_FROM_ADDRESS
        self._by_sid[sid] = address
        self._per_address[address] = held + 1
        return None

    def release(self, sid: str) -> None:
        """Forget ``sid`` (disconnected, or refused after admission by the auth hook)."""
        address = self._by_sid.pop(sid, None)
        if address is None:
            return
        left = self._per_address[address] - 1
        if left:
            self._per_address[address] = left
        else:
            del self._per_address[address]


async def close_refused_session(
    eio: Any, eio_sid: str, environ: Mapping[str, Any], delay_s: float = REFUSED_CLOSE_DELAY_S
) -> None:
    """Close a refused client's session once it has had time to read its ``connect_error``.

    Engine.IO's close only queues a CLOSE packet and then waits for the client to hang up (up to
    its ping timeout); a client that does not is cut off here, so it holds no socket either.
    """
    await asyncio.sleep(delay_s)
    try:
        await eio.disconnect(eio_sid)
    except Exception:  # the client went away first
        LOG.debug("refused session already closed", extra={"sid": eio_sid})
    transport = getattr(environ.get("aiohttp.request"), "transport", None)
    if transport is not None:
        transport.close()


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def handshake_guard(
    sessions: Sized, limit: int, on_refused: Callable[[], None], path: str = "/socket.io/"
) -> Middleware:
    """aiohttp middleware: refuse a new Engine.IO session (503) while ``sessions`` holds ``limit``.

    Requests of existing sessions (they carry ``sid``) always pass.
    """

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == path and "sid" not in request.query and len(sessions) >= limit:
            on_refused()
            return web.json_response({"message": Refusal.SERVER_FULL.value}, status=503)
        return await handler(request)

    return guard
