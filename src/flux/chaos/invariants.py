"""The platform's promises, checked after a run from what clients received and from Kafka itself.

* **No loss**: every request the BFF accepted has its command in Kafka (or, when
  coalesced, rides on an identical command sent moments before), the command has
  its event, and every client that stayed in the room holds that event's snapshot
  or a newer one — within the recovery bound after the fault that delayed it.
* **No duplicate, no stale**: within one room membership a client never gets the
  same snapshot twice — the id it holds again, or the same event (id and
  ``producedAt``) again; the one hydration answer to each join request it makes
  is expected — never the same ticker batch twice, and never a snapshot older
  than one it already had for the same key.
* **Dead letters**: each poison record is in its topic's dead-letter topic exactly
  once with headers naming its origin and error, and nothing else is there.
* **Connections stay up** unless a fault stops the BFF (:mod:`flux.chaos.connections`).
* **Crashes and reconnection**, **memory** and **flood fairness** (see the functions).
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from flux.chaos.connections import check_connections
from flux.chaos.ledger import CommandRecord, EventRecord, Ledger
from flux.chaos.observations import Ack, FaultWindow, Membership, Receipt
from flux.chaos.platform import Crash, RssSample
from flux.chaos.poison import POISON_HEADER, PoisonRecord
from flux.chaos.profiles import ChaosProfile
from flux.chaos.raw_records import RawRecord
from flux.chaos.workload import room_of

__all__ = [
    "Evaluation",
    "FaultRow",
    "InvariantResult",
    "RunRecord",
    "evaluate",
    "live_latencies",
    "percentile",
]

TICKER: Final = "crypto:ticker"
MEMORY_GROWTH_LIMIT: Final = 0.15
FLOOD_FACTOR: Final = 2.0
# p99 below this is scheduler noise on a small machine; the 2x rule applies to at least this baseline.
FLOOD_FLOOR_MS: Final = 20.0
# A p99 resting on fewer than 20 samples above it is one scheduler hiccup; below this the latency
# ratio is reported, not judged (the quick profile; full and soak pool several thousand samples).
FLOOD_MIN_SAMPLES: Final = 2000
COALESCE_WINDOW_MS: Final = 5_000 + 1_000
CLOCK_SLACK_MS: Final = 50
_MAX_DETAILS: Final = 40
# Every Flux consumer dead-letters through flux.kafka.dead_letter, with these headers.
_ORIGIN_TOPIC: Final = ("flux.dlq.original.topic",)
_ORIGIN_OFFSET: Final = ("flux.dlq.original.offset",)
_ERROR_CLASS: Final = ("flux.dlq.error.class",)
_ERROR_MESSAGE: Final = ("flux.dlq.error.message",)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100, nearest rank) of ``values``; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


@dataclass(slots=True)
class RunRecord:
    """Everything a run observed, handed to :func:`evaluate`."""

    profile: ChaosProfile
    started_at: float
    warmup_end: float
    memory_from: float
    observed_until: float
    users: int
    windows: list[FaultWindow]
    receipts: list[Receipt]
    acks: list[Ack]
    memberships: list[Membership]
    disconnects: list[tuple[float, int, str]]
    connected_at_end: int
    ledger: Ledger
    poison: list[PoisonRecord]
    crashes: list[Crash]
    rss: list[RssSample]
    restarts: dict[str, list[float]]
    recovery: dict[str, dict[str, Any]]
    flood: dict[str, Any] | None


@dataclass(slots=True)
class FaultRow:
    name: str
    kind: str
    started_s: float
    window_s: float
    accepted: int = 0
    refused: int = 0
    lost: int = 0
    late: int = 0
    max_e2e_s: float = 0.0
    recovery_s: float | None = None
    duplicates: int = 0
    stale: int = 0
    dead_lettered: str = "-"
    crashes: int = 0
    recovered: bool = True


@dataclass(slots=True)
class InvariantResult:
    name: str
    passed: bool | None
    detail: str


@dataclass(slots=True)
class Evaluation:
    rows: list[FaultRow]
    invariants: list[InvariantResult]
    losses: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    stale: list[dict[str, Any]] = field(default_factory=list)
    command_latencies: list[tuple[float, float]] = field(default_factory=list)
    fresh_latencies: list[float] = field(default_factory=list)
    deliveries_checked: int = 0
    lost: int = 0
    abandoned: int = 0
    memory: list[dict[str, Any]] = field(default_factory=list)
    flood: dict[str, Any] = field(default_factory=dict)
    dead_letters: dict[str, Any] = field(default_factory=dict)
    connections: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(r.passed is not False for r in self.invariants)


# ------------------------------------------------------------------ indexes
class _Index:
    def __init__(self, run: RunRecord) -> None:
        self.receipts: dict[tuple[int, str, str], list[Receipt]] = defaultdict(list)
        for r in sorted(run.receipts, key=lambda r: r.received_at):
            self.receipts[(r.user, r.stream, r.key)].append(r)
        self.receipt_times = {k: [r.received_at for r in v] for k, v in self.receipts.items()}
        self.memberships: dict[tuple[int, str], list[Membership]] = defaultdict(list)
        for m in sorted(run.memberships, key=lambda m: m.joined_at):
            self.memberships[(m.user, m.room)].append(m)
        self.by_user: dict[tuple[str, str, str], list[CommandRecord]] = defaultdict(list)
        self.by_key: dict[tuple[str, str], list[CommandRecord]] = defaultdict(list)
        for c in sorted(run.ledger.commands, key=lambda c: c.issued_at):
            self.by_user[(c.stream, c.user_id, c.key)].append(c)
            self.by_key[(c.stream, c.key)].append(c)
        self.key_times = {k: [c.issued_at for c in v] for k, v in self.by_key.items()}

    def membership_at(self, user: int, room: str, moment: float) -> Membership | None:
        """The latest membership of ``room`` that started at or before ``moment`` and had not ended."""
        for m in reversed(self.memberships.get((user, room), [])):
            if m.joined_at <= moment:
                return m if m.left_at is None or m.left_at >= moment else None
        return None

    def members(self, room: str, moment: float) -> list[int]:
        users = {u for (u, r) in self.memberships if r == room}
        return sorted(u for u in users if self.membership_at(u, room, moment) is not None)


def _window_of(windows: Sequence[FaultWindow], moment: float) -> FaultWindow | None:
    for w in windows:
        if w.started_at <= moment < w.ended_at:
            return w
    return None


# --------------------------------------------------------------------- loss
def _find_command(index: _Index, ack: Ack, used: set[str]) -> CommandRecord | None:
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


def _delivered_at(index: _Index, user: int, membership: Membership, event: EventRecord) -> float | None:
    key = (user, event.stream, event.key)
    receipts = index.receipts.get(key, [])
    start = bisect.bisect_left(index.receipt_times.get(key, []), membership.joined_at)
    for r in receipts[start:]:
        if membership.left_at is not None and r.received_at > membership.left_at:
            return None
        if r.snapshot_id == event.snapshot_hash or r.produced_at >= event.produced_at:
            return r.received_at
    return None


def _check_loss(run: RunRecord, index: _Index, rows: dict[str, FaultRow], result: Evaluation) -> None:
    used: set[str] = set()
    bound_ms = run.profile.recovery_bound_s * 1000
    for ack in sorted(run.acks, key=lambda a: a.sent_at):
        if ack.user < 0:
            continue
        window = _window_of(run.windows, ack.sent_at)
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
            if len(result.losses) < _MAX_DETAILS:
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
                if membership.left_at is not None and membership.left_at < run.observed_until:
                    result.abandoned += 1
                else:
                    lose("event never reached a client in the room", user)
                continue
            satisfied = max(seen, ack.acked_at)
            if satisfied > base + bound_ms and row is not None:
                row.late += 1
            if user == ack.user:
                latency_s = (satisfied - ack.sent_at) / 1000
                result.command_latencies.append((ack.sent_at, latency_s))
                if seen > ack.acked_at:  # answered by a snapshot that arrived after the ack
                    result.fresh_latencies.append(latency_s)
                if row is not None and window is not None:
                    row.max_e2e_s = max(row.max_e2e_s, latency_s)
                    if window.kind != "baseline" and ack.sent_at <= window.lifted_at + 2000:
                        recovery = max(0.0, (satisfied - window.lifted_at) / 1000)
                        row.recovery_s = max(row.recovery_s or 0.0, recovery)


# ------------------------------------------------------- duplicates, stale
def _check_order(
    run: RunRecord, index: _Index, rows: dict[str, FaultRow], result: Evaluation
) -> tuple[int, int]:
    duplicates = stale = 0
    tickers: dict[int, set[str]] = defaultdict(set)
    newest: dict[tuple[int, str, str], int] = {}
    seen: dict[int, set[tuple[str, int]]] = defaultdict(set)
    last_id: dict[int, str] = {}
    used_hydrations: set[tuple[int, int]] = set()
    for r in sorted(run.receipts, key=lambda r: r.received_at):
        window = _window_of(run.windows, r.received_at)
        row = rows[window.name] if window else None
        if r.stream == TICKER:
            if r.snapshot_id in tickers[r.user]:
                duplicates += 1
                if row is not None:
                    row.duplicates += 1
                if len(result.duplicates) < _MAX_DETAILS:
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
                if len(result.duplicates) < _MAX_DETAILS:
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
            if len(result.stale) < _MAX_DETAILS:
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


def _hydration_repeat(membership: Membership, moment: float, used: set[tuple[int, int]]) -> bool:
    """Whether a repeat at ``moment`` is the one hydration answer of a join request made then."""
    for i, (sent, acked) in enumerate(membership.hydrations):
        if sent <= moment <= acked + CLOCK_SLACK_MS and (id(membership), i) not in used:
            used.add((id(membership), i))
            return True
    return False


def live_latencies(receipts: Iterable[Receipt], start: float = 0.0, end: float = math.inf) -> list[float]:
    """Message latency (receive time - producedAt, ms) of the ticker stream, which is relayed live.

    Snapshots are left out: a hydration legitimately carries an old ``producedAt``.
    """
    return [
        r.received_at - r.produced_at for r in receipts if r.stream == TICKER and start <= r.received_at < end
    ]


# ------------------------------------------------------------ dead letters
def _check_dead_letters(
    poison: Sequence[PoisonRecord], dead_letters: dict[str, list[RawRecord]]
) -> dict[str, Any]:
    by_marker: dict[str, list[RawRecord]] = defaultdict(list)
    unexpected: list[str] = []
    expected_markers = {p.marker: p for p in poison}
    for topic, records in dead_letters.items():
        for record in records:
            marker = record.header(POISON_HEADER)
            origin = expected_markers.get(marker or "")
            if origin is None or origin.dead_letter_topic != topic:
                unexpected.append(
                    f"{topic}@{record.offset}: {record.header(*_ERROR_CLASS)} from "
                    f"{record.header(*_ORIGIN_TOPIC)}@{record.header(*_ORIGIN_OFFSET)}"
                )
                continue
            by_marker[marker or ""].append(record)
    missing, duplicated, bad_headers = [], [], []
    missing_markers: set[str] = set()
    for p in poison:
        found = by_marker.get(p.marker, [])
        if not found:
            missing.append(f"{p.kind} in {p.topic}@{p.offset}")
            missing_markers.add(p.marker)
            continue
        if len(found) > 1:
            duplicated.append(f"{p.kind} in {p.topic}@{p.offset} x{len(found)}")
        record = found[0]
        if (
            record.header(*_ORIGIN_TOPIC) != p.topic
            or record.header(*_ORIGIN_OFFSET) != str(p.offset)
            or not record.header(*_ERROR_CLASS)
            or record.header(*_ERROR_MESSAGE) is None
            or record.value != p.value
        ):
            bad_headers.append(f"{p.kind} in {p.topic}@{p.offset}")
    return {
        "written": len(poison),
        "dead_lettered": len(poison) - len(missing),
        "missing": missing,
        "missing_markers": sorted(missing_markers),
        "duplicated": duplicated,
        "bad_headers": bad_headers,
        "unexpected": unexpected[:_MAX_DETAILS],
        "unexpected_total": len(unexpected),
        "by_error": _error_classes(by_marker.values()),
    }


def _error_classes(groups: Iterable[list[RawRecord]]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for group in groups:
        for record in group[:1]:
            counts[record.header(*_ERROR_CLASS) or "?"] += 1
    return dict(counts)


# ------------------------------------------------------------------ memory
def _check_memory(run: RunRecord) -> list[dict[str, Any]]:
    out = []
    by_component: dict[str, list[RssSample]] = defaultdict(list)
    for sample in run.rss:
        by_component[sample.component].append(sample)
    for name, samples in sorted(by_component.items()):
        final = samples[-1]
        settle_after = run.memory_from
        for restarted in run.restarts.get(name, []):
            settle_after = max(settle_after, restarted + run.profile.warmup_s * 1000)
        baseline = next((s for s in samples if s.at >= settle_after and s.pid == final.pid), None)
        entry: dict[str, Any] = {"component": name, "final_mib": round(final.rss_kib / 1024, 1)}
        if baseline is None:
            entry.update({"checked": False, "reason": "no sample after the memory baseline time"})
            out.append(entry)
            continue
        growth = final.rss_kib / baseline.rss_kib - 1
        span_s = (final.at - baseline.at) / 1000
        checked = span_s >= run.profile.memory_span_s
        entry.update(
            {
                "checked": checked,
                "baseline_mib": round(baseline.rss_kib / 1024, 1),
                "span_s": round(span_s),
                "growth_pct": round(growth * 100, 1),
                "passed": growth <= MEMORY_GROWTH_LIMIT if checked else None,
            }
        )
        out.append(entry)
    return out


# ------------------------------------------------------------------- flood
def _check_flood(run: RunRecord) -> dict[str, Any]:
    """Others' ticker p99 pooled over the flood periods vs pooled over the calm periods between them."""
    flood = run.flood
    if not flood:
        return {}

    def pooled(periods: Iterable[Sequence[float]]) -> list[float]:
        out: list[float] = []
        for start, end in periods:
            out += live_latencies(run.receipts, start, end)
        return out

    calm, during = pooled(flood["calm"]), pooled(flood["flood"])
    base, loaded = percentile(calm, 99), percentile(during, 99)
    limit = FLOOD_FACTOR * max(base, FLOOD_FLOOR_MS)
    outcomes = flood.get("result", {}).get("outcomes", {})
    others_dropped = [
        d for d in run.disconnects if any(start <= d[0] <= end + 2000 for start, end in flood["flood"])
    ]
    judged = min(len(calm), len(during)) >= FLOOD_MIN_SAMPLES
    fair = loaded < limit or not judged
    return {
        "latency_judged": judged,
        "baseline_p99_ms": round(base, 1),
        "flood_p99_ms": round(loaded, 1),
        "baseline_p50_ms": round(percentile(calm, 50), 1),
        "flood_p50_ms": round(percentile(during, 50), 1),
        "samples": [len(calm), len(during)],
        "limit_ms": round(limit, 1),
        "rate_limited": int(outcomes.get("rate_limited", 0)),
        "flooder": flood.get("result", {}),
        "others_disconnected": len(others_dropped),
        "others_disconnect_reasons": sorted({d[2] for d in others_dropped}),
        "passed": bool(fair and outcomes.get("rate_limited", 0) > 0 and not others_dropped),
    }


