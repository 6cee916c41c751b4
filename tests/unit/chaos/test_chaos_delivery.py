"""No loss, in time: every accepted request reaches every client in its room within the recovery bound."""

from __future__ import annotations

import pytest

from flux.chaos.evaluation import Evaluation, FaultRow
from flux.chaos.invariants import evaluate

from .synthetic_run import GLOBAL, NEWS_ROOM, SyntheticRun

# Fault lifted at 30 s: a request accepted during it must reach its room by 30 + 60 = 90 s.
DEADLINE_S = 90.0


def faulty_run() -> SyntheticRun:
    """A warm-up, a broker kill (20-50 s, lifted at 30 s) and a drain; users 0 and 1 in the news room."""
    run = SyntheticRun()
    run.window("warm-up", "baseline", 0, end=20)
    run.window("kafka-kill", "sigkill+restart", 20, lifted=30, end=50)
    run.window("drain", "baseline", 50, end=600)
    run.member(0, NEWS_ROOM, joined=0)
    run.member(1, NEWS_ROOM, joined=0)
    return run


def row(result: Evaluation, name: str) -> FaultRow:
    return next(r for r in result.rows if r.name == name)


def test_a_request_answered_in_every_member_s_client_is_delivered_with_its_latency_and_recovery() -> None:
    run = faulty_run()
    run.refresh(user=0, sent=22, acked=22.5, produced=31, received=31.2, snapshot="news-A")
    run.receive(1, "news", GLOBAL, "news-A", produced=31, at=31.4)

    result = evaluate(run.build())

    assert (result.lost, result.deliveries_checked, result.abandoned) == (0, 2, 0)
    assert result.losses == []
    kill = row(result, "kafka-kill")
    assert (kill.accepted, kill.lost, kill.late) == (1, 0, 0)
    assert kill.max_e2e_s == pytest.approx(9.2)
    assert kill.recovery_s == pytest.approx(1.2)  # answered 1.2 s after the broker was back
    [(sent_at, latency_s)] = result.command_latencies
    assert sent_at == 22_000.0
    assert latency_s == pytest.approx(9.2)
    assert result.fresh_latencies == pytest.approx([9.2])
    assert result.invariants[0].passed is True


def test_a_request_with_no_command_in_kafka_is_lost_with_its_evidence() -> None:
    run = faulty_run()
    run.request(0, "news", GLOBAL, sent=25, acked=25.1)

    result = evaluate(run.build())

    assert result.lost == 1
    assert row(result, "kafka-kill").lost == 1
    assert result.losses == [
        {
            "stage": "accepted but no command in Kafka",
            "user": 0,
            "requester": 0,
            "request": "refresh",
            "stream": "news",
            "key": GLOBAL,
            "coalesced": False,
            "sent_at": 25_000.0,
            "fault": "kafka-kill",
        }
    ]
    assert result.invariants[0].passed is False
    assert result.invariants[0].detail.startswith("1 accepted requests, 0 room deliveries checked, 1 lost")


def test_a_command_of_another_user_or_outside_the_request_s_span_does_not_count() -> None:
    run = faulty_run()
    run.request(0, "news", GLOBAL, sent=25, acked=25.1)
    run.command(1, "news", GLOBAL, issued=25.05)  # someone else's
    run.command(0, "news", GLOBAL, issued=25.2)  # 100 ms after the ack: beyond the 50 ms clock slack

    assert evaluate(run.build()).losses[0]["stage"] == "accepted but no command in Kafka"


def test_one_command_answers_one_request_only() -> None:
    run = faulty_run()
    run.refresh(user=0, sent=55, acked=55.1, produced=56, received=56.1, snapshot="news-A")
    run.receive(1, "news", GLOBAL, "news-A", produced=56, at=56.1)
    run.request(0, "news", GLOBAL, sent=55, acked=55.1)  # same span, no command of its own

    result = evaluate(run.build())

    assert result.lost == 1
    assert result.losses[0]["stage"] == "accepted but no command in Kafka"


def test_a_command_without_its_event_is_lost() -> None:
    run = faulty_run()
    run.request(0, "news", GLOBAL, sent=25, acked=25.1)
    run.command(0, "news", GLOBAL, issued=25.05)

    result = evaluate(run.build())

    assert result.lost == 1
    assert result.losses[0]["stage"] == "command has no event"


