"""Fan-out: one encoding per room emit, prepared frames, and the slow-client policy.

:class:`RoomManager` encodes a room emit once. Clients on the websocket
transport get the same prepared frame written to their transport
(:mod:`flux.bff.websocket_direct`, ADR-017); a websocket client whose unsent
bytes exceed ``ticker_buffer_bytes`` skips ticker batches (it receives the
latest once it has caught up) and one beyond ``client_buffer_bytes`` is cut
off, reconnects and is hydrated from the cache.

Every other packet (polling clients, pings, a client mid-upgrade) goes
through Engine.IO's per-client send queue; a websocket client's acks and
single-client messages are written at once when its queue is idle. Engine.IO's queues are unbounded,
so one stalled client would grow memory without limit.
:class:`BoundedSendQueue` replaces them:

* ticker batches (``crypto:ticker``) are **drop-to-latest**: a client holds at
  most ``ticker_limit`` queued batches, and when that or the whole queue is
  full the oldest queued batch is discarded to make room, so a slow client
  skips intermediate prices but never falls further behind;
* any other overflow (snapshots a client must not silently miss) ends the
  connection: the queue is cleared and a CLOSE is queued, the client
  reconnects and is hydrated from the cache with the latest snapshots.

Control packets (ping, close, noop, writer wake-ups) are always accepted. A
poll takes at most ``POLL_BATCH_LIMIT`` packets at a time, the most a
python-engineio client decodes from one polling response.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import engineio
import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from flux.bff.snapshot import Stream
from flux.bff.websocket_direct import DirectWebSocket, text_frame

__all__ = [
    "EMIT_SLICE",
    "POLL_BATCH_LIMIT",
    "BoundedSendQueue",
    "DirectWrite",
    "FanoutServer",
    "RoomManager",
    "SlowClientPolicy",
]

LOG = logging.getLogger(__name__)

# Packets per Engine.IO poll batch: python-engineio clients refuse a polling payload of more than
# 16 packets ("Too many packets in payload") and drop the connection, so longer queues are sent
# in several batches.
POLL_BATCH_LIMIT: Final = 16

# Packets a websocket client's queue may write at once instead of waking the writer task. CLOSE and
# the None sentinel always take the queue: they end the writer. PING takes the queue too: Engine.IO's
# websocket writer waits on the queue for at most ping_interval + ping_timeout and, when nothing comes,
# closes the connection ("transport close"). With every message written directly, the heartbeat is
# what keeps that writer waiting; a direct PING starved it and cut every client off after 40 s.
_DIRECT_PACKETS: Final = frozenset({eio_packet.MESSAGE})

# Members written between two yields to the event loop during one room emit: about 5 ms of writes,
# so connects, hydrations and acks are not held up for a whole 5,000-member emit.
EMIT_SLICE: Final = 512

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
        self._batch = 0
        # Set by DirectWebSocket while the client is on the websocket transport.
        self.direct: DirectWebSocket | None = None
        self.in_flight = False

    def put_nowait(self, item: Any) -> None:
        if self.overflowed and _is_droppable_data(item):
            return
        if (
            self.direct is not None
            and not self._queue  # type: ignore[attr-defined]  # nothing queued: writing now keeps order
            and not self.in_flight
            and isinstance(item, eio_packet.Packet)
            and item.packet_type in _DIRECT_PACKETS
            and self.direct.write_packet(item)
        ):
            return  # acks and single-client messages: no writer task wake-up
        if _is_droppable_data(item):
            ticker = _is_ticker(item)
            if ticker and self._tickers >= self.ticker_limit:
                self._drop_oldest_ticker()
            elif self._messages >= self.limit and not self._make_room(item):
                return
            self._messages += 1
            self._tickers += ticker
        super().put_nowait(item)

    async def get(self) -> Any:
        """First packet of a poll batch (Engine.IO then drains the rest with ``get_nowait``).

        Engine.IO runs this in a task of its own (``asyncio.wait_for``); the writer resumes one
        loop iteration later. Until it has drained the batch, ``in_flight`` tells direct writers
        that taken packets are not on the socket yet.
        """
        self._batch = 0
        item = await super().get()
        self.in_flight = item is not None
        return item

    def get_nowait(self) -> Any:
        if self._batch >= POLL_BATCH_LIMIT:  # end this poll batch; the rest goes in the next one
            self.in_flight = False
            raise asyncio.QueueEmpty
        self._batch += 1
        try:
            item = super().get_nowait()
        except asyncio.QueueEmpty:
            self.in_flight = False  # the batch is complete: the writer sends it without yielding
            raise
        if item is None:
            self.in_flight = False
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
    """Room (and single-client) emits encoded once, written as one prepared frame.

    For each member on the websocket transport the shared frame goes straight to
    its transport (:mod:`flux.bff.websocket_direct`); any other member gets the
    same Engine.IO packet through its bounded queue, without a task per member.
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
        if isinstance(encoded, list):  # binary attachments: several Engine.IO packets, queue path only
            for _sid, eio_sid in list(self.get_participants(namespace, target)):
                for frame in encoded:
                    await self.server._send_eio_packet(eio_sid, eio_packet.Packet(eio_packet.MESSAGE, frame))
            return
        eio_pkt = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        prepared = text_frame(eio_pkt.encode())
        policy: SlowClientPolicy = self.server.slow_client_policy
        droppable = event == Stream.TICKER.value
        direct: dict[str, DirectWebSocket] = self.server.eio.direct_sockets
        sessions: dict[str, Any] = self.server.eio.sockets
        for written, (_sid, eio_sid) in enumerate(self.get_participants(namespace, target), 1):
            # get_participants iterates over a copy of the membership, so yielding is safe
            if written % EMIT_SLICE == 0:
                await asyncio.sleep(0)
            ws = direct.get(eio_sid)
            if ws is None or not ws.ready():  # enqueued at once, so a later direct write cannot pass it
                if eio_sid in sessions:  # not gone while this emit yielded
                    await self.server._send_eio_packet(eio_sid, eio_pkt)
                continue
            outcome = policy.judge(ws, droppable)
            if outcome is DirectWrite.WRITTEN:
                ws.write_frame(prepared)
            elif outcome is DirectWrite.DROPPED:
                policy.on_drop()
            else:
                ws.abort()
                policy.on_overflow()


