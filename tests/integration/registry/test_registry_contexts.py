"""Contexts, as Confluent has them: qualified subjects (``:.ctx:subject``), ``GET /contexts``, the
``/contexts/{ctx}/...`` URL prefix, ids allocated per context, references and configs resolved in
the context, and all of it replayed from the log after a restart."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration


def avro(name: str, *fields: tuple[str, str]) -> str:
    return json.dumps({"type": "record", "name": name, "fields": [{"name": n, "type": t} for n, t in fields]})


def register(api: httpx.Client, subject: str, schema: str, **extra: object) -> httpx.Response:
    return api.post(f"/subjects/{subject}/versions", json={"schema": schema, **extra})


def code(response: httpx.Response) -> int:
    return int(response.json()["error_code"])


A = avro("A", ("a", "int"))
B = avro("B", ("b", "long"))


def test_ids_are_allocated_per_context(private_api: httpx.Client) -> None:
    api = private_api
    assert register(api, "plain", A).json() == {"id": 1}
    assert register(api, "other", B).json() == {"id": 2}
    # the first schema of .ctx is id 1 there, even the same text as the default context's id 1
    assert register(api, ":.ctx:s", B).json() == {"id": 1}
    assert register(api, ":.ctx:t", A).json() == {"id": 2}
    assert api.get("/contexts").json() == [".", ".ctx"]
    assert json.loads(api.get("/schemas/ids/1").json()["schema"]) == json.loads(A)
    in_ctx = api.get("/schemas/ids/1", params={"subject": ":.ctx:s"}).json()
    assert json.loads(in_ctx["schema"]) == json.loads(B)
    assert api.get("/contexts/.ctx/schemas/ids/1").json() == in_ctx
    assert api.get("/contexts/.ctx/schemas/ids/1/subjects").json() == [":.ctx:s"]
    assert api.get("/schemas/ids/1/subjects").json() == ["plain"]
    assert code(api.get("/contexts/.ctx/schemas/ids/3")) == 40403


def test_qualified_subjects_and_the_url_prefix(private_api: httpx.Client) -> None:
    api = private_api
    register(api, ":.ctx:s", A)
    register(api, "d", B)
    assert api.get("/subjects").json() == [":.ctx:s", "d"]
    assert api.get("/subjects", params={"subjectPrefix": ":.ctx:"}).json() == [":.ctx:s"]
    assert api.get("/subjects", params={"subjectPrefix": "d"}).json() == ["d"]
    assert api.get("/contexts/.ctx/subjects").json() == [":.ctx:s"]
    assert api.get("/contexts/.ctx/subjects/s/versions").json() == [1]
    version = api.get("/contexts/.ctx/subjects/s/versions/latest").json()
    assert version == api.get("/subjects/:.ctx:s/versions/latest").json()
    assert version["subject"] == ":.ctx:s"
    # an unqualified subject not in the default context is looked for in the others
    assert api.get("/subjects/s/versions/1").json()["subject"] == ":.ctx:s"
    assert api.post("/subjects/s", json={"schema": A}).json()["subject"] == ":.ctx:s"
    assert api.post("/contexts/.ctx/subjects/s", json={"schema": A}).status_code == 200
    # registration and compatibility under the prefix
    response = api.post("/contexts/.ctx/subjects/u/versions", json={"schema": B})
    assert response.json() == {"id": 2}
    check = api.post("/contexts/.ctx/compatibility/subjects/u/versions/latest", json={"schema": B})
    assert check.json() == {"is_compatible": True}
    rows = api.get("/contexts/.ctx/schemas").json()
    assert [r["subject"] for r in rows] == [":.ctx:s", ":.ctx:u"]
    # ":.:" is the default context
    assert api.get("/subjects/:.:d/versions").json() == [1]


def test_references_and_config_resolve_in_the_context(private_api: httpx.Client) -> None:
    api = private_api
    money = avro("Money", ("cents", "long"))
    register(api, ":.shop:money", money)
    price = avro("Price", ("amount", "Money"))
    refs = [{"name": "Money", "subject": "money", "version": 1}]
    # "money" without a context is the referencing schema's context's money
    response = register(api, ":.shop:price", price, references=refs)
    assert response.status_code == 200, response.text
    assert api.get("/subjects/:.shop:money/versions/1/referencedby").json() == [response.json()["id"]]
    assert code(register(api, "price", price, references=refs)) == 42201  # no money in "."
    # a context's own config applies to its subjects
    assert api.put("/config/:.shop:", json={"compatibility": "NONE"}).json() == {"compatibility": "NONE"}
    assert api.get("/contexts/.shop/config").json() == {"compatibilityLevel": "NONE"}
    assert register(api, ":.shop:money", avro("Money", ("cents", "string"))).status_code == 200
    assert register(api, "money", avro("Money", ("cents", "long"))).status_code == 200
    assert register(api, "money", avro("Money", ("cents", "string"))).status_code == 409
    # ":.:" is the global config
    assert api.get("/config/:.:").json() == api.get("/config").json()


def test_contexts_survive_a_restart(
    start_registry: Callable[..., Any], client_for: Callable[[Any], httpx.Client]
) -> None:
    first = start_registry()
    api = client_for(first)
    register(api, ":.ctx:s", A)
    api.put("/config/:.ctx:s", json={"compatibility": "NONE"})
    assert register(api, ":.ctx:s", B).json() == {"id": 2}
    assert api.delete("/subjects/:.ctx:s/versions/2").status_code == 200
    assert api.delete("/subjects/:.ctx:s/versions/2?permanent=true").status_code == 200
    first.stop()
    second = start_registry(topic=first.topic)
    again = client_for(second)
    assert again.get("/contexts").json() == [".", ".ctx"]
    assert again.get("/subjects/:.ctx:s/versions").json() == [1]
    # ids of .ctx continue above the permanently deleted one
    assert register(again, ":.ctx:t", B).json()["id"] >= 3
    assert register(again, "d", B).json() == {"id": 1}
