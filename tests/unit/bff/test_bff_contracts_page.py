"""The contracts page (``/contracts``) is served like the dashboard and linked from it, and back."""

from __future__ import annotations

import re

import aiohttp

from flux.bff.routes import DASHBOARD_DIR
from tests.unit.bff.bff_unit_harness import RunningBff


async def _get(url: str) -> tuple[int, str, aiohttp.typedefs.LooseHeaders]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text(), response.headers


async def test_the_page_and_its_files_are_served_with_the_dashboards_headers(bff: RunningBff) -> None:
    status, page, headers = await _get(bff.url + "/contracts")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert '<script src="/contracts.js"></script>' in page and 'href="/contracts.css"' in page
    for name, kind in (("contracts.js", "javascript"), ("contracts.css", "text/css")):
        status, _, headers = await _get(f"{bff.url}/{name}")
        assert status == 200 and kind in headers["Content-Type"], (name, headers["Content-Type"])
        assert headers["X-Content-Type-Options"] == "nosniff"


async def test_the_dashboard_links_to_the_contracts_and_back(bff: RunningBff) -> None:
    _, dashboard, _ = await _get(bff.url + "/")
    assert '<a href="/contracts">Contracts</a>' in dashboard
    _, contracts, _ = await _get(bff.url + "/contracts")
    assert '<a href="/">Dashboard</a>' in contracts
    assert '<a href="/contracts" aria-current="page">Contracts</a>' in contracts


def test_every_element_the_script_uses_is_on_the_page() -> None:
    script = (DASHBOARD_DIR / "contracts.js").read_text(encoding="utf-8")
    page = (DASHBOARD_DIR / "contracts.html").read_text(encoding="utf-8")
    used = set(re.findall(r'\$\("([a-z-]+)"\)', script))
    present = set(re.findall(r'id="([a-z-]+)"', page))
    assert used and used <= present, sorted(used - present)
    # Every form control has a label.
    for control in re.findall(r'<(?:select|input) id="([a-z-]+)"', page):
        assert f'for="{control}"' in page, control