def test_an_event_that_never_reaches_another_member_is_lost_for_that_member() -> None:
    run = faulty_run()
    run.refresh(user=0, sent=22, acked=22.5, produced=31, received=31.2, snapshot="news-A")
    run.receive(1, "news", GLOBAL, "news-old", produced=10, at=31.3)  # an older snapshot is no answer

    result = evaluate(run.build())

    assert (result.lost, result.deliveries_checked) == (1, 2)
    assert result.losses[0]["stage"] == "event never reached a client in the room"
    assert (result.losses[0]["user"], result.losses[0]["requester"]) == (1, 0)


def test_a_newer_snapshot_or_the_same_content_counts_as_delivered() -> None:
    run = faulty_run()
    run.member(2, NEWS_ROOM, joined=0)
    run.member(3, NEWS_ROOM, joined=0)
    run.refresh(user=0, sent=22, acked=22.5, produced=31, received=31.2, snapshot="news-A")
    run.receive(1, "news", GLOBAL, "news-B", produced=40, at=40.1)  # newer than the event
    run.receive(2, "news", GLOBAL, "news-A", produced=5, at=6)  # same content, held since before
    run.receive(3, "news", GLOBAL, "news-A2", produced=31, at=31.3)  # as new as the event

    result = evaluate(run.build())

    assert (result.lost, result.deliveries_checked) == (0, 4)


def test_an_answer_the_requester_already_held_is_no_fresh_answer() -> None:
    run = faulty_run()
    run.receive(0, "news", GLOBAL, "news-A", produced=5, at=6)
    run.receive(1, "news", GLOBAL, "news-A", produced=5, at=6)
    run.refresh(user=0, sent=60, acked=60.5, produced=61, received=None, snapshot="news-A")  # unchanged

    result = evaluate(run.build())

    assert result.lost == 0
    [(sent_at, latency_s)] = result.command_latencies
    assert sent_at == 60_000.0
    assert latency_s == pytest.approx(0.5)  # satisfied by the ack itself
    assert result.fresh_latencies == []


def test_a_delivery_beyond_the_recovery_bound_after_the_fault_is_late() -> None:
    run = faulty_run()
    run.refresh(user=0, sent=22, acked=22.5, produced=31, received=31.2, snapshot="news-A")
    run.receive(1, "news", GLOBAL, "news-A", produced=31, at=DEADLINE_S + 1)

    result = evaluate(run.build())

    assert result.lost == 0
    assert row(result, "kafka-kill").late == 1
    late = result.invariants[1]
    assert (late.name, late.passed, late.detail) == (
        "delivered within 60s of recovery",
        False,
        "1 deliveries later than the bound",
    )


def test_a_delivery_within_the_bound_after_the_fault_is_lifted_is_in_time() -> None:
    run = faulty_run()
    run.refresh(user=0, sent=22, acked=22.5, produced=31, received=31.2, snapshot="news-A")
    run.receive(1, "news", GLOBAL, "news-A", produced=31, at=DEADLINE_S - 1)  # 67 s after the ack

    result = evaluate(run.build())

    assert row(result, "kafka-kill").late == 0
    assert result.invariants[1].passed is True


def test_outside_a_fault_the_bound_runs_from_the_ack() -> None:
    run = faulty_run()
    run.refresh(user=0, sent=100, acked=100.5, produced=101, received=161)

    result = evaluate(run.build())

    assert row(result, "drain").late == 1
    assert row(result, "drain").recovery_s is None  # a baseline has no recovery


def test_a_client_that_left_the_room_before_the_bound_ran_out_is_not_checkable() -> None:
    run = faulty_run()
    run.memberships[1].left_at = 40_000.0  # user 1 moved away (or was cut off) at 40 s
    run.refresh(user=0, sent=22, acked=22.5, produced=31, received=31.2)

    result = evaluate(run.build())

    assert (result.lost, result.abandoned, result.deliveries_checked) == (0, 1, 2)
    assert "(1 not checkable: the client left the room first)" in result.invariants[0].detail


