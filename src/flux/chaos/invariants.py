"""The platform's promises, checked after a run from what clients received and from Kafka itself.

:func:`evaluate` is the one entry point: it runs every check on a
:class:`~flux.chaos.evaluation.RunRecord` and returns the per-fault table and
one verdict per promise. Each promise is checked in its own module:

* **No loss**, delivered within the recovery bound: :mod:`flux.chaos.delivery`.
* **No duplicate, no stale** snapshot: :mod:`flux.chaos.snapshot_order`.
* **Dead letters**: each poison record in its DLQ exactly once, nothing else
  there: :mod:`flux.chaos.dead_letters`.
* **Connections stay up** unless a fault stops the BFF: :mod:`flux.chaos.connections`.
* **Memory**: :mod:`flux.chaos.memory_growth`; **flood fairness**: :mod:`flux.chaos.flood_fairness`.
* **Registry failover** (ids unique, nothing acknowledged lost, a timely new leader, the paused
  ex-leader fenced): :mod:`flux.chaos.registry_failover`; **BFF instance failover** (its clients
  back elsewhere and hydrated): :mod:`flux.chaos.bff_failover`.
* **Crashes and reconnection** are read straight off the run (below).

The records and latency helpers other modules use are re-exported here.

Example:
    >>> evaluation = evaluate(run)  # doctest: +SKIP
    >>> [(v.name, v.passed) for v in evaluation.invariants][0]  # doctest: +SKIP
    ('no accepted command lost', True)
"""

from __future__ import annotations

from typing import Any

from flux.chaos.bff_failover import bff_verdict, check_bff_failover
from flux.chaos.connections import check_connections
from flux.chaos.contract_violations import check_contract_violations, contract_verdict
from flux.chaos.dead_letters import check_dead_letters
from flux.chaos.delivery import check_delivery
from flux.chaos.evaluation import Evaluation, FaultRow, InvariantResult, RunRecord
from flux.chaos.flood_fairness import check_flood_fairness
from flux.chaos.latency import TICKER, live_latencies, percentile
from flux.chaos.memory_growth import check_memory
from flux.chaos.registry_failover import check_registry_failover, registry_verdicts
from flux.chaos.run_index import RunIndex
from flux.chaos.snapshot_order import check_snapshot_order

__all__ = [
    "TICKER",
    "Evaluation",
    "FaultRow",
    "InvariantResult",
    "RunRecord",
    "evaluate",
    "live_latencies",
    "percentile",
]


def _fault_rows(run: RunRecord) -> dict[str, FaultRow]:
    return {
        w.name: FaultRow(
            name=w.name,
            kind=w.kind,
            started_s=round((w.started_at - run.started_at) / 1000, 1),
            window_s=round(((w.ended_at if w.kind == "baseline" else w.lifted_at) - w.started_at) / 1000, 1),
        )
        for w in run.windows
    }


def _note_faults(run: RunRecord, rows: dict[str, FaultRow], dead: dict[str, Any]) -> None:
    """Crashes, recovery and (for poison) dead-lettered records, per fault window."""
    for w in run.windows:
        row = rows[w.name]
        row.crashes = sum(1 for c in run.crashes if w.started_at <= c.at < w.ended_at)
        check = run.recovery.get(w.name, {})
        row.recovered = bool(check.get("recovered", True))
        if w.kind == "poison":
            tag = str(w.detail.get("tag", ""))
            mine = [p for p in run.poison if p.marker.startswith(tag + ":")]
            missing = sum(1 for p in mine if p.marker in dead["missing_markers"])
            row.dead_lettered = f"{len(mine) - missing}/{len(mine)}"


def _delivery_verdicts(
    run: RunRecord, result: Evaluation, late: int, duplicates: int, stale: int
) -> list[InvariantResult]:
    accepted = sum(1 for a in run.acks if a.accepted and a.user >= 0)
    return [
        InvariantResult(
            "no accepted command lost",
            result.lost == 0 and accepted > 0,
            f"{accepted} accepted requests, {result.deliveries_checked} room deliveries checked, "
            f"{result.lost} lost ({result.abandoned} not checkable: the client left the room first)",
        ),
        InvariantResult(
            f"delivered within {run.profile.recovery_bound_s:.0f}s of recovery",
            late == 0,
            f"{late} deliveries later than the bound",
        ),
        InvariantResult("no duplicate snapshot delivered", duplicates == 0, f"{duplicates} duplicates"),
        InvariantResult("no stale snapshot delivered", stale == 0, f"{stale} older than one already held"),
    ]


