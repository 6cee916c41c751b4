"""No duplicate, no stale: what a client receives never repeats itself and never goes back in time.

Within one room membership a client never gets the same snapshot twice: the id
it holds again, or the same event (id and ``producedAt``) once more. The one
hydration answer to each join request it makes (the BFF replays its cached
snapshot) is expected. The same content coming back later with a new
``producedAt`` (A -> B -> A) is news, not a repeat. The ticker stream is live,
so a client never gets the same ticker batch twice at all. And a client never
gets a snapshot older (``producedAt``) than one it already had for the same key.

Example:
    >>> duplicates, stale = check_snapshot_order(run, RunIndex(run), rows, result)  # doctest: +SKIP
    >>> result.stale[0]["newest_held"] > result.stale[0]["produced_at"]  # doctest: +SKIP
    True
"""

from __future__ import annotations

from collections import defaultdict

from flux.chaos.evaluation import CLOCK_SLACK_MS, MAX_DETAILS, Evaluation, FaultRow, RunRecord
from flux.chaos.latency import TICKER
from flux.chaos.observations import Membership
from flux.chaos.run_index import RunIndex, window_of
from flux.chaos.workload import room_of

__all__ = ["check_snapshot_order"]


def _hydration_repeat(membership: Membership, moment: float, used: set[tuple[int, int]]) -> bool:
    """Whether a repeat at ``moment`` is the one hydration answer of a join request made then."""
    for i, (sent, acked) in enumerate(membership.hydrations):
        if sent <= moment <= acked + CLOCK_SLACK_MS and (id(membership), i) not in used:
            used.add((id(membership), i))
            return True
    return False


def check_snapshot_order(
    run: RunRecord, index: RunIndex, rows: dict[str, FaultRow], result: Evaluation
) -> tuple[int, int]:
    """Count duplicate and stale receipts into ``rows`` (by fault window) and ``result``; return both totals."""
    duplicates = stale = 0
    tickers: dict[int, set[str]] = defaultdict(set)
    newest: dict[tuple[int, str, str], int] = {}
    seen: dict[int, set[tuple[str, int]]] = defaultdict(set)
    last_id: dict[int, str] = {}
    used_hydrations: set[tuple[int, int]] = set()
    for r in sorted(run.receipts, key=lambda r: r.received_at):
        window = window_of(run.windows, r.received_at)
        row = rows[window.name] if window else None
        if r.stream == TICKER:
            if r.snapshot_id in tickers[r.user]:
                duplicates += 1
                if row is not None:
                    row.duplicates += 1
                if len(result.duplicates) < MAX_DETAILS:
                    result.duplicates.append({"user": r.user, "stream": r.stream, "id": r.snapshot_id})
            tickers[r.user].add(r.snapshot_id)
            continue
        membership = index.membership_at(r.user, room_of(r.stream, r.key), r.received_at)
        if membership is not None:
            # The same snapshot twice: the id just held again (nothing new in between), or the very
            # same event (id and producedAt) once more. A -> B -> A with a new producedAt is news.
            pairs = seen[id(membership)]
            repeat = last_id.get(id(membership)) == r.snapshot_id or (r.snapshot_id, r.produced_at) in pairs
            if repeat and not _hydration_repeat(membership, r.received_at, used_hydrations):
                duplicates += 1
                if row is not None:
                    row.duplicates += 1
                if len(result.duplicates) < MAX_DETAILS:
                    result.duplicates.append(
                        {
                            "user": r.user,
                            "stream": r.stream,
                            "key": r.key,
                            "id": r.snapshot_id,
                            "at": r.received_at,
                        }
                    )
            pairs.add((r.snapshot_id, r.produced_at))
            last_id[id(membership)] = r.snapshot_id
        key = (r.user, r.stream, r.key)
        held = newest.get(key)
        if held is not None and r.produced_at < held:
            stale += 1
            if row is not None:
                row.stale += 1
            if len(result.stale) < MAX_DETAILS:
                result.stale.append(
                    {
                        "user": r.user,
                        "stream": r.stream,
                        "key": r.key,
                        "id": r.snapshot_id,
                        "produced_at": r.produced_at,
                        "newest_held": held,
                        "at": r.received_at,
                    }
                )
        newest[key] = max(held or 0, r.produced_at)
    return duplicates, stale
