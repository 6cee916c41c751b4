"""The dashboard's features in headless Chromium: sparklines, the price chart, city search, honest state.

Like ``test_dashboard_browser.py`` (Debian's Chromium through Playwright, skipped without it), but
against an in-process BFF whose Kafka adapters are replaced (``tests/unit/bff/bff_unit_harness``):
the test publishes the ticker batches and snapshots itself and answers weather commands, so what
the page must show is known exactly. The gazetteer behind city search is the real one. Screenshots
go to ``test-output/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from flux.bff.app import BffApp
from flux.bff.commands import Command, CommandKind
from flux.bff.config import BffSettings
from flux.bff.routes import DASHBOARD_DIR
from flux.bff.snapshot import GLOBAL_KEY, Snapshot, Stream, now_ms
from flux.settings import Settings
from tests.unit.bff.bff_unit_harness import ManualEvents, free_port

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install -y chromium)"),
]
PRODUCTS = {"BTC-USD": 97_000.0, "ETH-USD": 3_400.0, "SOL-USD": 180.0}
TOKEN = "s3cret-token"


class WeatherDesk:
    """Command sink that records commands and answers each weather fetch with a weather snapshot."""

    def __init__(self) -> None:
        self.sent: list[Command] = []
        self.publish: Callable[[Snapshot], Awaitable[bool]] | None = None

    async def send(self, command: Command) -> None:
        self.sent.append(command)
        if command.kind is CommandKind.WEATHER_FETCH and command.location and self.publish:
            loc = command.location
            observation = {
                "city": loc.city,
                "country": "",
                "lat": loc.lat,
                "lon": loc.lon,
                "temperatureC": 21.4,
                "humidityPct": 55,
                "windSpeedMps": 3.2,
                "windDirectionDeg": 180,
                "condition": "Clear",
                "observedAt": datetime.now(UTC).isoformat(),
                "feelsLikeC": 20.9,
            }
            data = {"cityKey": loc.city_key, "status": "success", "observation": observation, "error": None}
            snapshot = Snapshot(Stream.WEATHER, loc.city_key, f"w-{loc.city_key}-{now_ms()}", now_ms(), data)
            asyncio.get_running_loop().call_later(0.2, lambda: asyncio.ensure_future(self.publish(snapshot)))  # type: ignore[misc]


@dataclass
class Dashboard:
    url: str
    app: BffApp
    desk: WeatherDesk
    events: ManualEvents
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def publish(self, snapshot: Snapshot) -> None:
        assert self.events.publish is not None
        await self.events.publish(snapshot)


def _global(stream: Stream, data: dict[str, Any], age_ms: int = 0) -> Snapshot:
    return Snapshot(stream, GLOBAL_KEY, f"{stream.value}-{now_ms()}", now_ms() - age_ms, data)


async def _feed_tickers(dashboard: Dashboard) -> None:
    prices = dict(PRODUCTS)
    sequence = 0
    while True:
        sequence += 1
        ticks = []
        for product, price in prices.items():
            prices[product] = price * (1 + random.uniform(-0.002, 0.002))
            ticks.append(
                {
                    "productId": product,
                    "price": f"{prices[product]:.2f}",
                    "bestBid": None,
                    "bestAsk": None,
                    "volume24h": "1000",
                    "timeMs": now_ms(),
                    "tradeId": sequence,
                    "lastSize": "0.1",
                }
            )
        await dashboard.publish(
            Snapshot(
                Stream.TICKER,
                GLOBAL_KEY,
                f"{sequence}@{now_ms()}",
                now_ms(),
                {"batchSequence": sequence, "ticks": ticks},
            )
        )
        await asyncio.sleep(0.2)


async def _publish_snapshots(dashboard: Dashboard) -> None:
    coins = [
        {
            "rank": 1,
            "symbol": "BTC",
            "name": "Bitcoin",
            "price": "97000",
            "marketCap": "1900000000000",
            "volume24h": "35000000000",
            "changePct24h": 2.31,
        },
        {
            "rank": 2,
            "symbol": "ETH",
            "name": "Ethereum",
            "price": "3400",
            "marketCap": "410000000000",
            "volume24h": "18000000000",
            "changePct24h": -1.42,
        },
    ]
    await dashboard.publish(_global(Stream.TOPCOINS, {"quoteCurrency": "USD", "coins": coins}))
    movers = {
        "quoteCurrency": "USD",
        "gainers": [
            {"symbol": "SOL", "name": "Solana", "price": "180", "changePct24h": 8.1, "volume24h": "1"}
        ],
        "losers": [
            {"symbol": "DOGE", "name": "Dogecoin", "price": "0.31", "changePct24h": -5.2, "volume24h": "1"}
        ],
    }
    await dashboard.publish(_global(Stream.MOVERS, movers))
    articles = [
        {
            "id": "a1",
            "title": "Markets open higher",
            "url": "https://example.org/a1",
            "source": "Wire",
            "publishedAt": "2026-11-30T08:15:00Z",
            "summary": "Stocks rose.",
            "imageUrl": None,
            "tags": [],
            "attributes": {},
        }
    ]
    # Two hours old: the news tile must say it is stale.
    await dashboard.publish(_global(Stream.NEWS, {"articles": articles}, age_ms=2 * 3600 * 1000))
    performers = [
        {
            "symbol": "ACME",
            "name": "Acme Corp",
            "exchange": "NYSE",
            "currency": "USD",
            "price": "123.4",
            "changePct": 1.5,
        }
    ]
    await dashboard.publish(
        _global(Stream.STOCKS, {"performers": performers, "asOf": "2026-11-30T16:00:00Z"})
    )


async def _start(settings: BffSettings) -> tuple[Dashboard, web.AppRunner]:
    desk, events = WeatherDesk(), ManualEvents()
    app = BffApp(Settings(valkey_url=""), settings, commands=desk, events=events)
    runner = web.AppRunner(app.web)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    desk.publish = events.publish
    await app.cities.gazetteer()  # read the real gazetteer before the page needs it
    return Dashboard(f"http://127.0.0.1:{port}", app, desk, events), runner


@contextlib.asynccontextmanager
async def _running(settings: BffSettings) -> AsyncIterator[Dashboard]:
    assert (DASHBOARD_DIR / "node_modules" / "uplot").is_dir(), "run make setup (npm ci)"
    dashboard, runner = await _start(settings)
    await _publish_snapshots(dashboard)
    dashboard.tasks.append(asyncio.create_task(_feed_tickers(dashboard)))
    try:
        yield dashboard
    finally:
        for task in dashboard.tasks:
            task.cancel()
        await runner.cleanup()


@pytest.fixture
async def dashboard() -> AsyncIterator[Dashboard]:
    async with _running(BffSettings(refresh_coalesce_seconds=30)) as running:
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        launched = await pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield launched
        finally:
            await launched.close()


async def _page(browser: Any, problems: list[str], **context: Any) -> Any:
    ctx = await browser.new_context(**context)
    page = await ctx.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return page


_CANVAS_INKED = """(selector) => {
    const canvas = document.querySelector(selector);
    if (!canvas || !canvas.width) return false;
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) return true;
    return false;
}"""


async def test_sparklines_draw_as_ticks_arrive_and_the_chart_follows(
    dashboard: Dashboard, browser: Any, output_dir: Path
) -> None:
    problems: list[str] = []
    page = await _page(browser, problems, viewport={"width": 1440, "height": 1000})
    await page.goto(dashboard.url + "/")
    await page.wait_for_selector("#status[data-state='connected']", timeout=15_000)

    spark = ".tick[data-product='ETH-USD'] .spark"
    await page.wait_for_selector(spark + " canvas", timeout=15_000)
    first = int(await page.get_attribute(spark, "data-points") or 0)
    await page.wait_for_function(
        "([sel, n]) => Number(document.querySelector(sel).dataset.points) > n",
        arg=[spark, first],
        timeout=15_000,
    )
    assert await page.evaluate(_CANVAS_INKED, spark + " canvas"), "the sparkline drew nothing"

    # The first product is charted; choosing another one charts that one.
    await page.click(".tick[data-product='SOL-USD']")
    assert await page.text_content("#chart-title") == "SOL-USD"
    assert await page.get_attribute(".tick[data-product='SOL-USD']", "aria-pressed") == "true"
    await page.wait_for_function("() => Number(document.querySelector('#price-chart').dataset.points) >= 2")
    label = await page.get_attribute("#price-chart", "aria-label") or ""
    assert label.startswith("SOL-USD price over the last"), label
    assert await page.evaluate(_CANVAS_INKED, "#price-chart canvas")

    # Top coins: 24h change in words and arrows, not colour alone, and volume.
    row = await page.inner_text("#topcoins-body tr:first-child")
    assert "▲" in row and "+2.31%" in row and "$35B" in row, row
    assert "down" in await page.inner_text("#topcoins-body tr:nth-child(2) .move")
    await page.wait_for_timeout(1500)  # a few more ticks for the picture
    await page.screenshot(path=str(output_dir / "dashboard-features.png"), full_page=True)
    assert problems == [], problems


async def test_city_search_suggests_places_and_subscribes_to_their_weather(
    dashboard: Dashboard, browser: Any, output_dir: Path
) -> None:
    problems: list[str] = []
    page = await _page(
        browser,
        problems,
        viewport={"width": 1280, "height": 900},
        geolocation={"latitude": 51.507, "longitude": -0.128},
        permissions=["geolocation"],
    )
    await page.goto(dashboard.url + "/")
    await page.wait_for_selector("#status[data-state='connected']", timeout=15_000)

    await page.locator("#city-input").press_sequentially("sao p", delay=60)
    option = page.locator("#city-suggestions li[role='option']").first
    await option.wait_for(timeout=15_000)
    assert "São Paulo" in await option.inner_text() and "Brazil" in await option.inner_text()
    assert await page.get_attribute("#city-input", "aria-expanded") == "true"
    await page.screenshot(path=str(output_dir / "dashboard-city-suggestions.png"))
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#weather-body[data-state='filled']", timeout=15_000)
    assert (await page.text_content("#weather-city") or "").startswith("São Paulo, Brazil")
    assert await page.text_content("#weather-temp") == "21°"
    fetch = [c for c in dashboard.desk.sent if c.kind is CommandKind.WEATHER_FETCH][-1]
    assert fetch.location is not None and fetch.location.city == "São Paulo"
    assert fetch.location.lat == pytest.approx(-23.55, abs=0.05)

    # "Use my location": the browser's position → the nearest city → its weather.
    await page.click("#locate")
    await page.wait_for_function(
        "() => document.querySelector('#weather-city').textContent.startsWith('London')", timeout=15_000
    )
    await page.wait_for_selector("#weather-body[data-state='filled']", timeout=15_000)
    assert dashboard.desk.sent[-1].location is not None and dashboard.desk.sent[-1].location.city == "London"

    # An unknown place is said so, not sent.
    await page.fill("#city-input", "")
    await page.locator("#city-input").press_sequentially("qqxz", delay=40)
    await page.wait_for_selector("#city-suggestions li.empty", timeout=10_000)
    await page.screenshot(path=str(output_dir / "dashboard-city-weather.png"), full_page=True)
    assert problems == [], problems


async def test_the_dashboard_fits_a_390_px_phone(
    dashboard: Dashboard, browser: Any, output_dir: Path
) -> None:
    problems: list[str] = []
    page = await _page(
        browser, problems, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    await page.goto(dashboard.url + "/")
    await page.wait_for_selector("#status[data-state='connected']", timeout=15_000)
    await page.wait_for_selector(".tick .spark canvas", timeout=15_000)
    await page.wait_for_selector("#topcoins-body tr:not(.placeholder)")
    await page.wait_for_timeout(1000)
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width}px"
    for selector in ("#city-input", "#locate", "#city-go", ".refresh[data-domain='news']"):
        box = await page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (selector, box)
    assert not await page.is_visible(".wide-cell"), "market cap is hidden on phones"
    await page.screenshot(path=str(output_dir / "dashboard-390px.png"), full_page=True)
    assert problems == [], problems


async def test_honest_state_badges_acks_health_and_missing_assets(
    dashboard: Dashboard, browser: Any, output_dir: Path
) -> None:
    problems: list[str] = []
    page = await _page(browser, problems, viewport={"width": 1280, "height": 900})
    await page.route("**/vendor/uPlot.iife.min.js", lambda route: route.fulfill(status=404, body="missing"))
    await page.goto(dashboard.url + "/")
    await page.wait_for_selector("#status[data-state='connected']", timeout=15_000)
    assert "uPlot" in await page.inner_text("#asset-warning")
    problems.clear()  # the 404 itself is logged by the browser

    # Staleness from producedAt: news is two hours old, top coins just produced.
    await page.wait_for_selector("#news-badge[data-state='stale']")
    await page.wait_for_selector("#topcoins-badge[data-state='fresh']")
    assert "Nov" in await page.inner_text("#news-list .meta time")  # a date, not just a time

    # Refresh acks: sent, then coalesced, then rate-limited (burst 3 per connection).
    await page.click(".refresh[data-domain='news']")
    await page.wait_for_selector("#news-ack[data-state='ok']:text('requested')")
    await page.click(".refresh[data-domain='news']")
    await page.wait_for_selector("#news-ack:text('already requested')")
    await page.click(".refresh[data-domain='stocks']")
    await page.click(".refresh[data-domain='stocks']")
    await page.wait_for_selector("#stocks-ack[data-state='limited']", timeout=5_000)

    # Health panel from /ready.
    await page.wait_for_selector("#health-checks .check.ok:text('ready')")
    assert "events" in await page.inner_text("#health-checks")
    await page.screenshot(path=str(output_dir / "dashboard-honest-state.png"), full_page=True)
    assert problems == [], problems


async def test_unauthorized_is_said_and_a_token_connects(browser: Any, output_dir: Path) -> None:
    from pydantic import SecretStr

    async with _running(BffSettings(auth_token=SecretStr(TOKEN))) as running:
        problems: list[str] = []
        page = await _page(browser, problems, viewport={"width": 1280, "height": 900})
        await page.goto(running.url + "/")
        await page.wait_for_selector("#status[data-state='unauthorized']", timeout=15_000)
        assert "unauthorized" in await page.inner_text("#status")
        assert await page.is_visible("#token-form")
        await page.screenshot(path=str(output_dir / "dashboard-unauthorized.png"))
        await page.fill("#token-input", TOKEN)
        await page.click("#token-form button")
        await page.wait_for_selector("#status[data-state='connected']", timeout=15_000)
        assert not await page.is_visible("#token-form")

        # ?token= works too, and leaves the address bar.
        second = await _page(browser, problems, viewport={"width": 800, "height": 600})
        await second.goto(running.url + "/?token=" + TOKEN)
        await second.wait_for_selector("#status[data-state='connected']", timeout=15_000)
        assert "token" not in second.url
        assert [p for p in problems if "401" not in p and "unauthorized" not in p] == [], problems
