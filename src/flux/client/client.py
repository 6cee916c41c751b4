"""``FluxClient``: connect to a BFF, request data, receive typed updates.

The client re-sends its location and subscriptions after every reconnect
(the server hydrates them again from its cache) and drops any update that
is a repeat or older than the last one it delivered for the same key, so
callbacks see each snapshot once, in order.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import socketio

from flux.client.update import Update, UpdateKind

__all__ = ["Ack", "ClientRequestError", "FluxClient", "UpdateCallback"]

LOG = logging.getLogger(__name__)

UpdateCallback = Callable[[Update], Awaitable[None] | None]
ConnectionCallback = Callable[[bool], Awaitable[None] | None]


@dataclass(frozen=True, slots=True)
class Ack:
    """The server's acknowledgement of one request."""

    ok: bool
    fields: dict[str, Any] = field(default_factory=dict)
    error_code: str | None = None
    error_message: str | None = None

    @classmethod
    def parse(cls, raw: Any) -> Ack:
        if not isinstance(raw, dict):
            return cls(False, error_code="invalid_ack", error_message="server sent no acknowledgement")
        if raw.get("ok") is True:
            return cls(True, {k: v for k, v in raw.items() if k != "ok"})
        error = raw.get("error")
        if not isinstance(error, dict):
            error = {}
        return cls(False, error_code=str(error.get("code")), error_message=str(error.get("message")))


class ClientRequestError(Exception):
    """Raised by ``FluxClient`` request methods when ``raise_on_error`` is set and the server refused."""

    def __init__(self, ack: Ack) -> None:
        super().__init__(f"{ack.error_code}: {ack.error_message}")
        self.ack = ack


