"""Every private python-socketio / python-engineio / asyncio API the BFF's fan-out relies on (ADR-017).

The prepared-frame fan-out (``flux.bff.fanout``, ``flux.bff.websocket_direct``)
extends the libraries where they offer no public hook. Each such place is
pinned here, so that an upgrade that moves one fails this test with the name
of what moved, instead of failing at run time. The behaviour that depends on
Engine.IO's writer timing (its queue wait of ping_interval + ping_timeout) is
pinned end to end by ``test_websocket_clients_outlive_many_heartbeats_idle_or_busy``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import deque
from importlib.metadata import version

import socketio
from engineio import async_socket
from engineio.async_drivers import aiohttp as eio_aiohttp

from flux.bff.fanout import BoundedSendQueue, FanoutServer, RoomManager, SlowClientPolicy


def test_socketio_server_hooks_used_by_the_fanout() -> None:
    # RoomManager.emit writes queued packets through the server's per-sid Engine.IO send.
    send = getattr(socketio.AsyncServer, "_send_eio_packet", None)
    assert send is not None and inspect.iscoroutinefunction(send), "AsyncServer._send_eio_packet moved"
    assert list(inspect.signature(send).parameters)[:3] == ["self", "eio_sid", "eio_pkt"]
    # FanoutServer swaps in its Engine.IO server class through this factory method.
    assert callable(getattr(socketio.AsyncServer, "_engineio_server_class", None)), (
        "AsyncServer._engineio_server_class moved"
    )
    assert hasattr(socketio.AsyncServer(), "packet_class"), "AsyncServer.packet_class moved"


def test_manager_api_used_by_the_room_emit() -> None:
    manager = socketio.AsyncManager()
    assert hasattr(manager, "rooms"), "AsyncManager.rooms moved"
    params = list(inspect.signature(socketio.AsyncManager.get_participants).parameters)
    assert params[:3] == ["self", "namespace", "room"], "AsyncManager.get_participants changed"
    emit = list(inspect.signature(socketio.AsyncManager.emit).parameters)
    assert emit[:5] == ["self", "event", "data", "namespace", "room"], "AsyncManager.emit changed"


def test_engineio_server_internals_used_by_the_fanout_server() -> None:
    server = FanoutServer(policy=SlowClientPolicy(), async_mode="aiohttp")
    eio = server.eio
    # the driver table whose websocket class is replaced by DirectWebSocket (a copy, not the module's)
    assert isinstance(eio._async, dict) and "websocket" in eio._async, "engineio AsyncServer._async moved"
    assert eio._async["websocket"].__name__ == "DirectWebSocket"
    assert eio_aiohttp._async["websocket"] is eio_aiohttp.WebSocket  # the library's own entry untouched
    assert isinstance(eio.sockets, dict), "engineio AsyncServer.sockets moved"
    assert isinstance(eio.create_queue(), BoundedSendQueue), "engineio AsyncServer.create_queue unused"
    assert isinstance(server.manager, RoomManager)


def test_engineio_socket_attributes_read_by_direct_writes() -> None:
    source = inspect.getsource(async_socket.AsyncSocket)
    for attribute in ("self.upgraded", "self.upgrading", "self.closed", "self.queue"):
        assert attribute in source, f"engineio AsyncSocket no longer has {attribute}"
    # DirectWebSocket finds its Engine.IO socket as the bound handler's __self__.
    assert "_websocket_handler" in source and "self._websocket_handler, self.server" in source
    wrapper = inspect.signature(eio_aiohttp.WebSocket.__init__)
    assert list(wrapper.parameters) == ["self", "handler", "server"], "aiohttp WebSocket wrapper changed"
    assert "self._sock" in inspect.getsource(eio_aiohttp.WebSocket), "aiohttp WebSocket._sock moved"
    # The poll batch that BoundedSendQueue.get/get_nowait shape: one awaited get, then get_nowait.
    poll = inspect.getsource(async_socket.AsyncSocket.poll)
    assert "self.queue.get()" in poll and "self.queue.get_nowait()" in poll, "AsyncSocket.poll changed"
    assert "self.server.ping_interval + self.server.ping_timeout" in poll, "the writer's wait changed"


def test_asyncio_queue_keeps_its_items_in_a_deque_named_queue() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    queue.put_nowait(1)
    assert isinstance(queue._queue, deque) and list(queue._queue) == [1], "asyncio.Queue._queue moved"  # type: ignore[attr-defined]


def test_the_engineio_version_is_the_one_adr_017_was_checked_against() -> None:
    """pyproject.toml bounds python-engineio below 5; a new major must be reviewed against this file."""
    for package in ("python-engineio", "python-socketio"):
        major = int(version(package).split(".")[0])
        assert major == {"python-engineio": 4, "python-socketio": 5}[package], f"{package} {version(package)}"
