"""``evaluate``: one verdict per promise in a fixed order, the per-fault table, crashes and reconnection."""

from __future__ import annotations

import math

from flux.chaos import evaluation, invariants
from flux.chaos.invariants import evaluate
from flux.chaos.latency import TICKER, live_latencies, percentile
from flux.chaos.observations import Receipt
from flux.chaos.platform import Crash

from .synthetic_run import GLOBAL, NEWS_ROOM, SyntheticRun, dead_letter, ms, poison_record

VERDICTS = [
    "no accepted command lost",
    "delivered within 60s of recovery",
    "no duplicate snapshot delivered",
    "no stale snapshot delivered",
    "every poison record in its DLQ, nothing else",
    "no unexpected crash",
    "everything recovers and reconnects by itself",
    "clients stay connected unless the BFF is stopped",
    "RSS at the end within 15% of the steady-load baseline",
    "flood: others' p99 < 2x calm, flooder rate-limited",
    "every contract violation is dead-lettered, none reached a client",
    "registry: no id for two schemas, no acknowledged registration lost",
    "registry: a new leader within the session + 4 s, the old one follows when back",
    "registry: a paused ex-leader is fenced",
    "bff: a killed instance's clients reconnect elsewhere, hydrated within 10s",
]


def clean_run() -> SyntheticRun:
    """A short run that keeps every promise it can judge: one request, delivered; poison dead-lettered."""
    run = SyntheticRun(users=2)
    run.window("warm-up", "baseline", 0, end=20)
    run.window("bff-pause", "sigstop/sigcont", 20, lifted=24.5, end=40)
    run.window("poison", "poison", 40, lifted=41, end=50, tag="run1-0")
    run.member(0, NEWS_ROOM, joined=0)
    run.member(1, NEWS_ROOM, joined=0)
    run.refresh(user=0, sent=5, acked=5.1, produced=5.5, received=5.6, snapshot="news-A")
    run.receive(1, "news", GLOBAL, "news-A", produced=5.5, at=5.7)
    run.poison = [poison_record("run1-0", "bad-magic-byte", 7)]
    run.ledger.dead_letters = {"flux.news.refresh.dlq": [dead_letter(run.poison[0], 0)]}
    run.disconnects = [(ms(23), 1, "ping timeout")]  # during the pause: by design
    run.recovery = {"bff-pause": {"recovered": True}, "poison": {"recovered": True}}
    return run


def test_a_run_that_keeps_its_promises_passes_with_one_verdict_each() -> None:
    result = evaluate(clean_run().build())

    assert [v.name for v in result.invariants] == VERDICTS
    assert [v.passed for v in result.invariants] == [True] * 8 + [None] * 7
    assert result.passed is True
    details = [v.detail for v in result.invariants]
    assert details[:8] == [
        "1 accepted requests, 2 room deliveries checked, 0 lost (0 not checkable: the client left the room first)",
        "0 deliveries later than the bound",
        "0 duplicates",
        "0 older than one already held",
        "1/1 dead-lettered, 0 duplicated, 0 with bad headers, 0 unexpected",
        "none",
        "2/2 clients connected at the end; not recovered after: none",
        "1 disconnects, 0 outside BFF faults",
    ]


def test_the_fault_table_has_one_row_per_window_with_its_timing() -> None:
    rows = evaluate(clean_run().build()).rows

    assert [(r.name, r.kind, r.started_s, r.window_s) for r in rows] == [
        ("warm-up", "baseline", 0.0, 20.0),  # a baseline lasts until its end
        ("bff-pause", "sigstop/sigcont", 20.0, 4.5),  # a fault until it was lifted
        ("poison", "poison", 40.0, 1.0),
    ]
    assert [r.accepted for r in rows] == [1, 0, 0]
    assert [r.dead_lettered for r in rows] == ["-", "-", "1/1"]


def test_an_unexpected_crash_fails_and_is_counted_in_its_window() -> None:
    run = clean_run()
    run.crashes = [Crash("news", ms(30), -9, "killed"), Crash("bff", ms(45), None, "")]

    result = evaluate(run.build())

    assert [r.crashes for r in result.rows] == [0, 1, 1]
    crash = result.invariants[5]
    assert (crash.passed, crash.detail) == (False, "news (exit -9), bff (exit None)")
    assert result.passed is False


def test_a_fault_not_recovered_from_fails() -> None:
    run = clean_run()
    run.recovery["bff-pause"] = {"recovered": False, "not_ready": ["bff"]}

    result = evaluate(run.build())

    assert [r.recovered for r in result.rows] == [True, False, True]
    recovery = result.invariants[6]
    assert (recovery.passed, recovery.detail) == (
        False,
        "2/2 clients connected at the end; not recovered after: bff-pause",
    )


def test_a_client_not_connected_at_the_end_fails() -> None:
    run = clean_run()
    run.connected_at_end = 1

    recovery = evaluate(run.build()).invariants[6]

    assert (recovery.passed, recovery.detail) == (
        False,
        "1/2 clients connected at the end; not recovered after: none",
    )


def test_a_disconnect_outside_bff_faults_fails_with_its_reason() -> None:
    run = clean_run()
    run.disconnects.append((ms(45), 0, "transport error"))

    result = evaluate(run.build())

    connections = result.invariants[7]
    assert connections.passed is False
    assert connections.detail == (
        "2 disconnects, 1 outside BFF faults (1 users; reasons {'transport error': 1}; in {'poison': 1})"
    )
    assert result.connections["unexpected"] == 1


def test_records_that_do_not_decode_add_a_failed_verdict() -> None:
    run = clean_run()
    run.ledger.undecodable = [f"flux.news.refresh@0:{n}: bad" for n in range(5)]

    result = evaluate(run.build())

    assert len(result.invariants) == len(VERDICTS) + 1
    extra = result.invariants[-1]
    assert (extra.name, extra.passed) == ("every non-poison record decodes", False)
    assert extra.detail.startswith("5 undecodable: ['flux.news.refresh@0:0: bad'")
    assert result.passed is False


def test_percentile_is_nearest_rank_and_nan_when_empty() -> None:
    values = [float(v) for v in range(100, 0, -1)]

    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile(values, 0) == 1.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 30) == 2.0  # rank ceil(1.2) = 2
    assert math.isnan(percentile([], 50))


def test_live_latencies_are_the_ticker_s_within_the_span() -> None:
    receipts = [
        Receipt(0, TICKER, GLOBAL, "t1", 1000, 1012.0),
        Receipt(0, TICKER, GLOBAL, "t2", 2000, 2030.0),
        Receipt(0, "news", GLOBAL, "n1", 0, 1500.0),  # a snapshot's producedAt may be old
    ]

    assert live_latencies(receipts) == [12.0, 30.0]
    assert live_latencies(receipts, 1500, 2030) == []  # the end is excluded
    assert live_latencies(receipts, 2000) == [30.0]


def test_the_entry_point_still_offers_what_the_driver_and_the_report_import() -> None:
    assert invariants.RunRecord is evaluation.RunRecord
    assert invariants.Evaluation is evaluation.Evaluation
    assert invariants.FaultRow is evaluation.FaultRow
    assert invariants.InvariantResult is evaluation.InvariantResult
    assert (invariants.TICKER, invariants.percentile, invariants.live_latencies) == (
        TICKER,
        percentile,
        live_latencies,
    )
    assert {
        "evaluate",
        "RunRecord",
        "Evaluation",
        "FaultRow",
        "TICKER",
        "percentile",
        "live_latencies",
    } <= set(invariants.__all__)
