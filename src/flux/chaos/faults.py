"""The faults, each injected by its real mechanism and lifted the same way.

* ``kafka-kill``, ``registry-kill``, ``<service>-kill``: SIGKILL to the process
  group, a pause, then a normal start of the same component;
* ``valkey-outage``: Valkey SIGKILLed, restarted (empty) after the outage;
* ``bff-pause``: SIGSTOP to every BFF instance for a while (consumer lag builds), then SIGCONT;
* ``bff-instance-kill``: SIGKILL to one of the two BFF instances behind the balancer, restarted once
  its clients are back on the other (:mod:`flux.chaos.bff_failover`);
* ``registry-leader-kill`` / ``registry-leader-pause``: the registry cluster's elected leader
  SIGKILLed, or SIGSTOPped past its session then resumed, under concurrent registrations
  (:mod:`flux.chaos.registry_failover`);
* ``upstream-slow`` / ``upstream-5xx`` / ``upstream-429``: the fake upstreams'
  fault control API;
* ``contract-violation``: the fake weather upstream answers out-of-range readings (its
  ``out_of_range`` fault), which the weather service's data contract must refuse and dead-letter;
* ``poison``: four kinds of undecodable bytes into every consumed topic;
* ``flood``: one client far above every limit, in its own process.

Each injector sets ``window.lifted_at`` when the real mechanism has undone the fault.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flux.chaos import bff_failover, registry_failover
from flux.chaos.contract_violations import FAULT_NAME, SERVED_DETAIL
from flux.chaos.observations import FaultWindow, now_ms
from flux.chaos.platform import ChaosPlatform
from flux.chaos.poison import PoisonRecord, write_poison
from flux.chaos.profiles import ChaosProfile
from flux.chaos.workload import Workload

__all__ = ["Fault", "FaultContext", "full_plan", "light_plan"]

DOMAIN_SERVICES = ("weather-service", "crypto-service", "news-service", "stock-service")
FLOOD_RATE = 200.0


@dataclass(slots=True)
class FaultContext:
    """What injectors act on and where they leave what they did."""

    platform: ChaosPlatform
    profile: ChaosProfile
    run_id: str
    work_dir: Path
    poison: list[PoisonRecord] = field(default_factory=list)
    flood: dict[str, Any] | None = None
    workload: Workload | None = None


Injector = Callable[[FaultContext, FaultWindow], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Fault:
    name: str
    kind: str
    inject: Injector
    holds_down: tuple[str, ...] = ()


def _kill_and_restart(component: str, down_s: Callable[[ChaosProfile], float]) -> Injector:
    async def inject(ctx: FaultContext, window: FaultWindow) -> None:
        window.detail["pid"] = ctx.platform.components[component].process.pid()
        await ctx.platform.kill(component)
        await asyncio.sleep(down_s(ctx.profile))
        await ctx.platform.restart(component)
        window.lifted_at = now_ms()

    return inject


async def _bff_pause(ctx: FaultContext, window: FaultWindow) -> None:
    instances = list(ctx.platform.stack.bff_instances.values())
    for bff in instances:
        bff.process.send(signal.SIGSTOP)
    try:
        await asyncio.sleep(ctx.profile.bff_pause_s)
    finally:
        for bff in instances:
            bff.process.send(signal.SIGCONT)
    window.lifted_at = now_ms()


def _upstream(mode: str, **options: Any) -> Injector:
    async def inject(ctx: FaultContext, window: FaultWindow) -> None:
        length = ctx.profile.upstream_fault_s
        body = {"mode": mode, "target": "all", "duration_s": length + 30, **options}
        window.detail["fault"] = body
        await ctx.platform.upstream_fault(body)
        try:
            await asyncio.sleep(length)
        finally:
            await ctx.platform.upstream_fault(None)
        window.lifted_at = now_ms()

    return inject


async def _contract_violation(ctx: FaultContext, window: FaultWindow) -> None:
    """Out-of-range weather readings for a while; the window records how many were served."""
    length = ctx.profile.upstream_fault_s
    body = {"mode": "out_of_range", "target": "weather", "duration_s": length + 30}
    window.detail["fault"] = body
    before = await ctx.platform.upstream_served("out_of_range")
    await ctx.platform.upstream_fault(body)
    try:
        await asyncio.sleep(length)
    finally:
        await ctx.platform.upstream_fault(None)
    window.lifted_at = now_ms()
    served = await ctx.platform.upstream_served("out_of_range") - before
    window.detail[SERVED_DETAIL] = served


async def _poison(ctx: FaultContext, window: FaultWindow) -> None:
    assert ctx.platform.running is not None
    tag = f"{ctx.run_id}-{len(ctx.poison)}"
    written = await asyncio.to_thread(write_poison, ctx.platform.running.settings, tag)
    ctx.poison.extend(written)
    window.detail["records"] = len(written)
    window.detail["tag"] = tag
    window.lifted_at = now_ms()


async def _flood_once(ctx: FaultContext, seconds: float) -> dict[str, Any]:
    out = ctx.work_dir / f"flood-{int(now_ms())}.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "flux.chaos.flood",
        "--url",
        ctx.platform.bff_url,
        "--seconds",
        str(seconds),
        "--rate",
        str(FLOOD_RATE),
        "--out",
        str(out),
    )
    code = await process.wait()
    exists = await asyncio.to_thread(out.exists)
    if code != 0 or not exists:
        return {"exit": code}
    result: dict[str, Any] = json.loads(await asyncio.to_thread(out.read_text))
    return result


async def _flood(ctx: FaultContext, window: FaultWindow) -> None:
    """Alternate calm and flood periods of equal length; the flood runs in a separate process."""
    calm: list[tuple[float, float]] = []
    flood: list[tuple[float, float]] = []
    outcomes: dict[str, int] = {}
    totals = {"sent": 0, "disconnects": 0}
    for _ in range(ctx.profile.flood_cycles):
        calm_from = now_ms()
        await asyncio.sleep(ctx.profile.flood_s)
        calm.append((calm_from, now_ms()))
        result = await _flood_once(ctx, ctx.profile.flood_s)
        flood.append((float(result.get("started_at", calm[-1][1])), float(result.get("ended_at", now_ms()))))
        for key, count in result.get("outcomes", {}).items():
            outcomes[key] = outcomes.get(key, 0) + int(count)
        for key in totals:
            totals[key] += int(result.get(key, 0))
    window.lifted_at = now_ms()
    summary = {**totals, "outcomes": outcomes, "periods": len(flood), "period_s": ctx.profile.flood_s}
    ctx.flood = {"calm": calm, "flood": flood, "result": summary}
    window.detail["flooder"] = summary


def full_plan() -> list[Fault]:
    """Every fault, one after another (process kills first, so memory has time to settle afterwards)."""
    plan = [
        Fault(
            "kafka-kill", "sigkill+restart", _kill_and_restart("kafka", lambda p: p.kafka_down_s), ("kafka",)
        ),
        Fault(
            "registry-kill",
            "sigkill+restart",
            _kill_and_restart("registry", lambda p: p.registry_down_s),
            ("registry",),
        ),
        Fault(registry_failover.KILL_FAULT, "sigkill leader+restart", registry_failover.registry_leader_kill),
        Fault(
            registry_failover.PAUSE_FAULT, "sigstop/sigcont leader", registry_failover.registry_leader_pause
        ),
    ]
    plan += [
        Fault(f"{name}-kill", "sigkill+restart", _kill_and_restart(name, lambda p: p.service_down_s), (name,))
        for name in DOMAIN_SERVICES
    ]
    plan += [
        Fault(bff_failover.FAULT_NAME, "sigkill instance+restart", bff_failover.bff_instance_kill),
        Fault(
            "valkey-outage",
            "sigkill+restart",
            _kill_and_restart("valkey", lambda p: p.valkey_down_s),
            ("valkey",),
        ),
        Fault("bff-pause", "sigstop/sigcont", _bff_pause),
        Fault("upstream-slow", "upstream fault", _upstream("slow", delay_s=3.0)),
        Fault("upstream-5xx", "upstream fault", _upstream("5xx", status=503)),
        Fault("upstream-429", "upstream fault", _upstream("429", retry_after_s=1.0)),
        Fault(FAULT_NAME, "upstream fault", _contract_violation),
        Fault("poison", "poison", _poison),
        Fault("flood", "flood", _flood),
    ]
    return plan


def light_plan() -> list[Fault]:
    """Faults that restart nothing, repeated during the soak's long tail."""
    return [
        Fault("bff-pause", "sigstop/sigcont", _bff_pause),
        Fault("upstream-429", "upstream fault", _upstream("429", retry_after_s=1.0)),
        Fault("poison", "poison", _poison),
        Fault("upstream-5xx", "upstream fault", _upstream("5xx", status=503)),
    ]
