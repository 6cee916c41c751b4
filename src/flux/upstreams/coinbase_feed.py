"""The fake Coinbase Exchange WebSocket feed: ``subscribe`` → ``subscriptions``, tickers, heartbeats.

Ticks come from the shared simulated market at ``tick_rate_hz`` per connection, with a heartbeat per
product every ``heartbeat_interval_s``. Faults: ``drop_ws`` cuts every open socket (no close frame)
and refuses handshakes while in force; ``5xx``/``429`` refuse handshakes with that status; ``slow``
delays frames; ``malformed`` and ``truncated`` corrupt frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from collections.abc import Sequence
from typing import Any, Final

from aiohttp import WSMsgType, web

from flux.services.crypto.model import Tick
from flux.upstreams.fault_control import Fault, FaultMode, FaultTarget
from flux.upstreams.formats import coinbase_heartbeat, coinbase_subscriptions, coinbase_ticker
from flux.upstreams.world import SimulatedWorld

__all__ = ["CoinbaseFeed"]

LOG = logging.getLogger(__name__)

SUBSCRIBE_TIMEOUT_S: Final = 10.0
MAX_FRAME_BYTES: Final = 64 * 1024


class CoinbaseFeed:
    """The WebSocket route of the fake upstreams.

    Args:
        world: Shared simulated state (market, faults, hit counters).
        tick_rate_hz: Ticker messages per second per connection.
        heartbeat_interval_s: Seconds between heartbeats of a product.
    """

    def __init__(self, world: SimulatedWorld, *, tick_rate_hz: float, heartbeat_interval_s: float) -> None:
        if tick_rate_hz <= 0 or heartbeat_interval_s <= 0:
            raise ValueError("tick_rate_hz and heartbeat_interval_s must be > 0")
        self.world = world
        self.tick_rate_hz = tick_rate_hz
        self.heartbeat_interval_s = heartbeat_interval_s
        self._open: dict[web.WebSocketResponse, asyncio.BaseTransport | None] = {}
        self.subscriptions = 0
        self.drops = 0
        world.faults.add_listener(self._on_fault)

    @property
    def open_connections(self) -> int:
        """Sockets currently open."""
        return len(self._open)

    def drop_all(self) -> int:
        """Cut every open socket abruptly (no close frame); returns how many were cut."""
        dropped = 0
        for transport in list(self._open.values()):
            if transport is not None and not transport.is_closing():
                transport.close()
                dropped += 1
        self.drops += dropped
        return dropped

    def _on_fault(self, fault: Fault) -> None:
        if fault.mode is FaultMode.DROP_WS and fault.applies_to(FaultTarget.COINBASE):
            LOG.info("drop_ws: cut %d sockets", self.drop_all())

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Serve one feed connection."""
        self.world.hits[FaultTarget.COINBASE.value] += 1
        refusal = self._refusal()
        if refusal is not None:
            return refusal
        socket = web.WebSocketResponse(max_msg_size=MAX_FRAME_BYTES, autoping=True)
        await socket.prepare(request)
        self._open[socket] = request.transport
        sender: asyncio.Task[None] | None = None
        try:
            products = await self._subscribe(socket)
            if products is None:
                return socket
            sender = asyncio.create_task(self._stream(socket, products))
            async for message in socket:
                if message.type is WSMsgType.TEXT and '"unsubscribe"' in message.data:
                    break
        finally:
            if sender is not None:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                    await sender
            self._open.pop(socket, None)
            if not socket.closed:
                with contextlib.suppress(ConnectionError):
                    await socket.close()
        return socket

    def _refusal(self) -> web.Response | None:
        fault = self.world.faults.peek(FaultTarget.COINBASE)
        if fault is None or fault.mode not in (
            FaultMode.DROP_WS,
            FaultMode.SERVER_ERROR,
            FaultMode.RATE_LIMITED,
        ):
            return None
        self.world.faults.take(FaultTarget.COINBASE)
        if fault.mode is FaultMode.RATE_LIMITED:
            return web.Response(status=429, headers={"Retry-After": str(math.ceil(fault.retry_after_s))})
        return web.Response(status=fault.status if fault.mode is FaultMode.SERVER_ERROR else 503)

    async def _fail(self, socket: web.WebSocketResponse, reason: str) -> None:
        await socket.send_str(
            json.dumps({"type": "error", "message": "Failed to subscribe", "reason": reason})
        )
        await socket.close()

    async def _subscribe(self, socket: web.WebSocketResponse) -> list[str] | None:
        try:
            message = await socket.receive(timeout=SUBSCRIBE_TIMEOUT_S)
        except TimeoutError:
            await self._fail(socket, "no subscribe message")
            return None
        if message.type is not WSMsgType.TEXT:
            return None
        try:
            request: Any = json.loads(message.data)
        except ValueError:
            await self._fail(socket, "malformed JSON")
            return None
        if not isinstance(request, dict) or request.get("type") != "subscribe":
            await self._fail(socket, "expected a subscribe message")
            return None
        products = request.get("product_ids")
        channels = request.get("channels")
        if not isinstance(products, list) or not products or not isinstance(channels, list):
            await self._fail(socket, "product_ids and channels are required")
            return None
        unknown = [p for p in products if p not in self.world.market.product_ids]
        if unknown:
            await self._fail(socket, f"{str(unknown[0])[:40]} is not a valid product")
            return None
        self.subscriptions += 1
        await socket.send_str(coinbase_subscriptions(products))
        return [str(p) for p in products]

    async def _send(self, socket: web.WebSocketResponse, frame: str) -> None:
        fault = self.world.faults.take(FaultTarget.COINBASE)
        if fault is not None and fault.mode is FaultMode.SLOW:
            await asyncio.sleep(fault.delay_s)
        elif fault is not None and fault.mode is FaultMode.MALFORMED:
            frame = '{"type": "ticker", "price": ' + frame[:10]
        elif fault is not None and fault.mode is FaultMode.TRUNCATED:
            frame = frame[: len(frame) // 2]
        await socket.send_str(frame)

    async def _stream(self, socket: web.WebSocketResponse, products: Sequence[str]) -> None:
        loop = asyncio.get_running_loop()
        market = self.world.market
        last: dict[str, Tick] = {}
        for product in products:
            last[product] = market.trade(product)
            await self._send(socket, coinbase_ticker(last[product]))
        started = loop.time()
        next_heartbeat = started + self.heartbeat_interval_s
        sent = 0
        while not socket.closed:
            product = market.pick_product(products)
            last[product] = market.trade(product)
            await self._send(socket, coinbase_ticker(last[product]))
            sent += 1
            now = loop.time()
            if now >= next_heartbeat:
                next_heartbeat = now + self.heartbeat_interval_s
                for pid, tick in last.items():
                    await self._send(
                        socket, coinbase_heartbeat(pid, tick.sequence, tick.trade_id, market.now())
                    )
            await asyncio.sleep(max(0.0, started + sent / self.tick_rate_hz - loop.time()))
