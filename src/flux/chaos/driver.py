"""One chaos run: start the platform and the users, inject the faults in turn, audit Kafka, judge.

Example:
    >>> result = asyncio.run(run_chaos(PROFILES["quick"], Path("reports")))  # doctest: +SKIP
    >>> result.evaluation.passed  # doctest: +SKIP
    True
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flux.chaos.faults import Fault, FaultContext, full_plan, light_plan
from flux.chaos.invariants import Evaluation, RunRecord, evaluate
from flux.chaos.ledger import read_ledger
from flux.chaos.observations import FaultWindow, now_ms
from flux.chaos.platform import ChaosPlatform
from flux.chaos.poison import dead_letter_readers
from flux.chaos.profiles import ChaosProfile
from flux.chaos.workload import Workload

__all__ = ["ChaosResult", "run_chaos"]

LOG = logging.getLogger(__name__)

READY_TIMEOUT_S = 90.0
RECONNECT_TIMEOUT_S = 60.0
LIGHT_FAULT_EVERY_S = 150.0

Progress = Callable[[str], None]


@dataclass(slots=True)
class ChaosResult:
    """A finished run: what was observed, the verdicts, and where the stack's logs were."""

    profile: ChaosProfile
    run: RunRecord
    evaluation: Evaluation
    duration_s: float
    logs_dir: Path
    info: dict[str, Any]


async def _recover(
    platform: ChaosPlatform, workload: Workload, window: FaultWindow, settle_s: float
) -> dict[str, Any]:
    """Wait until every process is ready and every user connected, then let the load run ``settle_s``."""
    started = now_ms()
    deadline = time.monotonic() + READY_TIMEOUT_S
    ready: dict[str, bool] = {}
    while time.monotonic() < deadline:
        ready = await platform.all_ready()
        if all(ready.values()):
            break
        await asyncio.sleep(0.5)
    connected = await workload.wait_all_connected(RECONNECT_TIMEOUT_S)
    check = {
        "recovered": all(ready.values()) and connected,
        "ready_after_s": round((now_ms() - started) / 1000, 1),
        "not_ready": sorted(name for name, ok in ready.items() if not ok),
        "clients_connected": workload.connected(),
    }
    await asyncio.sleep(settle_s)
    window.ended_at = now_ms()
    return check


async def _run_fault(
    fault: Fault,
    name: str,
    *,
    ctx: FaultContext,
    workload: Workload,
    windows: list[FaultWindow],
    recovery: dict[str, dict[str, Any]],
    progress: Progress,
) -> None:
    window = FaultWindow(name, fault.kind, now_ms(), expected_down=fault.holds_down)
    windows.append(window)
    workload.calm = False
    progress(f"  fault {name:<22} injecting")
    try:
        await fault.inject(ctx, window)
    finally:
        if not window.lifted_at:
            window.lifted_at = now_ms()
    recovery[name] = await _recover(ctx.platform, workload, window, ctx.profile.settle_s)
    workload.calm = True
    check = recovery[name]
    progress(
        f"  fault {name:<22} lifted after {(window.lifted_at - window.started_at) / 1000:5.1f}s, "
        f"{'recovered' if check['recovered'] else 'NOT RECOVERED ' + str(check['not_ready'])} "
        f"(ready after {check['ready_after_s']}s)"
    )


async def _baseline(name: str, seconds: float, windows: list[FaultWindow]) -> None:
    window = FaultWindow(name, "baseline", now_ms())
    window.lifted_at = window.started_at
    windows.append(window)
    await asyncio.sleep(seconds)
    window.ended_at = now_ms()


