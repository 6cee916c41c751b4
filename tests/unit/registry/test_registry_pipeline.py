"""The request pipeline without aiohttp middlewares: every route, and what matches none, goes
through it once (counted once, answered in Confluent's error shape), auth and readiness first."""

from __future__ import annotations

import base64

import pytest
from aiohttp.test_utils import TestClient, TestServer

from flux.registry.api.app import AppOptions, build_app
from flux.registry.api.auth import UserTable
from flux.registry.core.service import RegistryService
from flux.registry.core.state import RegistryState

from .test_registry_probes import FakeCluster, FakeLog, client
from .test_registry_service import MemoryLog


def requests_counted(metrics: str, method: str, route: str, status: int) -> float:
    prefix = f'flux_registry_requests_total{{method="{method}",route="{route}",status="{status}"}} '
    found = [line for line in metrics.splitlines() if line.startswith(prefix)]
    return float(found[0].split()[-1]) if found else 0.0


async def test_the_application_has_no_middleware_so_requests_skip_aiohttp_s_per_request_wrapper() -> None:
    state = RegistryState()
    app = build_app(
        RegistryService(state, MemoryLog(state)), FakeLog(), FakeCluster(leader=True), AppOptions()
    )
    assert list(app.middlewares) == []


async def test_unknown_paths_are_404_and_known_paths_with_another_method_405_with_allow() -> None:
    log = FakeLog()
    log.replayed()
    async with client(log) as http:
        missing = await http.get("/no/such/route")
        assert missing.status == 404
        assert await missing.json() == {"error_code": 404, "message": "HTTP 404 Not Found"}
        wrong = await http.put("/subjects")
        assert wrong.status == 405
        assert (await wrong.json())["error_code"] == 405
        assert set(wrong.headers["Allow"].split(",")) >= {"GET"}
        also_wrong = await http.delete("/schemas/ids/1")
        assert also_wrong.status == 405
        metrics = await (await http.get("/metrics")).text()
    assert requests_counted(metrics, "GET", "unmatched", 404) == 1
    assert requests_counted(metrics, "PUT", "unmatched", 405) == 1


async def test_each_request_is_counted_once_under_its_route() -> None:
    log = FakeLog()
    log.replayed()
    async with client(log) as http:
        for _ in range(3):
            assert (await http.get("/subjects")).status == 200
        assert (await http.get("/schemas/ids/7")).status == 404  # the route matched; no schema 7
        assert (await http.get("/contexts/.ctx/subjects")).status == 200
        metrics = await (await http.get("/metrics")).text()
    assert requests_counted(metrics, "GET", "/subjects", 200) == 3
    assert requests_counted(metrics, "GET", "/schemas/ids/{id}", 404) == 1
    assert requests_counted(metrics, "GET", "/contexts/{context}/subjects", 200) == 1


async def test_auth_then_readiness_apply_to_unknown_paths_too_and_never_to_the_probes() -> None:
    log = FakeLog()
    async with client(log, options=AppOptions(users=UserTable.from_text("ops:pw:read-write"))) as http:
        assert (await http.get("/no/such/route")).status == 401
        auth = {"Authorization": "Basic " + base64.b64encode(b"ops:pw").decode()}
        replaying = await http.get("/no/such/route", headers=auth)
        assert replaying.status == 503
        assert (await replaying.json())["error_code"] == 50002
        assert (await http.post("/health")).status == 405  # a probe's path: neither 401 nor 503
        log.replayed()
        assert (await http.get("/no/such/route", headers=auth)).status == 404


async def test_an_unexpected_exception_in_a_handler_is_a_confluent_500_and_is_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = FakeLog()
    log.replayed()
    state = RegistryState()
    service = RegistryService(state, MemoryLog(state))

    def boom(*args: object, **kwargs: object) -> list[str]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(service.reads, "subjects", boom)
    app = build_app(service, log, FakeCluster(leader=True), AppOptions())
    async with TestClient(TestServer(app)) as http:
        answer = await http.get("/subjects")
        assert answer.status == 500
        assert await answer.json() == {
            "error_code": 50001,
            "message": "Internal error while handling the request",
        }
        metrics = await (await http.get("/metrics")).text()
    assert requests_counted(metrics, "GET", "/subjects", 500) == 1


async def test_a_read_only_user_is_refused_writes_by_route_in_every_context_and_by_method_elsewhere() -> None:
    log = FakeLog()
    log.replayed()
    table = UserTable.from_text("admin:a:read-write\nviewer:v:read-only")
    admin = {"Authorization": "Basic " + base64.b64encode(b"admin:a").decode()}
    viewer = {"Authorization": "Basic " + base64.b64encode(b"viewer:v").decode()}
    body = {"schema": '{"type": "string"}'}
    async with client(log, options=AppOptions(users=table)) as http:
        for prefix in ("", "/contexts/.ctx"):
            registered = await http.post(f"{prefix}/subjects/s/versions", json=body, headers=admin)
            assert registered.status == 200, await registered.text()
            refused = await http.post(f"{prefix}/subjects/s/versions", json=body, headers=viewer)
            assert refused.status == 403
            assert (await refused.json())["error_code"] == 40301
            assert (await http.delete(f"{prefix}/subjects/s", headers=viewer)).status == 403
            lookup = await http.post(f"{prefix}/subjects/s", json=body, headers=viewer)  # a read
            assert lookup.status == 200, await lookup.text()
            assert (await http.get(f"{prefix}/subjects", headers=viewer)).status == 200
        # what matches no route: refused by its method before it is found missing
        assert (await http.post("/no/such/route", headers=viewer)).status == 403
        assert (await http.get("/no/such/route", headers=viewer)).status == 404
        assert (await http.post("/no/such/route", headers=admin)).status == 404
