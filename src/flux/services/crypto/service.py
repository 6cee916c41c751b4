"""The crypto service: top coins and top movers (on command and on a schedule) and the live ticker stream.

Top coins and movers are global snapshots (:class:`GlobalSnapshot`). The ticker
stream (ADR-007) reads the provider's tick stream, batches it
(:class:`TickerBatcher`) and publishes Protobuf ``TickerBatch`` records keyed by
batch sequence; it reconnects through the provider and is never cached.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from decimal import Decimal
from typing import Any, Final

from flux.contracts import (
    Coin,
    CoinMove,
    RefreshTopCoins,
    RefreshTopMovers,
    TickerBatch,
    TopCoinsUpdated,
    TopMoversUpdated,
)
from flux.contracts.snapshot_sizes import MOVERS_SIZE, TOP_COINS_SIZE
from flux.resilience import UpstreamError
from flux.serde import RuleViolation
from flux.serde.contract_schema import contract_schema
from flux.services.crypto import make_crypto_provider
from flux.services.crypto import model as crypto
from flux.services.crypto.provider import CryptoProvider
from flux.services.crypto.ticker_batcher import TickerBatcher
from flux.services.runtime.context import ServiceContext
from flux.services.runtime.metrics import EVENTS_PUBLISHED, TICKS_INGESTED, UPSTREAM_ERRORS
from flux.services.runtime.process import ServiceDefinition
from flux.services.runtime.record_handling import CommandRoute
from flux.services.runtime.snapshots import GlobalSnapshot

__all__ = ["DEFAULT_PRODUCTS", "SERVICE_NAME", "TickerStream", "build"]

LOG = logging.getLogger(__name__)

SERVICE_NAME: Final = "crypto-service"
SNAPSHOT_INTERVAL_S: Final = 15.0
DEFAULT_PRODUCTS: Final = (
    "BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD", "DOGE-USD", "ADA-USD", "AVAX-USD", "LINK-USD",
    "XLM-USD", "LTC-USD", "DOT-USD", "BCH-USD", "UNI-USD", "NEAR-USD", "APT-USD", "ATOM-USD",
)  # fmt: skip
TICKER_TOPIC: Final = contract_schema(TickerBatch).topic
PRICE: Final = Decimal("1e-12")
AMOUNT: Final = Decimal("0.01")
ZERO: Final = Decimal(0)
# Pause before reopening the tick stream after it failed or ended (the provider backs off within it).
RESTART_DELAY_S: Final = 1.0


def _exact(value: Decimal | None, step: Decimal) -> Decimal:
    return ZERO if value is None else value.quantize(step)


def _pct(value: Decimal | None) -> float:
    return 0.0 if value is None else round(float(value), 4)


def coin_fields(top: crypto.TopCoins) -> Mapping[str, Any]:
    coins = [
        Coin(
            rank=c.rank or i,
            symbol=c.symbol.upper(),
            name=c.name,
            price=_exact(c.price_usd, PRICE),
            market_cap=_exact(c.market_cap_usd, AMOUNT),
            volume_24h=_exact(c.volume_24h_usd, AMOUNT),
            change_pct_24h=_pct(c.change_pct_24h),
        )
        for i, c in enumerate(top.coins, start=1)
    ]
    return {"coins": coins}


def _move(c: crypto.Coin) -> CoinMove:
    return CoinMove(
        symbol=c.symbol.upper(),
        name=c.name,
        price=_exact(c.price_usd, PRICE),
        change_pct_24h=_pct(c.change_pct_24h),
        volume_24h=_exact(c.volume_24h_usd, AMOUNT),
    )


def mover_fields(board: crypto.MoverBoard) -> Mapping[str, Any]:
    return {"gainers": [_move(c) for c in board.gainers], "losers": [_move(c) for c in board.losers]}


class TickerStream:
    """Provider ticks → batches → ``crypto.ticker.event.updated`` (Protobuf), with bounded in-flight sends.

    Args:
        ctx: The running service's parts (serde, producer).
        ticks: Opens the provider's tick stream; called again to restart it after a failure.
        window_s: Batch window.
        max_products: Products per batch before an early flush.
        max_in_flight: Batches awaiting acknowledgement before ingest waits.
    """

    def __init__(
        self,
        ctx: ServiceContext,
        ticks: Callable[[], AsyncIterator[crypto.Tick]],
        *,
        window_s: float = 0.2,
        max_products: int = 500,
        max_in_flight: int = 64,
    ) -> None:
        self.ctx = ctx
        self._open_ticks = ticks
        self.batcher = TickerBatcher(window_s=window_s, max_products=max_products)
        self._in_flight: set[asyncio.Future[Any]] = set()
        self._max_in_flight = max_in_flight
        self.published = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Ingest until ``stop``; flushes on window or size; restarts the stream after upstream failures."""
        flusher = asyncio.create_task(self._flush_on_window(stop))
        stopped = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                # Raced against stop: a silent or reconnecting feed must not hold up shutdown.
                ingest = asyncio.create_task(self._ingest(stop))
                await asyncio.wait({ingest, stopped}, return_when=asyncio.FIRST_COMPLETED)
                if not ingest.done():
                    ingest.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await ingest
                    break
                error = ingest.exception()
                if isinstance(error, UpstreamError):
                    UPSTREAM_ERRORS.labels(SERVICE_NAME, "ticker", type(error).__name__).inc()
                    LOG.warning("ticker stream failed; restarting", extra={"error": str(error)})
                elif error is not None:
                    raise error
                # A failed (or ended) iterator is finished: the next round opens a new one.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=RESTART_DELAY_S)
        finally:
            stopped.cancel()
            flusher.cancel()
            await self.flush()
            if self._in_flight:
                await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _ingest(self, stop: asyncio.Event) -> None:
        counter = TICKS_INGESTED.labels(SERVICE_NAME)
        ticks = self._open_ticks()
        try:
            async for tick in ticks:
                counter.inc()
                if self.batcher.add(tick):
                    await self.flush()
                if stop.is_set():
                    return
        finally:
            aclose = getattr(ticks, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()

    async def _flush_on_window(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(self.batcher.time_left() or self.batcher.window_s)
            if self.batcher.due():
                await self.flush()

    async def flush(self) -> None:
        batch = self.batcher.take(source=SERVICE_NAME, produced_at_ms=int(time.time() * 1000))
        if batch is None:
            return
        while len(self._in_flight) >= self._max_in_flight:
            await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
        try:
            value = await self.ctx.serde.encode(batch)
        except RuleViolation as violation:  # never produced; logged, counted, dead-lettered (DLQ)
            refusal = asyncio.create_task(self._refuse(violation, batch))
            self._in_flight.add(refusal)  # bounded, and awaited on stop, like the batches in flight
            refusal.add_done_callback(self._in_flight.discard)
            return
        except Exception as exc:  # registry away: a dropped batch is superseded by the next one (stream-only)
            LOG.warning("ticker batch dropped: cannot encode", extra={"error": str(exc)})
            return
        future = self.ctx.producer.produce(TICKER_TOPIC, value=value, key=str(batch.batch_sequence).encode())
        self._in_flight.add(future)
        future.add_done_callback(self._delivered)

    async def _refuse(self, violation: RuleViolation, batch: Any) -> None:
        """Hand a batch its data contract refused to the service's contract-violation handling
        (log, and the topic's dead-letter topic when the rule says DLQ), off the ingest path."""
        try:
            await self.ctx.publisher.violations.handle(violation, batch, key=str(batch.batch_sequence))
        except Exception as exc:  # the DLQ is away: the batch is stream-only, the next one supersedes it
            LOG.warning("refused ticker batch not dead-lettered", extra={"error": str(exc)})

    def _delivered(self, future: asyncio.Future[Any]) -> None:
        self._in_flight.discard(future)
        if future.cancelled() or future.exception() is not None:
            LOG.warning("ticker batch not delivered", extra={"error": str(future.exception())})
            return
        self.published += 1
        EVENTS_PUBLISHED.labels(SERVICE_NAME, TICKER_TOPIC).inc()


async def build(ctx: ServiceContext) -> ServiceDefinition:
    """The crypto service's routes and jobs for the shared runtime."""
    provider: CryptoProvider = make_crypto_provider(ctx.settings)
    top_coins = GlobalSnapshot(
        ctx,
        TopCoinsUpdated,
        fetch=provider.top_coins,
        fields=coin_fields,
        size=TOP_COINS_SIZE,
        interval_s=SNAPSHOT_INTERVAL_S,
    )
    movers = GlobalSnapshot(
        ctx,
        TopMoversUpdated,
        fetch=provider.movers,
        fields=mover_fields,
        size=MOVERS_SIZE,
        interval_s=SNAPSHOT_INTERVAL_S,
    )
    ticker = TickerStream(ctx, lambda: provider.ticks(DEFAULT_PRODUCTS))
    return ServiceDefinition(
        routes=[
            CommandRoute(RefreshTopCoins, top_coins.on_command),
            CommandRoute(RefreshTopMovers, movers.on_command),
        ],
        produces=[TopCoinsUpdated, TopMoversUpdated],
        streams=[TickerBatch],
        jobs=[top_coins.run_schedule, movers.run_schedule, ticker.run],
        aclose=provider.aclose,
    )
