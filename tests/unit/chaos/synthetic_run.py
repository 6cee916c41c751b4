"""Small synthetic chaos runs for the invariant tests: windows, requests, Kafka's ledger, receipts, samples.

Times are epoch milliseconds, as in a real run; the helpers take seconds from
the start of the run (``at=12.5``) so a test reads like a timeline.

Example:
    >>> run = SyntheticRun()
    >>> _ = run.window("kafka-kill", "sigkill+restart", 10, lifted=14, end=30)
    >>> _ = run.member(0, NEWS_ROOM, joined=0)
    >>> _ = run.refresh(user=0, sent=12, acked=12.1, produced=15, received=15.2)
    >>> evaluate(run.build()).rows[0].recovery_s
    1.2
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flux.chaos.evaluation import RunRecord
from flux.chaos.latency import TICKER
from flux.chaos.ledger import CommandRecord, EventRecord, Ledger, RefusedRecord
from flux.chaos.observations import Ack, FaultWindow, Membership, Receipt
from flux.chaos.platform import Crash, RssSample
from flux.chaos.poison import POISON_HEADER, PoisonRecord
from flux.chaos.profiles import PROFILES, ChaosProfile
from flux.chaos.raw_records import RawRecord

__all__ = ["GLOBAL", "NEWS_ROOM", "PROFILE", "SyntheticRun", "dead_letter", "ms", "poison_record"]

GLOBAL = "global"
NEWS_ROOM = "news.global"
# The quick profile with a round recovery bound and a memory span a synthetic run can reach.
PROFILE: ChaosProfile = dataclasses.replace(
    PROFILES["quick"], recovery_bound_s=60.0, warmup_s=10.0, memory_span_s=600.0
)


def ms(seconds: float) -> float:
    """Seconds from the start of the run -> epoch ms."""
    return seconds * 1000.0


def poison_record(
    tag: str, kind: str, offset: int, topic: str = "flux.news.refresh", dlq: str | None = None
) -> PoisonRecord:
    return PoisonRecord(
        topic=topic,
        partition=0,
        offset=offset,
        kind=kind,
        marker=f"{tag}:{kind}:{offset:012x}",
        dead_letter_topic=dlq or f"{topic}.dlq",
        value=f"poison-{kind}-{offset}".encode(),
    )


def dead_letter(
    poison: PoisonRecord | None,
    offset: int,
    *,
    topic: str | None = None,
    headers: dict[str, str | None] | None = None,
    value: bytes | None = None,
) -> RawRecord:
    """The dead letter a Flux consumer writes for ``poison`` (``headers`` override or, as None, drop)."""
    base: dict[str, str | None] = {}
    if poison is not None:
        base = {
            POISON_HEADER: poison.marker,
            "flux.dlq.original.topic": poison.topic,
            "flux.dlq.original.offset": str(poison.offset),
            "flux.dlq.error.class": "SerdeError",
            "flux.dlq.error.message": f"cannot decode {poison.kind}",
        }
    base.update(headers or {})
    return RawRecord(
        topic=topic or (poison.dead_letter_topic if poison else "flux.news.refresh.dlq"),
        partition=0,
        offset=offset,
        timestamp_ms=0,
        key=b"chaos-poison",
        value=value if value is not None else (poison.value if poison else b"?"),
        headers={k: v.encode() for k, v in base.items() if v is not None},
    )


class SyntheticRun:
    """Builds a :class:`RunRecord` step by step (see module docs)."""

    def __init__(self, profile: ChaosProfile = PROFILE, users: int = 4) -> None:
        self.profile = profile
        self.users = users
        self.windows: list[FaultWindow] = []
        self.receipts: list[Receipt] = []
        self.acks: list[Ack] = []
        self.memberships: list[Membership] = []
        self.disconnects: list[tuple[float, int, str]] = []
        self.ledger = Ledger()
        self.poison: list[PoisonRecord] = []
        self.crashes: list[Crash] = []
        self.rss: list[RssSample] = []
        self.restarts: dict[str, list[float]] = {}
        self.recovery: dict[str, dict[str, Any]] = {}
        self.flood: dict[str, Any] | None = None
        self.connected_at_end = users
        self.observed_until = ms(600)
        self.memory_from = ms(0)
        self._ids = 0

    # ------------------------------------------------------------ timeline
    def window(
        self, name: str, kind: str, start: float, *, lifted: float | None = None, end: float, **detail: Any
    ) -> FaultWindow:
        w = FaultWindow(
            name, kind, ms(start), ms(start if lifted is None else lifted), ms(end), detail=dict(detail)
        )
        self.windows.append(w)
        return w

    def member(
        self,
        user: int,
        room: str,
        joined: float,
        left: float | None = None,
        hydrations: tuple[tuple[float, float], ...] = (),
    ) -> Membership:
        m = Membership(
            user,
            room,
            ms(joined),
            None if left is None else ms(left),
            [(ms(s), ms(a)) for s, a in hydrations],
        )
        self.memberships.append(m)
        return m

    def receive(self, user: int, stream: str, key: str, snapshot: str, produced: float, at: float) -> Receipt:
        r = Receipt(user, stream, key, snapshot, int(ms(produced)), ms(at))
        self.receipts.append(r)
        return r

    def request(
        self,
        user: int,
        stream: str,
        key: str,
        sent: float,
        acked: float | None,
        *,
        ok: bool = True,
        coalesced: bool = False,
        error: str = "",
    ) -> Ack:
        event = "locationUpdate" if stream == "weather" else "refresh"
        a = Ack(
            user,
            f"user-{user}",
            event,
            stream,
            key,
            ms(sent),
            None if acked is None else ms(acked),
            ok,
            coalesced,
            error,
        )
        self.acks.append(a)
        return a

    def command(self, user: int, stream: str, key: str, issued: float) -> CommandRecord:
        self._ids += 1
        c = CommandRecord(stream, f"user-{user}", key, int(ms(issued)), f"cmd-{self._ids}", self._ids)
        self.ledger.commands.append(c)
        return c

    def event(self, command: CommandRecord, produced: float, snapshot: str) -> EventRecord:
        e = EventRecord(command.stream, command.key, int(ms(produced)), snapshot, command.command_id)
        self.ledger.events_by_command[command.command_id].append(e)
        self.ledger.events += 1
        self.ledger.snapshot_hashes.add(snapshot)
        return e

    def refuse(
        self,
        command: CommandRecord,
        produced: float,
        snapshot: str,
        rule: str = "temperatureInRange",
        mode: str = "WRITE",
    ) -> RefusedRecord:
        """The event answering ``command`` was refused by its data contract and dead-lettered."""
        e = EventRecord(command.stream, command.key, int(ms(produced)), snapshot, command.command_id)
        refused = RefusedRecord(e, rule, mode, "weather.service.event.updated.dlq")
        self.ledger.refused.append(refused)
        self.ledger.refused_by_command[command.command_id].append(refused)
        return refused

    def refresh(
        self,
        user: int,
        sent: float,
        acked: float,
        produced: float,
        received: float | None,
        *,
        stream: str = "news",
        snapshot: str | None = None,
    ) -> Ack:
        """One healthy refresh end to end: ack, command, event and (unless None) the requester's receipt."""
        ack = self.request(user, stream, GLOBAL, sent, acked)
        command = self.command(user, stream, GLOBAL, (sent + acked) / 2)
        snapshot = snapshot or f"{stream}-{command.command_id}"
        self.event(command, produced, snapshot)
        if received is not None:
            self.receive(user, stream, GLOBAL, snapshot, produced, received)
        return ack

    def tickers(self, user: int, start: float, count: int, latency_ms: int, every_ms: int = 1) -> None:
        """``count`` live ticker batches for ``user`` from ``start``, each ``latency_ms`` after its producedAt."""
        first = int(ms(start))
        for i in range(count):
            at = first + i * every_ms
            self.receipts.append(
                Receipt(user, TICKER, GLOBAL, f"tick-{user}-{at}", at - latency_ms, float(at))
            )

    def sample(self, component: str, at: float, rss_mib: float, pid: int = 100) -> None:
        self.rss.append(RssSample(ms(at), component, pid, int(rss_mib * 1024)))

    def build(self) -> RunRecord:
        return RunRecord(
            profile=self.profile,
            started_at=0.0,
            warmup_end=ms(10),
            memory_from=self.memory_from,
            observed_until=self.observed_until,
            users=self.users,
            windows=self.windows,
            receipts=self.receipts,
            acks=self.acks,
            memberships=self.memberships,
            disconnects=self.disconnects,
            connected_at_end=self.connected_at_end,
            ledger=self.ledger,
            poison=self.poison,
            crashes=self.crashes,
            rss=self.rss,
            restarts=self.restarts,
            recovery=self.recovery,
            flood=self.flood,
        )