def _dead_letter_verdict(dead: dict[str, Any]) -> InvariantResult:
    dlq_ok = (
        dead["written"] > 0
        and not dead["missing"]
        and not dead["duplicated"]
        and not dead["bad_headers"]
        and dead["unexpected_total"] == 0
    )
    # With no poison written there is nothing to find, but a dead letter nobody planted still breaks it.
    unplanted = False if dead["unexpected_total"] else None
    return InvariantResult(
        "every poison record in its DLQ, nothing else",
        dlq_ok if dead["written"] else unplanted,
        f"{dead['dead_lettered']}/{dead['written']} dead-lettered, {len(dead['duplicated'])} duplicated, "
        f"{len(dead['bad_headers'])} with bad headers, {dead['unexpected_total']} unexpected",
    )


def _process_verdicts(run: RunRecord, connections: dict[str, Any]) -> list[InvariantResult]:
    unrecovered = [name for name, check in run.recovery.items() if not check.get("recovered", True)]
    return [
        InvariantResult(
            "no unexpected crash",
            not run.crashes,
            ", ".join(f"{c.component} (exit {c.exit_code})" for c in run.crashes) or "none",
        ),
        InvariantResult(
            "everything recovers and reconnects by itself",
            not unrecovered and run.connected_at_end == run.users,
            f"{run.connected_at_end}/{run.users} clients connected at the end; "
            f"not recovered after: {', '.join(unrecovered) or 'none'}",
        ),
        InvariantResult(
            "clients stay connected unless the BFF is stopped",
            connections["passed"],
            f"{connections['total']} disconnects, {connections['unexpected']} outside BFF faults"
            + (
                f" ({connections['users']} users; reasons {connections['reasons']}; "
                f"in {connections['windows']})"
                if connections["unexpected"]
                else ""
            ),
        ),
    ]


def _memory_verdict(run: RunRecord, memory: list[dict[str, Any]]) -> InvariantResult:
    checked = [m for m in memory if m.get("checked")]
    return InvariantResult(
        "RSS at the end within 15% of the steady-load baseline",
        all(m["passed"] for m in checked) if checked else None,
        "; ".join(f"{m['component']} {m['growth_pct']:+.1f}%" for m in checked)
        or f"not checked (needs {run.profile.memory_span_s:.0f}s of steady load)",
    )


def _flood_verdict(flood: dict[str, Any]) -> InvariantResult:
    return InvariantResult(
        "flood: others' p99 < 2x calm, flooder rate-limited",
        flood.get("passed") if flood else None,
        (
            f"p99 calm {flood['baseline_p99_ms']} ms, flooding {flood['flood_p99_ms']} ms "
            f"(limit {flood['limit_ms']} ms"
            + ("" if flood["latency_judged"] else f"; not judged: {min(flood['samples'])} samples")
            + "), "
            f"{flood['rate_limited']} rate_limited acks, {flood['others_disconnected']} others disconnected"
        )
        if flood
        else "not run",
    )


def evaluate(run: RunRecord) -> Evaluation:
    """Check every invariant; return the per-fault table and the verdicts."""
    index = RunIndex(run)
    rows = _fault_rows(run)
    result = Evaluation(rows=list(rows.values()), invariants=[])
    check_delivery(run, index, rows, result)
    late = sum(r.late for r in rows.values())
    duplicates, stale = check_snapshot_order(run, index, rows, result)
    dead = result.dead_letters = check_dead_letters(
        run.poison, run.ledger.dead_letters, run.dead_letter_readers
    )
    _note_faults(run, rows, dead)
    result.memory = check_memory(run)
    result.flood = check_flood_fairness(run)
    result.connections = check_connections(run.windows, run.disconnects)
    result.contract_violations = check_contract_violations(run)
    inv = result.invariants
    inv += _delivery_verdicts(run, result, late, duplicates, stale)
    inv.append(_dead_letter_verdict(dead))
    inv += _process_verdicts(run, result.connections)
    inv.append(_memory_verdict(run, result.memory))
    inv.append(_flood_verdict(result.flood))
    inv.append(contract_verdict(result.contract_violations))
    result.registry_failover = check_registry_failover(run.windows, run.profile.registry_session_s)
    inv += registry_verdicts(result.registry_failover)
    result.bff_failover = check_bff_failover(run.windows, run.connects, run.joins)
    inv.append(bff_verdict(result.bff_failover))
    if run.ledger.undecodable:
        inv.append(
            InvariantResult(
                "every non-poison record decodes",
                False,
                f"{len(run.ledger.undecodable)} undecodable: {run.ledger.undecodable[:3]}",
            )
        )
    return result
