"""``GET /api/cities`` and ``GET /api/cities/nearest``: validated, bounded, rate-limited, cacheable."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from aiohttp import web

from flux.bff.cities import CityRoutes, add_city_routes
from flux.geo.gazetteer import MAX_LIMIT, City, Gazetteer
from tests.unit.bff.bff_unit_harness import free_port

CITIES = [
    City(1, "Delhi", "IN", "India", 28.65195, 77.23149, 11_034_555, timezone="Asia/Kolkata"),
    City(2, "New Delhi", "IN", "India", 28.63576, 77.22445, 317_797),
    City(3, "Paris", "FR", "France", 48.85341, 2.3488, 2_138_551),
    City(4, "São Paulo", "BR", "Brazil", -23.5475, -46.63611, 12_400_232),
    *(
        City(100 + i, f"Delta {chr(65 + i)}", "US", "United States", 30.0, -90.0 + i, 20_000 + i)
        for i in range(25)
    ),
]


def small() -> Gazetteer:
    return Gazetteer(CITIES, {1: ["Dilli"]})


async def _serve(routes: CityRoutes) -> tuple[str, web.AppRunner]:
    app = web.Application()
    add_city_routes(app, routes)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return f"http://127.0.0.1:{port}", runner


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[CityRoutes], asyncio.Future[str]]]:
    runners: list[web.AppRunner] = []

    async def start(routes: CityRoutes) -> str:
        url, runner = await _serve(routes)
        runners.append(runner)
        return url

    yield start  # type: ignore[misc]
    for runner in runners:
        await runner.cleanup()


async def _get(url: str) -> tuple[int, dict[str, object], aiohttp.typedefs.LooseHeaders]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.json(), response.headers


async def test_search_answers_ranked_cities_with_country_and_place(serve) -> None:  # type: ignore[no-untyped-def]
    url = await serve(CityRoutes(small))
    status, body, headers = await _get(url + "/api/cities?q=del")
    assert status == 200
    cities = body["cities"]
    assert isinstance(cities, list)
    assert cities[0]["name"] == "Delhi"
    first = cities[0]
    assert first["label"] == "Delhi, India" and first["countryCode"] == "IN" and first["place"] == "Delhi"
    assert first["lat"] == pytest.approx(28.65195) and first["timezone"] == "Asia/Kolkata"
    assert "max-age" in headers["Cache-Control"]
    _, body, _ = await _get(url + "/api/cities?q=dilli")
    assert body["cities"][0]["matched"] == "dilli"  # type: ignore[index]
    _, body, _ = await _get(url + "/api/cities?q=S%C3%A3o")
    assert body["cities"][0]["name"] == "São Paulo"  # type: ignore[index]


async def test_results_are_bounded(serve) -> None:  # type: ignore[no-untyped-def]
    url = await serve(CityRoutes(small))
    _, body, _ = await _get(url + "/api/cities?q=d")
    assert len(body["cities"]) == 8  # type: ignore[arg-type]
    _, body, _ = await _get(url + f"/api/cities?q=d&limit={MAX_LIMIT}")
    assert len(body["cities"]) == MAX_LIMIT  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?q=",
        "?q=%20%20",
        "?q=" + "x" * 65,
        "?q=par%00is",
        "?q=paris&limit=0",
        "?q=paris&limit=21",
        "?q=paris&limit=abc",
        "?q=paris&limit=-1",
        "?q=paris&limit=99999",
    ],
)
async def test_bad_searches_are_400_with_a_reason(serve, query: str) -> None:  # type: ignore[no-untyped-def]
    url = await serve(CityRoutes(small))
    status, body, headers = await _get(url + "/api/cities" + query)
    assert status == 400
    error = body["error"]
    assert isinstance(error, dict) and error["code"] == "invalid_request" and error["message"]
    assert headers["Cache-Control"] == "no-store"


async def test_nearest(serve) -> None:  # type: ignore[no-untyped-def]
    url = await serve(CityRoutes(small))
    status, body, _ = await _get(url + "/api/cities/nearest?lat=48.86&lon=2.35")
    assert status == 200
    assert body["city"]["name"] == "Paris" and body["distanceKm"] < 2  # type: ignore[index,operator]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?lat=1",
        "?lon=1",
        "?lat=abc&lon=1",
        "?lat=91&lon=0",
        "?lat=0&lon=181",
        "?lat=nan&lon=0",
        "?lat=inf&lon=0",
        "?lat=" + "1" * 40 + "&lon=0",
    ],
)
async def test_bad_positions_are_400(serve, query: str) -> None:  # type: ignore[no-untyped-def]
    url = await serve(CityRoutes(small))
    status, body, _ = await _get(url + "/api/cities/nearest" + query)
    assert status == 400 and body["error"]["code"] == "invalid_request"  # type: ignore[index]


async def test_each_address_is_rate_limited(serve) -> None:  # type: ignore[no-untyped-def]
    url = await serve(CityRoutes(small, rate=0.01, burst=3))
    statuses = [(await _get(url + "/api/cities?q=paris"))[0] for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    status, body, headers = await _get(url + "/api/cities?q=paris")
    assert status == 429 and body["error"]["code"] == "rate_limited" and headers["Retry-After"] == "1"  # type: ignore[index]


async def test_addresses_have_their_own_buckets(serve) -> None:  # type: ignore[no-untyped-def]
    who = iter(["a", "a", "b", "a"])
    url = await serve(CityRoutes(small, rate=0.01, burst=2, address_of=lambda _: next(who)))
    statuses = [(await _get(url + "/api/cities?q=paris"))[0] for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


async def test_the_gazetteer_is_read_once_off_the_event_loop(serve) -> None:  # type: ignore[no-untyped-def]
    threads: list[threading.Thread] = []
    main = threading.current_thread()

    def loader() -> Gazetteer:
        threads.append(threading.current_thread())
        return small()

    url = await serve(CityRoutes(loader))
    await asyncio.gather(*(_get(url + "/api/cities?q=pa") for _ in range(5)))
    assert len(threads) == 1 and threads[0] is not main


async def test_a_gazetteer_that_cannot_be_read_is_503_and_retried(serve) -> None:  # type: ignore[no-untyped-def]
    attempts: list[int] = []

    def flaky() -> Gazetteer:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("data file missing")
        return small()

    url = await serve(CityRoutes(flaky))
    status, body, _ = await _get(url + "/api/cities?q=paris")
    assert status == 503 and body["error"]["code"] == "unavailable"  # type: ignore[index]
    status, _, _ = await _get(url + "/api/cities?q=paris")
    assert status == 200 and len(attempts) == 2


async def test_the_bff_serves_city_search_and_the_chart_library(bff) -> None:  # type: ignore[no-untyped-def]
    """The assembled BffApp has the routes; uPlot comes from the dashboard's node_modules."""
    bff.app.cities._loader = small  # the real gazetteer is covered in tests/unit/geo
    status, body, _ = await _get(bff.url + "/api/cities?q=paris")
    assert status == 200 and body["cities"][0]["name"] == "Paris"  # type: ignore[index]
    async with aiohttp.ClientSession() as http:
        for path in ("/vendor/uPlot.iife.min.js", "/vendor/uPlot.min.css", "/charts.js", "/cities.js"):
            async with http.get(bff.url + path) as response:
                assert response.status == 200, path