class FluxClient:
    """Async client of the BFF's Socket.IO protocol.

    Args:
        url: Base URL of the BFF, e.g. ``http://127.0.0.1:8000``.
        user_id: UUID to present (kept across reconnects); a new one by default.
        token: Auth token when the BFF requires one.
        raise_on_error: Raise :class:`ClientRequestError` instead of returning a failed :class:`Ack`.
        request_timeout: Seconds to wait for an acknowledgement.
    """

    def __init__(
        self,
        url: str,
        *,
        user_id: str | None = None,
        token: str | None = None,
        raise_on_error: bool = False,
        request_timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.user_id = user_id or str(uuid.uuid4())
        self._token = token
        self._raise = raise_on_error
        self._timeout = request_timeout
        self._sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.5, reconnection_delay_max=5)
        self._callbacks: dict[UpdateKind, list[UpdateCallback]] = {kind: [] for kind in UpdateKind}
        self._connection_callbacks: list[ConnectionCallback] = []
        self._last: dict[tuple[UpdateKind, str], tuple[str, int]] = {}
        self._location: tuple[str, float, float] | None = None
        self._channels: set[str] = set()
        self._sio.on("connect", self._on_connect)
        self._sio.on("disconnect", self._on_disconnect)
        for kind in UpdateKind:
            self._sio.on(kind.value, self._dispatcher(kind))

    # ------------------------------------------------------------ callbacks
    def on(self, kind: UpdateKind, callback: UpdateCallback) -> None:
        """Call ``callback(update)`` for every new update of ``kind``."""
        self._callbacks[kind].append(callback)

    def on_weather(self, callback: UpdateCallback) -> None:
        self.on(UpdateKind.WEATHER, callback)

    def on_top_coins(self, callback: UpdateCallback) -> None:
        self.on(UpdateKind.TOPCOINS, callback)

    def on_movers(self, callback: UpdateCallback) -> None:
        self.on(UpdateKind.MOVERS, callback)

    def on_ticker(self, callback: UpdateCallback) -> None:
        self.on(UpdateKind.TICKER, callback)

    def on_news(self, callback: UpdateCallback) -> None:
        self.on(UpdateKind.NEWS, callback)

    def on_stocks(self, callback: UpdateCallback) -> None:
        self.on(UpdateKind.STOCKS, callback)

    def on_connection(self, callback: ConnectionCallback) -> None:
        """Call ``callback(True)`` on every (re)connect and ``callback(False)`` on every disconnect."""
        self._connection_callbacks.append(callback)

    # ------------------------------------------------------------ lifecycle
    @property
    def connected(self) -> bool:
        return bool(self._sio.connected)

    async def connect(self, *, transports: tuple[str, ...] = ("websocket", "polling")) -> None:
        auth: dict[str, str] = {"userId": self.user_id}
        if self._token is not None:
            auth["token"] = self._token
        await self._sio.connect(self.url, transports=list(transports), auth=auth, wait_timeout=self._timeout)

    async def disconnect(self) -> None:
        await self._sio.disconnect()

    async def wait(self) -> None:
        """Block until the connection ends for good."""
        await self._sio.wait()

    async def __aenter__(self) -> FluxClient:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.disconnect()

    # -------------------------------------------------------------- requests
    async def set_location(self, city: str, lat: float, lon: float) -> Ack:
        """Watch the weather of ``city`` (leaving the previous city); hydrates at once."""
        ack = await self._request("locationUpdate", {"city": city, "lat": lat, "lon": lon})
        if ack.ok:
            self._location = (city, lat, lon)
        return ack

    async def subscribe(self, channel: str) -> Ack:
        """Join ``crypto.global``, ``news.global`` or ``stock.global``; hydrates at once."""
        ack = await self._request("subscribe", {"channel": channel})
        if ack.ok:
            self._channels.add(channel)
        return ack

    async def unsubscribe(self, channel: str) -> Ack:
        ack = await self._request("unsubscribe", {"channel": channel})
        self._channels.discard(channel)
        return ack

    async def refresh(self, domain: str) -> Ack:
        """Ask for fresh ``news``, ``stocks``, ``crypto:topcoins`` or ``crypto:movers``."""
        return await self._request("refresh", {"domain": domain})

    async def _request(self, event: str, payload: dict[str, Any]) -> Ack:
        raw = await self._sio.call(event, payload, timeout=self._timeout)
        ack = Ack.parse(raw)
        if not ack.ok and self._raise:
            raise ClientRequestError(ack)
        return ack

    # -------------------------------------------------------------- internals
    async def _on_connect(self) -> None:
        for callback in self._connection_callbacks:
            await _maybe_await(callback(True))
        # Restore state after a reconnect; the server hydrates each request again.
        asyncio.get_running_loop().create_task(self._restore())

    async def _restore(self) -> None:
        try:
            for channel in sorted(self._channels):
                await self._request("subscribe", {"channel": channel})
            if self._location is not None:
                city, lat, lon = self._location
                await self._request("locationUpdate", {"city": city, "lat": lat, "lon": lon})
        except Exception as exc:  # the next reconnect tries again
            LOG.warning("could not restore subscriptions: %s", exc)

    async def _on_disconnect(self, *_: Any) -> None:
        for callback in self._connection_callbacks:
            await _maybe_await(callback(False))

    def _dispatcher(self, kind: UpdateKind) -> Callable[[Any], Awaitable[None]]:
        async def dispatch(payload: Any) -> None:
            try:
                update = Update.parse(kind, payload)
            except (KeyError, TypeError, ValueError) as exc:
                LOG.warning("ignoring malformed update: %s", exc)
                return
            if not self._is_new(update):
                return
            for callback in self._callbacks[kind]:
                await _maybe_await(callback(update))

        return dispatch

    def _is_new(self, update: Update) -> bool:
        slot = (update.kind, update.key)
        previous = self._last.get(slot)
        if previous is not None:
            last_id, last_at = previous
            if update.snapshot_id == last_id or update.produced_at_ms < last_at:
                return False
        self._last[slot] = (update.snapshot_id, update.produced_at_ms)
        return True


async def _maybe_await(result: Awaitable[None] | None) -> None:
    if inspect.isawaitable(result):
        await result
