"""Look-ups over one run for the delivery checks: receipts, room memberships and commands by key and time.

Example:
    >>> index = RunIndex(run)  # doctest: +SKIP
    >>> index.members("weather.paris", moment)  # doctest: +SKIP
    [0, 3]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from flux.chaos.evaluation import RunRecord
from flux.chaos.ledger import CommandRecord
from flux.chaos.observations import FaultWindow, Membership, Receipt

__all__ = ["RunIndex", "window_of"]


class RunIndex:
    """A run's receipts, memberships and commands, sorted by time and grouped the way the checks ask."""

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
        """The users in ``room`` at ``moment``, in index order."""
        users = {u for (u, r) in self.memberships if r == room}
        return sorted(u for u in users if self.membership_at(u, room, moment) is not None)


def window_of(windows: Sequence[FaultWindow], moment: float) -> FaultWindow | None:
    """The fault window ``moment`` falls in (from its start, up to its end), if any."""
    for w in windows:
        if w.started_at <= moment < w.ended_at:
            return w
    return None
