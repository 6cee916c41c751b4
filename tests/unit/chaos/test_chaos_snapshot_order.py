"""No duplicate, no stale: a client never gets the same snapshot twice in a membership, nor an older one."""

from __future__ import annotations

from flux.chaos.evaluation import Evaluation
from flux.chaos.invariants import evaluate
from flux.chaos.latency import TICKER

from .synthetic_run import GLOBAL, NEWS_ROOM, SyntheticRun

PARIS = "paris"
PARIS_ROOM = "weather.paris"


def two_windows() -> SyntheticRun:
    run = SyntheticRun()
    run.window("warm-up", "baseline", 0, end=20)
    run.window("valkey-outage", "sigkill+restart", 20, lifted=26, end=600)
    return run


def duplicates_and_stale(result: Evaluation) -> tuple[int, int]:
    outage = next(r for r in result.rows if r.name == "valkey-outage")
    return outage.duplicates, outage.stale


def test_distinct_snapshots_in_order_are_neither_duplicate_nor_stale() -> None:
    run = two_windows()
    run.member(0, NEWS_ROOM, joined=0, hydrations=((0, 0.1),))
    run.receive(0, "news", GLOBAL, "A", produced=1, at=0.05)  # the hydration answer
    run.receive(0, "news", GLOBAL, "B", produced=21, at=21.1)
    run.receive(0, "news", GLOBAL, "C", produced=22, at=22.1)

    result = evaluate(run.build())

    assert duplicates_and_stale(result) == (0, 0)
    assert (result.duplicates, result.stale) == ([], [])
    assert [(v.name, v.passed) for v in result.invariants[2:4]] == [
        ("no duplicate snapshot delivered", True),
        ("no stale snapshot delivered", True),
    ]


def test_the_snapshot_just_held_coming_again_is_a_duplicate() -> None:
    run = two_windows()
    run.member(0, NEWS_ROOM, joined=0)
    run.receive(0, "news", GLOBAL, "A", produced=21, at=21.1)
    run.receive(0, "news", GLOBAL, "A", produced=22, at=22.1)  # same id, even with a new producedAt

    result = evaluate(run.build())

    assert duplicates_and_stale(result) == (1, 0)
    assert result.duplicates == [{"user": 0, "stream": "news", "key": GLOBAL, "id": "A", "at": 22_100.0}]
    assert result.invariants[2].passed is False
    assert result.invariants[2].detail == "1 duplicates"


def test_the_same_event_again_after_another_one_is_a_duplicate() -> None:
    run = two_windows()
    run.member(0, NEWS_ROOM, joined=0)
    run.receive(0, "news", GLOBAL, "A", produced=21, at=21.1)
    run.receive(0, "news", GLOBAL, "B", produced=22, at=22.1)
    run.receive(0, "news", GLOBAL, "A", produced=21, at=23.1)  # A's very event again (and older than B)

    result = evaluate(run.build())

    assert duplicates_and_stale(result) == (1, 1)


def test_content_coming_back_with_a_new_produced_at_is_news() -> None:
    run = two_windows()
    run.member(0, NEWS_ROOM, joined=0)
    run.receive(0, "news", GLOBAL, "A", produced=21, at=21.1)
    run.receive(0, "news", GLOBAL, "B", produced=22, at=22.1)
    run.receive(0, "news", GLOBAL, "A", produced=23, at=23.1)  # A -> B -> A

    assert duplicates_and_stale(evaluate(run.build())) == (0, 0)


def test_one_repeat_is_expected_as_the_hydration_answer_of_each_join_request() -> None:
    run = two_windows()
    run.member(0, PARIS_ROOM, joined=0, hydrations=((0, 0.2), (30, 30.5)))
    run.receive(0, "weather", PARIS, "W1", produced=1, at=0.1)
    run.receive(
        0, "weather", PARIS, "W1", produced=1, at=30.52
    )  # re-request: the cache answers (slack 50 ms)

    assert duplicates_and_stale(evaluate(run.build())) == (0, 0)


def test_a_second_repeat_within_one_join_request_is_a_duplicate() -> None:
    run = two_windows()
    run.member(0, PARIS_ROOM, joined=0, hydrations=((0, 0.2), (30, 30.5)))
    run.receive(0, "weather", PARIS, "W1", produced=1, at=0.1)
    run.receive(0, "weather", PARIS, "W1", produced=1, at=30.2)
    run.receive(0, "weather", PARIS, "W1", produced=1, at=30.3)

    result = evaluate(run.build())

    assert duplicates_and_stale(result) == (1, 0)
    assert result.duplicates[0]["at"] == 30_300.0


