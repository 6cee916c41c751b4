"""Flood fairness: others' ticker p99 under 2x calm (when enough samples), flooder rate-limited, nobody cut off."""

from __future__ import annotations

import math

from flux.chaos.flood_fairness import FLOOD_MIN_SAMPLES, check_flood_fairness
from flux.chaos.invariants import evaluate

from .synthetic_run import GLOBAL, SyntheticRun, ms

# Two calm/flood cycles of 10 s each: calm 100-110, flood 110-120, calm 120-130, flood 130-140.
CALM = [(ms(100), ms(110)), (ms(120), ms(130))]
FLOOD = [(ms(110), ms(120)), (ms(130), ms(140))]
HALF = FLOOD_MIN_SAMPLES // 2


def flood_run(calm_ms: int, flood_ms: int, *, per_period: int = HALF, rate_limited: int = 25) -> SyntheticRun:
    """Others' ticker latency ``calm_ms`` in the calm periods and ``flood_ms`` in the flood periods."""
    run = SyntheticRun()
    run.window("flood", "flood", 100, lifted=140, end=150)
    for (start, _), (flood_start, _) in zip(CALM, FLOOD, strict=True):
        run.tickers(1, start / 1000, per_period, calm_ms, every_ms=5)
        run.tickers(2, flood_start / 1000, per_period, flood_ms, every_ms=5)
    run.flood = {
        "calm": CALM,
        "flood": FLOOD,
        "result": {"sent": 4000, "disconnects": 2, "outcomes": {"ok": 40, "rate_limited": rate_limited}},
    }
    return run


def test_others_latency_within_twice_calm_with_the_flooder_rate_limited_passes() -> None:
    run = flood_run(calm_ms=30, flood_ms=55)

    flood = check_flood_fairness(run.build())

    assert flood["samples"] == [FLOOD_MIN_SAMPLES, FLOOD_MIN_SAMPLES]
    assert flood["latency_judged"] is True
    assert (flood["baseline_p99_ms"], flood["flood_p99_ms"], flood["limit_ms"]) == (30.0, 55.0, 60.0)
    assert (flood["baseline_p50_ms"], flood["flood_p50_ms"]) == (30.0, 55.0)
    assert (flood["rate_limited"], flood["others_disconnected"]) == (25, 0)
    assert flood["flooder"]["sent"] == 4000
    assert flood["passed"] is True
    verdict = evaluate(run.build()).invariants[9]
    assert (verdict.name, verdict.passed) == ("flood: others' p99 < 2x calm, flooder rate-limited", True)
    assert verdict.detail == (
        "p99 calm 30.0 ms, flooding 55.0 ms (limit 60.0 ms), 25 rate_limited acks, 0 others disconnected"
    )


def test_a_flood_p99_above_twice_calm_with_enough_samples_fails() -> None:
    flood = check_flood_fairness(flood_run(calm_ms=30, flood_ms=61).build())

    assert (flood["latency_judged"], flood["flood_p99_ms"], flood["passed"]) == (True, 61.0, False)


def test_the_p99_is_the_tail_not_the_median() -> None:
    run = flood_run(calm_ms=30, flood_ms=35)
    run.tickers(3, 111, 50, 500)  # 50 of 2,050 flood samples at 500 ms: above the 1 % tail

    flood = check_flood_fairness(run.build())

    assert (flood["flood_p50_ms"], flood["flood_p99_ms"], flood["passed"]) == (35.0, 500.0, False)


def test_a_calm_p99_below_the_floor_is_raised_to_20_ms() -> None:
    flood = check_flood_fairness(flood_run(calm_ms=5, flood_ms=39).build())

    assert (flood["limit_ms"], flood["passed"]) == (40.0, True)


def test_too_few_samples_are_reported_not_judged() -> None:
    run = flood_run(calm_ms=30, flood_ms=500, per_period=HALF - 1)

    flood = check_flood_fairness(run.build())

    assert (flood["latency_judged"], flood["passed"]) == (False, True)
    assert evaluate(run.build()).invariants[9].detail == (
        "p99 calm 30.0 ms, flooding 500.0 ms (limit 60.0 ms; not judged: 1998 samples), "
        "25 rate_limited acks, 0 others disconnected"
    )


def test_a_flooder_never_rate_limited_fails() -> None:
    flood = check_flood_fairness(flood_run(calm_ms=30, flood_ms=30, rate_limited=0).build())

    assert (flood["rate_limited"], flood["passed"]) == (0, False)


def test_a_flood_that_disconnected_another_user_fails() -> None:
    run = flood_run(calm_ms=30, flood_ms=30)
    run.disconnects += [
        (ms(115), 3, "transport error"),
        (ms(141.5), 4, "ping timeout"),  # within 2 s after the flood: still its doing
        (ms(105), 5, "transport close"),  # during a calm period
        (ms(143), 6, "transport close"),  # 3 s after
    ]

    flood = check_flood_fairness(run.build())

    assert flood["others_disconnected"] == 2
    assert flood["others_disconnect_reasons"] == ["ping timeout", "transport error"]
    assert flood["passed"] is False
    assert evaluate(run.build()).invariants[9].detail.endswith("25 rate_limited acks, 2 others disconnected")


def test_only_live_ticker_messages_are_pooled() -> None:
    run = flood_run(calm_ms=30, flood_ms=30, per_period=10)
    run.receive(1, "news", GLOBAL, "old-news", produced=0, at=115)  # a snapshot: its producedAt is old

    flood = check_flood_fairness(run.build())

    assert flood["samples"] == [20, 20]
    assert flood["flood_p99_ms"] == 30.0


def test_a_flood_with_no_calm_samples_is_not_judged() -> None:
    run = flood_run(calm_ms=30, flood_ms=30, per_period=0)

    flood = check_flood_fairness(run.build())

    assert math.isnan(flood["baseline_p99_ms"])
    assert (flood["samples"], flood["latency_judged"], flood["passed"]) == ([0, 0], False, True)


def test_a_run_without_a_flood_is_not_judged() -> None:
    run = SyntheticRun()

    assert check_flood_fairness(run.build()) == {}
    verdict = evaluate(run.build()).invariants[9]
    assert (verdict.passed, verdict.detail) == (None, "not run")
