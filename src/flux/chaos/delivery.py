"""No loss, in time: every request the BFF accepted reaches every client in its room within the bound.

An accepted request has its command in Kafka (found by the user's id and the
request's time span; a coalesced request rides on the latest identical command
sent moments before), the command has its event (``correlation_id``), and
every client in the room when the request was acknowledged (the requester
from the moment it asked) receives that event's snapshot or a newer one for
the key. A delivery later than ``recovery_bound_s`` after the ack (or after
the lifting of the fault it was made in) is late. A client that left the room
before delivery and before that bound ran out is counted as not checkable, not
as delivered; one still in the room when the bound ran out without it is a loss.

The check also gathers the requesters' end-to-end latencies and each fault's
recovery time for the report.

Example:
    >>> check_delivery(run, RunIndex(run), rows, result)  # doctest: +SKIP
    >>> result.lost, result.losses[0]["stage"]  # doctest: +SKIP
    (1, 'command has no event')
"""

from __future__ import annotations

import bisect
from typing import Final

from flux.chaos.evaluation import CLOCK_SLACK_MS, MAX_DETAILS, Evaluation, FaultRow, RunRecord
from flux.chaos.ledger import CommandRecord, EventRecord
from flux.chaos.observations import Ack, FaultWindow, Membership
from flux.chaos.run_index import RunIndex, window_of
from flux.chaos.workload import room_of

__all__ = ["COALESCE_WINDOW_MS", "check_delivery"]

# The BFF coalesces a request onto an identical command sent up to 5 s before; 1 s of margin.
COALESCE_WINDOW_MS: Final = 5_000 + 1_000
# A request sent this soon after a fault was lifted still counts towards that fault's recovery time.
_RECOVERY_GRACE_MS: Final = 2000


def _find_command(index: RunIndex, ack: Ack, used: set[str]) -> CommandRecord | None:
    assert ack.acked_at is not None
    if not ack.coalesced:
        for c in index.by_user.get((ack.stream, ack.user_id, ack.key), []):
            if c.command_id in used:
                continue
            if ack.sent_at - CLOCK_SLACK_MS <= c.issued_at <= ack.acked_at + CLOCK_SLACK_MS:
                used.add(c.command_id)
                return c
        return None
    times = index.key_times.get((ack.stream, ack.key), [])
    at = bisect.bisect_right(times, ack.acked_at + CLOCK_SLACK_MS) - 1
    if at < 0:
        return None
    command = index.by_key[(ack.stream, ack.key)][at]
    return command if command.issued_at >= ack.sent_at - COALESCE_WINDOW_MS else None


def _delivered_at(index: RunIndex, user: int, membership: Membership, event: EventRecord) -> float | None:
    key = (user, event.stream, event.key)
    receipts = index.receipts.get(key, [])
    start = bisect.bisect_left(index.receipt_times.get(key, []), membership.joined_at)
    for r in receipts[start:]:
        if membership.left_at is not None and r.received_at > membership.left_at:
            return None
        if r.snapshot_id == event.snapshot_hash or r.produced_at >= event.produced_at:
            return r.received_at
    return None


def _note_latency(
    result: Evaluation,
    ack: Ack,
    *,
    seen: float,
    satisfied: float,
    row: FaultRow | None,
    window: FaultWindow | None,
) -> None:
    """The requester's end-to-end latency, and the recovery time of the fault it asked during."""
    assert ack.acked_at is not None
    latency_s = (satisfied - ack.sent_at) / 1000
    result.command_latencies.append((ack.sent_at, latency_s))
    if seen > ack.acked_at:  # answered by a snapshot that arrived after the ack
        result.fresh_latencies.append(latency_s)
    if row is not None and window is not None:
        row.max_e2e_s = max(row.max_e2e_s, latency_s)
        if window.kind != "baseline" and ack.sent_at <= window.lifted_at + _RECOVERY_GRACE_MS:
            recovery = max(0.0, (satisfied - window.lifted_at) / 1000)
            row.recovery_s = max(row.recovery_s or 0.0, recovery)


def check_delivery(run: RunRecord, index: RunIndex, rows: dict[str, FaultRow], result: Evaluation) -> None:
    """Check every accepted request of ``run``; count into ``rows`` (by fault window) and ``result``."""
    used: set[str] = set()
    bound_ms = run.profile.recovery_bound_s * 1000
    for ack in sorted(run.acks, key=lambda a: a.sent_at):
        if ack.user < 0:
            continue
        window = window_of(run.windows, ack.sent_at)
        row = rows[window.name] if window else None
        if not ack.accepted:
            if row is not None and ack.error:
                row.refused += 1
            continue
        assert ack.acked_at is not None
        if row is not None:
            row.accepted += 1

        def lose(stage: str, user: int, ack: Ack = ack, row: FaultRow | None = row) -> None:
            result.lost += 1
            if row is not None:
                row.lost += 1
            if len(result.losses) < MAX_DETAILS:
                result.losses.append(
                    {
                        "stage": stage,
                        "user": user,
                        "requester": ack.user,
                        "request": ack.event,
                        "stream": ack.stream,
                        "key": ack.key,
                        "coalesced": ack.coalesced,
                        "sent_at": ack.sent_at,
                        "fault": row.name if row else None,
                    }
                )

        command = _find_command(index, ack, used)
        if command is None:
            lose(
                "accepted but no command in Kafka" if not ack.coalesced else "coalesced onto no command",
                ack.user,
            )
            continue
        events = run.ledger.events_by_command.get(command.command_id)
        if not events and command.command_id in run.ledger.refused_by_command:
            result.refused_by_contract += 1  # its answer broke the contract: parked, not lost
            continue
        if not events:
            lose("command has no event", ack.user)
            continue
        event = min(events, key=lambda e: e.produced_at)
        room = room_of(ack.stream, ack.key)
        base = max(ack.acked_at, window.lifted_at if window else 0.0)
        recipients = {ack.user: index.membership_at(ack.user, room, ack.sent_at)}
        for user in index.members(room, ack.acked_at):
            recipients.setdefault(user, index.membership_at(user, room, ack.acked_at))
        for user, membership in recipients.items():
            if membership is None:
                result.abandoned += 1
                continue
            result.deliveries_checked += 1
            seen = _delivered_at(index, user, membership, event)
            if seen is None:
                # Not checkable only when the client left before the bound ran out: one still in the
                # room then has seen the promise broken, however it left later (a move, a BFF pause).
                deadline = min(run.observed_until, base + bound_ms)
                if membership.left_at is not None and membership.left_at < deadline:
                    result.abandoned += 1
                else:
                    lose("event never reached a client in the room", user)
                continue
            satisfied = max(seen, ack.acked_at)
            if satisfied > base + bound_ms and row is not None:
                row.late += 1
            if user == ack.user:
                _note_latency(result, ack, seen=seen, satisfied=satisfied, row=row, window=window)