def test_a_repeat_outside_every_join_request_is_a_duplicate() -> None:
    run = two_windows()
    run.member(0, PARIS_ROOM, joined=0, hydrations=((0, 0.2), (30, 30.5)))
    run.receive(0, "weather", PARIS, "W1", produced=1, at=0.1)
    run.receive(0, "weather", PARIS, "W1", produced=1, at=31)

    assert duplicates_and_stale(evaluate(run.build())) == (1, 0)


def test_a_new_membership_starts_afresh() -> None:
    run = two_windows()
    run.member(0, PARIS_ROOM, joined=0, left=25)
    run.member(0, PARIS_ROOM, joined=40)  # came back to Paris
    run.receive(0, "weather", PARIS, "W1", produced=21, at=21)
    run.receive(0, "weather", PARIS, "W1", produced=21, at=40.1)

    assert duplicates_and_stale(evaluate(run.build())) == (0, 0)


def test_receipts_outside_any_membership_are_not_judged_as_duplicates() -> None:
    run = two_windows()
    run.member(0, NEWS_ROOM, joined=0, left=21.5)
    run.receive(0, "news", GLOBAL, "A", produced=21, at=21.1)
    run.receive(0, "news", GLOBAL, "A", produced=21, at=22.1)  # after leaving: a late relay, not judged
    run.receive(1, "news", GLOBAL, "B", produced=21, at=21.1)  # never a member
    run.receive(1, "news", GLOBAL, "B", produced=21, at=22.1)

    assert duplicates_and_stale(evaluate(run.build())) == (0, 0)


def test_the_same_ticker_batch_twice_is_a_duplicate_in_any_membership() -> None:
    run = two_windows()
    run.member(0, "crypto.global", joined=0, left=22)
    run.member(0, "crypto.global", joined=23)
    run.receive(0, TICKER, GLOBAL, "batch-1", produced=21, at=21.01)
    run.receive(1, TICKER, GLOBAL, "batch-1", produced=21, at=21.02)  # another user: its own copy
    run.receive(0, TICKER, GLOBAL, "batch-1", produced=21, at=23.5)

    result = evaluate(run.build())

    assert duplicates_and_stale(result) == (1, 0)
    assert result.duplicates == [{"user": 0, "stream": TICKER, "id": "batch-1"}]


def test_ticker_batches_are_never_stale() -> None:
    run = two_windows()
    run.receive(0, TICKER, GLOBAL, "batch-2", produced=22, at=22.01)
    run.receive(0, TICKER, GLOBAL, "batch-1", produced=21, at=22.02)  # out of order: a live relay may

    assert duplicates_and_stale(evaluate(run.build())) == (0, 0)


def test_a_snapshot_older_than_one_already_held_for_the_key_is_stale() -> None:
    run = two_windows()
    run.member(0, PARIS_ROOM, joined=0, left=25)
    run.member(0, PARIS_ROOM, joined=40)
    run.receive(0, "weather", PARIS, "W2", produced=22, at=22.5)
    run.receive(0, "weather", "tokyo", "T1", produced=10, at=23)  # another key: not compared
    run.receive(0, "weather", PARIS, "W2b", produced=22, at=24)  # as new as the one held: fine
    run.receive(0, "weather", PARIS, "W1", produced=21, at=40.1)  # older, even in a later membership

    result = evaluate(run.build())

    assert duplicates_and_stale(result) == (0, 1)
    assert result.stale == [
        {
            "user": 0,
            "stream": "weather",
            "key": PARIS,
            "id": "W1",
            "produced_at": 21_000,
            "newest_held": 22_000,
            "at": 40_100.0,
        }
    ]
    assert result.invariants[3].passed is False
    assert result.invariants[3].detail == "1 older than one already held"


def test_receipts_outside_every_fault_window_still_count_in_the_totals() -> None:
    run = SyntheticRun()  # no windows: no rows to count them in
    run.member(0, NEWS_ROOM, joined=0)
    run.receive(0, "news", GLOBAL, "B", produced=22, at=22.1)
    run.receive(0, "news", GLOBAL, "B", produced=22, at=22.2)
    run.receive(0, "news", GLOBAL, "A", produced=21, at=22.3)

    result = evaluate(run.build())

    assert (result.invariants[2].detail, result.invariants[3].detail) == (
        "1 duplicates",
        "1 older than one already held",
    )
