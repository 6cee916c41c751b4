"""The fake upstream servers on one loopback port: lifecycle, URLs, and the fault control endpoint.

Example:
    >>> import asyncio
    >>> async def demo() -> str:
    ...     async with FakeUpstreams(seed=1) as fake:
    ...         return fake.base_url.split(":")[0]
    >>> asyncio.run(demo())
    'http'

Control over HTTP (what a soak test uses)::

    POST   /_control/faults  {"mode": "429", "duration_s": 5, "target": "weather", "retry_after_s": 2}
    GET    /_control/faults  -> the fault in force
    DELETE /_control/faults  -> clear
    GET    /_control/health
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from types import TracebackType
from typing import Any, Final, Self

from aiohttp import web
from pydantic import SecretStr

from flux.services.simulation import Clock, utc_now
from flux.services.upstream_config import UpstreamConfig
from flux.upstreams.coinbase_feed import CoinbaseFeed
from flux.upstreams.fault_control import FaultController, parse_fault_request
from flux.upstreams.http_routes import add_http_routes
from flux.upstreams.world import SimulatedWorld

__all__ = ["DEFAULT_STOCKS_KEY", "FakeUpstreams"]

LOG = logging.getLogger(__name__)

DEFAULT_STOCKS_KEY: Final = "fake-stocks-key"
MAX_CONTROL_BYTES: Final = 4096


class FakeUpstreams:
    """Fake Open-Meteo, CoinGecko, Coinbase feed, RSS/Atom feeds and Alpha Vantage, from simulated data.

    Args:
        seed: Simulation seed.
        host: Address to bind (loopback by default).
        port: Port to bind (0 picks a free one).
        tick_rate_hz: Ticker messages per second per feed connection.
        heartbeat_interval_s: Seconds between feed heartbeats of a product.
        stocks_api_key: The key the fake Alpha Vantage accepts (None accepts any non-empty key).
        clock: Source of "now" for the simulated world.
    """

    def __init__(
        self,
        *,
        seed: int = 42,
        host: str = "127.0.0.1",
        port: int = 0,
        tick_rate_hz: float = 50.0,
        heartbeat_interval_s: float = 1.0,
        stocks_api_key: str | None = DEFAULT_STOCKS_KEY,
        clock: Clock = utc_now,
    ) -> None:
        self.world = SimulatedWorld(seed, clock=clock)
        self.host = host
        self._requested_port = port
        self.stocks_api_key = stocks_api_key
        self.feed = CoinbaseFeed(
            self.world, tick_rate_hz=tick_rate_hz, heartbeat_interval_s=heartbeat_interval_s
        )
        self.app = web.Application(client_max_size=MAX_CONTROL_BYTES)
        add_http_routes(self.app, self.world, stocks_api_key=stocks_api_key)
        self.app.router.add_get("/ws", self.feed.handle)
        self.app.router.add_get("/_control/faults", self._get_faults)
        self.app.router.add_post("/_control/faults", self._post_faults)
        self.app.router.add_delete("/_control/faults", self._delete_faults)
        self.app.router.add_get("/_control/health", self._health)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def faults(self) -> FaultController:
        """The programmatic fault control."""
        return self.world.faults

    @property
    def base_url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """The fake Coinbase feed URL."""
        return f"ws://{self.host}:{self.port}/ws"

    @property
    def news_feed_urls(self) -> list[str]:
        """The fake RSS 2.0 and Atom feed URLs."""
        return [f"{self.base_url}/feeds/world.rss", f"{self.base_url}/feeds/markets.atom"]

    @property
    def control_url(self) -> str:
        """The fault control endpoint."""
        return f"{self.base_url}/_control/faults"

    def upstream_config(self, *, timeout_s: float = 10.0, max_attempts: int = 4) -> UpstreamConfig:
        """An :class:`UpstreamConfig` pointing every live adapter here."""
        return UpstreamConfig(
            weather_url=self.base_url,
            coingecko_url=self.base_url,
            coinbase_ws_url=self.ws_url,
            news_feeds=self.news_feed_urls,
            stocks_url=self.base_url,
            stocks_api_key=SecretStr(self.stocks_api_key or DEFAULT_STOCKS_KEY),
            upstream_timeout_s=timeout_s,
            upstream_max_attempts=max_attempts,
        )

    def environment(self) -> dict[str, str]:
        """``FLUX_*`` variables that point a live-mode Flux at these servers."""
        return {
            "FLUX_PROVIDER": "live",
            "FLUX_WEATHER_URL": self.base_url,
            "FLUX_COINGECKO_URL": self.base_url,
            "FLUX_COINBASE_WS_URL": self.ws_url,
            "FLUX_NEWS_FEEDS": ",".join(self.news_feed_urls),
            "FLUX_STOCKS_URL": self.base_url,
            "FLUX_STOCKS_API_KEY": self.stocks_api_key or DEFAULT_STOCKS_KEY,
        }

    async def start(self) -> None:
        """Bind and start serving."""
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        listener = socket.create_server((self.host, self._requested_port), reuse_port=False)
        self.port = int(listener.getsockname()[1])
        site = web.SockSite(runner, listener)
        await site.start()
        self._runner = runner
        LOG.info("fake upstreams serving on %s", self.base_url)

    async def stop(self) -> None:
        """Cut open feeds and stop serving."""
        self.feed.drop_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def serve_forever(self) -> None:
        """Start, then serve until cancelled."""
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _get_faults(self, _: web.Request) -> web.Response:
        return web.json_response(self.faults.describe())

    async def _post_faults(self, request: web.Request) -> web.Response:
        try:
            payload: Any = json.loads(await request.read())
            if not isinstance(payload, dict):
                raise ValueError("expected a JSON object")
            self.faults.inject(**parse_fault_request(payload))
        except ValueError as exc:
            return web.json_response({"error": str(exc)[:300]}, status=400)
        return web.json_response(self.faults.describe())

    async def _delete_faults(self, _: web.Request) -> web.Response:
        self.faults.clear()
        return web.json_response(self.faults.describe())

    async def _health(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "open_feeds": self.feed.open_connections})
