"""``GET /asyncapi.json`` on the BFF: the generated document, with the BFF's own address as its server."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from flux.bff.metrics import BffMetrics
from flux.bff.routes import add_routes
from flux.catalogue import load_catalogue
from flux.schema_tools.asyncapi import build_asyncapi
from flux.schema_tools.subjects import load_subjects


async def test_the_bff_serves_the_asyncapi_document() -> None:
    app = web.Application()
    add_routes(app, BffMetrics(), lambda: {"started": True})
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/asyncapi.json")
        assert response.status == 200
        assert response.content_type == "application/json"
        served = await response.json()
        again = await (await client.get("/asyncapi.json", headers={"Host": "flux.example:443"})).json()
        address = f"{client.server.host}:{client.server.port}"
    expected = build_asyncapi(load_catalogue(), load_subjects())
    assert served["servers"]["bff"]["host"] == address
    assert again["servers"]["bff"]["host"] == "flux.example:443"
    assert served["servers"]["kafka"] == expected["servers"]["kafka"]
    assert {k: v for k, v in served.items() if k != "servers"} == {
        k: v for k, v in expected.items() if k != "servers"
    }
