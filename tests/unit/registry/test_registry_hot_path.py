"""The hot path: lookups and schemas by id answered ahead of aiohttp's router, exactly as the
router would have answered them, and everything else left to the router."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from flux.registry.api.app import WORKER_HEADER, AppOptions, build_app
from flux.registry.api.auth import UserTable
from flux.registry.api.hot_path import HOT_PATH, HotPath, plain_segment
from flux.registry.core.service import RegistryService
from flux.registry.core.state import RegistryState

from .test_registry_pipeline import requests_counted
from .test_registry_probes import FakeCluster, FakeLog
from .test_registry_service import MemoryLog

CT = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
SCHEMA = json.dumps({"type": "record", "name": "A", "fields": [{"name": "f", "type": "int"}]})
OTHER = json.dumps({"type": "record", "name": "B", "fields": []})


@pytest.mark.parametrize(
    ("target", "segment"),
    [
        ("/subjects/orders-value", "orders-value"),
        ("/subjects/orders-value?deleted=true", "orders-value"),
        ("/subjects/:.ctx:orders", ":.ctx:orders"),
        ("/subjects/a.b", "a.b"),
        ("/subjects/...", "..."),
        ("/subjects/", None),
        ("/subjects/?x=1", None),
        ("/subjects/.", None),
        ("/subjects/..", None),
        ("/subjects/a/versions", None),
        ("/subjects/a%2Fb", None),  # the router decodes escapes: it must choose
        ("/subjects/a%20b", None),
        ("/subjects/{a}", None),
        ("/subjects/a#b", None),
        ("/subjects/caf\u00e9", None),
        ("/subjectsx/a", None),
        ("http://host/subjects/a", None),  # absolute form: the router's business
        ("//subjects/a", None),
    ],
)
def test_a_plain_segment_is_one_undecoded_segment_the_router_would_match_as_it_stands(
    target: str, segment: str | None
) -> None:
    assert plain_segment(target, "/subjects/") == segment


def new_app(options: AppOptions | None = None) -> web.Application:
    log = FakeLog()
    log.replayed()
    state = RegistryState()
    return build_app(
        RegistryService(state, MemoryLog(state)), log, FakeCluster(leader=True), options or AppOptions()
    )


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(app)) as http:
        registered = await http.post("/subjects/s/versions", json={"schema": SCHEMA}, headers=CT)
        assert registered.status == 200 and (await registered.json())["id"] == 1
        yield http


def hot_of(app: web.Application) -> HotPath:
    return app[HOT_PATH]


# (method, target, body): what a client may send to the two hot routes, and their near misses
REQUESTS: list[tuple[str, str, str | None]] = [
    ("POST", "/subjects/s", json.dumps({"schema": SCHEMA})),
    ("POST", "/subjects/s?deleted=true", json.dumps({"schema": SCHEMA})),
    ("POST", "/subjects/s?normalize=true", json.dumps({"schema": SCHEMA})),
    ("POST", "/subjects/s", json.dumps({"schema": OTHER})),  # 40403
    ("POST", "/subjects/nobody", json.dumps({"schema": SCHEMA})),  # 40401
    ("POST", "/subjects/s", "{not json"),
    ("POST", "/subjects/s", json.dumps({"schema": SCHEMA, "schemaType": "NOPE"})),
    ("POST", "/subjects/%73", json.dumps({"schema": SCHEMA})),  # "s", escaped: the router's
    ("POST", "/contexts/./subjects/s", json.dumps({"schema": SCHEMA})),
    ("GET", "/schemas/ids/1", None),
    ("GET", "/schemas/ids/1?fetchMaxId=true", None),
    ("GET", "/schemas/ids/1?format=serialized", None),
    ("GET", "/schemas/ids/1?subject=s", None),
    ("GET", "/schemas/ids/+1", None),
    ("GET", "/schemas/ids/01", None),
    ("GET", "/schemas/ids/999", None),
    ("GET", "/schemas/ids/abc", None),
    ("GET", "/schemas/ids/1_0", None),
    ("GET", "/schemas/ids/%31", None),
    ("GET", "/schemas/ids/1/", None),
    ("HEAD", "/schemas/ids/1", None),
    ("DELETE", "/schemas/ids/1", None),
    ("GET", "/contexts/./schemas/ids/1", None),
]
COMPARED_HEADERS = ("Content-Type", "Content-Length", "Allow")


async def answer(
    http: TestClient, method: str, target: str, body: str | None
) -> tuple[int, bytes, dict[str, str]]:
    # encoded: sent as written (yarl would otherwise decode %73 to s before sending)
    url = URL(target, encoded=True)
    response = await http.request(method, url, data=body, headers=CT if body is not None else None)
    content = await response.read()
    return (
        response.status,
        content,
        {h: response.headers[h] for h in COMPARED_HEADERS if h in response.headers},
    )


async def test_every_hot_answer_is_the_answer_the_router_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    hot_app = new_app()
    assert hot_of(hot_app).installed
    with monkeypatch.context() as patched:
        patched.setattr(HotPath, "install", lambda self, app, headers=None: None)
        routed_app = new_app()
    assert not hot_of(routed_app).installed
    answered_hot: list[str] = []
    async with serving(hot_app) as hot, serving(routed_app) as routed:
        for method, target, body in REQUESTS:
            before = hot_of(hot_app).served
            got = await answer(hot, method, target, body)
            assert got == await answer(routed, method, target, body), (method, target)
            if hot_of(hot_app).served > before:
                answered_hot.append(f"{method} {target}")
        assert hot_of(routed_app).served == 0
    assert answered_hot == [
        "POST /subjects/s",
        "POST /subjects/s?deleted=true",
        "POST /subjects/s?normalize=true",
        "POST /subjects/s",
        "POST /subjects/nobody",
        "POST /subjects/s",
        "POST /subjects/s",
        "GET /schemas/ids/1",
        "GET /schemas/ids/1?fetchMaxId=true",
        "GET /schemas/ids/1?format=serialized",
        "GET /schemas/ids/1?subject=s",
        "GET /schemas/ids/+1",
        "GET /schemas/ids/01",
        "GET /schemas/ids/999",
        "GET /schemas/ids/abc",
        "GET /schemas/ids/1_0",
    ], "the near misses (escapes, trailing slash, HEAD, DELETE, contexts) went to the router"


async def test_ids_are_read_as_java_reads_them_so_spaces_and_underscores_are_not_ids() -> None:
    async with serving(new_app()) as http:
        for raw in ("1", "+1", "01"):
            assert (await http.get(f"/schemas/ids/{raw}")).status == 200, raw
        for raw in ("1_0", "%201", "1%20", "abc", "1.0"):
            missing = await http.get(URL(f"/schemas/ids/{raw}", encoded=True))
            assert missing.status == 404, raw
            assert (await missing.json())["error_code"] == 40403


async def test_hot_answers_are_counted_under_their_route_like_routed_ones() -> None:
    app = new_app()
    async with serving(app) as http:
        for _ in range(3):
            assert (await http.post("/subjects/s", json={"schema": SCHEMA}, headers=CT)).status == 200
        assert (await http.get("/schemas/ids/1")).status == 200
        assert (await http.get("/schemas/ids/7")).status == 404
        assert (await http.get(URL("/schemas/ids/%31", encoded=True))).status == 200  # the router's
        metrics = await (await http.get("/metrics")).text()
    assert hot_of(app).served == 5
    assert requests_counted(metrics, "POST", "/subjects/{subject}", 200) == 3
    assert requests_counted(metrics, "GET", "/schemas/ids/{id}", 200) == 2
    assert requests_counted(metrics, "GET", "/schemas/ids/{id}", 404) == 1


async def test_auth_and_readiness_guard_the_hot_path_as_they_guard_the_router() -> None:
    log = FakeLog()
    state = RegistryState()
    users = UserTable.from_text("reader:pw:read-only\nwriter:pw:read-write")
    app = build_app(
        RegistryService(state, MemoryLog(state)), log, FakeCluster(leader=True), AppOptions(users=users)
    )
    reader = {"Authorization": "Basic " + base64.b64encode(b"reader:pw").decode(), **CT}
    wrong = {"Authorization": "Basic " + base64.b64encode(b"reader:nope").decode(), **CT}
    async with TestClient(TestServer(app)) as http:
        assert (await http.get("/schemas/ids/1")).status == 401
        assert (await http.get("/schemas/ids/1", headers=wrong)).status == 401
        replaying = await http.post("/subjects/s", json={"schema": SCHEMA}, headers=reader)
        assert replaying.status == 503 and (await replaying.json())["error_code"] == 50002
        log.replayed()
        missing = await http.post("/subjects/s", json={"schema": SCHEMA}, headers=reader)
        assert missing.status == 404 and (await missing.json())["error_code"] == 40401
        assert (await http.get("/schemas/ids/1", headers=reader)).status == 404
    assert hot_of(app).served == 5


async def test_an_expect_header_goes_through_the_router_which_answers_100_continue() -> None:
    app = new_app()
    async with serving(app) as http:
        served = hot_of(app).served
        found = await http.post("/subjects/s", json={"schema": SCHEMA}, headers=CT, expect100=True)
        assert found.status == 200 and (await found.json())["id"] == 1
        assert hot_of(app).served == served


async def test_hot_answers_name_the_worker_when_there_are_several() -> None:
    app = new_app(AppOptions(workers=2))
    async with serving(app) as http:
        hot = await http.get("/schemas/ids/1")
        routed = await http.get("/schemas/ids/1/schema")
        lookup = await http.post("/subjects/s", json={"schema": SCHEMA}, headers=CT)
        assert hot.headers[WORKER_HEADER] == routed.headers[WORKER_HEADER] == lookup.headers[WORKER_HEADER]
    assert hot_of(app).served == 2
    async with serving(new_app()) as single:
        assert WORKER_HEADER not in (await single.get("/schemas/ids/1")).headers


def test_the_locked_aiohttp_still_has_the_private_entry_point_the_hot_path_replaces() -> None:
    # When an aiohttp upgrade moves Application._handle this fails first; the registry then still
    # serves every request, through the router (next test), only slower.
    assert callable(getattr(web.Application(), "_handle", None))
    app = web.Application()
    HotPath().install(app)
    assert app._handle is not web.Application._handle


def test_without_that_entry_point_install_warns_and_leaves_the_application_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Elsewhere:
        pass

    hot = HotPath()
    target = Elsewhere()
    with caplog.at_level(logging.WARNING, logger="flux.registry.api.hot_path"):
        hot.install(target)  # type: ignore[arg-type]
    assert not hot.installed
    assert not hasattr(target, "_handle")
    assert "every request goes through the router" in caplog.text
