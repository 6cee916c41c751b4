"""The operational HTTP endpoints every Flux process serves: ``/health``, ``/ready``, ``/metrics``.

``/health`` answers 200 while the process runs its event loop (liveness);
``/ready`` answers 200 only when every registered readiness check passes, and
lists each check either way; ``/metrics`` is Prometheus' text format.

A process can also be *degraded*: running and ready, but without a part it was asked to use (a
live upstream whose API key is missing). Both probes then say ``"status": "degraded"`` and list
why under ``degraded``, still answering 200: the rest of the platform keeps working.

Example:
    >>> probes = ProbeEndpoints("weather-service")
    >>> probes.add_check("kafka", lambda: consumer_assigned)  # doctest: +SKIP
    >>> app = web.Application(); probes.install(app)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from aiohttp import web
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

__all__ = ["ProbeEndpoints", "serve_probes"]

LOG = logging.getLogger(__name__)

ReadinessCheck = Callable[[], bool]


class ProbeEndpoints:
    """Liveness, readiness and metrics handlers for one process."""

    __slots__ = ("_checks", "_registry", "_started", "degraded", "service")

    def __init__(self, service: str, registry: CollectorRegistry = REGISTRY) -> None:
        self.service = service
        self._registry = registry
        self._checks: dict[str, ReadinessCheck] = {}
        self._started = time.monotonic()
        self.degraded: dict[str, str] = {}

    def add_check(self, name: str, check: ReadinessCheck) -> None:
        self._checks[name] = check

    def degrade(self, part: str, reason: str) -> None:
        """Report ``part`` as unavailable for ``reason`` on both probes (see module docs)."""
        self.degraded[part] = reason

    def _degradation(self) -> dict[str, object]:
        return {"degraded": dict(self.degraded)} if self.degraded else {}

    def install(self, app: web.Application) -> None:
        app.router.add_get("/health", self.health)
        app.router.add_get("/ready", self.ready)
        app.router.add_get("/metrics", self.metrics)

    async def health(self, _: web.Request) -> web.Response:
        return web.json_response(
            {
                "status": "degraded" if self.degraded else "ok",
                "service": self.service,
                "uptime_s": round(time.monotonic() - self._started, 1),
                **self._degradation(),
            }
        )

    async def ready(self, _: web.Request) -> web.Response:
        results = {}
        for name, check in self._checks.items():
            try:
                results[name] = bool(check())
            except Exception:  # a broken probe means "not ready", never a 500
                LOG.exception("readiness check failed", extra={"check": name})
                results[name] = False
        ok = all(results.values())
        status = ("degraded" if self.degraded else "ready") if ok else "not ready"
        return web.json_response(
            {"status": status, "service": self.service, "checks": results, **self._degradation()},
            status=200 if ok else 503,
        )

    async def metrics(self, _: web.Request) -> web.Response:
        body = generate_latest(self._registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def serve_probes(probes: ProbeEndpoints, host: str, port: int) -> web.AppRunner:
    """Serve only the probe endpoints on ``host:port``; returns the runner to clean up."""
    app = web.Application()
    probes.install(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
