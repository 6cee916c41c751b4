"""Run one registry node: replay the log, stand for election, serve the API until stopped.

Every node is equal: each replays the log, serves reads, and (unless ``follower``) joins the
election; the elected one writes, the others forward writes to it (docs/registry.md, ADR-021).

With ``workers`` > 1 the node is several processes on one port (:mod:`flux.registry.workers`):
this one (which alone may lead) listens on the public port with ``SO_REUSEPORT`` and on a private
``internal_port``, which it advertises as the URL writes are forwarded to — so a forwarded write
reaches the process holding the transactional writer, never a worker; the workers bind the
public port too, replay the log themselves and forward writes like followers.

Example:
    >>> asyncio.run(serve(ServerOptions(host="127.0.0.1", port=8081, topic="_schemas"), Settings()))  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import logging
import os
import signal
import socket
import time
import uuid
from dataclasses import dataclass, field

from aiohttp import web

from flux.registry.api.app import DEFAULT_MAX_BODY_BYTES, AppOptions, build_app
from flux.registry.api.auth import UserTable
from flux.registry.core.answers import DEFAULT_CACHE_BYTES, DEFAULT_CACHE_ENTRIES
from flux.registry.core.service import RegistryService
from flux.registry.core.state import RegistryState
from flux.registry.storage.kafka_log import KafkaRecordLog
from flux.registry.storage.leadership import Leadership, NodeIdentity
from flux.registry.storage.topic import registry_topic_spec
from flux.registry.workers import PositionTable, WorkerPool, WorkerSpec
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
        workers: processes serving ``port`` (1: this one alone, as before ``--workers``).
        internal_port: with ``workers`` > 1, this process's private port, advertised (unless
            ``advertised_url`` is given) as where writes are forwarded to; 0 picks a free one.
        worker_command: a worker's command line, without ``--port`` and ``--worker`` (the CLI
            builds it from its own options).
        worker: set in a worker process: its slot and the descriptors the serving process passed.
        cache_entries: bound of each answer cache (0 disables them).
        cache_bytes: bound of each answer cache in bytes.
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
    workers: int = 1
    internal_port: int = 0
    worker_command: tuple[str, ...] = field(default=())
    worker: WorkerSpec | None = None
    cache_entries: int = DEFAULT_CACHE_ENTRIES
    cache_bytes: int = DEFAULT_CACHE_BYTES

    def url(self, port: int | None = None) -> str:
        """The advertised URL (``port``: this process's own, default ``port``)."""
        if self.advertised_url:
            return self.advertised_url.rstrip("/")
        return f"http://{self.public_host()}:{self.port if port is None else port}"

    def public_host(self) -> str:
        return socket.gethostname() if self.host in ("0.0.0.0", "::", "") else self.host


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


def _listen(host: str, port: int) -> socket.socket:
    """A bound TCP socket (the internal port: its number is needed before the app is built)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _bound_port(site: web.TCPSite) -> int:
    server = site._server  # aiohttp has no public accessor for the bound address
    sockets = getattr(server, "sockets", None) or ()
    return int(sockets[0].getsockname()[1]) if sockets else 0


async def serve(options: ServerOptions, settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Serve until ``stop`` is set (or SIGINT/SIGTERM). The HTTP port opens at once: ``/health``
    answers 200 while the process is up, ``/ready`` only after the log is replayed."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    worker = options.worker
    workers = worker.slots if worker is not None else max(1, options.workers)
    table: PositionTable | None = None
    internal: socket.socket | None = None
    if worker is not None:  # a worker: tethered to the serving process, never leads
        watch_fd = worker.watch_fd

        def parent_gone() -> None:  # the pipe reads EOF: the serving process ended
            loop.remove_reader(watch_fd)
            stop.set()

        loop.add_reader(watch_fd, parent_gone)
        table = PositionTable(worker.table_fd, worker.slots)
        url = options.url()
    elif workers > 1:
        table = PositionTable.create(workers)
        internal = _listen(options.host, options.internal_port)
        url = options.url(int(internal.getsockname()[1]))
    else:
        url = options.url()
    follower = options.follower or worker is not None
    state = RegistryState()
    identity = NodeIdentity(uuid.uuid4().hex, url)
    create = None if follower else registry_topic_spec(options.topic)
    log = KafkaRecordLog(
        settings,
        options.topic,
        state.apply,
        create_topic=create,
        client_id=f"flux-registry-{identity.node[:8]}",
    )
    slot = worker.slot if worker is not None else 0
    after_write = None
    if table is not None:
        positions = table

        def report_position() -> None:
            positions.set(slot, log.position if log.ready else -1)

        log.on_batch = report_position

        async def siblings_applied(position: int) -> None:
            await positions.wait_all(position)

        after_write = siblings_applied
    leadership = Leadership(
        settings,
        log,
        identity,
        eligible=not follower,
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
            workers=workers,
            cache_entries=options.cache_entries,
            cache_bytes=options.cache_bytes,
        ),
        after_write=after_write,
    )
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await log.start()
    await leadership.start()
    site = web.TCPSite(runner, options.host, options.port, reuse_address=True, reuse_port=workers > 1)
    await site.start()
    if internal is not None:
        await web.SockSite(runner, internal).start()
    pool: WorkerPool | None = None
    if worker is None and table is not None:
        port = _bound_port(site) or options.port
        pool = WorkerPool([*options.worker_command, "--port", str(port), "--primary-url", url], table)
        pool.start()
    LOG.info(
        "registry listening",
        extra={
            "host": options.host,
            "port": options.port,
            "topic": options.topic,
            "url": identity.url,
            "node": identity.node,
            "eligible": not follower,
            "workers": workers,
            "worker": slot,
            "pid": os.getpid(),
        },
    )
    warm_up = asyncio.create_task(_index_identities(log, state))
    if table is not None:
        log_ready = log.wait_ready()

        async def report_when_ready() -> None:
            await log_ready
            assert table is not None
            table.set(slot, log.position)

        reporting = asyncio.create_task(report_when_ready())
    try:
        await stop.wait()
    finally:
        LOG.info("registry stopping")
        warm_up.cancel()
        if table is not None:
            reporting.cancel()
            table.set(slot, -1)  # writes stop waiting for this process
        if worker is not None:
            loop.remove_reader(worker.watch_fd)
            with contextlib.suppress(OSError):
                os.close(worker.watch_fd)
        if pool is not None:
            await pool.stop()
        await leadership.close()  # resign first: another node takes over while this one stops
        await runner.cleanup()
        await log.close()
        if table is not None:
            table.close()
