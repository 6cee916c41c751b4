"""Data contracts under fault: every injected violation is dead-lettered, and none reached a client.

The ``contract-violation`` fault makes the fake weather upstream answer readings no place has
(:data:`flux.upstreams.http_routes.OUT_OF_RANGE_C`) and records how many such answers it served.
Each one becomes an event the weather service builds and its data contract refuses on write, so:

* at least as many refused events are parked as out-of-range answers were served (a service may
  build several events from one reading; it may never build none and stay silent);
* no refused event is on its topic (by snapshot hash: a refused reading's content is its own) and
  no client received it (no receipt carries its snapshot id);
* every refusal names a rule of the topic's contract and was made on write, by the service (the
  BFF's read-side check is the second line of defence and should have nothing to do).

Example:
    >>> audit = check_contract_violations(run)  # doctest: +SKIP
    >>> audit["served"], audit["refused"], audit["reached_clients"]  # doctest: +SKIP
    (14, 14, 0)
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Final

from flux.chaos.evaluation import MAX_DETAILS, InvariantResult, RunRecord

__all__ = ["FAULT_NAME", "SERVED_DETAIL", "check_contract_violations", "contract_verdict"]

FAULT_NAME: Final = "contract-violation"
SERVED_DETAIL: Final = "served_out_of_range"
"""The fault window's detail: how many out-of-range answers the fake upstream served in it."""


def check_contract_violations(run: RunRecord) -> dict[str, Any]:
    """Audit the refused events of ``run`` against the violations its fault injected."""
    windows = [w for w in run.windows if w.name == FAULT_NAME]
    served = sum(int(w.detail.get(SERVED_DETAIL, 0)) for w in windows)
    refused = run.ledger.refused
    hashes = {r.event.snapshot_hash for r in refused}
    on_topic = sorted(hashes & run.ledger.snapshot_hashes)
    received = sorted(hashes & {receipt.snapshot_id for receipt in run.receipts})
    not_on_write = [f"{r.rule} ({r.mode}) in {r.dead_letter_topic}" for r in refused if r.mode != "WRITE"]
    return {
        "injected": bool(windows),
        "served": served,
        "refused": len(refused),
        "by_rule": dict(Counter(r.rule for r in refused)),
        "on_topic": on_topic[:MAX_DETAILS],
        "on_topic_total": len(on_topic),
        "reached_clients": len(received),
        "reached_client_ids": received[:MAX_DETAILS],
        "refused_on_read": not_on_write[:MAX_DETAILS],
        "refused_on_read_total": len(not_on_write),
    }


def contract_verdict(audit: dict[str, Any]) -> InvariantResult:
    """``every contract violation is dead-lettered, none reached a client``; not judged (None) when
    the fault did not run or served nothing (no weather fetch in its window)."""
    clean = audit["on_topic_total"] == 0 and audit["reached_clients"] == 0
    judged = audit["injected"] and audit["served"] > 0
    passed = clean and audit["refused"] >= audit["served"] and audit["refused_on_read_total"] == 0
    detail = (
        f"{audit['refused']} refused for {audit['served']} out-of-range answers served "
        f"(by rule {audit['by_rule'] or '-'}), {audit['on_topic_total']} on their topic, "
        f"{audit['reached_clients']} reached a client, {audit['refused_on_read_total']} refused only on read"
    )
    if not judged:
        # Nothing injected: a refused record or one on a topic still breaks it.
        return InvariantResult(
            "every contract violation is dead-lettered, none reached a client",
            None if clean else False,
            detail + ("" if audit["injected"] else "; the fault did not run"),
        )
    return InvariantResult("every contract violation is dead-lettered, none reached a client", passed, detail)
