"""Prepared WebSocket frames written straight to client transports (ADR-017).

python-socketio delivers a room emit by putting one Engine.IO packet on every
member's send queue; a writer task per client then wakes, encodes the packet
and writes a WebSocket frame. At thousands of clients that per-client queue,
task switch and frame encoding dominate the BFF's CPU. For clients on the
websocket transport Flux instead builds the complete frame **once per room
emit** (:func:`text_frame`) and writes the same bytes to each member's
transport, as uWebSockets' ``publish`` and gorilla/websocket's
``PreparedMessage`` do.

Order is preserved: a direct write happens only when the client's Engine.IO
queue is empty and no packet taken from it is still on its way to the socket
(``BoundedSendQueue.in_flight``), and :class:`DirectWebSocket` makes the
library's own writer write synchronously, so that state means everything
queued before has been written. Acks and single-client messages for an idle
queue are written at once too (``BoundedSendQueue.put_nowait``), without waking
the writer task. Everything else (polling clients, upgrades, pings) takes the
library's queue path: the heartbeat must pass through the queue, because
Engine.IO's writer closes a websocket whose queue stays silent for
``ping_interval + ping_timeout``.

This module is only the mechanism (is a direct write possible now, how many
bytes wait in the transport, write, abort). Whether a slow client is skipped
or cut off is the slow-client policy's decision, made in one place:
:class:`flux.bff.fanout.SlowClientPolicy`.
"""

from __future__ import annotations

import logging
import struct
from typing import Any, Final

from aiohttp import web
from engineio.async_drivers import aiohttp as eio_aiohttp

__all__ = ["DirectWebSocket", "text_frame"]

LOG = logging.getLogger(__name__)

_FIN_TEXT: Final = 0x81
_FIN_BINARY: Final = 0x82
_LEN16: Final = 126
_LEN64: Final = 127


def _frame(opcode_byte: int, payload: bytes) -> bytes:
    """An unmasked (server → client) single-frame WebSocket message, RFC 6455 §5.2."""
    size = len(payload)
    if size < _LEN16:
        header = struct.pack("!BB", opcode_byte, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", opcode_byte, _LEN16, size)
    else:
        header = struct.pack("!BBQ", opcode_byte, _LEN64, size)
    return header + payload


def text_frame(text: str) -> bytes:
    """The wire bytes of a WebSocket text message carrying ``text``.

    Example:
        >>> text_frame("42")
        b'\\x81\\x0242'
    """
    return _frame(_FIN_TEXT, text.encode())


class DirectWebSocket(eio_aiohttp.WebSocket):  # type: ignore[misc]
    """Engine.IO's aiohttp websocket wrapper, registered for direct frame writes.

    Engine.IO creates one per websocket connection as ``cls(handler, server)``
    where ``handler`` is the bound ``_websocket_handler`` of the client's
    Engine.IO socket. While the handler runs, the wrapper is listed in
    ``server.direct_sockets`` under the Engine.IO session id.
    """

    def __init__(self, handler: Any, server: Any) -> None:
        super().__init__(handler, server)
        self._eio_socket: Any = getattr(handler, "__self__", None)
        self._transport: Any = None

    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        request: web.Request = environ["aiohttp.request"]
        self._sock = web.WebSocketResponse(max_msg_size=self.server.max_http_buffer_size)
        await self._sock.prepare(request)
        self._transport = request.transport
        self.environ = environ
        sid = getattr(self._eio_socket, "sid", None)
        registry: dict[str, DirectWebSocket] = self.server.direct_sockets
        queue: Any = getattr(self._eio_socket, "queue", None)
        if sid is not None:
            registry[sid] = self
        if hasattr(queue, "direct"):  # flux.bff.fanout.BoundedSendQueue
            queue.direct = self
        try:
            await self.handler(self)
        finally:
            if sid is not None and registry.get(sid) is self:
                del registry[sid]
            if hasattr(queue, "direct") and queue.direct is self:
                queue.direct = None
        response: web.WebSocketResponse = self._sock
        return response

    def _writable(self) -> bool:
        transport = self._transport
        return transport is not None and not transport.is_closing() and not self._sock.closed

    async def send(self, message: str | bytes) -> None:
        """The library writer's send: one synchronous write, so queued packets never trail a direct one."""
        if not self._writable():
            raise ConnectionResetError("websocket is closed")
        if isinstance(message, bytes):
            self._transport.write(_frame(_FIN_BINARY, message))
        else:
            self._transport.write(text_frame(message))

    def ready(self) -> bool:
        """The transport may be written now without passing anything Engine.IO still holds."""
        eio = self._eio_socket
        return (
            eio is not None
            and eio.upgraded
            and not eio.upgrading
            and not eio.closed
            and eio.queue.empty()
            and not getattr(eio.queue, "in_flight", False)
            and self._writable()
        )

    def buffered_bytes(self) -> int:
        """Bytes written to the transport that the kernel has not taken yet (how far behind it is)."""
        return int(self._transport.get_write_buffer_size())

    def write_packet(self, packet: Any) -> bool:
        """Write one Engine.IO packet now if possible (the queue is empty); False = queue it."""
        if not self.ready():
            return False
        encoded = packet.encode()
        self._transport.write(
            _frame(_FIN_BINARY, encoded) if isinstance(encoded, bytes) else text_frame(encoded)
        )
        return True

    def write_frame(self, frame: bytes) -> None:
        """Write a complete frame built by :func:`text_frame` (the caller checked :meth:`ready`)."""
        self._transport.write(frame)

    def abort(self) -> None:
        """Drop the connection at once; the client reconnects and is hydrated from the cache."""
        eio = self._eio_socket
        LOG.info(
            "slow client cut off",
            extra={"sid": getattr(eio, "sid", None), "buffered_bytes": self.buffered_bytes()},
        )
        self._transport.abort()
