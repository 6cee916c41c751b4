"""Bad input gets a clear 4xx with Confluent's error code, nothing is stored, and the registry
keeps serving: malformed JSON Schema, unresolvable ``$ref``, rule sets with unknown kinds, huge
metadata, malformed qualified subjects and guids."""

from __future__ import annotations

import json

import httpx
import pytest

pytestmark = pytest.mark.integration

V1 = json.dumps({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]})


def assert_refused(
    api: httpx.Client, subject: str, response: httpx.Response, status: int, error: int
) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error_code", "message"} and body["error_code"] == error and body["message"]
    assert api.get(f"/subjects/{subject}/versions").status_code == 404  # nothing stored
    assert api.get("/subjects").status_code == 200  # still serving


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (
            {"schemaType": "JSON", "schema": '{"type": "object", "properties": {"a": {"type": 12}}}'},
            422,
            42201,
        ),
        ({"schemaType": "JSON", "schema": '{"$ref": "other.json"}'}, 422, 42201),
        ({"schemaType": "JSON", "schema": "{" * 3000}, 422, 42201),
        (
            {"schemaType": "JSON", "schema": '{"$ref": "x.json"}', "references": [{"name": "x.json"}]},
            422,
            42201,
        ),
        ({"schemaType": "JSON ", "schema": "{}"}, 422, 42201),
        ({"schema": V1, "metadata": {"properties": {"k": "v" * (65 * 1024)}}}, 422, 42209),
    ],
)
def test_bad_registrations(
    api: httpx.Client, subject: str, body: dict[str, object], status: int, error: int
) -> None:
    assert_refused(api, subject, api.post(f"/subjects/{subject}/versions", json=body), status, error)


@pytest.mark.usefixtures("flux_only")  # Confluent's Community edition drops rule sets before checking them
@pytest.mark.parametrize(
    ("rule", "status", "error"),
    [
        ({"name": "r", "kind": "FILTER", "type": "CEL", "mode": "WRITE"}, 400, 400),
        ({"name": "r", "kind": "condition", "type": "CEL", "mode": "WRITE"}, 400, 400),
        ({"name": "r", "kind": "CONDITION", "type": "CEL", "mode": "UPGRADE"}, 422, 42210),
        ({"name": "9r", "kind": "CONDITION", "type": "CEL", "mode": "WRITE"}, 422, 42210),
    ],
)
def test_bad_rule_sets(
    api: httpx.Client, subject: str, rule: dict[str, object], status: int, error: int
) -> None:
    body = {"schema": V1, "ruleSet": {"domainRules": [rule]}}
    assert_refused(api, subject, api.post(f"/subjects/{subject}/versions", json=body), status, error)


def test_odd_guids_and_qualified_subjects(api: httpx.Client, subject: str) -> None:
    for guid in ("not-a-guid", "%00", "x" * 300):
        response = api.get(f"/schemas/guids/{guid}")
        assert response.status_code == 404 and response.json()["error_code"] == 40403
    for odd in (":", "::", ":.:", ":.ctx", ":.ctx:"):
        response = api.get(f"/subjects/{odd}/versions")
        assert response.status_code == 404, (odd, response.text)
    assert api.get("/contexts/.nowhere/subjects").json() == []
