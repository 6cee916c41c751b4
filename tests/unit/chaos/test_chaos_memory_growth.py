"""Memory: each process's RSS at the end within 15 % of its steady-load baseline, judged over a long span."""

from __future__ import annotations

from flux.chaos.invariants import evaluate
from flux.chaos.memory_growth import check_memory

from .synthetic_run import SyntheticRun, ms


def steady(run: SyntheticRun, component: str, first_mib: float, last_mib: float, *, pid: int = 100) -> None:
    """Samples every minute from 0 to 15 min, from ``first_mib`` (at the 1-min baseline) to ``last_mib``."""
    run.sample(component, 0, first_mib / 2, pid)  # start-up, before the baseline time
    for minute in range(1, 15):
        run.sample(component, minute * 60, first_mib, pid)
    run.sample(component, 15 * 60, last_mib, pid)


def soak() -> SyntheticRun:
    run = SyntheticRun()
    run.memory_from = ms(60)  # baseline at 1 min; final at 15 min: a 840 s span (600 s needed)
    return run


def test_growth_within_15_percent_passes() -> None:
    run = soak()
    steady(run, "bff", 100, 110)
    steady(run, "kafka", 500, 500 * 1.15)  # exactly the limit

    assert check_memory(run.build()) == [
        {
            "component": "bff",
            "final_mib": 110.0,
            "checked": True,
            "baseline_mib": 100.0,
            "span_s": 840,
            "growth_pct": 10.0,
            "passed": True,
        },
        {
            "component": "kafka",
            "final_mib": 575.0,
            "checked": True,
            "baseline_mib": 500.0,
            "span_s": 840,
            "growth_pct": 15.0,
            "passed": True,
        },
    ]
    verdict = evaluate(run.build()).invariants[8]
    assert (verdict.name, verdict.passed) == ("RSS at the end within 15% of the steady-load baseline", True)
    assert verdict.detail == "bff +10.0%; kafka +15.0%"


def test_growth_above_15_percent_fails() -> None:
    run = soak()
    steady(run, "bff", 100, 100)
    steady(run, "news", 100, 116)

    memory = {entry["component"]: entry for entry in check_memory(run.build())}

    assert memory["news"]["passed"] is False
    assert memory["news"]["growth_pct"] == 16.0
    assert memory["bff"]["passed"] is True
    verdict = evaluate(run.build()).invariants[8]
    assert verdict.passed is False
    assert verdict.detail == "bff +0.0%; news +16.0%"


def test_a_short_run_reports_growth_without_judging_it() -> None:
    run = SyntheticRun()
    run.memory_from = ms(60)
    run.sample("bff", 60, 100)
    run.sample("bff", 300, 150)  # +50 % but over 240 s only

    [entry] = check_memory(run.build())

    assert (entry["checked"], entry["passed"], entry["growth_pct"], entry["span_s"]) == (
        False,
        None,
        50.0,
        240,
    )
    verdict = evaluate(run.build()).invariants[8]
    assert verdict.passed is None
    assert verdict.detail == "not checked (needs 600s of steady load)"


def test_a_restarted_process_is_measured_from_its_new_pid_after_a_warm_up() -> None:
    run = soak()
    run.sample("kafka", 60, 400, pid=1)
    run.sample("kafka", 100, 900, pid=1)  # the old process, killed at 120 s
    run.restarts["kafka"] = [ms(125)]
    run.sample("kafka", 130, 200, pid=2)  # still starting (warm-up is 10 s)
    run.sample("kafka", 140, 500, pid=2)
    run.sample("kafka", 900, 540, pid=2)

    [entry] = check_memory(run.build())

    assert (entry["baseline_mib"], entry["span_s"], entry["growth_pct"], entry["passed"]) == (
        500.0,
        760,
        8.0,
        True,
    )


def test_the_baseline_is_taken_from_the_process_that_gave_the_final_sample() -> None:
    run = soak()
    run.sample("news", 60, 100, pid=1)
    run.sample("news", 200, 100, pid=1)  # crashed and restarted by the watcher (no recorded restart)
    run.sample("news", 250, 60, pid=2)
    run.sample("news", 900, 66, pid=2)

    [entry] = check_memory(run.build())

    assert (entry["baseline_mib"], entry["growth_pct"], entry["span_s"], entry["checked"]) == (
        60.0,
        10.0,
        650,
        True,
    )


def test_a_component_without_a_sample_after_the_baseline_time_is_not_checked() -> None:
    run = SyntheticRun()
    run.memory_from = ms(1000)
    run.sample("valkey", 60, 10)
    run.sample("valkey", 900, 50)

    assert check_memory(run.build()) == [
        {
            "component": "valkey",
            "final_mib": 50.0,
            "checked": False,
            "reason": "no sample after the memory baseline time",
        }
    ]
