"""The Socket.IO side of the BFF: connections, rooms, hydration, commands and fan-out.

Clients speak the protocol of ``docs/client-protocol.md``. Every handler
validates its payload (:mod:`flux.bff.protocol`), applies per-connection rate
limits and replies with an acknowledgement; nothing a client sends can raise
out of a handler. :meth:`Gateway.publish` is the single entry point for
updates from Kafka: it drops duplicates/stale snapshots, updates the cache
and emits once per room.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import socketio

from flux.bff.admission import ConnectionAdmission, close_refused_session
from flux.bff.auth import ConnectAuth, anonymous_user_id
from flux.bff.cache import SnapshotCache
from flux.bff.commands import Command, CommandKind, CommandSink, CommandUnavailable, refresh_command_kind
from flux.bff.config import BffSettings
from flux.bff.metrics import BffMetrics
from flux.bff.protocol import (
    ErrorCode,
    ProtocolError,
    error_ack,
    ok_ack,
    parse_channel,
    parse_location,
    parse_refresh,
)
from flux.bff.ratelimit import RefreshCoalescer, TokenBucket
from flux.bff.snapshot import CHANNELS, Snapshot, Stream, now_ms, weather_room
from flux.kafka.recent_ids import RecentIds

__all__ = ["ClientEvent", "ConnectionState", "Gateway"]

LOG = logging.getLogger(__name__)

# A redelivered ticker batch arrives within seconds of the original; ten minutes is ample.
TICKER_DEDUP_WINDOW_S: Final = 600.0

Handler = Callable[[str, "ConnectionState", Any], Awaitable[dict[str, Any]]]


class ClientEvent:
    """Names of the client → server events."""

    LOCATION_UPDATE = "locationUpdate"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    REFRESH = "refresh"


@dataclass(slots=True)
class ConnectionState:
    """What the gateway remembers about one connection."""

    user_id: str
    messages: TokenBucket
    refreshes: TokenBucket
    locations: TokenBucket
    city_room: str | None = None
    channels: set[str] = field(default_factory=set)


class Gateway:
    """Socket.IO handlers plus the Kafka → room fan-out.

    Args:
        sio: The Socket.IO server (a :class:`flux.bff.fanout.FanoutServer`).
        cache: Snapshot cache used for hydration and freshness decisions.
        commands: Where commands go (Kafka in production).
        metrics: Metrics of this instance.
        settings: Gateway tuning.
        auth: Optional connect hook; None = anonymous connections.
        admission: Capacity limits; None = limits of ``settings``.
    """

    def __init__(
        self,
        sio: socketio.AsyncServer,
        *,
        cache: SnapshotCache,
        commands: CommandSink,
        metrics: BffMetrics,
        settings: BffSettings,
        auth: ConnectAuth | None = None,
        admission: ConnectionAdmission | None = None,
    ) -> None:
        self.sio = sio
        self.cache = cache
        self.commands = commands
        self.metrics = metrics
        self.settings = settings
        self.auth = auth
        self.connections: dict[str, ConnectionState] = {}
        self.admission = admission or ConnectionAdmission(
            max_connections=settings.max_connections,
            max_per_address=settings.max_connections_per_address,
            ready_fraction=settings.ready_max_fraction,
            trusted_proxies=settings.trusted_proxies,
            exempt=settings.address_limit_exempt,
        )
        self._closing: set[asyncio.Task[None]] = set()
        self._coalescer: RefreshCoalescer[tuple[CommandKind, str]] = RefreshCoalescer(
            settings.refresh_coalesce_seconds
        )
        self._recent_tickers = RecentIds(capacity=8192, ttl_s=TICKER_DEDUP_WINDOW_S)
        self._sending: dict[tuple[CommandKind, str], asyncio.Future[None]] = {}
        metrics.rooms.set_function(self.room_count)
        metrics.connections.set_function(lambda: len(self.connections))

    # ----------------------------------------------------------- registration
    def register(self) -> None:
        """Install every handler on the Socket.IO server."""
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on(ClientEvent.LOCATION_UPDATE, self._guard(self._location_update))
        self.sio.on(ClientEvent.SUBSCRIBE, self._guard(self._subscribe))
        self.sio.on(ClientEvent.UNSUBSCRIBE, self._guard(self._unsubscribe))
        self.sio.on(ClientEvent.REFRESH, self._guard(self._refresh))
        self.sio.on("*", self._unknown_event)

    def room_count(self) -> int:
        """Rooms of ours with at least one member (per-client rooms excluded)."""
        rooms: Mapping[Any, Any] = self.sio.manager.rooms.get("/", {})
        return sum(1 for name, members in rooms.items() if isinstance(name, str) and "." in name and members)

    # ------------------------------------------------------------ connections
    async def _on_connect(self, sid: str, environ: Mapping[str, Any], auth: Any = None) -> None:
        address = self.admission.client_address(environ)
        refusal = self.admission.admit(sid, address)
        if refusal is not None:
            self.metrics.refused_connects.labels(refusal.value).inc()
            self._close_soon(sid, environ)
            LOG.debug("connection refused", extra={"sid": sid, "address": address, "reason": refusal.value})
            raise socketio.exceptions.ConnectionRefusedError(refusal.value)
        if self.auth is not None:
            try:
                user_id = await self.auth(environ, auth)
            except Exception:
                LOG.exception("auth hook failed")
                user_id = None
            if user_id is None:
                self.admission.release(sid)
                self.metrics.rejected_connects.inc()
                raise socketio.exceptions.ConnectionRefusedError("unauthorized")
        else:
            user_id = anonymous_user_id(auth)
        s = self.settings
        self.connections[sid] = ConnectionState(
            user_id=user_id,
            messages=TokenBucket(s.message_rate, s.message_burst),
            refreshes=TokenBucket(s.refresh_rate, s.refresh_burst),
            locations=TokenBucket(s.location_rate, s.location_burst),
        )
        self.metrics.connects.inc()
        LOG.debug("client connected", extra={"sid": sid, "user_id": user_id})

    async def _on_disconnect(self, sid: str, *reason: Any) -> None:
        self.connections.pop(sid, None)
        self.admission.release(sid)
        LOG.debug("client disconnected", extra={"sid": sid, "reason": str(reason[0]) if reason else ""})

    def _close_soon(self, sid: str, environ: Mapping[str, Any]) -> None:
        """Close a refused session's Engine.IO connection after its connect_error went out."""
        eio_sid = self.sio.manager.eio_sid_from_sid(sid, "/")
        if eio_sid is None:
            return
        task = asyncio.get_running_loop().create_task(close_refused_session(self.sio.eio, eio_sid, environ))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    # --------------------------------------------------------------- handlers
    def _guard(self, handler: Handler) -> Callable[..., Awaitable[dict[str, Any]]]:
        """Wrap a handler: message rate limit, single-argument rule, errors → error acks."""

        async def handle(sid: str, *args: Any) -> dict[str, Any]:
            state = self.connections.get(sid)
            try:
                if state is None:
                    raise ProtocolError(ErrorCode.UNAVAILABLE, "connection is closing")
                if not state.messages.try_take():
                    raise ProtocolError(ErrorCode.RATE_LIMITED, "too many messages; slow down")
                if len(args) > 1:
                    raise ProtocolError(ErrorCode.INVALID_PAYLOAD, "expected exactly one argument")
                return await handler(sid, state, args[0] if args else None)
            except ProtocolError as exc:
                self.metrics.client_errors.labels(exc.code.value).inc()
                return error_ack(exc.code, exc.message)
            except CommandUnavailable as exc:
                self.metrics.client_errors.labels(ErrorCode.UNAVAILABLE.value).inc()
                return error_ack(ErrorCode.UNAVAILABLE, str(exc) or "service temporarily unavailable")
            except Exception:
                LOG.exception("handler failed", extra={"sid": sid, "handler": handler.__name__})
                self.metrics.client_errors.labels(ErrorCode.INTERNAL.value).inc()
                return error_ack(ErrorCode.INTERNAL, "internal error")

        handle.__name__ = handler.__name__
        return handle

    async def _unknown_event(self, event: Any, sid: str, *args: Any) -> dict[str, Any]:
        del args
        self.metrics.client_errors.labels(ErrorCode.UNKNOWN_EVENT.value).inc()
        state = self.connections.get(sid)
        if state is not None and not state.messages.try_take():
            return error_ack(ErrorCode.RATE_LIMITED, "too many messages; slow down")
        return error_ack(ErrorCode.UNKNOWN_EVENT, f"unknown event {str(event)[:40]!r}")

    async def _location_update(self, sid: str, state: ConnectionState, payload: Any) -> dict[str, Any]:
        request = parse_location(payload)
        if not state.locations.try_take():
            raise ProtocolError(ErrorCode.RATE_LIMITED, "too many location updates; slow down")
        room = weather_room(request.city_key)
        if state.city_room is not None and state.city_room != room:
            await self.sio.leave_room(sid, state.city_room)
        await self.sio.enter_room(sid, room)
        state.city_room = room
        hydrated = await self._hydrate(sid, Stream.WEATHER, request.city_key)
        command = Command(CommandKind.WEATHER_FETCH, state.user_id, datetime.now(UTC), location=request)
        requested = await self._send_coalesced(command)
        return ok_ack(room=room, city=request.city, hydrated=hydrated, coalesced=not requested)

    async def _subscribe(self, sid: str, state: ConnectionState, payload: Any) -> dict[str, Any]:
        channel = parse_channel(payload)
        await self.sio.enter_room(sid, channel)
        state.channels.add(channel)
        hydrated = [
            stream.value for stream in CHANNELS[channel] if await self._hydrate(sid, stream, "global")
        ]
        return ok_ack(channel=channel, hydrated=hydrated)

    async def _unsubscribe(self, sid: str, state: ConnectionState, payload: Any) -> dict[str, Any]:
        channel = parse_channel(payload)
        await self.sio.leave_room(sid, channel)
        state.channels.discard(channel)
        return ok_ack(channel=channel)

    async def _refresh(self, sid: str, state: ConnectionState, payload: Any) -> dict[str, Any]:
        del sid
        target = parse_refresh(payload)
        if not state.refreshes.try_take():
            raise ProtocolError(ErrorCode.RATE_LIMITED, "too many refresh requests; slow down")
        command = Command(refresh_command_kind(target), state.user_id, datetime.now(UTC))
        requested = await self._send_coalesced(command)
        return ok_ack(domain=target.value, coalesced=not requested)

    async def _send_coalesced(self, command: Command) -> bool:
        """Produce ``command`` unless an identical one went out within the window; return whether sent.

        A request coalesced onto a command still being sent waits for that send and shares its
        outcome: it is acknowledged only once the command it rides on is in Kafka, and gets the
        same ``unavailable`` error when that send fails (otherwise it would be answered ok and
        never get its update).
        """
        window_key = (command.kind, command.key)
        if not self._coalescer.should_send(window_key):
            pending = self._sending.get(window_key)
            if pending is not None:
                await asyncio.shield(pending)
            self.metrics.coalesced.labels(command.kind.value).inc()
            return False
        sending: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sending[window_key] = sending
        try:
            await self.commands.send(command)
        except BaseException as exc:
            self._coalescer.forget(window_key)
            sending.set_exception(exc if isinstance(exc, Exception) else CommandUnavailable("cancelled"))
            sending.exception()  # retrieved here; waiters re-raise it
            raise
        else:
            sending.set_result(None)
        finally:
            if self._sending.get(window_key) is sending:
                del self._sending[window_key]
        self.metrics.commands.labels(command.kind.value).inc()
        return True

    async def _hydrate(self, sid: str, stream: Stream, key: str) -> bool:
        snapshot = await self.cache.lookup(stream, key)
        if snapshot is None:
            return False
        await self.sio.emit(stream.value, snapshot.wire(), to=sid)
        self.metrics.hydrations.labels(stream.value).inc()
        return True

    # ---------------------------------------------------------------- fan-out
    async def publish(self, snapshot: Snapshot) -> bool:
        """Fan ``snapshot`` out to its room unless it is a duplicate or stale; return whether emitted."""
        stream = snapshot.stream
        age_ms = now_ms() - snapshot.produced_at_ms
        self.metrics.arrival_latency.labels(stream.value).observe(max(age_ms, 0) / 1000.0)
        if stream is Stream.TICKER and age_ms > self.settings.ticker_max_age_ms:
            # Behind (overload or a backlog after a pause): a newer batch supersedes this one (ADR-007).
            self.metrics.stale_tickers.inc()
            return False
        fresh = (
            self.cache.offer(snapshot)
            if stream.cached
            else self._recent_tickers.first_sighting(snapshot.snapshot_id)
        )
        if not fresh:
            self.metrics.duplicates.labels(stream.value).inc()
            return False
        started = time.perf_counter()
        await self.sio.emit(stream.value, snapshot.wire(), room=snapshot.room)
        self.metrics.fanout_duration.labels(stream.value).observe(time.perf_counter() - started)
        self.metrics.emits.labels(stream.value).inc()
        latency = (now_ms() - snapshot.produced_at_ms) / 1000.0
        self.metrics.e2e_latency.labels(stream.value).observe(max(latency, 0.0))
        return True
