"""The aiohttp application: routes, each inside one pipeline of metrics, errors, auth, readiness and write routing.

Probes, as on every Flux component: ``GET /health`` is liveness (200 while the process serves HTTP,
with the node's role and replay state), ``GET /ready`` is readiness (200 once the log is replayed up
to where it ended at start-up, leader or follower; 503 with a ``reason`` before). ``GET /metrics``
has the registry's own metrics, then the process's (``process_*``, ``python_*``).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, Protocol

from aiohttp import web
from prometheus_client import REGISTRY, generate_latest

from flux.registry.core.answers import DEFAULT_CACHE_BYTES, DEFAULT_CACHE_ENTRIES
from flux.registry.core.errors import ErrorCode, RegistryError
from flux.registry.core.service import RegistryService

from .auth import Role, UserTable
from .forwarding import ClusterView, WriteRouter
from .hot_path import HOT_PATH, HotPath
from .http import json_response
from .metrics import CONTENT_TYPE_LATEST, RegistryMetrics
from .openapi import openapi_document
from .routes import RegistryRoutes, Routes, ServerIdentity, is_read_only_post
from .routes.prefix import canonical

__all__ = ["DEFAULT_MAX_BODY_BYTES", "WORKER_HEADER", "AppOptions", "LogStatus", "build_app"]

LOG = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES: Final = 4 * 1024 * 1024
UNGUARDED: Final = frozenset({"/health", "/ready", "/metrics", "/openapi.json"})
LOG_PARTITION: Final = 0  # the registry topic has one partition
WORKER_HEADER: Final = "X-Flux-Registry-Worker"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class LogStatus(Protocol):
    """What the API needs to know about the log: readiness, lag, replay time, the Kafka cluster."""

    @property
    def topic(self) -> str: ...

    @property
    def ready(self) -> bool: ...

    @property
    def lag(self) -> int: ...

    @property
    def replay_seconds(self) -> float | None: ...

    @property
    def cluster_id(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class AppOptions:
    """How the application behaves.

    Attributes:
        users: basic-auth users (None: no authentication).
        max_body_bytes: request body limit (larger bodies get 413).
        registry_cluster_id: what ``/v1/metadata/id`` calls the registry cluster (the instances
            sharing one topic are one cluster: the server passes the topic).
        version: what ``/v1/metadata/version`` answers.
        leader_wait_s: how long a write waits for a leader to be known (or reachable) before it
            fails with 50004 (or 50003).
        workers: processes serving the node's port (``--workers``; the ``flux_registry_workers``
            gauge). With more than one, every response names the process in ``X-Flux-Registry-Worker``.
        cache_entries: bound of each answer cache (lookups, schema bodies by id); 0 disables them.
        cache_bytes: bound of each answer cache's keys and answers, in bytes.
    """

    users: UserTable | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    registry_cluster_id: str = "flux-registry"
    version: str = "0"
    leader_wait_s: float = 10.0
    workers: int = 1
    cache_entries: int = DEFAULT_CACHE_ENTRIES
    cache_bytes: int = DEFAULT_CACHE_BYTES


UNMATCHED_PATH: Final = "/{flux_unmatched:.*}"  # the catch-all route, added last
_UNMATCHED: Final = "/{flux_unmatched}"  # its canonical form (what resources report)


async def _unmatched(request: web.Request) -> web.StreamResponse:
    """What no route matches: 405 (with ``Allow``) when another method matches the path, else 404."""
    allowed: set[str] = set()
    for resource in request.app.router.resources():
        if resource.canonical != _UNMATCHED:
            _, methods = await resource.resolve(request)
            allowed |= methods
    if allowed:
        raise web.HTTPMethodNotAllowed(request.method, allowed)
    raise web.HTTPNotFound()


def _is_write(method: str, route: str) -> bool:
    if method in ("GET", "HEAD", "OPTIONS"):
        return False
    if method == "POST" and is_read_only_post(route):
        return False
    return route not in UNGUARDED


def _error_response(status: int, code: int, message: str) -> web.Response:
    return json_response({"error_code": code, "message": message}, status=status)


def build_app(
    service: RegistryService,
    log: LogStatus,
    cluster: ClusterView,
    options: AppOptions,
    *,
    after_write: Callable[[int], Awaitable[None]] | None = None,
) -> web.Application:
    """Assemble the registry application (``after_write``: awaited with the log position after
    each acknowledged write, before the answer; the server waits there for its sibling workers)."""
    metrics = RegistryMetrics(uncounted_routes=UNGUARDED)
    record = metrics.requests.record
    metrics.workers.set(options.workers)
    router = WriteRouter(cluster, leader_wait_s=options.leader_wait_s, after_write=after_write)

    def error_answer(request: web.Request, exc: Exception) -> web.Response:
        """The Confluent-shaped answer to an exception escaping a handler (HTTP errors re-raised)."""
        if isinstance(exc, RegistryError):
            if exc.http_status >= 500:
                LOG.warning("request failed", extra={"path": request.path, "error": exc.message})
            return _error_response(exc.http_status, exc.error_code, exc.message)
        if isinstance(exc, web.HTTPException):
            if exc.status < 400:
                raise exc
            reason = exc.reason or "error"
            response = _error_response(exc.status, exc.status, f"HTTP {exc.status} {reason}")
            if exc.status == 405 and "Allow" in exc.headers:
                response.headers["Allow"] = exc.headers["Allow"]
            return response
        LOG.error(
            "unexpected error",
            exc_info=exc,
            extra={"path": request.path, "method": request.method},
        )
        return _error_response(500, ErrorCode.STORE_ERROR, "Internal error while handling the request")

    def admission(request: web.Request, write: bool) -> web.Response | None:
        """Auth, then readiness, for a request to a guarded route (``write``: read-only users are
        refused): the refusal, or None when the request may go on."""
        users = options.users
        if users is not None:
            role = users.authenticate(request.headers.get("Authorization"))
            if role is None:
                response = _error_response(401, 401, "Unauthorized")
                response.headers["WWW-Authenticate"] = 'Basic realm="flux-registry"'
                return response
            if role is Role.READ_ONLY and write:
                return _error_response(
                    403, 40301, "User is denied operation on this resource (read-only user)"
                )
        if not log.ready:
            return _error_response(
                503, ErrorCode.OPERATION_TIMEOUT, "The registry is still replaying its log"
            )
        return None

    def in_pipeline(handler: Handler, method: str, path: str) -> Handler:
        """``handler`` of ``method`` ``path`` inside what every request goes through, in this
        order: metrics around errors around auth, readiness and write routing. What depends on
        the route alone (its name, whether it is guarded, whether it writes) is decided here, once."""
        catch_all = path == UNMATCHED_PATH
        route = "unmatched" if catch_all else canonical(path)
        guarded = route not in UNGUARDED
        write = not catch_all and _is_write(method, route)  # the catch-all routes nothing to the leader

        async def pipeline(request: web.Request) -> web.StreamResponse:
            started = time.perf_counter()
            response: web.StreamResponse | None
            try:
                if catch_all:  # any method and path: a probe's is unguarded; readers refused by method
                    unguarded = request.path in UNGUARDED
                    response = None if unguarded else admission(request, _is_write(request.method, route))
                else:
                    response = admission(request, write) if guarded else None
                if response is None:
                    response = await (router.route(request, handler) if write else handler(request))
            except Exception as exc:  # every failure answers in Confluent's shape, and is counted
                response = error_answer(request, exc)
            record(request.method, route, response.status, time.perf_counter() - started)
            return response

        return pipeline

    # No aiohttp middleware: aiohttp runs middlewares through a per-request wrapper (it sets the
    # current app in a context manager) that costs more than the pipeline itself; the bare
    # handler with one no-op middleware spent ~14% more CPU per request on this host.
    app = web.Application(client_max_size=options.max_body_bytes)
    hot = HotPath()
    api = Routes(app.router, in_pipeline, hot)
    identity = ServerIdentity(lambda: log.cluster_id, options.registry_cluster_id, options.version)
    routes = RegistryRoutes(
        service, identity, cache_entries=options.cache_entries, cache_bytes=options.cache_bytes
    )
    routes.add_to(api)
    worker_header: dict[str, str] = {}
    if options.workers > 1:
        worker = str(os.getpid())
        worker_header[WORKER_HEADER] = worker

        async def name_the_worker(request: web.Request, response: web.StreamResponse) -> None:
            response.headers[WORKER_HEADER] = worker

        app.on_response_prepare.append(name_the_worker)
    hot.install(app, worker_header)
    app[HOT_PATH] = hot

    def node_state() -> dict[str, object]:
        return {
            "status": "UP" if log.ready else "REPLAYING",
            "ready": log.ready,
            **cluster.describe(),
            "lag": log.lag,
        }

    async def health(request: web.Request) -> web.Response:
        """Liveness: the process is up (its replay state and role are in the body)."""
        return json_response(node_state())

    async def ready(request: web.Request) -> web.Response:
        """Readiness: replayed, so it serves reads (and writes, itself or through the leader)."""
        if log.ready:
            return json_response(node_state())
        to_go = f"{log.lag} records to go" if log.lag else "waiting for Kafka and the log's end offset"
        reason = f"replaying the registry log ({to_go})"
        return json_response({**node_state(), "reason": reason}, status=503)

    async def prometheus(request: web.Request) -> web.Response:
        schemas, subjects = service.reads.counts()
        metrics.schemas.set(schemas)
        metrics.subjects.set(subjects)
        metrics.log_lag.set(log.topic, LOG_PARTITION, log.lag)
        metrics.ready.set(1 if log.ready else 0)
        metrics.update_caches(routes.caches)
        if log.replay_seconds is not None:
            metrics.replay_seconds.set(log.replay_seconds)
        created, deleted = service.reads.versions_by_type()
        metrics.confluent.update(
            primary=cluster.is_leader, created=created, deleted=deleted, requests=metrics.requests
        )
        # The node's own metrics, then the process's (process_*, python_*: prometheus_client's).
        response = web.Response(body=metrics.render() + generate_latest(REGISTRY))
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def openapi(request: web.Request) -> web.Response:
        return json_response(openapi_document())

    api.get("/health", health)
    api.get("/ready", ready)
    api.get("/metrics", prometheus)
    api.get("/openapi.json", openapi)
    api.bare("*", UNMATCHED_PATH, _unmatched)  # last: only what no other route matches

    async def close_router(_: web.Application) -> None:
        await router.close()

    app.on_cleanup.append(close_router)
    return app
