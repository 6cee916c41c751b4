"""Confluent's ``/contexts/{context}/...`` URL prefix: every route again, inside a context.

Under the prefix a ``{subject}`` path parameter is qualified with the context (``/contexts/.ctx/
subjects/s`` is ``/subjects/:.ctx:s``), and routes without a subject see the context through
:func:`request_context` (ids, lists, the context's own config and mode).

Example:
    >>> Routes(app.router).add("GET", "/subjects/{subject}/versions", handler)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

from flux.registry.core.qualified import DEFAULT_CONTEXT, context_of, qualify_in

from ..hot_path import HotPath, SegmentHandler

__all__ = [
    "CONTEXT_PREFIX",
    "Routes",
    "canonical",
    "request_context",
    "subject_prefix_query",
    "subject_query",
]

CONTEXT_PREFIX: Final = "/contexts/{context}"
_CONTEXT_KEY: Final = web.RequestKey("flux.registry.context", str)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Wraps a route's handler in the request pipeline: (handler, method, path as registered).
Wrap = Callable[[Handler, str, str], Handler]


def _in_context(handler: Handler) -> Handler:
    async def qualified(request: web.Request) -> web.StreamResponse:
        context = context_of(f":{request.match_info['context']}:")
        request[_CONTEXT_KEY] = context
        if "subject" in request.match_info:
            request.match_info["subject"] = qualify_in(request.match_info["subject"], context)
        return await handler(request)

    return qualified


class Routes:
    """Where the route parts add their handlers: ``router``, each handler inside ``wrap`` (the
    application's request pipeline, told the route's method and path once, when it is added),
    every route of the API with its ``/contexts/{context}`` twin; the hot routes also on ``hot``."""

    __slots__ = ("_hot", "_router", "_wrap")

    def __init__(
        self, router: web.UrlDispatcher, wrap: Wrap | None = None, hot: HotPath | None = None
    ) -> None:
        self._router = router
        self._wrap: Wrap = wrap if wrap is not None else _unwrapped
        self._hot = hot

    def add(self, method: str, path: str, handler: Handler) -> None:
        """Add ``path`` and its ``/contexts/{context}`` twin."""
        twin = CONTEXT_PREFIX + path
        self._router.add_route(method, path, self._wrap(handler, method, path))
        self._router.add_route(method, twin, self._wrap(_in_context(handler), method, twin))

    def add_hot(self, method: str, path: str, by_segment: SegmentHandler) -> None:
        """Add ``path``, whose last segment is its one parameter (``/subjects/{subject}``), as
        :meth:`add` does, ``by_segment`` told the parameter; and to the hot path, which answers
        a plain segment without the router (the same pipeline: same metrics, guard, routing)."""
        prefix, _, param = path.rpartition("/")
        name, prefix = param.strip("{}"), prefix + "/"
        if "{" in prefix or param != "{" + name + "}":
            raise ValueError(f"{path}: a hot route is a fixed prefix and one parameter")

        async def routed(request: web.Request) -> web.StreamResponse:
            return await by_segment(request, request.match_info[name])

        self.add(method, path, routed)
        if self._hot is not None:

            async def hot(request: web.Request) -> web.StreamResponse:
                return await by_segment(request, request.raw_path[len(prefix) :].partition("?")[0])

            self._hot.add(method, prefix, self._wrap(hot, method, path))

    def get(self, path: str, handler: Handler) -> None:
        """Add ``GET`` (and ``HEAD``) ``path`` alone: no context twin."""
        self._router.add_get(path, self._wrap(handler, "GET", path))

    def bare(self, method: str, path: str, handler: Handler) -> None:
        """Add ``method`` ``path`` alone (probes, the catch-all)."""
        self._router.add_route(method, path, self._wrap(handler, method, path))


def canonical(path: str) -> str:
    """The route's name as aiohttp's resource reports it (``{name:regex}`` becomes ``{name}``)."""
    return web.DynamicResource(path).canonical if "{" in path else path


def _unwrapped(handler: Handler, method: str, path: str) -> Handler:
    return handler


def request_context(request: web.Request) -> str:
    """The context of the URL prefix (the default context without one)."""
    context = request.get(_CONTEXT_KEY)
    return context if isinstance(context, str) else DEFAULT_CONTEXT


def subject_prefix_query(request: web.Request, *, every_context: str = "") -> str:
    """The ``subjectPrefix`` query parameter, qualified with the prefix's context.

    ``every_context`` is the prefix meaning "all contexts" (``:*:`` for ``/subjects``): inside a
    context it narrows to that context alone.
    """
    prefix = request.query.get("subjectPrefix", every_context)
    context = request_context(request)
    if context == DEFAULT_CONTEXT:
        return prefix
    return f":{context}:{'' if every_context and prefix == every_context else prefix}"


def subject_query(request: web.Request) -> str | None:
    """The ``subject`` query parameter, qualified with the prefix's context (or the context
    alone, ``:.ctx:``, when no subject is given under a prefix)."""
    subject = request.query.get("subject") or None
    context = request_context(request)
    if context == DEFAULT_CONTEXT:
        return subject
    return qualify_in(subject, context) if subject else f":{context}:"
