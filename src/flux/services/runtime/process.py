"""Run one domain service as a process: wiring, probes, signals, graceful shutdown.

A domain package supplies a :class:`ServiceDefinition` (its command routes, the
event classes it produces, and any background jobs such as schedules or the
ticker stream); this module does everything else, identically for all four.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import random
import signal
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from prometheus_client import REGISTRY

from flux.kafka.config import producer_config
from flux.kafka.dead_letter import DeadLetterPublisher
from flux.kafka.producer import AsyncProducer
from flux.kafka.recent_ids import RecentIds
from flux.observability.gc_pauses import GcPauseRecorder
from flux.observability.logging import configure_logging
from flux.observability.probes import ProbeEndpoints, serve_probes
from flux.resilience import RetryPolicy
from flux.resilience.failures import is_transient
from flux.serde import AsyncSerde
from flux.services.runtime.command_loop import CommandLoop
from flux.services.runtime.context import ServiceContext
from flux.services.runtime.metrics import SERVICE_DEGRADED
from flux.services.runtime.publisher import EventPublisher
from flux.services.runtime.record_handling import CommandRoute
from flux.services.runtime.warmup import remember_recent_commands
from flux.settings import Settings

__all__ = ["BackgroundJob", "ServiceBuilder", "ServiceDefinition", "run_service", "serve"]

LOG = logging.getLogger(__name__)

# Idempotency window: a command redelivered within this long after its event is skipped.
DEDUPE_WINDOW_S: Final = 600.0
DEDUPE_CAPACITY: Final = 200_000

BackgroundJob = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


async def _nothing() -> None:
    return None


@dataclass(slots=True)
class ServiceDefinition:
    """What a domain contributes.

    Attributes:
        routes: Command topics and their handlers.
        produces: Snapshot event classes (their recent correlation ids warm the idempotency memory).
        streams: Stream classes produced without commands (codecs loaded, nothing to warm).
        jobs: Background coroutines (schedules, streams) run until the stop event.
        aclose: Releases the domain's upstream clients.
        degraded: Parts the domain runs without, and why (shown by ``/health`` and ``/ready``,
            logged at start and counted in ``flux_service_degraded``).
    """

    routes: Sequence[CommandRoute]
    produces: Sequence[type]
    streams: Sequence[type] = ()
    jobs: Sequence[BackgroundJob] = ()
    aclose: Callable[[], Awaitable[None]] = field(default=_nothing)
    degraded: Mapping[str, str] = field(default_factory=dict)


ServiceBuilder = Callable[[ServiceContext], Awaitable[ServiceDefinition]]


async def _load_codecs(serde: AsyncSerde, contracts: Sequence[type], stop: asyncio.Event) -> bool:
    """Look every schema id up before consuming; wait out a registry that is still starting."""
    policy = RetryPolicy(max_attempts=1_000_000, base_delay_s=0.2, max_delay_s=5.0)
    rng = random.Random()
    attempt = 0
    while not stop.is_set():
        try:
            for contract in contracts:
                await serde.codec(contract)
            return True
        except Exception as exc:
            attempt += 1
            delay = max(0.1, policy.backoff_delay(attempt, rng))
            level = logging.WARNING if attempt in (1, 10) or attempt % 50 == 0 else logging.DEBUG
            LOG.log(
                level, "schemas not available yet", extra={"error": str(exc), "retry_in_s": round(delay, 2)}
            )
            if not is_transient(exc) and attempt > 50:
                raise
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
    return False


async def run_service(
    name: str,
    builder: ServiceBuilder,
    settings: Settings,
    *,
    host: str,
    port: int,
    stop: asyncio.Event | None = None,
    freeze_heap: bool = False,
) -> None:
    """Run the service until ``stop`` is set (or SIGTERM/SIGINT arrives).

    ``freeze_heap`` (set by :func:`serve`, where the process is the service) moves the objects that
    exist after start-up out of the garbage collector's reach (``gc.freeze``).
    """
    stop = stop or asyncio.Event()
    # Every event the service writes passes its data contract's WRITE rules (contract_violations).
    serde = AsyncSerde.from_settings(settings, write_rules=True)
    # linger 1 ms: a batch's events are produced together anyway, and the command loop awaits their acks.
    producer = AsyncProducer(producer_config(settings, client_id=name, linger_ms=1))
    ctx = ServiceContext(
        service=name,
        settings=settings,
        serde=serde,
        producer=producer,
        publisher=EventPublisher(producer, serde, name),
        dead_letters=DeadLetterPublisher(producer, service=name),
        recent_commands=RecentIds(DEDUPE_CAPACITY, DEDUPE_WINDOW_S),
    )
    definition = await builder(ctx)
    probes = ProbeEndpoints(name)
    loop = CommandLoop(ctx, definition.routes)
    codecs_ready = asyncio.Event()
    probes.add_check("schemas", codecs_ready.is_set)
    probes.add_check("kafka", lambda: loop.ready or not definition.routes)
    for part, reason in definition.degraded.items():
        probes.degrade(part, reason)
        SERVICE_DEGRADED.labels(name, part).set(1)
        LOG.warning("service degraded", extra={"service": name, "part": part, "reason": reason})
    runner = await serve_probes(probes, host, port)
    LOG.info("service started", extra={"service": name, "probes": f"http://{host}:{port}"})
    tasks: list[asyncio.Task[None]] = []
    try:
        contracts = [*(r.contract for r in definition.routes), *definition.produces, *definition.streams]
        if not await _load_codecs(serde, contracts, stop):
            return
        codecs_ready.set()
        await remember_recent_commands(settings, serde, definition.produces, ctx.recent_commands)
        if freeze_heap:
            # Everything alive now (modules, codecs, clients, warm-up) lives as long as the process:
            # keep it out of the collector's full passes, which otherwise pause the loop for 100+ ms.
            gc.collect()
            gc.freeze()
        tasks = [asyncio.create_task(loop.run(stop), name="commands")]
        tasks += [asyncio.create_task(job(stop), name=f"job-{i}") for i, job in enumerate(definition.jobs)]
        stopper = asyncio.create_task(stop.wait(), name="stop")
        done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stopper and task.exception() is not None:
                LOG.error("service task crashed", exc_info=task.exception(), extra={"task": task.get_name()})
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        stopper.cancel()
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await definition.aclose()
        await producer.aclose()
        await serde.aclose()
        await runner.cleanup()
        LOG.info("service stopped", extra={"service": name})


def serve(name: str, builder: ServiceBuilder, settings: Settings, *, host: str, port: int) -> int:
    """Process entry point: logging, collector pause metrics, signal handling, then :func:`run_service`."""
    configure_logging(settings, service=name)
    GcPauseRecorder(REGISTRY).install()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run_service(name, builder, settings, host=host, port=port, stop=stop, freeze_heap=True)

    asyncio.run(main())
    return 0