async def run_chaos(
    profile: ChaosProfile,
    *,
    seed: int = 42,
    users: int | None = None,
    home: Path | None = None,
    progress: Progress = print,
) -> ChaosResult:
    """Run ``profile`` against a fresh embedded stack and judge it (see module docs)."""
    run_id = uuid.uuid4().hex[:8]
    owned_home = home is None
    work = home or Path(tempfile.mkdtemp(prefix="flux-chaos-"))
    platform = ChaosPlatform(work / "stack", seed=seed, session_s=profile.registry_session_s)
    began = time.monotonic()
    started_at = now_ms()
    windows: list[FaultWindow] = []
    recovery: dict[str, dict[str, Any]] = {}
    progress(f"flux chaos --profile {profile.name}: starting the stack in {work}")
    running = await platform.up(progress)
    ctx = FaultContext(platform, profile, run_id, work)
    workload = Workload(
        platform.bff_url, users=users or profile.users, seed=seed, action_every_s=profile.action_every_s
    )
    ctx.workload = workload
    try:
        await workload.start()
        progress(f"  {len(workload.users)} users connected; warming up for {profile.warmup_s:.0f}s")
        await _baseline("warm-up", profile.warmup_s, windows)
        warmup_end = now_ms()
        for fault in full_plan():
            await _run_fault(
                fault,
                fault.name,
                ctx=ctx,
                workload=workload,
                windows=windows,
                recovery=recovery,
                progress=progress,
            )
        memory_from = now_ms() + profile.memory_settle_s * 1000
        if profile.steady_s > 0:
            await _steady(
                profile, ctx=ctx, workload=workload, windows=windows, recovery=recovery, progress=progress
            )
        workload.acting = False
        progress(f"  draining for {profile.drain_s:.0f}s")
        await _baseline("drain", profile.drain_s, windows)
        observed_until = now_ms()
        connected_at_end = workload.connected()
        await workload.stop()
        progress("  reading Kafka back (commands, events, dead letters)")
        ledger = await asyncio.to_thread(read_ledger, running.settings, ctx.poison)
    finally:
        with contextlib.suppress(Exception):
            await workload.stop()
        logs_dir = platform.stack.home / "logs"
        saved_logs = Path(tempfile.mkdtemp(prefix="flux-chaos-logs-"))
        await platform.down()
        with contextlib.suppress(OSError):
            shutil.copytree(logs_dir, saved_logs, dirs_exist_ok=True)
            shutil.copy(platform.stack.kafka.kafka_dir / "server.log", saved_logs / "kafka-server.log")
        if owned_home:
            shutil.rmtree(work, ignore_errors=True)
    run = RunRecord(
        profile=profile,
        started_at=started_at,
        warmup_end=warmup_end,
        memory_from=memory_from,
        observed_until=observed_until,
        users=len(workload.users),
        windows=windows,
        receipts=workload.receipts,
        acks=workload.acks,
        memberships=workload.memberships,
        disconnects=workload.disconnect_log,
        connects=workload.connect_log,
        joins=workload.join_log,
        dead_letter_readers=dead_letter_readers(len(platform.stack.bff_instances)),
        connected_at_end=connected_at_end,
        ledger=ledger,
        poison=ctx.poison,
        crashes=platform.crashes,
        rss=platform.rss,
        restarts=platform.restarts,
        recovery=recovery,
        flood=ctx.flood,
    )
    dump = os.environ.get("FLUX_CHAOS_DUMP")
    if dump:  # a debugging aid: everything observed, for a look in a Python shell
        await asyncio.to_thread(Path(dump).write_bytes, pickle.dumps(run))
    evaluation = evaluate(run)
    info = {
        "run_id": run_id,
        "seed": seed,
        "startup_s": round(running.startup_seconds, 1),
        "messages_received": len(workload.receipts),
        "requests": len(workload.acks),
        "commands_in_kafka": len(ledger.commands),
        "events_in_kafka": ledger.events,
        "client_disconnects": len(workload.disconnect_log),
        "malformed_messages": workload.malformed,
    }
    return ChaosResult(profile, run, evaluation, time.monotonic() - began, saved_logs, info)


async def _steady(
    profile: ChaosProfile,
    *,
    ctx: FaultContext,
    workload: Workload,
    windows: list[FaultWindow],
    recovery: dict[str, dict[str, Any]],
    progress: Progress,
) -> None:
    """Steady load after the fault plan; long tails (the soak) get a light fault every few minutes."""
    deadline = time.monotonic() + profile.steady_s
    light = light_plan()
    rounds = 0
    progress(f"  steady load for {profile.steady_s:.0f}s")
    while time.monotonic() < deadline:
        quiet = min(LIGHT_FAULT_EVERY_S, deadline - time.monotonic())
        await _baseline(f"steady #{rounds + 1}", quiet, windows)
        if profile.steady_s < 2 * LIGHT_FAULT_EVERY_S or time.monotonic() + 60 >= deadline:
            continue
        fault = light[rounds % len(light)]
        rounds += 1
        await _run_fault(
            fault,
            f"{fault.name} #{rounds + 1}",
            ctx=ctx,
            workload=workload,
            windows=windows,
            recovery=recovery,
            progress=progress,
        )
