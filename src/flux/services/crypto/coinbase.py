"""The live ticker stream: the Coinbase Exchange WebSocket feed's ``ticker`` channel.

The stream subscribes to ``ticker`` and ``heartbeat`` for the requested products, yields each valid
ticker message as a :class:`~flux.services.crypto.model.Tick`, and after a drop (closed socket,
refused connection, silence past the idle timeout) reconnects with exponential backoff and full
jitter and subscribes again. Ticks already seen (same or lower sequence of a product) are skipped,
so a resubscription never yields duplicates.

Example:
    >>> stream = CoinbaseTickerStream(url="wss://ws-feed.exchange.coinbase.com")
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from flux.resilience import (
    RetryPolicy,
    UpstreamBadPayload,
    UpstreamClientError,
    UpstreamConnectionError,
    UpstreamError,
    UpstreamTimeout,
)
from flux.services.crypto.model import Tick
from flux.services.validation import FieldReader, decode_json

__all__ = [
    "CoinbaseTickerStream",
    "FeedError",
    "Heartbeat",
    "SubscriptionsAck",
    "parse_coinbase_message",
    "subscribe_message",
]

LOG = logging.getLogger(__name__)

UPSTREAM: Final = "coinbase"
MAX_MESSAGE_BYTES: Final = 64 * 1024
MAX_PRODUCTS: Final = 200
MAX_PRICE: Final = 10**9
PRODUCT_ID: Final = re.compile(r"^[A-Z0-9]{1,16}-[A-Z0-9]{1,16}$")
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class SubscriptionsAck:
    """The feed's confirmation of what the connection is subscribed to (channel → products)."""

    channels: dict[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """A per-product liveness message."""

    product_id: str
    sequence: int
    time: datetime


@dataclass(frozen=True, slots=True)
class FeedError:
    """An ``error`` message; the feed closes the connection after it."""

    message: str
    reason: str


FeedMessage = Tick | SubscriptionsAck | Heartbeat | FeedError | None


def subscribe_message(product_ids: Sequence[str]) -> str:
    """The JSON ``subscribe`` message for the ticker and heartbeat channels."""
    return json.dumps(
        {"type": "subscribe", "product_ids": list(product_ids), "channels": ["ticker", "heartbeat"]}
    )


def _product_id(read: FieldReader, obj: Any) -> str:
    product_id = read.text(obj, "product_id", max_length=33)
    if not PRODUCT_ID.match(product_id):
        raise read.fail(f"product_id {product_id[:40]!r} is not BASE-QUOTE")
    return product_id


def _parse_tick(read: FieldReader, obj: Any) -> Tick:
    return Tick(
        product_id=_product_id(read, obj),
        price=read.decimal(obj, "price", minimum=0, maximum=MAX_PRICE),
        best_bid=read.decimal(obj, "best_bid", minimum=0, maximum=MAX_PRICE),
        best_ask=read.decimal(obj, "best_ask", minimum=0, maximum=MAX_PRICE),
        volume_24h=read.decimal(obj, "volume_24h", minimum=0),
        open_24h=read.optional_decimal(obj, "open_24h", minimum=0, maximum=MAX_PRICE),
        time=read.timestamp(obj, "time"),
        trade_id=read.integer(obj, "trade_id", minimum=0),
        sequence=read.integer(obj, "sequence", minimum=0),
    )


def _parse_subscriptions(read: FieldReader, obj: Any) -> SubscriptionsAck:
    channels: dict[str, tuple[str, ...]] = {}
    for index, channel in enumerate(read.items(read.present(obj, "channels"), "channels", max_items=32)):
        entry = read.mapping(channel, f"channels[{index}]")
        ids = read.items(entry.get("product_ids") or [], "product_ids", max_items=MAX_PRODUCTS * 2)
        channels[read.text(entry, "name", max_length=64)] = tuple(str(pid)[:33] for pid in ids)
    return SubscriptionsAck(channels)


def parse_coinbase_message(raw: str | bytes) -> FeedMessage:
    """Parse one feed frame; message types Flux does not use read as None.

    Raises:
        UpstreamBadPayload: Not a JSON object, no ``type``, or a known type with invalid fields.
    """
    read = FieldReader(UPSTREAM)
    body = raw.encode() if isinstance(raw, str) else raw
    obj = read.mapping(decode_json(UPSTREAM, body), "message")
    kind = read.text(obj, "type", max_length=64)
    if kind == "ticker":
        return _parse_tick(read, obj)
    if kind == "heartbeat":
        return Heartbeat(
            _product_id(read, obj), read.integer(obj, "sequence", minimum=0), read.timestamp(obj, "time")
        )
    if kind == "subscriptions":
        return _parse_subscriptions(read, obj)
    if kind == "error":
        message = read.optional_text(obj, "message", max_length=500) or ""
        return FeedError(message, read.optional_text(obj, "reason", max_length=500) or "")
    return None


class CoinbaseTickerStream:
    """The ticker half of the live crypto provider.

    Args:
        url: Feed URL (``UpstreamConfig.coinbase_ws_url``).
        reconnect: Backoff between reconnections; ``max_attempts`` bounds consecutive failed
            connections before the iterator raises.
        open_timeout_s: Time allowed to connect and complete the handshake.
        idle_timeout_s: Silence (no frame at all, heartbeats included) that counts as a drop.
        rng: Jitter source.
        sleep: Awaitable sleep (replace it in tests).
    """

    def __init__(
        self,
        *,
        url: str,
        reconnect: RetryPolicy | None = None,
        open_timeout_s: float = 10.0,
        idle_timeout_s: float = 15.0,
        rng: random.Random | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.url = url
        self.reconnect = reconnect or RetryPolicy(max_attempts=12, base_delay_s=0.5, max_delay_s=30.0)
        self.open_timeout_s = open_timeout_s
        self.idle_timeout_s = idle_timeout_s
        self._rng = rng or random.Random()
        self._sleep = sleep
        self.connections = 0
        self.malformed_frames = 0

    async def ticks(self, product_ids: Sequence[str]) -> AsyncGenerator[Tick, None]:
        """Ticks of ``product_ids``, reconnecting and resubscribing after every drop.

        Raises:
            ValueError: No products, too many, or a product id not shaped ``BASE-QUOTE``.
            UpstreamClientError: The feed rejected the subscription (an ``error`` message).
            UpstreamError: Reconnection failed ``reconnect.max_attempts`` times in a row.
        """
        products = list(dict.fromkeys(product_ids))
        if not products or len(products) > MAX_PRODUCTS or not all(PRODUCT_ID.match(p) for p in products):
            raise ValueError(f"need 1..{MAX_PRODUCTS} product ids shaped BASE-QUOTE")
        last_sequence: dict[str, int] = {}
        failures = 0
        while True:
            try:
                async with connect(
                    self.url,
                    open_timeout=self.open_timeout_s,
                    max_size=MAX_MESSAGE_BYTES,
                    close_timeout=1.0,
                ) as connection:
                    self.connections += 1
                    await connection.send(subscribe_message(products))
                    async for tick in self._read(connection, products):
                        if tick.sequence <= last_sequence.get(tick.product_id, -1):
                            continue
                        last_sequence[tick.product_id] = tick.sequence
                        failures = 0
                        yield tick
                    error: UpstreamError = UpstreamConnectionError(UPSTREAM, "feed closed the connection")
            except (ConnectionClosed, InvalidHandshake, OSError) as exc:
                error = UpstreamConnectionError(UPSTREAM, f"connection lost ({type(exc).__name__})")
            except TimeoutError:
                error = UpstreamTimeout(UPSTREAM, "no frame or handshake within the timeout")
            except InvalidURI as exc:
                raise ValueError(f"invalid feed URL: {exc}") from exc
            failures += 1
            delay = self.reconnect.delay_after(error, failures, self._rng)
            if delay is None:
                raise error
            LOG.warning(
                "coinbase feed: %s; reconnecting in %.2fs (failure %d)", error.message, delay, failures
            )
            await self._sleep(delay)

    async def _read(self, connection: ClientConnection, products: list[str]) -> AsyncIterator[Tick]:
        while True:
            async with asyncio.timeout(self.idle_timeout_s):
                frame = await connection.recv()
            try:
                message = parse_coinbase_message(frame)
            except UpstreamBadPayload as exc:
                self.malformed_frames += 1
                LOG.warning("coinbase feed: skipped a malformed frame (%s)", exc.message)
                continue
            if isinstance(message, Tick):
                yield message
            elif isinstance(message, SubscriptionsAck):
                missing = set(products) - set(message.channels.get("ticker", ()))
                if missing:
                    LOG.warning("coinbase feed: ticker not subscribed for %s", sorted(missing))
                LOG.info("coinbase feed: subscribed to %d products", len(products) - len(missing))
            elif isinstance(message, FeedError):
                raise UpstreamClientError(
                    UPSTREAM, f"feed error: {message.message} ({message.reason})"[:300], status=400
                )
