"""Plain HTTP routes of the BFF: health, readiness, Prometheus metrics, the dashboard, the contracts
browser's page (``/contracts``; its JSON API is :mod:`flux.bff.contracts_api`) and ``/asyncapi.json``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import Any, Final

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from flux.bff.metrics import BffMetrics
from flux.catalogue import load_catalogue
from flux.schema_tools.asyncapi import build_asyncapi
from flux.schema_tools.subjects import load_subjects

__all__ = ["DASHBOARD_DIR", "add_routes"]

LOG = logging.getLogger(__name__)

DASHBOARD_DIR: Final = Path(__file__).resolve().parent / "dashboard"
_SOCKET_IO_DIST: Final = DASHBOARD_DIR / "node_modules" / "socket.io-client" / "dist"
_UPLOT_DIST: Final = DASHBOARD_DIR / "node_modules" / "uplot" / "dist"
# npm packages the page loads, served from node_modules (package.json / package-lock.json).
_VENDOR: Final = {
    "uPlot.iife.min.js": _UPLOT_DIST / "uPlot.iife.min.js",
    "uPlot.min.css": _UPLOT_DIST / "uPlot.min.css",
}
_SECURITY_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: https:; "
        "style-src 'self'; script-src 'self'"
    ),
}


def add_routes(
    app: web.Application,
    metrics: BffMetrics,
    readiness: Callable[[], dict[str, bool]],
    *,
    instance: str = "",
) -> None:
    """Register ``/health``, ``/ready``, ``/metrics``, ``/asyncapi.json``, the dashboard and the
    contracts page on ``app``.

    Args:
        app: The aiohttp application.
        metrics: Metrics rendered on ``/metrics``.
        readiness: Returns named checks; ``/ready`` is 200 only when all are True.
        instance: This instance's name (``FLUX_BFF_INSTANCE_NAME``), shown by both probes when set.
    """
    named = {"instance": instance} if instance else {}

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok", **named})

    async def ready(_: web.Request) -> web.Response:
        checks = readiness()
        ok = all(checks.values())
        return web.json_response({"ready": ok, "checks": checks, **named}, status=200 if ok else 503)

    async def prometheus(_: web.Request) -> web.Response:
        # The instance's own metrics, then the process's: process_*, and the counters kept by
        # libraries it runs (flux_serde_contract_violations_total from the serde).
        body = generate_latest(metrics.registry) + generate_latest(REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def index(_: web.Request) -> web.StreamResponse:
        return web.FileResponse(DASHBOARD_DIR / "index.html", headers=_SECURITY_HEADERS)

    async def contracts(_: web.Request) -> web.StreamResponse:
        return web.FileResponse(DASHBOARD_DIR / "contracts.html", headers=_SECURITY_HEADERS)

    async def socket_io_client(_: web.Request) -> web.StreamResponse:
        return web.FileResponse(
            _SOCKET_IO_DIST / "socket.io.min.js", headers={"Cache-Control": "max-age=3600"}
        )

    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    app.router.add_get("/metrics", prometheus)
    app.router.add_get("/", index)
    app.router.add_get("/contracts", contracts)
    app.router.add_get("/vendor/socket.io.min.js", socket_io_client)
    app.router.add_get("/asyncapi.json", _asyncapi)
    if not (_SOCKET_IO_DIST / "socket.io.min.js").is_file():
        LOG.warning("socket.io-client is not installed; run `make setup` (scripts/setup-dashboard.sh)")
    for name, path in _VENDOR.items():
        app.router.add_get(f"/vendor/{name}", _vendor_file(path))
        if not path.is_file():
            LOG.warning("%s is not installed; run `make setup` (scripts/setup-dashboard.sh)", name)
    for name in (
        "app.js",
        "charts.js",
        "cities.js",
        "contracts.js",
        "style.css",
        "contracts.css",
        "favicon.svg",
    ):
        path = DASHBOARD_DIR / name
        app.router.add_get(f"/{name}", _static_file(path))


def _static_file(path: Path) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def serve(_: web.Request) -> web.StreamResponse:
        return web.FileResponse(path, headers=_SECURITY_HEADERS)

    return serve


def _vendor_file(path: Path) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """An npm asset, or a 404 that says how to install it (the page shows which one is missing)."""

    installed = path.is_file()  # checked once, like the warning at start-up

    async def serve(_: web.Request) -> web.StreamResponse:
        if not installed:
            return web.Response(status=404, text=f"{path.name} is not installed; run make setup")
        return web.FileResponse(path, headers={"Cache-Control": "max-age=3600"})

    return serve


@cache
def _asyncapi_document() -> dict[str, Any]:
    """The AsyncAPI document of docs/asyncapi.json, built once from the installed schemas."""
    return build_asyncapi(load_catalogue(), load_subjects())


async def _asyncapi(request: web.Request) -> web.Response:
    """``GET /asyncapi.json``: the platform's AsyncAPI 3.0 contract, with this BFF as the Socket.IO server."""
    document = _asyncapi_document()
    servers = document["servers"] | {"bff": document["servers"]["bff"] | {"host": request.host}}
    return web.json_response(document | {"servers": servers})
