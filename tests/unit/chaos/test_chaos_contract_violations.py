"""Data contracts under fault: each injected violation is parked, none reaches its topic or a client,
and a request answered by a refusal counts as accounted for, not lost."""

from __future__ import annotations

from flux.chaos.contract_violations import FAULT_NAME, SERVED_DETAIL
from flux.chaos.evaluation import Evaluation, InvariantResult
from flux.chaos.invariants import evaluate

from .synthetic_run import SyntheticRun

NAME = "every contract violation is dead-lettered, none reached a client"
ROOM = "weather.zurich"


def verdict(result: Evaluation) -> InvariantResult:
    return next(i for i in result.invariants if i.name == NAME)


def violation_run(served: int = 2) -> SyntheticRun:
    run = SyntheticRun()
    run.window("warm-up", "baseline", 0, end=20)
    run.window(FAULT_NAME, "upstream fault", 20, lifted=40, end=60, **{SERVED_DETAIL: served})
    run.window("drain", "baseline", 60, end=600)
    run.member(0, ROOM, joined=0)
    return run


def refused_request(run: SyntheticRun, sent: float, snapshot: str, mode: str = "WRITE") -> None:
    run.request(0, "weather", "zurich", sent, sent + 0.2)
    command = run.command(0, "weather", "zurich", sent + 0.1)
    run.refuse(command, sent + 0.5, snapshot, mode=mode)


def test_every_served_violation_parked_and_none_delivered_passes_and_nothing_is_lost() -> None:
    run = violation_run(served=2)
    refused_request(run, 22, "hot-1")
    refused_request(run, 30, "hot-2")
    result = evaluate(run.build())
    assert verdict(result).passed is True
    assert result.lost == 0
    assert result.refused_by_contract == 2
    assert result.contract_violations["by_rule"] == {"temperatureInRange": 2}


def test_a_served_violation_with_no_refusal_fails() -> None:
    run = violation_run(served=3)
    refused_request(run, 22, "hot-1")
    refused_request(run, 30, "hot-2")
    assert verdict(evaluate(run.build())).passed is False


def test_a_refused_event_that_reached_a_client_fails() -> None:
    run = violation_run(served=1)
    refused_request(run, 22, "hot-1")
    run.receive(0, "weather", "zurich", "hot-1", produced=22.5, at=23)
    result = evaluate(run.build())
    assert verdict(result).passed is False
    assert result.contract_violations["reached_clients"] == 1


def test_a_refused_event_that_is_also_on_its_topic_fails() -> None:
    run = violation_run(served=1)
    refused_request(run, 22, "hot-1")
    other = run.command(1, "weather", "zurich", 25)
    run.event(other, 25.5, "hot-1")
    assert verdict(evaluate(run.build())).passed is False


def test_a_violation_only_the_bff_caught_on_read_fails() -> None:
    run = violation_run(served=1)
    refused_request(run, 22, "hot-1", mode="READ")
    assert verdict(evaluate(run.build())).passed is False


def test_not_judged_when_the_fault_served_nothing() -> None:
    assert verdict(evaluate(violation_run(served=0).build())).passed is None
    run = SyntheticRun()
    run.window("warm-up", "baseline", 0, end=600)
    result = verdict(evaluate(run.build()))
    assert result.passed is None and "did not run" in result.detail


def test_without_a_refusal_a_command_with_no_event_is_still_a_loss() -> None:
    run = violation_run(served=0)
    run.request(0, "weather", "zurich", 22, 22.2)
    run.command(0, "weather", "zurich", 22.1)
    result = evaluate(run.build())
    assert result.lost == 1 and result.refused_by_contract == 0
