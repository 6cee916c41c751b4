"""One of several BFF instances SIGKILLed: its clients must come back through the balancer, at once.

The platform runs two BFF instances behind the stack's nginx. ``bff-instance-kill`` SIGKILLs the
one holding the most users (each session id names its instance, :mod:`flux.bff.instance`), keeps it
down while its clients reconnect, then starts it again. What the users observed is enough to judge:

* every user the killed instance held (the window's ``victims``) connected again, to another
  instance, within :data:`RECONNECT_BOUND_S` of the kill;
* and re-joined its rooms with at least one stream hydrated from the cache (the ``subscribe``
  acknowledgements list what the BFF sent from Valkey) within the same bound;
* nobody else was disconnected (:mod:`flux.chaos.connections`), and no accepted command was lost
  or delivered twice (:mod:`flux.chaos.delivery`, :mod:`flux.chaos.snapshot_order`).

Example:
    >>> audit = check_bff_failover(run)  # doctest: +SKIP
    >>> bff_verdict(audit).passed  # doctest: +SKIP
    True
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from flux.chaos.connections import VICTIMS_DETAIL
from flux.chaos.evaluation import MAX_DETAILS, InvariantResult
from flux.chaos.observations import FaultWindow, now_ms
from flux.chaos.workload import Connect, Join

if TYPE_CHECKING:
    from flux.chaos.faults import FaultContext

__all__ = ["FAULT_NAME", "RECONNECT_BOUND_S", "bff_instance_kill", "bff_verdict", "check_bff_failover"]

FAULT_NAME: Final = "bff-instance-kill"
RECONNECT_BOUND_S: Final = 10.0
"""A killed instance's client must be connected elsewhere and hydrated within this long of the kill."""
KILLED_AT_DETAIL: Final = "killed_at"


async def bff_instance_kill(ctx: FaultContext, window: FaultWindow) -> None:
    """SIGKILL the BFF instance holding the most users; restart it once they are back (module docs)."""
    instances = list(ctx.platform.stack.bff_instances)
    if len(instances) < 2 or ctx.workload is None:
        window.detail["skipped"] = "needs two BFF instances behind the balancer"
        return
    held = ctx.workload.users_by_instance()
    victim = max(instances, key=lambda name: len(held.get(name, [])))
    window.detail.update({"instance": victim, VICTIMS_DETAIL: sorted(held.get(victim, [])), "held": held})
    if not held.get(victim):
        window.detail["skipped"] = "no instance held a user"
        return
    window.detail[KILLED_AT_DETAIL] = now_ms()
    try:
        await ctx.platform.kill(victim)
        await ctx.workload.wait_all_connected(RECONNECT_BOUND_S * 3)
        await asyncio.sleep(ctx.profile.bff_instance_down_s)
    finally:
        await ctx.platform.restart(victim)
        window.lifted_at = now_ms()


def _comeback(
    user: int, killed_at: float, victim: str, connects: Sequence[Connect], joins: Sequence[Join]
) -> dict[str, Any]:
    """When ``user`` connected again after the kill, where, and when it was re-joined and hydrated."""
    again = next(((at, inst) for at, who, inst in connects if who == user and at > killed_at), None)
    if again is None:
        return {"user": user, "reconnect_s": None, "instance": None, "hydrated_s": None, "hydrated": 0}
    joined = next(((at, n) for at, who, n in joins if who == user and at >= again[0]), None)
    return {
        "user": user,
        "reconnect_s": round((again[0] - killed_at) / 1000, 2),
        "instance": again[1],
        "hydrated_s": round((joined[0] - killed_at) / 1000, 2) if joined else None,
        "hydrated": joined[1] if joined else 0,
        "elsewhere": again[1] != victim,
    }


def check_bff_failover(
    windows: Sequence[FaultWindow], connects: Sequence[Connect], joins: Sequence[Join]
) -> dict[str, Any]:
    """Each ``bff-instance-kill`` window's victims, how fast they came back, and the bad ones."""
    faults: list[dict[str, Any]] = []
    for window in windows:
        if window.name.split(" ")[0] != FAULT_NAME:
            continue
        if window.detail.get("skipped") or KILLED_AT_DETAIL not in window.detail:
            faults.append({"fault": window.name, "skipped": str(window.detail.get("skipped", "not run"))})
            continue
        killed_at = float(window.detail[KILLED_AT_DETAIL])
        victim = str(window.detail["instance"])
        back = [_comeback(u, killed_at, victim, connects, joins) for u in window.detail[VICTIMS_DETAIL]]
        bad = [
            b
            for b in back
            if b["hydrated_s"] is None
            or b["hydrated_s"] > RECONNECT_BOUND_S
            or not b["hydrated"]
            or not b["elsewhere"]
        ]
        reconnects = [b["reconnect_s"] for b in back if b["reconnect_s"] is not None]
        hydrations = [b["hydrated_s"] for b in back if b["hydrated_s"] is not None]
        faults.append(
            {
                "fault": window.name,
                "instance": victim,
                "victims": len(back),
                "max_reconnect_s": max(reconnects, default=None),
                "max_hydrated_s": max(hydrations, default=None),
                "bad": len(bad),
                "bad_detail": bad[:MAX_DETAILS],
            }
        )
    return {"faults": faults, "bound_s": RECONNECT_BOUND_S}


def bff_verdict(audit: dict[str, Any]) -> InvariantResult:
    """``a killed BFF instance's clients are back elsewhere and hydrated within 10 s``; not judged
    (None) when the fault is not in the plan, broken when it ran and checked nobody."""
    name = f"bff: a killed instance's clients reconnect elsewhere, hydrated within {audit['bound_s']:.0f}s"
    faults = audit["faults"]
    if not faults:
        return InvariantResult(name, None, "not in this run's plan")
    skipped = [f for f in faults if "skipped" in f]
    detail = "; ".join(
        f"{f['fault']}: checked nothing ({f['skipped']})"
        if "skipped" in f
        else f"{f['fault']}: {f['instance']} held {f['victims']} users, all back within "
        f"{f['max_reconnect_s']}s, hydrated within {f['max_hydrated_s']}s, {f['bad']} not"
        + (f" {f['bad_detail'][:3]}" if f["bad"] else "")
        for f in faults
    )
    passed = not skipped and all(f["bad"] == 0 and f["victims"] > 0 for f in faults)
    return InvariantResult(name, passed, detail)
