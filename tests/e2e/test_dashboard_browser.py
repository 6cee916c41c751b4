"""The dashboard in headless Chromium against the real stack, BFF and simulated domain services."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from flux.bff.routes import DASHBOARD_DIR
from flux.devstack.stack import RunningStack
from tests.integration.bff.bff_stack_harness import (
    RunningBff,
    domain_service,
    registered_schemas,
    start_bff,
)

__all__ = ["registered_schemas"]

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install -y chromium)"),
]


@pytest.fixture
async def platform(
    stack: RunningStack, registered_schemas: None, tmp_path: Path
) -> AsyncIterator[RunningBff]:
    """BFF plus the four domain services (simulated providers), all real processes on the stack."""
    assert (DASHBOARD_DIR / "node_modules" / "socket.io-client").is_dir(), "run make setup (npm install)"
    async with contextlib.AsyncExitStack() as services:
        bff = await start_bff(stack)
        services.push_async_callback(bff.stop)
        for name in ("weather", "crypto", "news", "stock"):
            await services.enter_async_context(domain_service(name, stack, tmp_path))
        yield bff


async def test_dashboard_fills_weather_and_streams_ticker_prices(
    platform: RunningBff, output_dir: Path
) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = await browser.new_page(viewport={"width": 1440, "height": 1000})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))

            await page.goto(platform.url + "/")
            await page.wait_for_selector("#status[data-state='connected']", timeout=15_000)

            await page.locator("#city-input").press_sequentially("Delhi", delay=50)
            await page.locator("#city-suggestions li[role='option']").first.wait_for(timeout=30_000)
            await page.keyboard.press("Enter")  # the first suggestion: Delhi, India, from the gazetteer
            await page.wait_for_selector("#weather-body[data-state='filled']", timeout=30_000)
            temperature = await page.text_content("#weather-temp")
            assert temperature is not None and temperature.endswith("°")
            assert (await page.text_content("#weather-city") or "").startswith("Delhi")

            await page.locator(".tick").first.wait_for(timeout=30_000)
            # Some price on the tape changes (any product: a quiet one may hold its price a while).
            first_prices = await page.evaluate(
                """() => Object.fromEntries([...document.querySelectorAll('.tick')]
                    .map((c) => [c.dataset.product, c.querySelector('.px').textContent]))"""
            )
            await page.wait_for_function(
                """(before) => [...document.querySelectorAll('.tick')].some((c) =>
                    c.dataset.product in before
                    && c.querySelector('.px').textContent !== before[c.dataset.product])""",
                arg=first_prices,
                timeout=30_000,
            )
            # Let the other tiles fill for the screenshot (they hydrate or arrive on the services' schedule).
            with contextlib.suppress(Exception):
                await page.wait_for_selector("#topcoins-body tr:not(.placeholder)", timeout=10_000)
            with contextlib.suppress(Exception):
                await page.wait_for_selector("#news-list li:not(.placeholder)", timeout=10_000)
            with contextlib.suppress(Exception):
                await page.wait_for_selector("#stocks-body tr:not(.placeholder)", timeout=10_000)
            await page.screenshot(path=str(output_dir / "dashboard.png"), full_page=True)
            assert problems == [], problems
        finally:
            await browser.close()


async def test_contracts_page_lists_the_topics_and_diffs_a_subject(
    stack: RunningStack, registered_schemas: None, output_dir: Path
) -> None:
    """``/contracts`` on the real stack: the topic list renders, a subject shows its versions, rules
    and a diff with the registry's verdict, at desktop width and at 390 px, without console errors."""
    from playwright.async_api import async_playwright

    from flux.catalogue import TopicKind, load_catalogue

    bff = await start_bff(stack)
    listed = [t.name for t in load_catalogue().topics if t.kind is not TopicKind.DEAD_LETTER]
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=str(CHROMIUM),
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            try:
                problems: list[str] = []
                page = await browser.new_page(viewport={"width": 1280, "height": 900})
                page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: problems.append(str(e)))
                await page.goto(bff.url + "/contracts")
                await page.wait_for_selector("#status[data-state='connected']", timeout=15_000)
                names = await page.locator("#topic-list .topic-name").all_text_contents()
                assert names == listed
                await page.locator("#topic-list .rate").first.wait_for()

                await page.click("button.topic[data-topic='weather.service.event.updated']")
                await page.wait_for_selector("#subject-facts dd", timeout=15_000)
                assert "v1, v2" in await page.inner_text("#subject-facts")
                await page.wait_for_function(
                    "() => document.querySelector('#schema-text').textContent.startsWith('{')"
                )
                await page.click("#diff-form button[type='submit']")
                await page.wait_for_selector("#diff-verdict[data-state='ok']", timeout=15_000)
                assert "compatible" in await page.inner_text("#diff-verdict")
                assert await page.locator("#diff-text .line.add").count() > 0
                await page.screenshot(path=str(output_dir / "contracts.png"), full_page=True)

                phone = await browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
                phone.on("pageerror", lambda e: problems.append(str(e)))
                await phone.goto(
                    bff.url + "/contracts#topic=weather.service.event.updated"
                    "&subject=weather.service.event.updated-value"
                )
                await phone.wait_for_selector("#subject-facts dd", timeout=15_000)
                width = await phone.evaluate("() => document.documentElement.scrollWidth")
                assert width <= 390, f"the contracts page scrolls sideways: {width}px"
                await phone.screenshot(path=str(output_dir / "contracts-390px.png"), full_page=True)
                assert problems == [], problems
            finally:
                await browser.close()
    finally:
        await bff.stop()