# ------------------------------------------------------------------- entry
def evaluate(run: RunRecord) -> Evaluation:
    """Check every invariant; return the per-fault table and the verdicts."""
    index = _Index(run)
    rows = {
        w.name: FaultRow(
            name=w.name,
            kind=w.kind,
            started_s=round((w.started_at - run.started_at) / 1000, 1),
            window_s=round(((w.ended_at if w.kind == "baseline" else w.lifted_at) - w.started_at) / 1000, 1),
        )
        for w in run.windows
    }
    result = Evaluation(rows=list(rows.values()), invariants=[])
    _check_loss(run, index, rows, result)
    lost = result.lost
    late = sum(r.late for r in rows.values())
    duplicates, stale = _check_order(run, index, rows, result)
    dead = _check_dead_letters(run.poison, run.ledger.dead_letters)
    result.dead_letters = dead
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
    result.memory = _check_memory(run)
    result.flood = _check_flood(run)
    accepted = sum(1 for a in run.acks if a.accepted and a.user >= 0)
    inv = result.invariants
    inv.append(
        InvariantResult(
            "no accepted command lost",
            lost == 0 and accepted > 0,
            f"{accepted} accepted requests, {result.deliveries_checked} room deliveries checked, {lost} lost "
            f"({result.abandoned} not checkable: the client left the room first)",
        )
    )
    inv.append(
        InvariantResult(
            f"delivered within {run.profile.recovery_bound_s:.0f}s of recovery",
            late == 0,
            f"{late} deliveries later than the bound",
        )
    )
    inv.append(
        InvariantResult("no duplicate snapshot delivered", duplicates == 0, f"{duplicates} duplicates")
    )
    inv.append(
        InvariantResult("no stale snapshot delivered", stale == 0, f"{stale} older than one already held")
    )
    dlq_ok = (
        dead["written"] > 0
        and not dead["missing"]
        and not dead["duplicated"]
        and not dead["bad_headers"]
        and dead["unexpected_total"] == 0
    )
    inv.append(
        InvariantResult(
            "every poison record in its DLQ, nothing else",
            dlq_ok if dead["written"] else None,
            f"{dead['dead_lettered']}/{dead['written']} dead-lettered, {len(dead['duplicated'])} duplicated, "
            f"{len(dead['bad_headers'])} with bad headers, {dead['unexpected_total']} unexpected",
        )
    )
    inv.append(
        InvariantResult(
            "no unexpected crash",
            not run.crashes,
            ", ".join(f"{c.component} (exit {c.exit_code})" for c in run.crashes) or "none",
        )
    )
    unrecovered = [name for name, check in run.recovery.items() if not check.get("recovered", True)]
    inv.append(
        InvariantResult(
            "everything recovers and reconnects by itself",
            not unrecovered and run.connected_at_end == run.users,
            f"{run.connected_at_end}/{run.users} clients connected at the end; "
            f"not recovered after: {', '.join(unrecovered) or 'none'}",
        )
    )
    connections = result.connections = check_connections(run.windows, run.disconnects)
    inv.append(
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
        )
    )
    checked = [m for m in result.memory if m.get("checked")]
    inv.append(
        InvariantResult(
            "RSS at the end within 15% of the steady-load baseline",
            all(m["passed"] for m in checked) if checked else None,
            "; ".join(f"{m['component']} {m['growth_pct']:+.1f}%" for m in checked)
            or f"not checked (needs {run.profile.memory_span_s:.0f}s of steady load)",
        )
    )
    flood = result.flood
    inv.append(
        InvariantResult(
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
    )
    if run.ledger.undecodable:
        inv.append(
            InvariantResult(
                "every non-poison record decodes",
                False,
                f"{len(run.ledger.undecodable)} undecodable: {run.ledger.undecodable[:3]}",
            )
        )
    return result
