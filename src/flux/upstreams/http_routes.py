"""HTTP routes of the fake upstreams (Open-Meteo, CoinGecko, RSS/Atom, Alpha Vantage) with faults.

Every response passes through :func:`respond`, which applies the fault in force for its upstream:
``slow`` delays, ``5xx`` and ``429`` replace the response, ``malformed`` corrupts the body, and
``truncated`` announces the full length, sends half, and closes the connection, and
``out_of_range`` (weather only) answers well-formed values no real place has: 65 °C, which the live
adapter's parser accepts (it bounds temperatures to -100..70 °C) and the event's data contract
refuses (``temperatureInRange``: -90..60 °C).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Final

from aiohttp import web

from flux.services.news.simulated import simulated_article
from flux.services.stock.simulated import SimulatedStockProvider
from flux.services.weather.model import Location
from flux.services.weather.simulated import simulate_weather
from flux.upstreams.fault_control import FaultMode, FaultTarget
from flux.upstreams.formats import (
    OPEN_METEO_UNITS,
    alpha_vantage_body,
    atom_body,
    coingecko_markets_body,
    open_meteo_body,
    rss_body,
)
from flux.upstreams.world import SimulatedWorld

__all__ = ["add_http_routes", "respond"]

LOG = logging.getLogger(__name__)

JSON: Final = "application/json"
OUT_OF_RANGE_C: Final = 65.0
"""The ``out_of_range`` fault's temperature: parsable, never observed (the record is 56.7 °C)."""
FEED_SIZE: Final = 30
Body = tuple[bytes, str]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def respond(
    request: web.Request,
    world: SimulatedWorld,
    target: FaultTarget,
    build: Callable[[], Body],
    out_of_range: Callable[[], Body] | None = None,
) -> web.StreamResponse:
    """Answer ``request`` with ``build()``'s body and content type, unless a fault says otherwise
    (``out_of_range`` builds the body of the ``out_of_range`` fault, where an upstream has one)."""
    world.hits[target.value] += 1
    fault = world.faults.take(target)
    mode = fault.mode if fault is not None else FaultMode.NONE
    if fault is not None and (mode is not FaultMode.OUT_OF_RANGE or out_of_range is not None):
        world.faults.served[mode.value] += 1  # this response is the fault's
    if fault is not None and mode is FaultMode.SLOW:
        await asyncio.sleep(fault.delay_s)
    if fault is not None and mode is FaultMode.SERVER_ERROR:
        return web.json_response({"error": "simulated upstream outage"}, status=fault.status)
    if fault is not None and mode is FaultMode.RATE_LIMITED:
        return web.json_response(
            {"error": "rate limited"},
            status=429,
            headers={"Retry-After": str(math.ceil(fault.retry_after_s))},
        )
    body, content_type = out_of_range() if mode is FaultMode.OUT_OF_RANGE and out_of_range else build()
    if mode is FaultMode.MALFORMED:
        body = body[: len(body) // 2] + b"\x00<{[ not-what-you-expected"
    if mode is FaultMode.TRUNCATED:
        response = web.StreamResponse(status=200, headers={"Content-Type": content_type})
        response.content_length = len(body)
        await response.prepare(request)
        await response.write(body[: len(body) // 2])
        if request.transport is not None:
            request.transport.close()
        return response
    return web.Response(body=body, headers={"Content-Type": content_type})


def _bad_request(body: dict[str, object]) -> web.Response:
    return web.json_response(body, status=400)


def _weather_handler(world: SimulatedWorld) -> Handler:
    async def forecast(request: web.Request) -> web.StreamResponse:
        try:
            latitude = float(request.query["latitude"])
            longitude = float(request.query["longitude"])
        except (KeyError, ValueError):
            return _bad_request({"error": True, "reason": "Parameter latitude and longitude must be numbers"})
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            return _bad_request({"error": True, "reason": "Latitude must be in range of -90 to 90°."})
        variables = [v for v in request.query.get("current", "").split(",") if v]
        unknown = [v for v in variables if v not in OPEN_METEO_UNITS]
        if unknown:
            return _bad_request({"error": True, "reason": f"Invalid value for current: {unknown[0][:40]}"})
        reading = simulate_weather(world.seed, Location("fake", latitude, longitude), world.clock())
        impossible = replace(reading, temperature_c=OUT_OF_RANGE_C, apparent_temperature_c=OUT_OF_RANGE_C)
        return await respond(
            request,
            world,
            FaultTarget.WEATHER,
            lambda: (open_meteo_body(reading, variables), JSON),
            lambda: (open_meteo_body(impossible, variables), JSON),
        )

    return forecast


def _coingecko_handler(world: SimulatedWorld) -> Handler:
    async def markets(request: web.Request) -> web.StreamResponse:
        if request.query.get("vs_currency", "").lower() != "usd":
            return _bad_request({"error": "invalid vs_currency"})
        try:
            per_page = int(request.query.get("per_page", "100"))
            page = int(request.query.get("page", "1"))
        except ValueError:
            return _bad_request({"error": "invalid per_page or page"})
        if not 1 <= per_page <= 250 or page < 1:
            return _bad_request({"error": "per_page must be 1..250 and page >= 1"})

        def build() -> tuple[bytes, str]:
            coins = world.market.coins()[(page - 1) * per_page : page * per_page]
            return coingecko_markets_body(coins, world.clock()), JSON

        return await respond(request, world, FaultTarget.COINGECKO, build)

    return markets


def _feed_handler(world: SimulatedWorld, *, atom: bool) -> Handler:
    skip_remainder = 2 if atom else 1
    title = "Flux Simulated Markets" if atom else "Flux Simulated World News"

    async def feed(request: web.Request) -> web.StreamResponse:
        def build() -> tuple[bytes, str]:
            newest = world.news.latest_number()
            numbers = [
                n for n in range(newest, newest - 3 * FEED_SIZE, -1) if n >= 0 and n % 3 != skip_remainder
            ]
            articles = [simulated_article(world.seed, n, interval_s=world.news.interval_s) for n in numbers]
            link = str(request.url.with_query(None))
            if atom:
                return atom_body(title, link, articles[:FEED_SIZE]), "application/atom+xml; charset=utf-8"
            return rss_body(title, link, articles[:FEED_SIZE]), "application/rss+xml; charset=utf-8"

        return await respond(request, world, FaultTarget.NEWS, build)

    return feed


def _stocks_handler(world: SimulatedWorld, api_key: str | None) -> Handler:
    provider = SimulatedStockProvider(world.seed, market=world.stocks)

    async def query(request: web.Request) -> web.StreamResponse:
        function = request.query.get("function", "")
        key = request.query.get("apikey", "")
        if function != "TOP_GAINERS_LOSERS":
            body = {"Error Message": "This API function does not exist."}
            return web.Response(body=json.dumps(body).encode(), content_type=JSON)
        if not key or (api_key is not None and key != api_key):
            body = {"Error Message": "the parameter apikey is invalid or missing."}
            return web.Response(body=json.dumps(body).encode(), content_type=JSON)
        board = await provider.top_performers(20)
        return await respond(request, world, FaultTarget.STOCKS, lambda: (alpha_vantage_body(board), JSON))

    return query


def add_http_routes(app: web.Application, world: SimulatedWorld, *, stocks_api_key: str | None) -> None:
    """Mount the fake HTTP upstreams on ``app``."""
    app.router.add_get("/v1/forecast", _weather_handler(world))
    app.router.add_get("/api/v3/coins/markets", _coingecko_handler(world))
    app.router.add_get("/feeds/world.rss", _feed_handler(world, atom=False))
    app.router.add_get("/feeds/markets.atom", _feed_handler(world, atom=True))
    app.router.add_get("/query", _stocks_handler(world, stocks_api_key))
