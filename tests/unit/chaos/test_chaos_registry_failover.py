"""The registry failover audits: fencing read off the committed log, registrations checked on every node."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from flux.chaos.observations import FaultWindow
from flux.chaos.registrations import Registration, audit_registrations, schema_of
from flux.chaos.registry_failover import (
    KILL_FAULT,
    PAUSE_FAULT,
    CommittedRecord,
    check_registry_failover,
    fenced_writes,
    registry_verdicts,
)

OLD, NEW = "node-old", "node-new"


def log(*records: tuple[int, int, str | None, str | None]) -> list[CommittedRecord]:
    return [CommittedRecord(o, t, w, leader) for o, t, w, leader in records]


def test_a_write_of_the_old_leader_after_its_successors_term_is_a_fenced_write_that_landed() -> None:
    records = log(
        (0, 100, OLD, OLD),  # the old leader's term
        (1, 200, OLD, None),  # its write before the pause: fine
        (2, 900, NEW, NEW),  # the successor's LEADER record, after the pause began at 500
        (3, 950, NEW, None),
        (4, 990, OLD, None),  # the old leader wrote after the takeover: fencing failed
    )
    assert fenced_writes(records, OLD, paused_at_ms=500) == {
        "takeover_offset": 2,
        "late_writes": 1,
        "late_offsets": [4],
        "own_before": 2,
    }
    assert fenced_writes(records[:4], OLD, paused_at_ms=500)["late_writes"] == 0


def test_writes_after_the_old_leader_leads_again_by_right_are_not_late() -> None:
    records = log(
        (0, 100, OLD, OLD),
        (1, 900, NEW, NEW),  # takeover
        (2, 950, OLD, OLD),  # the old node wins the lead again, properly
        (3, 990, OLD, None),  # a write of its new term
    )
    assert fenced_writes(records, OLD, paused_at_ms=500)["late_writes"] == 0


def test_a_writer_the_log_never_names_proves_nothing() -> None:
    records = log((0, 100, "someone", "someone"), (1, 900, NEW, NEW))
    assert fenced_writes(records, OLD, paused_at_ms=500)["own_before"] == 0
    assert (
        verdicts(good_kill(), good_pause(fencing={"takeover_offset": 1, "late_writes": 0, "own_before": 0}))[
            2
        ]
        is False
    )


def test_a_leader_record_from_before_the_pause_is_not_the_takeover() -> None:
    records = log((0, 100, NEW, NEW), (1, 200, OLD, OLD), (2, 300, OLD, None))
    assert fenced_writes(records, OLD, paused_at_ms=250) == {
        "takeover_offset": None,
        "late_writes": None,
        "own_before": 2,
    }


def window(name: str, **detail: Any) -> FaultWindow:
    w = FaultWindow(name, "fault", 1000.0, 2000.0, 3000.0)
    w.detail.update(detail)
    return w


def audit_of(reused: int = 0, missing: int = 0) -> dict[str, Any]:
    return {
        "acknowledged": 50,
        "nodes_checked": 2,
        "ids_reused": reused,
        "ids_reused_detail": ["id 3: A and B"] * reused,
        "missing": missing,
        "missing_detail": ["n1 s: versions []"] * missing,
    }


def good_kill(**over: Any) -> FaultWindow:
    detail = {
        "leader": "registry",
        "successor": "registry-2",
        "takeover_s": 6.4,
        "writes_resumed": True,
        "follows_after_s": 1.2,
    }
    return window(KILL_FAULT, **{**detail, "audit": audit_of(), **over})


def good_pause(**over: Any) -> FaultWindow:
    detail = {
        "leader": "registry-2",
        "successor": "registry",
        "takeover_s": 6.1,
        "writes_resumed": True,
        "paused_s": 8.0,
        "follows_after_s": 0.4,
        "fenced_attempts": 1,
        "fencing": {"takeover_offset": 10, "late_writes": 0, "own_before": 3},
    }
    return window(PAUSE_FAULT, **{**detail, "audit": audit_of(), **over})


def verdicts(*windows: FaultWindow) -> list[bool | None]:
    return [v.passed for v in registry_verdicts(check_registry_failover(windows, session_s=6.0))]


def test_clean_failovers_keep_every_registry_promise() -> None:
    assert verdicts(good_kill(), good_pause()) == [True, True, True]


def test_no_registry_fault_means_not_judged() -> None:
    assert verdicts(window("kafka-kill")) == [None, None, None]


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        (good_kill(audit=audit_of(reused=1)), [False, True, True]),
        (good_kill(audit=audit_of(missing=2)), [False, True, True]),
        (good_kill(writes_resumed=False), [False, True, True]),
        (good_kill(takeover_s=10.5), [True, False, True]),
        (good_kill(successor=None, takeover_s=None), [True, False, True]),
        (good_kill(follows_after_s=None), [True, False, True]),
    ],
)
def test_each_broken_promise_of_the_leader_kill_fails_its_verdict(
    broken: FaultWindow, expected: list[bool]
) -> None:
    assert verdicts(broken, good_pause()) == expected


@pytest.mark.parametrize(
    "broken",
    [
        good_pause(fencing={"takeover_offset": 10, "late_writes": 3, "own_before": 3}),
        good_pause(fencing={"takeover_offset": None, "late_writes": None, "own_before": 3}),
    ],
)
def test_a_paused_leader_that_was_not_fenced_fails(broken: FaultWindow) -> None:
    assert verdicts(good_kill(), broken)[2] is False


def test_a_paused_leader_that_does_not_follow_fails_the_takeover_verdict() -> None:
    assert verdicts(good_kill(), good_pause(follows_after_s=None)) == [True, False, True]


async def fake_node(store: dict[str, tuple[int, str]]) -> TestServer:
    """A registry node serving ``store`` (subject -> (id, record name)) the way the audit reads it."""

    async def versions(request: web.Request) -> web.Response:
        if request.match_info["subject"] not in store:
            return web.json_response({"error_code": 40401}, status=404)
        return web.json_response([1])

    async def version(request: web.Request) -> web.Response:
        found = store.get(request.match_info["subject"])
        if found is None:
            return web.json_response({"error_code": 40401}, status=404)
        return web.json_response({"id": found[0], "version": 1})

    async def by_id(request: web.Request) -> web.Response:
        wanted = int(request.match_info["id"])
        for schema_id, name in store.values():
            if schema_id == wanted:
                return web.json_response({"schema": schema_of(name)})
        return web.json_response({"error_code": 40403}, status=404)

    app = web.Application()
    app.router.add_get("/subjects/{subject}/versions", versions)
    app.router.add_get("/subjects/{subject}/versions/1", version)
    app.router.add_get("/schemas/ids/{id}", by_id)
    server = TestServer(app)
    await server.start_server()
    return server


async def test_the_audit_finds_a_registration_one_node_lost_and_an_id_given_twice() -> None:
    acknowledged = {
        "a-value": Registration("a-value", "A", 1, "n1"),
        "b-value": Registration("b-value", "B", 2, "n1"),
        "c-value": Registration("c-value", "C", 2, "n2"),  # id 2 given to B and to C
    }
    full = await fake_node({"a-value": (1, "A"), "b-value": (2, "B"), "c-value": (2, "B")})
    partial = await fake_node({"a-value": (1, "A")})
    try:
        urls = [str(full.make_url("")).rstrip("/"), str(partial.make_url("")).rstrip("/")]
        audit = await audit_registrations(acknowledged, urls)
    finally:
        await full.close()
        await partial.close()
    assert audit["acknowledged"] == 3
    assert audit["ids_reused"] == 1
    # full: c-value's id reads as B; partial: b-value and c-value are gone.
    assert audit["missing"] == 3, audit["missing_detail"]
    assert any("reads as 'B'" in line for line in audit["missing_detail"])


async def test_the_audit_of_a_consistent_cluster_finds_nothing() -> None:
    acknowledged = {f"s{n}-value": Registration(f"s{n}-value", f"N{n}", n + 1, "n1") for n in range(5)}
    store = {r.subject: (r.schema_id, r.name) for r in acknowledged.values()}
    nodes = [await fake_node(store), await fake_node(store)]
    try:
        audit = await audit_registrations(acknowledged, [str(n.make_url("")).rstrip("/") for n in nodes])
    finally:
        for node in nodes:
            await node.close()
    assert (audit["ids_reused"], audit["missing"], audit["nodes_checked"]) == (0, 0, 2)
    assert json.loads(schema_of("X"))["name"] == "X"
