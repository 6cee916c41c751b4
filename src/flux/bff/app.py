"""Assembly of one BFF instance: aiohttp app + Socket.IO server + cache + Kafka adapters.

:class:`BffApp` wires the parts together and owns their lifecycle; the Kafka
adapters are injected so the gateway can run (and be tested) without Kafka.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

from aiohttp import web

from flux.bff.admission import handshake_guard
from flux.bff.auth import ConnectAuth, static_token_auth
from flux.bff.cache import SnapshotCache, SnapshotStore, ValkeySnapshotStore
from flux.bff.cities import CityRoutes, add_city_routes, address_by
from flux.bff.commands import CommandSink
from flux.bff.config import BffSettings
from flux.bff.contracts_api import ContractsApi, add_contract_routes, contracts_api_from_settings
from flux.bff.fanout import FanoutServer, SlowClientPolicy
from flux.bff.gateway import Gateway
from flux.bff.instance import name_this_instance
from flux.bff.metrics import BffMetrics
from flux.bff.routes import add_routes
from flux.bff.snapshot import Publish
from flux.resilience.breaker import CircuitBreaker
from flux.settings import Settings

__all__ = ["BffApp", "EventSource", "run_bff"]

LOG = logging.getLogger(__name__)


class EventSource(Protocol):
    """Feeds snapshots into the gateway (Kafka in production)."""

    @property
    def ready(self) -> bool: ...

    async def start(self, publish: Publish) -> None: ...

    async def stop(self) -> None: ...


def _cors(origins: list[str]) -> Any:
    if not origins:
        return None  # Engine.IO: same origin only
    if origins == ["*"]:
        return "*"
    return origins


class BffApp:
    """One BFF instance.

    Args:
        settings: Shared Flux settings (Valkey URL etc.).
        bff_settings: Gateway tuning; defaults from ``FLUX_BFF_*``.
        commands: Command sink; defaults to the Kafka producer.
        events: Event source; defaults to the Kafka consumer.
        store: Remote cache tier; defaults to Valkey when ``settings.valkey_url`` is set.
        auth: Connect hook; defaults to the static token when ``FLUX_BFF_AUTH_TOKEN`` is set.
        contracts: The contracts browser's API; defaults to the registry at ``FLUX_REGISTRY_URL``
            and Kafka's offsets (nothing is asked until the page is used).
    """

    def __init__(
        self,
        settings: Settings,
        bff_settings: BffSettings | None = None,
        *,
        commands: CommandSink | None = None,
        events: EventSource | None = None,
        store: SnapshotStore | None = None,
        auth: ConnectAuth | None = None,
        contracts: ContractsApi | None = None,
    ) -> None:
        self.settings = settings
        self.bff_settings = bs = bff_settings or BffSettings()
        self.metrics = BffMetrics()
        if store is None and settings.valkey_enabled:
            store = ValkeySnapshotStore(
                settings.valkey_url, prefix=bs.valkey_key_prefix, timeout=bs.valkey_timeout_seconds
            )
        self.cache = SnapshotCache(
            self.metrics,
            store=store,
            ttl_seconds=bs.ttl_seconds(),
            timeout=bs.valkey_timeout_seconds,
            breaker=CircuitBreaker(
                "valkey", failure_threshold=bs.breaker_failures, reset_timeout_s=bs.breaker_reset_seconds
            ),
            max_entries=bs.max_cached_snapshots,
        )
        if commands is None or events is None:
            from flux.bff.kafka_commands import KafkaCommandSink  # noqa: PLC0415 - Kafka only when used
            from flux.bff.kafka_events import KafkaEventSource  # noqa: PLC0415

            commands = commands or KafkaCommandSink(settings, self.metrics)
            events = events or KafkaEventSource(settings, bs, self.metrics)
        self.commands = commands
        self.events = events
        if auth is None and bs.auth_token is not None:
            auth = static_token_auth(bs.auth_token)
        self.sio = FanoutServer(
            prepared_frames=bs.fanout == "prepared",
            async_mode="aiohttp",
            policy=SlowClientPolicy(
                queue_limit=bs.client_queue_limit,
                ticker_queue_limit=bs.ticker_queue_limit,
                client_buffer_bytes=bs.client_buffer_bytes,
                ticker_buffer_bytes=bs.ticker_buffer_bytes,
                on_drop=self.metrics.slow_client_drops.inc,
                on_overflow=self.metrics.slow_client_disconnects.inc,
            ),
            cors_allowed_origins=_cors(bs.cors_origins),
            max_http_buffer_size=bs.max_message_bytes,
            ping_interval=bs.ping_interval_seconds,
            ping_timeout=bs.ping_timeout_seconds,
            http_compression=True,
        )
        self.gateway = Gateway(
            self.sio, cache=self.cache, commands=commands, metrics=self.metrics, settings=bs, auth=auth
        )
        self.gateway.register()
        self.admission = self.gateway.admission
        # Engine.IO sessions beyond the Socket.IO limit plus headroom (handshakes in flight, refused
        # sessions about to close) are refused before any state is built for them.
        engine_limit = bs.max_connections + max(64, bs.max_connections // 10)
        refused = self.metrics.refused_connects.labels("server_full").inc
        self.web = web.Application(middlewares=[handshake_guard(self.sio.eio.sockets, engine_limit, refused)])
        self.sio.attach(self.web)
        name_this_instance(bs.instance_name, self.sio.eio, self.web)
        add_routes(self.web, self.metrics, self.readiness, instance=bs.instance_name)
        self.cities = add_city_routes(self.web, CityRoutes(address_of=address_by(self.admission)))
        self.contracts = add_contract_routes(
            self.web,
            contracts or contracts_api_from_settings(settings, bs),
            address_of=address_by(self.admission),
            token=bs.auth_token,
        )
        self.web.on_startup.append(self._on_startup)
        self.web.on_shutdown.append(self._on_shutdown)
        self.web.on_cleanup.append(self._on_cleanup)
        self._started = False

    def readiness(self) -> dict[str, bool]:
        """Named readiness checks (Valkey is optional, so it is not one of them).

        ``capacity`` is False while the instance is near its connection limit, so a balancer that
        probes ``/ready`` routes new clients elsewhere.
        """
        return {
            "started": self._started,
            "events": self.events.ready,
            "capacity": self.admission.has_headroom,
        }

    async def start(self) -> None:
        """Warm the cache from Valkey, then start consuming events."""
        await self.cache.warm()
        await self.cache.start()
        await self.events.start(self.gateway.publish)
        if hasattr(self.commands, "start"):
            await self.commands.start()
        self._started = True
        LOG.info("bff started", extra={"cached_snapshots": len(self.cache)})

    async def stop(self) -> None:
        """Stop consuming, flush commands, close the cache."""
        self._started = False
        with contextlib.suppress(Exception):
            await self.events.stop()
        if hasattr(self.commands, "stop"):
            with contextlib.suppress(Exception):
                await self.commands.stop()
        await self.cache.close()

    async def _on_startup(self, _: web.Application) -> None:
        await self.start()

    async def _on_shutdown(self, _: web.Application) -> None:
        """Close every client connection so the server does not wait for them to go away."""
        self._started = False
        for eio_socket in list(self.sio.eio.sockets.values()):
            with contextlib.suppress(Exception):
                await eio_socket.close(wait=False, abort=False)
        await self.sio.shutdown()

    async def _on_cleanup(self, _: web.Application) -> None:
        await self.stop()


async def run_bff(app: BffApp, host: str, port: int) -> None:
    """Serve ``app`` on ``host:port`` until cancelled."""
    runner = web.AppRunner(app.web, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    LOG.info("bff listening", extra={"host": host, "port": port})
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
