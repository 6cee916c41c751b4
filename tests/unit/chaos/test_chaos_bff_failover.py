"""``bff-instance-kill`` judged from what users saw: its victims back elsewhere, hydrated, in time."""

from __future__ import annotations

from flux.chaos.bff_failover import FAULT_NAME, bff_verdict, check_bff_failover
from flux.chaos.connections import check_connections
from flux.chaos.observations import FaultWindow

KILLED_AT = 10_000.0


def kill_window(victims: list[int], instance: str = "bff-1") -> FaultWindow:
    w = FaultWindow(
        FAULT_NAME, "sigkill instance+restart", KILLED_AT - 5, KILLED_AT + 8000, KILLED_AT + 15000
    )
    w.detail.update(instance=instance, victims=victims, killed_at=KILLED_AT)
    return w


def judge(
    windows: list[FaultWindow], connects: list[tuple[float, int, str]], joins: list[tuple[float, int, int]]
) -> bool | None:
    return bff_verdict(check_bff_failover(windows, connects, joins)).passed


BEFORE = [(1000.0, 0, "bff-1"), (1000.0, 1, "bff-1"), (1000.0, 2, "bff-2")]


def test_victims_back_on_the_survivor_and_hydrated_in_time_pass() -> None:
    connects = [*BEFORE, (KILLED_AT + 900, 0, "bff-2"), (KILLED_AT + 1200, 1, "bff-2")]
    joins = [(1100.0, 0, 4), (KILLED_AT + 1000, 0, 4), (KILLED_AT + 1400, 1, 3)]
    audit = check_bff_failover([kill_window([0, 1])], connects, joins)
    assert audit["faults"][0]["victims"] == 2
    assert audit["faults"][0]["max_reconnect_s"] == 1.2
    assert audit["faults"][0]["max_hydrated_s"] == 1.4
    assert bff_verdict(audit).passed is True


def test_a_victim_that_never_came_back_fails() -> None:
    connects = [*BEFORE, (KILLED_AT + 900, 0, "bff-2")]
    joins = [(KILLED_AT + 1000, 0, 4)]
    assert judge([kill_window([0, 1])], connects, joins) is False


def test_a_victim_back_too_late_fails() -> None:
    connects = [*BEFORE, (KILLED_AT + 900, 0, "bff-2"), (KILLED_AT + 12_000, 1, "bff-2")]
    joins = [(KILLED_AT + 1000, 0, 4), (KILLED_AT + 12_100, 1, 4)]
    assert judge([kill_window([0, 1])], connects, joins) is False


def test_a_victim_rejoined_without_any_hydration_fails() -> None:
    connects = [*BEFORE, (KILLED_AT + 900, 0, "bff-2")]
    joins = [(KILLED_AT + 1000, 0, 0)]  # its subscribe acks listed nothing sent from the cache
    assert judge([kill_window([0])], connects, joins) is False


def test_a_victim_that_reached_the_killed_instance_again_fails() -> None:
    connects = [*BEFORE, (KILLED_AT + 900, 0, "bff-1")]  # the balancer sent it to a dead instance?
    joins = [(KILLED_AT + 1000, 0, 4)]
    assert judge([kill_window([0])], connects, joins) is False


def test_not_judged_without_the_fault_and_broken_when_it_checked_nobody() -> None:
    assert judge([], BEFORE, []) is None
    skipped = FaultWindow(FAULT_NAME, "sigkill instance+restart", 1.0, 2.0, 3.0)
    skipped.detail.update(instance="bff-1", victims=[], skipped="no instance held a user")
    assert judge([skipped], BEFORE, []) is False
    assert judge([FaultWindow(FAULT_NAME, "sigkill instance+restart", 1.0, 2.0, 3.0)], BEFORE, []) is False


def test_the_kill_explains_only_its_victims_disconnects() -> None:
    window = kill_window([0, 1])
    disconnects = [(KILLED_AT + 10, 0, "transport close"), (KILLED_AT + 10, 2, "transport close")]
    found = check_connections([window], disconnects)
    assert found["unexpected"] == 1
    assert found["first"][0]["user"] == 2
