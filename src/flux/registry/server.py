"""Run one registry node: replay the log, stand for election, serve the API until stopped.

Every node is equal: each replays the log, serves reads, and (unless ``follower``) joins the
election; the elected one writes, the others forward writes to it (docs/registry.md, ADR-021).

Example:
    >>> asyncio.run(serve(ServerOptions(host="127.0.0.1", port=8081, topic="_schemas"), Settings()))  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import logging
import signal
import socket
import time
import uuid
from dataclasses import dataclass

from aiohttp import web

from flux.registry.api.app import DEFAULT_MAX_BODY_BYTES, AppOptions, build_app
from flux.registry.api.auth import UserTable
from flux.registry.core.service import RegistryService
from flux.registry.core.state import RegistryState
from flux.registry.storage.kafka_log import KafkaRecordLog
from flux.registry.storage.leadership import Leadership, NodeIdentity
from flux.registry.storage.topic import registry_topic_spec
from flux.settings import Settings

__all__ = ["ServerOptions", "serve"]

LOG = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServerOptions:
    """Where and how to serve.

    Attributes:
        host: interface to bind.
        port: TCP port.
        topic: the registry's Kafka topic (the nodes sharing it are one registry cluster).
        follower: never lead (Confluent's ``leader.eligibility=false``): replay, serve reads and
            forward writes to the elected leader.
        primary_url: where to forward writes while no leader has been announced on the log yet
            (a hint; the leader record on the log wins).
        advertised_url: the URL other nodes forward writes to (default ``http://host:port``).
        session_timeout_ms: how long a silent leader keeps the lead (the failover time).
        leader_wait_s: how long a write waits for a leader before 50004 / 50003.
        users: basic-auth users (None: open).
        max_body_bytes: request body limit.
    """

    host: str
    port: int
    topic: str
    follower: bool = False
    primary_url: str | None = None
    advertised_url: str | None = None
    session_timeout_ms: int = 10_000
    leader_wait_s: float = 10.0
    users: UserTable | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    def url(self) -> str:
        """The advertised URL."""
        if self.advertised_url:
            return self.advertised_url.rstrip("/")
        host = socket.gethostname() if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"


def _flux_version() -> str:
    try:
        return importlib.metadata.version("flux")
    except importlib.metadata.PackageNotFoundError:
        return "0"


async def _index_identities(log: KafkaRecordLog, state: RegistryState) -> None:
    """After the replay, compute schema identities in small steps so registrations stay fast."""
    await log.wait_ready()
    started = time.perf_counter()
    more = True
    while more:
        more = state.index_pending(20)
        await asyncio.sleep(0)  # let requests in between steps
    LOG.info("schema identities indexed", extra={"seconds": round(time.perf_counter() - started, 3)})


async def serve(options: ServerOptions, settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Serve until ``stop`` is set (or SIGINT/SIGTERM). The HTTP port opens at once: ``/health``
    answers 200 while the process is up, ``/ready`` only after the log is replayed."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    state = RegistryState()
    identity = NodeIdentity(uuid.uuid4().hex, options.url())
    create = None if options.follower else registry_topic_spec(options.topic)
    log = KafkaRecordLog(
        settings,
        options.topic,
        state.apply,
        create_topic=create,
        client_id=f"flux-registry-{identity.node[:8]}",
    )
    leadership = Leadership(
        settings,
        log,
        identity,
        eligible=not options.follower,
        session_timeout_ms=options.session_timeout_ms,
        fallback_url=options.primary_url,
    )
    service = RegistryService(state, log)
    app = build_app(
        service,
        log,
        leadership,
        AppOptions(
            users=options.users,
            max_body_bytes=options.max_body_bytes,
            registry_cluster_id=options.topic,
            version=_flux_version(),
            leader_wait_s=options.leader_wait_s,
        ),
    )
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await log.start()
    await leadership.start()
    site = web.TCPSite(runner, options.host, options.port, reuse_address=True)
    await site.start()
    LOG.info(
        "registry listening",
        extra={
            "host": options.host,
            "port": options.port,
            "topic": options.topic,
            "url": identity.url,
            "node": identity.node,
            "eligible": not options.follower,
        },
    )
    warm_up = asyncio.create_task(_index_identities(log, state))
    try:
        await stop.wait()
    finally:
        LOG.info("registry stopping")
        warm_up.cancel()
        await leadership.close()  # resign first: another node takes over while this one stops
        await runner.cleanup()
        await log.close()
