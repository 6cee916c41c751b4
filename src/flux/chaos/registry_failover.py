"""The registry cluster under fault: its leader SIGKILLed, or SIGSTOPped past its session and resumed.

Both faults run while :class:`~flux.chaos.registrations.RegistrationLoad` registers from several
clients on every node, and each leaves its evidence in the fault window's ``detail``:

* ``registry-leader-kill``: the leader is SIGKILLed; a survivor must lead within the election
  session (plus the group's rebalance), writes must be acknowledged again after it, and the killed
  node is started again (as a follower).
* ``registry-leader-pause``: the leader is SIGSTOPped for longer than its session, so a survivor
  takes over, then SIGCONTed. The old leader must find itself fenced: nothing it writes may be
  committed after the new leader's ``LEADER`` record (read back ``read_committed`` from the
  registry topic), and it must follow the new leader.

After each, every acknowledged registration is audited on every node
(:func:`~flux.chaos.registrations.audit_registrations`). :func:`check_registry_failover` turns the
windows into the run's verdicts.

Example:
    >>> audit = check_registry_failover(run.windows, run.profile.registry_session_s)  # doctest: +SKIP
    >>> [v.passed for v in registry_verdicts(audit)]  # doctest: +SKIP
    [True, True, True]
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from flux.chaos.evaluation import InvariantResult
from flux.chaos.observations import FaultWindow, now_ms
from flux.chaos.registrations import Registration, RegistrationLoad, audit_registrations
from flux.kafka.config import log_reader_config
from flux.registry.storage.election import decode_leader
from flux.registry.storage.leadership import NODE_HEADER
from flux.settings import Settings

if TYPE_CHECKING:
    from flux.chaos.faults import FaultContext

__all__ = [
    "KILL_FAULT",
    "PAUSE_FAULT",
    "REBALANCE_ALLOWANCE_S",
    "CommittedRecord",
    "check_registry_failover",
    "fenced_writes",
    "registry_leader_kill",
    "registry_leader_pause",
    "registry_verdicts",
]

KILL_FAULT: Final = "registry-leader-kill"
PAUSE_FAULT: Final = "registry-leader-pause"
# A takeover is the session timeout (the group notices the silent leader) plus one rebalance and
# the new leader's replay; the measured figure is reported, the bound is this much over the session.
REBALANCE_ALLOWANCE_S: Final = 4.0
# Acknowledged registrations wanted before the fault, and again after the takeover.
WRITES_BEFORE: Final = 20
WRITES_AFTER: Final = 20
_WAIT_WRITES_S: Final = 60.0


@dataclass(frozen=True, slots=True)
class CommittedRecord:
    """A committed record of the registry topic: its offset, time, writer node and, for a
    ``LEADER`` record, the node it announces."""

    offset: int
    timestamp_ms: int
    writer: str | None
    leader_node: str | None


def committed_records(settings: Settings, topic: str, timeout_s: float = 60.0) -> list[CommittedRecord]:
    """Every committed record of the (single-partition) registry topic, in order."""
    consumer = Consumer(log_reader_config(settings, client_id=f"flux-chaos-registry-{time.monotonic_ns()}"))
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    found: list[CommittedRecord] = []
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    return found
                continue
            writer = _header(message.headers() or [], NODE_HEADER)
            leader = decode_leader(message.key(), message.value())
            found.append(
                CommittedRecord(
                    offset=message.offset() or 0,
                    timestamp_ms=message.timestamp()[1],
                    writer=writer.decode() if writer else None,
                    leader_node=leader.node if leader is not None and leader.url else None,
                )
            )
        raise TimeoutError(f"could not read {topic} to its end in {timeout_s:.0f}s")
    finally:
        consumer.close()


def _header(headers: Any, name: str) -> bytes | None:
    for header in headers:
        if header[0] == name and isinstance(header[1], bytes):
            return bytes(header[1])
    return None


def fenced_writes(records: list[CommittedRecord], old_node: str, paused_at_ms: float) -> dict[str, Any]:
    """Records the old leader ``old_node`` got committed after another node's first ``LEADER``
    record since the pause began (its successor's term) — up to its own next ``LEADER`` record,
    should it lead again by right: there must be none. ``own_before`` counts its records before
    the takeover; none would mean its writes are not recognised at all (the check proves nothing)."""
    takeover = next(
        (
            r
            for r in records
            if r.leader_node is not None and r.leader_node != old_node and r.timestamp_ms >= paused_at_ms
        ),
        None,
    )
    own_before = sum(
        1 for r in records if r.writer == old_node and (takeover is None or r.offset < takeover.offset)
    )
    if takeover is None:
        return {"takeover_offset": None, "late_writes": None, "own_before": own_before}
    again = next(
        (r.offset for r in records if r.offset > takeover.offset and r.leader_node == old_node), None
    )
    late = [
        r.offset
        for r in records
        if r.writer == old_node and r.offset > takeover.offset and (again is None or r.offset < again)
    ]
    return {
        "takeover_offset": takeover.offset,
        "late_writes": len(late),
        "late_offsets": late[:20],
        "own_before": own_before,
    }


async def _start_load(ctx: FaultContext, label: str) -> RegistrationLoad:
    load = RegistrationLoad(
        ctx.platform.live_registry_urls, clients=ctx.profile.registration_clients, tag=f"{ctx.run_id}{label}"
    )
    load.start()
    if not await load.wait_for(WRITES_BEFORE, _WAIT_WRITES_S):
        await load.stop()
        raise RuntimeError(f"registrations were not acknowledged before the fault ({load.count()})")
    return load


async def _successor(ctx: FaultContext, old: str, since_ms: float) -> tuple[str | None, float | None]:
    """The node leading instead of ``old`` (waiting at most the session plus 20 s) and the takeover time."""
    others = [name for name in ctx.platform.registry_nodes if name != old]
    found = await ctx.platform.registry_leader(others, ctx.profile.registry_session_s + 20)
    return found, (round((now_ms() - since_ms) / 1000, 2) if found else None)


async def _stop_load(
    window: FaultWindow, load: RegistrationLoad, writes_before: int
) -> dict[str, Registration]:
    """Wait for writes to be acknowledged again after the takeover, then stop the writers."""
    window.detail["writes_resumed"] = await load.wait_for(writes_before + WRITES_AFTER, _WAIT_WRITES_S)
    acknowledged = await load.stop()
    window.detail["attempts_failed"] = load.attempts_failed
    return acknowledged


async def _audit(ctx: FaultContext, window: FaultWindow, acknowledged: dict[str, Registration]) -> None:
    """Every acknowledged registration, on every node (all of them up again)."""
    window.detail["audit"] = await audit_registrations(acknowledged, ctx.platform.registry_urls())


async def registry_leader_kill(ctx: FaultContext, window: FaultWindow) -> None:
    """SIGKILL the registry leader under concurrent registrations; restart it (see module docs)."""
    leader = await ctx.platform.registry_leader(list(ctx.platform.registry_nodes), 30.0)
    if leader is None:
        raise RuntimeError("no registry leader before the fault")
    load = await _start_load(ctx, "k")
    acknowledged: dict[str, Registration] = {}
    window.detail["leader"] = leader
    try:
        killed_at = now_ms()
        await ctx.platform.kill(leader)
        successor, takeover = await _successor(ctx, leader, killed_at)
        window.detail.update(successor=successor, takeover_s=takeover)
        if successor is not None:
            acknowledged = await _stop_load(window, load, load.count())
    finally:
        acknowledged = acknowledged or await load.stop()
        await ctx.platform.restart(leader)
        window.lifted_at = now_ms()
    restarted_at = now_ms()
    follows = await _follows(ctx, leader, window.detail.get("successor"))
    window.detail["follows_after_s"] = round((now_ms() - restarted_at) / 1000, 2) if follows else None
    await _audit(ctx, window, acknowledged)


async def registry_leader_pause(ctx: FaultContext, window: FaultWindow) -> None:
    """SIGSTOP the registry leader past its session, SIGCONT it; audit its fencing (see module docs)."""
    platform = ctx.platform
    leader = await platform.registry_leader(list(platform.registry_nodes), 30.0)
    if leader is None:
        raise RuntimeError("no registry leader before the fault")
    old_node = (await platform.registry_health(leader)).get("node")
    if not old_node:
        raise RuntimeError(f"the leader {leader} did not say its node id")
    load = await _start_load(ctx, "p")
    acknowledged: dict[str, Registration] = {}
    window.detail.update(leader=leader, node=old_node)
    process = platform.registry_nodes[leader].process
    paused_at = now_ms()
    try:
        process.send(signal.SIGSTOP)
        try:
            successor, takeover = await _successor(ctx, leader, paused_at)
            window.detail.update(successor=successor, takeover_s=takeover)
            hold = ctx.profile.registry_session_s + 2 - (now_ms() - paused_at) / 1000
            await asyncio.sleep(max(0.0, hold))
        finally:
            process.send(signal.SIGCONT)
        resumed_at = now_ms()
        window.detail["paused_s"] = round((resumed_at - paused_at) / 1000, 1)
        follows = await _follows(ctx, leader, successor)
        window.detail["follows_after_s"] = round((now_ms() - resumed_at) / 1000, 2) if follows else None
        window.detail["fenced_attempts"] = (await platform.registry_health(leader)).get("fenced")
        acknowledged = await _stop_load(window, load, load.count())
    finally:
        acknowledged = acknowledged or await load.stop()
        window.lifted_at = now_ms()
    await _audit(ctx, window, acknowledged)
    assert platform.running is not None
    topic = platform.registry_topic
    records = await asyncio.to_thread(committed_records, platform.running.settings, topic)
    window.detail["fencing"] = fenced_writes(records, str(old_node), paused_at)


async def _follows(ctx: FaultContext, name: str, successor: str | None) -> bool:
    """Whether the resumed node ``name`` follows ``successor`` within 30 s."""
    if successor is None:
        return False
    url = ctx.platform.registry_nodes[successor].url
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        health = await ctx.platform.registry_health(name)
        if health.get("role") == "follower" and health.get("leader") == url:
            return True
        await asyncio.sleep(0.2)
    return False


def check_registry_failover(windows: Sequence[FaultWindow], session_s: float) -> dict[str, Any]:
    """Gather the registry faults' evidence from the run's ``windows`` (one entry per window)."""
    entries = [
        {"fault": w.name, "session_s": session_s, **w.detail}
        for w in windows
        if w.name.split(" ")[0] in (KILL_FAULT, PAUSE_FAULT)
    ]
    return {"faults": entries, "bound_s": session_s + REBALANCE_ALLOWANCE_S}


def _after(seconds: object) -> str:
    return "never (within 30 s)" if seconds is None else f"after {seconds}s"


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def registry_verdicts(audit: dict[str, Any]) -> list[InvariantResult]:
    """Three promises of the registry cluster; not judged (None) when no registry fault ran."""
    faults = audit["faults"]
    names = (
        "registry: no id for two schemas, no acknowledged registration lost",
        "registry: a new leader within the session + 4 s, the old one follows when back",
        "registry: a paused ex-leader is fenced",
    )
    if not faults:
        return [InvariantResult(name, None, "no registry fault ran") for name in names]
    audits = [f.get("audit") for f in faults]
    consistent = all(a is not None and a["ids_reused"] == 0 and a["missing"] == 0 for a in audits)
    consistent = consistent and all(f.get("writes_resumed") for f in faults)
    ids_detail = "; ".join(
        f"{f['fault']}: {a['acknowledged']} acknowledged, checked on {a['nodes_checked']} nodes, "
        f"{a['ids_reused']} ids reused, {a['missing']} missing"
        + ("" if f.get("writes_resumed") else ", writes did not resume")
        + (
            f" {_json(a['missing_detail'][:3] + a['ids_reused_detail'][:3])}"
            if a["missing"] or a["ids_reused"]
            else ""
        )
        if a is not None
        else f"{f['fault']}: not audited"
        for f, a in zip(faults, audits, strict=True)
    )
    bound = audit["bound_s"]
    takeovers = [f.get("takeover_s") for f in faults]
    timely = all(t is not None and t <= bound for t in takeovers)
    timely = timely and all(f.get("follows_after_s") is not None for f in faults)
    takeover_detail = (
        "; ".join(
            f"{f['fault']}: {f.get('leader')} → {f.get('successor')} in {f.get('takeover_s')}s, "
            f"the old one follows {_after(f.get('follows_after_s'))}"
            for f in faults
        )
        + f" (session {faults[0]['session_s']:.0f}s, bound {bound:.0f}s)"
    )
    paused = [f for f in faults if f["fault"].startswith(PAUSE_FAULT)]
    fencing_ok: bool | None = None
    fencing_detail = f"{PAUSE_FAULT} did not run"
    if paused:
        fencing_ok = all(
            f.get("fencing", {}).get("late_writes") == 0 and f.get("fencing", {}).get("own_before", 0) > 0
            for f in paused
        )
        fencing_detail = "; ".join(
            f"{f['fault']}: paused {f.get('paused_s')}s, {f.get('fencing', {}).get('late_writes')} records "
            f"committed by it after the takeover ({f.get('fencing', {}).get('own_before')} of its own before), "
            f"{f.get('fenced_attempts')} fenced write attempts"
            for f in paused
        )
    return [
        InvariantResult(names[0], consistent, ids_detail),
        InvariantResult(names[1], timely, takeover_detail),
        InvariantResult(names[2], fencing_ok, fencing_detail),
    ]
