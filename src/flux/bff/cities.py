"""City search over HTTP: ``GET /api/cities?q=…&limit=…`` and ``GET /api/cities/nearest?lat=…&lon=…``.

The dashboard's search box and its "use my location" button call these; both answer from the
offline gazetteer (:mod:`flux.geo.gazetteer`) in every mode — the BFF calls no upstream
(ADR-019). The gazetteer is read on the first request, in a worker thread, so the event loop never
waits for it and an instance whose users never search does not hold it.

Both routes are bounded: the query is at most 64 characters, at most 20 results, each client
address gets a token bucket (``429`` with ``Retry-After`` beyond it), and answers are cacheable
(the data only changes with a release), so a browser typing ``d``, ``de``, ``del`` asks once per
prefix. Errors are ``{"error": {"code", "message"}}`` with status 400, 429 or 503.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Mapping
from typing import Any, Final

from aiohttp import web

from flux.bff.admission import ConnectionAdmission
from flux.bff.ratelimit import PerAddressLimit
from flux.geo.gazetteer import DEFAULT_LIMIT, MAX_LIMIT, Gazetteer, GazetteerQueryError, load_gazetteer

__all__ = ["CityRoutes", "add_city_routes", "address_by"]

LOG = logging.getLogger(__name__)

SEARCH_RATE: Final = 10.0
SEARCH_BURST: Final = 30
MAX_TRACKED_ADDRESSES: Final = 10_000
MAX_NUMBER_TEXT: Final = 32
_HEADERS: Final = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}

AddressOf = Callable[[web.Request], str]


def _error(status: int, code: str, message: str, **headers: str) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": message}},
        status=status,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", **headers},
    )


def _peer(request: web.Request) -> str:
    return request.remote or "unknown"


def address_by(admission: ConnectionAdmission) -> AddressOf:
    """The client's address as the connection limits see it (the peer, or a trusted proxy's word)."""

    def address(request: web.Request) -> str:
        environ = {
            "aiohttp.request": request,
            "HTTP_X_FORWARDED_FOR": request.headers.get("X-Forwarded-For", ""),
        }
        return admission.client_address(environ)

    return address


def _number(query: Mapping[str, str], name: str) -> float:
    raw = query.get(name)
    if raw is None:
        raise GazetteerQueryError(f"missing parameter: {name}")
    if len(raw) > MAX_NUMBER_TEXT:
        raise GazetteerQueryError(f"{name} is too long")
    try:
        value = float(raw.strip())
    except ValueError:
        raise GazetteerQueryError(f"{name} must be a number") from None
    if not math.isfinite(value):
        raise GazetteerQueryError(f"{name} must be a number")
    return value


def _limit(query: Mapping[str, str]) -> int:
    raw = query.get("limit")
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if len(raw) > 3 or not raw.isdigit():
        raise GazetteerQueryError(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


class CityRoutes:
    """The two handlers, a lazily loaded gazetteer and per-address token buckets.

    Args:
        loader: Builds the gazetteer (run once, in a thread); defaults to the GeoNames one.
        address_of: The client's address for rate limiting (default: the TCP peer).
        rate: Requests per second per address.
        burst: Bucket size per address.
    """

    def __init__(
        self,
        loader: Callable[[], Gazetteer] = load_gazetteer,
        *,
        address_of: AddressOf = _peer,
        rate: float = SEARCH_RATE,
        burst: int = SEARCH_BURST,
    ) -> None:
        self._loader = loader
        self._address_of = address_of
        self._limit = PerAddressLimit(rate, burst, max_addresses=MAX_TRACKED_ADDRESSES)
        self._loading: asyncio.Task[Gazetteer] | None = None

    async def gazetteer(self) -> Gazetteer:
        """The gazetteer, read on first use in a worker thread (later calls share the same read)."""
        if self._loading is None or (self._loading.done() and self._loading.exception() is not None):
            self._loading = asyncio.ensure_future(asyncio.to_thread(self._loader))
        return await asyncio.shield(self._loading)

    def _allowed(self, request: web.Request) -> bool:
        return self._limit.allow(self._address_of(request))

    async def _guarded(
        self, request: web.Request, answer: Callable[[Gazetteer], dict[str, Any]]
    ) -> web.Response:
        if not self._allowed(request):
            return _error(429, "rate_limited", "too many city searches; slow down", **{"Retry-After": "1"})
        try:
            gazetteer = await self.gazetteer()
        except Exception:
            LOG.exception("the gazetteer could not be read")
            return _error(503, "unavailable", "city search is unavailable")
        try:
            body = answer(gazetteer)
        except GazetteerQueryError as exc:
            return _error(400, "invalid_request", str(exc))
        return web.json_response(body, headers=_HEADERS)

    async def search(self, request: web.Request) -> web.Response:
        """``GET /api/cities?q=del&limit=8`` → ``{"query", "cities": [{id, name, country, …, label, matched}]}``."""

        def answer(gazetteer: Gazetteer) -> dict[str, Any]:
            query = request.query.get("q")
            if query is None:
                raise GazetteerQueryError("missing parameter: q")
            matches = gazetteer.search(query, _limit(request.query))
            return {"query": query, "cities": [m.to_json() for m in matches]}

        return await self._guarded(request, answer)

    async def nearest(self, request: web.Request) -> web.Response:
        """``GET /api/cities/nearest?lat=28.6&lon=77.2`` → ``{"city": {…}, "distanceKm"}``."""

        def answer(gazetteer: Gazetteer) -> dict[str, Any]:
            found = gazetteer.nearest(_number(request.query, "lat"), _number(request.query, "lon"))
            return found.to_json()

        return await self._guarded(request, answer)


def add_city_routes(app: web.Application, routes: CityRoutes | None = None) -> CityRoutes:
    """Register ``/api/cities`` and ``/api/cities/nearest`` on ``app``; return the handlers' owner."""
    routes = routes or CityRoutes()
    app.router.add_get("/api/cities", routes.search)
    app.router.add_get("/api/cities/nearest", routes.nearest)
    return routes
