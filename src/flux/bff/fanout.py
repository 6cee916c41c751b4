"""Slow-client policy for fan-out: bounded per-client send queues inside Engine.IO.

python-socketio encodes a room emit once and puts the same Engine.IO packet
on every member's send queue; a writer task per client drains its queue to
the socket. Engine.IO's queues are unbounded, so one stalled client would
grow memory without limit. :class:`BoundedSendQueue` replaces them:

* ticker batches (``crypto:ticker``) are **drop-to-latest**: a client holds at
  most ``ticker_limit`` queued batches, and when that or the whole queue is
  full the oldest queued batch is discarded to make room, so a slow client
  skips intermediate prices but never falls further behind;
* any other overflow (snapshots a client must not silently miss) ends the
  connection: the queue is cleared and a CLOSE is queued, the client
  reconnects and is hydrated from the cache with the latest snapshots.

Control packets (ping, close, noop, writer wake-ups) are always accepted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Final

import engineio
import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from flux.bff.snapshot import Stream

__all__ = ["BoundedSendQueue", "FanoutServer", "RoomManager"]

LOG = logging.getLogger(__name__)

# Socket.IO EVENT packet on the default namespace: '2' followed by the JSON array.
_TICKER_PREFIX: Final = f'2["{Stream.TICKER.value}"'


def _is_ticker(item: Any) -> bool:
    return (
        isinstance(item, eio_packet.Packet)
        and item.packet_type == eio_packet.MESSAGE
        and isinstance(item.data, str)
        and item.data.startswith(_TICKER_PREFIX)
    )


def _is_droppable_data(item: Any) -> bool:
    return isinstance(item, eio_packet.Packet) and item.packet_type == eio_packet.MESSAGE


class BoundedSendQueue(asyncio.Queue[Any]):
    """An Engine.IO send queue holding at most ``limit`` message packets (see module docs)."""

    def __init__(
        self,
        limit: int,
        on_drop: Callable[[], None] = lambda: None,
        on_overflow: Callable[[], None] = lambda: None,
        ticker_limit: int | None = None,
    ) -> None:
        super().__init__()
        self.limit = limit
        self.ticker_limit = min(limit, ticker_limit or limit)
        self._on_drop = on_drop
        self._on_overflow = on_overflow
        self.overflowed = False
        self._messages = 0
        self._tickers = 0

    def put_nowait(self, item: Any) -> None:
        if self.overflowed and _is_droppable_data(item):
            return
        if _is_droppable_data(item):
            ticker = _is_ticker(item)
            if ticker and self._tickers >= self.ticker_limit:
                self._drop_oldest_ticker()
            elif self._messages >= self.limit and not self._make_room(item):
                return
            self._messages += 1
            self._tickers += ticker
        super().put_nowait(item)

    def get_nowait(self) -> Any:
        item = super().get_nowait()
        if _is_droppable_data(item):
            self._messages -= 1
            self._tickers -= _is_ticker(item)
        return item

    def _drop_oldest_ticker(self) -> bool:
        queued: Any = self._queue  # type: ignore[attr-defined]  # asyncio.Queue's deque
        for index, old in enumerate(queued):
            if _is_ticker(old):
                del queued[index]
                self.task_done()  # keep join() accounting right for the removed packet
                self._messages -= 1
                self._tickers -= 1
                self._on_drop()
                return True
        return False

    def _make_room(self, item: Any) -> bool:
        """Free one slot for ``item``; return False when the client was cut off instead."""
        queued: Any = self._queue  # type: ignore[attr-defined]  # asyncio.Queue's deque
        if _is_ticker(item):
            if self._drop_oldest_ticker():
                return True
            self._on_drop()  # the queue holds only snapshots: this batch is the one dropped
            return False
        self.overflowed = True
        for _ in range(len(queued)):
            self.task_done()
        queued.clear()
        self._messages = 0
        self._tickers = 0
        super().put_nowait(eio_packet.Packet(eio_packet.CLOSE))
        super().put_nowait(None)  # makes the writer task stop and close the transport
        self._on_overflow()
        return False


class RoomManager(socketio.AsyncManager):  # type: ignore[misc]
    """Room emits without a task per recipient.

    python-socketio already encodes a room emit once; it then creates one
    asyncio task per member to enqueue the packet. With bounded queues the
    enqueue never waits, so the same packet is handed to each member's queue
    in turn instead (this is the library's own delivery loop, minus the tasks).
    """

    async def emit(  # noqa: PLR0917 - mirrors socketio.AsyncManager.emit
        self,
        event: str,
        data: Any,
        namespace: str,
        room: str | None = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: str | None = None,
        **kwargs: Any,
    ) -> None:
        target = to or room
        if callback is not None or skip_sid is not None or target is None:
            await super().emit(
                event, data, namespace, room=target, skip_sid=skip_sid, callback=callback, **kwargs
            )
            return
        if namespace not in self.rooms:
            return
        pkt = self.server.packet_class(sio_packet.EVENT, namespace=namespace, data=[event, data])
        encoded = pkt.encode()
        frames = encoded if isinstance(encoded, list) else [encoded]
        eio_packets = [eio_packet.Packet(eio_packet.MESSAGE, frame) for frame in frames]
        for _sid, eio_sid in list(self.get_participants(namespace, target)):
            for eio_pkt in eio_packets:
                await self.server._send_eio_packet(eio_sid, eio_pkt)


class FanoutServer(socketio.AsyncServer):  # type: ignore[misc]
    """``socketio.AsyncServer`` with bounded per-client send queues.

    Args:
        client_queue_limit: Message packets a client may have queued.
        ticker_queue_limit: Ticker batches a client may have queued (drop-to-latest beyond).
        on_drop: Called for every ticker batch dropped for a slow client.
        on_overflow: Called when a slow client is disconnected.
        **kwargs: Passed to ``socketio.AsyncServer`` (and on to Engine.IO).
    """

    def __init__(
        self,
        *,
        client_queue_limit: int,
        ticker_queue_limit: int,
        on_drop: Callable[[], None],
        on_overflow: Callable[[], None],
        **kwargs: Any,
    ) -> None:
        self._queue_settings = (client_queue_limit, ticker_queue_limit, on_drop, on_overflow)
        super().__init__(client_manager=RoomManager(), **kwargs)

    def _engineio_server_class(self) -> type[engineio.AsyncServer]:
        limit, ticker_limit, on_drop, on_overflow = self._queue_settings

        class _BoundedEngineIOServer(engineio.AsyncServer):  # type: ignore[misc]
            def create_queue(self, *args: Any, **kwargs: Any) -> Any:
                if args or kwargs:
                    return super().create_queue(*args, **kwargs)
                return BoundedSendQueue(limit, on_drop, on_overflow, ticker_limit)

        return _BoundedEngineIOServer