class DirectWrite(enum.Enum):
    """What the slow-client policy decides for one websocket member of a room emit."""

    WRITTEN = "written"  # write the prepared frame now
    DROPPED = "dropped"  # a droppable message skipped: the client is behind
    CUT_OFF = "cut_off"  # the client is too far behind: abort the connection


@dataclass(frozen=True, slots=True)
class SlowClientPolicy:
    """Limits and counters of the slow-client policy (see the module docs and ADR-017).

    Attributes:
        queue_limit: Message packets a queued (polling) client may hold.
        ticker_queue_limit: Ticker batches a queued client may hold (drop-to-latest beyond).
        client_buffer_bytes: Unsent bytes a websocket client may have before it is cut off.
        ticker_buffer_bytes: Unsent bytes beyond which ticker batches are skipped for a client.
        on_drop: Called for every ticker batch dropped for a slow client.
        on_overflow: Called when a slow client is disconnected.
    """

    queue_limit: int = 256
    ticker_queue_limit: int = 16
    client_buffer_bytes: int = 1 << 20
    ticker_buffer_bytes: int = 1 << 14
    on_drop: Callable[[], None] = lambda: None
    on_overflow: Callable[[], None] = lambda: None

    def judge(self, ws: DirectWebSocket, droppable: bool) -> DirectWrite:
        """Write, skip (droppable messages only) or cut off a websocket client by its unsent bytes.

        A ticker batch skips a client with more than ``ticker_buffer_bytes`` waiting (it gets the
        latest once it has caught up); any message cuts off a client with more than
        ``client_buffer_bytes`` waiting (it reconnects and is hydrated with the latest snapshots).
        """
        buffered = ws.buffered_bytes()
        if droppable and buffered > self.ticker_buffer_bytes:
            return DirectWrite.DROPPED
        if buffered > self.client_buffer_bytes:
            return DirectWrite.CUT_OFF
        return DirectWrite.WRITTEN


class FanoutServer(socketio.AsyncServer):  # type: ignore[misc]
    """``socketio.AsyncServer`` with prepared-frame fan-out and a slow-client policy.

    Args:
        policy: Slow-client limits and counters.
        prepared_frames: False = python-socketio's own room emit and per-client writer tasks
            (bounded queues still apply); kept as the benchmark's peer and a fallback.
        **kwargs: Passed to ``socketio.AsyncServer`` (and on to Engine.IO).
    """

    def __init__(self, *, policy: SlowClientPolicy, prepared_frames: bool = True, **kwargs: Any) -> None:
        self.slow_client_policy = policy
        self.prepared_frames = prepared_frames
        manager = RoomManager() if prepared_frames else socketio.AsyncManager()
        super().__init__(client_manager=manager, **kwargs)

    def _engineio_server_class(self) -> type[engineio.AsyncServer]:
        policy = self.slow_client_policy
        prepared = self.prepared_frames

        class _FanoutEngineIOServer(engineio.AsyncServer):  # type: ignore[misc]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self.direct_sockets: dict[str, DirectWebSocket] = {}
                drivers: dict[str, Any] = self._async  # type: ignore[has-type]
                if (
                    prepared and drivers.get("websocket") is not None
                ):  # our copy: the driver module's dict is shared
                    self._async = {**drivers, "websocket": DirectWebSocket}

            def create_queue(self, *args: Any, **kwargs: Any) -> Any:
                if args or kwargs:
                    return super().create_queue(*args, **kwargs)
                return BoundedSendQueue(
                    policy.queue_limit, policy.on_drop, policy.on_overflow, policy.ticker_queue_limit
                )

        return _FanoutEngineIOServer
