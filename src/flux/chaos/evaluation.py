"""The records every invariant shares: what a run observed (:class:`RunRecord`) and what was found in it.

The driver fills a :class:`RunRecord`; :func:`flux.chaos.invariants.evaluate`
hands it to each check and gathers an :class:`Evaluation`: one
:class:`FaultRow` per fault window (the report's table), one
:class:`InvariantResult` per promise, and the evidence behind them.

Example:
    >>> result = Evaluation(rows=[], invariants=[InvariantResult("no crash", True, "none")])
    >>> result.passed
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from flux.chaos.ledger import Ledger
from flux.chaos.observations import Ack, FaultWindow, Membership, Receipt
from flux.chaos.platform import Crash, RssSample
from flux.chaos.poison import PoisonRecord
from flux.chaos.profiles import ChaosProfile

__all__ = ["CLOCK_SLACK_MS", "MAX_DETAILS", "Evaluation", "FaultRow", "InvariantResult", "RunRecord"]

# The driver, the BFF and the services stamp times with separate clock reads on one host.
CLOCK_SLACK_MS: Final = 50
# Evidence kept per kind of broken promise; the counts stay exact beyond it.
MAX_DETAILS: Final = 40


@dataclass(slots=True)
class RunRecord:
    """Everything a run observed, handed to :func:`flux.chaos.invariants.evaluate`."""

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
    connects: list[tuple[float, int, str]] = field(default_factory=list)
    joins: list[tuple[float, int, int]] = field(default_factory=list)
    dead_letter_readers: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class FaultRow:
    """One line of the per-fault table: what happened to the requests made during one fault window."""

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
    """One promise's verdict: kept (True), broken (False) or not judged in this run (None)."""

    name: str
    passed: bool | None
    detail: str


@dataclass(slots=True)
class Evaluation:
    """The per-fault table, the verdicts and the evidence behind them."""

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
    refused_by_contract: int = 0
    contract_violations: dict[str, Any] = field(default_factory=dict)
    memory: list[dict[str, Any]] = field(default_factory=list)
    flood: dict[str, Any] = field(default_factory=dict)
    dead_letters: dict[str, Any] = field(default_factory=dict)
    connections: dict[str, Any] = field(default_factory=dict)
    registry_failover: dict[str, Any] = field(default_factory=dict)
    bff_failover: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(r.passed is not False for r in self.invariants)