def test_a_client_that_stayed_past_the_bound_without_the_event_is_a_loss_however_it_left_later() -> None:
    """The bug this test found: leaving at any time before the end of the run used to excuse a loss.

    A BFF pause late in the plan disconnects every client, which ended every membership and turned
    every undelivered event of the faults before it into "not checkable".
    """
    run = faulty_run()
    run.memberships[1].left_at = 200_000.0  # disconnected by a later fault, 110 s after the bound
    run.refresh(user=0, sent=22, acked=22.5, produced=31, received=31.2)

    result = evaluate(run.build())

    assert (result.lost, result.abandoned) == (1, 0)
    assert result.losses[0]["stage"] == "event never reached a client in the room"
    assert result.losses[0]["user"] == 1
    assert row(result, "kafka-kill").lost == 1


def test_clients_in_the_room_only_before_or_after_the_ack_are_not_expected_to_get_it() -> None:
    run = faulty_run()
    run.member(2, NEWS_ROOM, joined=23)  # joined after the ack: its hydration is its business
    run.member(3, NEWS_ROOM, joined=0, left=21)  # left before the request
    run.refresh(user=0, sent=22, acked=22.5, produced=31, received=31.2, snapshot="news-A")
    run.receive(1, "news", GLOBAL, "news-A", produced=31, at=31.4)

    result = evaluate(run.build())

    assert (result.lost, result.deliveries_checked, result.abandoned) == (0, 2, 0)


def test_a_requester_outside_the_room_is_counted_not_checkable() -> None:
    run = faulty_run()
    run.refresh(user=3, sent=22, acked=22.5, produced=31, received=None, snapshot="news-A")
    run.receive(0, "news", GLOBAL, "news-A", produced=31, at=31.2)
    run.receive(1, "news", GLOBAL, "news-A", produced=31, at=31.2)

    result = evaluate(run.build())

    assert (result.lost, result.abandoned, result.deliveries_checked) == (0, 1, 2)
    assert result.command_latencies == []


def test_a_coalesced_request_rides_on_an_identical_command_sent_moments_before() -> None:
    run = faulty_run()
    run.refresh(user=0, sent=22, acked=22.5, produced=31, received=31.2, snapshot="news-A")
    run.request(1, "news", GLOBAL, sent=26, acked=26.1, coalesced=True)  # 4 s after user 0's command
    run.receive(1, "news", GLOBAL, "news-A", produced=31, at=31.3)

    result = evaluate(run.build())

    assert result.lost == 0
    assert row(result, "kafka-kill").accepted == 2
    assert result.deliveries_checked == 4  # both requests, each to both members


def test_a_coalesced_request_with_no_recent_identical_command_is_lost() -> None:
    run = faulty_run()
    run.refresh(user=0, sent=22, acked=22.5, produced=31, received=31.2, snapshot="news-A")
    run.receive(1, "news", GLOBAL, "news-A", produced=31, at=31.3)
    run.request(1, "news", GLOBAL, sent=29, acked=29.1, coalesced=True)  # 6.75 s after: too old to ride on
    run.request(0, "stocks", GLOBAL, sent=29, acked=29.1, coalesced=True)  # nothing for stocks at all

    result = evaluate(run.build())

    assert result.lost == 2
    assert [loss["stage"] for loss in result.losses] == ["coalesced onto no command"] * 2
    assert [loss["coalesced"] for loss in result.losses] == [True, True]


def test_refused_and_unanswered_requests_and_the_flooder_s_are_not_checked() -> None:
    run = faulty_run()
    run.request(0, "news", GLOBAL, sent=25, acked=25.1, ok=False, error="unavailable")
    run.request(1, "news", GLOBAL, sent=26, acked=None, error="no-ack:TimeoutError")
    run.request(1, "news", GLOBAL, sent=27, acked=27.1, ok=False)  # refused without a code
    run.request(-1, "news", GLOBAL, sent=28, acked=28.1)  # the flooder: no command to find

    result = evaluate(run.build())

    kill = row(result, "kafka-kill")
    assert (kill.accepted, kill.refused, kill.lost) == (0, 2, 0)
    assert (result.lost, result.deliveries_checked) == (0, 0)
    # Nothing accepted is no evidence of anything.
    assert result.invariants[0].passed is False
    assert result.invariants[0].detail.startswith("0 accepted requests")
