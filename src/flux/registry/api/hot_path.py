"""The hot path: the routes every serializer and deserializer call, answered before aiohttp's router.

A cached ``POST /subjects/{subject}`` lookup is a dictionary hit; what it costs is the HTTP
machinery around it, and aiohttp's ``Application`` adds to every request a pass through its
URL dispatcher (a regular expression per candidate resource), a match-info object frozen and
attached to the request, and the ``Expect`` check. Measured on this host, that is ~9 us of the
~60 us of server CPU a lookup takes, and the difference between the registry's lookups and a
bare aiohttp handler answering a fixed body per CPU-second (benchmarks/bench_registry.py).

So the application's request handler is wrapped once, at start-up: a request whose target is
a hot route's prefix followed by one plain segment (ASCII, no ``/``, ``%``, ``{``, ``}``, ``#``,
not ``.`` or ``..``; any query string) and carries no ``Expect`` header is answered by the
same pipeline-wrapped handler the router would have chosen, told the segment; every other
request goes through the router unchanged. A plain segment is what the router would have
matched, undecoded and unnormalised, so both ways give the same answer (tests compare them).

The wrap replaces ``Application._handle``, aiohttp's private per-request entry point (3.10 to
3.14 at least). :meth:`HotPath.install` checks that it is there and, when a future aiohttp
moves it, logs a warning and leaves the application as it was: slower, never wrong. A unit test
pins it on the locked version, so an upgrade that moves it fails there first.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import cast

from aiohttp import hdrs, web

__all__ = ["HOT_PATH", "HotPath", "SegmentHandler", "plain_segment"]

LOG = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# A hot route's handler, told the path segment after the route's prefix.
SegmentHandler = Callable[[web.Request, str], Awaitable[web.StreamResponse]]
_NOT_PLAIN = frozenset("/%{}#")


def plain_segment(target: str, prefix: str) -> str | None:
    """The segment of the raw request ``target`` after ``prefix`` when it is one plain segment
    (what the router matches as it stands), else None."""
    if not target.startswith(prefix):
        return None
    segment = target[len(prefix) :].partition("?")[0]
    if not segment or segment in (".", "..") or not segment.isascii() or not _NOT_PLAIN.isdisjoint(segment):
        return None
    return segment


class HotPath:
    """The hot routes, by method: (prefix, handler in the request pipeline) pairs."""

    __slots__ = ("_routes", "installed", "served")

    def __init__(self) -> None:
        self._routes: dict[str, list[tuple[str, Handler]]] = {}
        self.installed = False
        self.served = 0  # requests answered here rather than through the router

    def add(self, method: str, prefix: str, handler: Handler) -> None:
        """Answer ``method`` ``prefix``\\ *segment* with ``handler`` (already in the pipeline; it
        reads the segment with :func:`plain_segment`)."""
        self._routes.setdefault(method, []).append((prefix, handler))

    def match(self, request: web.Request) -> Handler | None:
        """The hot handler for ``request``, or None when the router must choose."""
        routes = self._routes.get(request.method)
        if routes is None or hdrs.EXPECT in request.headers:
            return None
        target = request.raw_path
        for prefix, handler in routes:
            if plain_segment(target, prefix) is not None:
                return handler
        return None

    def install(self, app: web.Application, headers: Mapping[str, str] | None = None) -> None:
        """Put the hot routes in front of ``app``'s router (before the app starts serving);
        ``headers``: added to every hot answer (the router path adds them in a prepare signal,
        which aiohttp sends only for requests it routed)."""
        found = getattr(app, "_handle", None)
        if not callable(found):
            LOG.warning("aiohttp has no Application._handle: every request goes through the router")
            return
        routed = cast(Handler, found)
        extra = dict(headers or {})

        async def front(request: web.Request) -> web.StreamResponse:
            handler = self.match(request)
            if handler is None:
                return await routed(request)
            self.served += 1
            response = await handler(request)
            if extra:
                response.headers.update(extra)
            return response

        # object.__setattr__: Application warns on unknown attributes in its debug mode.
        object.__setattr__(app, "_handle", front)
        self.installed = True


# Where build_app keeps an application's hot path (tests read ``installed`` and ``served``).
HOT_PATH = web.AppKey("flux_hot_path", HotPath)
