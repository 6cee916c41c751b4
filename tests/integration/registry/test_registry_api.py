"""Every read/register endpoint of the Confluent v1 API, with Confluent's bodies and error codes."""

from __future__ import annotations

import json

import httpx
import pytest

pytestmark = pytest.mark.integration


def avro(*fields: tuple[str, str], name: str = "Reading", doc: str | None = None, **extra: object) -> str:
    body: dict[str, object] = {
        "type": "record",
        "name": name,
        "namespace": "flux.it",
        "fields": [{"name": n, "type": t} for n, t in fields],
        **extra,
    }
    if doc:
        body["doc"] = doc
    return json.dumps(body)


V1 = avro(("a", "int"))


def register(api: httpx.Client, subject: str, schema: str, **extra: object) -> httpx.Response:
    return api.post(f"/subjects/{subject}/versions", json={"schema": schema, **extra})


def without_guid(body: dict[str, object]) -> dict[str, object]:
    """A schema answer without its guid (a digest the tests do not recompute)."""
    assert isinstance(body.get("guid"), str)
    return {k: v for k, v in body.items() if k != "guid"}


def error_code(response: httpx.Response) -> int:
    body = response.json()
    assert set(body) == {"error_code", "message"}
    assert isinstance(body["message"], str)
    assert body["message"]
    return int(body["error_code"])


def test_content_type_and_root(api: httpx.Client) -> None:
    response = api.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.schemaregistry.v1+json")
    assert {"AVRO", "PROTOBUF"} <= set(api.get("/schemas/types").json())


def test_register_same_schema_same_id_and_no_new_version(api: httpx.Client, subject: str) -> None:
    first = register(api, subject, V1)
    assert first.status_code == 200
    schema_id = first.json()["id"]
    assert register(api, subject, V1).json() == {"id": schema_id}
    assert api.get(f"/subjects/{subject}/versions").json() == [1]
    # same schema under another subject: same global id
    other = subject.replace("-value", "-other-value")
    assert register(api, other, V1).json() == {"id": schema_id}
    assert sorted(api.get(f"/schemas/ids/{schema_id}/subjects").json()) >= sorted([subject, other])
    versions = api.get(f"/schemas/ids/{schema_id}/versions").json()
    assert {"subject": subject, "version": 1} in versions
    assert {"subject": other, "version": 1} in versions


@pytest.mark.usefixtures("flux_only")
def test_canonical_identity_whitespace_order_doc(api: httpx.Client, subject: str) -> None:
    schema_id = register(api, subject, V1).json()["id"]
    reordered = json.dumps(
        {
            "fields": [{"type": "int", "name": "a", "doc": "the a"}],
            "namespace": "flux.it",
            "name": "Reading",
            "type": "record",
            "doc": "readings",
        },
        indent=3,
    )
    assert register(api, subject, reordered).json() == {"id": schema_id}
    assert api.get(f"/subjects/{subject}/versions").json() == [1]
    looked_up = api.post(f"/subjects/{subject}", json={"schema": reordered})
    assert looked_up.status_code == 200
    assert looked_up.json()["id"] == schema_id
    # a default changes how data is read: a new schema and a new version
    changed = json.dumps(
        {
            "type": "record",
            "name": "Reading",
            "namespace": "flux.it",
            "fields": [{"name": "a", "type": "int", "default": 7}],
        }
    )
    assert register(api, subject, changed).json()["id"] != schema_id
    assert api.get(f"/subjects/{subject}/versions").json() == [1, 2]


@pytest.mark.usefixtures("flux_only")
def test_get_schema_by_id_and_raw(api: httpx.Client, subject: str) -> None:
    schema_id = register(api, subject, V1).json()["id"]
    body = api.get(f"/schemas/ids/{schema_id}").json()
    assert without_guid(body) == {"schemaType": "AVRO", "schema": V1}
    assert isinstance(body["guid"], str)
    raw = api.get(f"/schemas/ids/{schema_id}/schema")
    assert raw.status_code == 200
    assert json.loads(raw.text) == json.loads(V1)
    with_max = api.get(f"/schemas/ids/{schema_id}?fetchMaxId=true").json()
    assert with_max["schema"] == V1
    assert with_max["maxId"] >= schema_id
    missing = api.get("/schemas/ids/987654321")
    assert missing.status_code == 404
    assert error_code(missing) == 40403
    assert error_code(api.get("/schemas/ids/987654321/subjects")) == 40403
    assert error_code(api.get("/schemas/ids/987654321/versions")) == 40403
    assert error_code(api.get("/schemas/ids/987654321/schema")) == 40403
    assert api.get("/schemas/ids/notanumber").status_code == 404


def test_versions_endpoints(api: httpx.Client, subject: str) -> None:
    id1 = register(api, subject, V1).json()["id"]
    v2 = avro(("a", "int"), ("b", "string"))
    api.put(f"/config/{subject}", json={"compatibility": "NONE"})
    id2 = register(api, subject, v2).json()["id"]
    assert api.get(f"/subjects/{subject}/versions").json() == [1, 2]
    for alias in ("latest", "-1", "2"):
        got = api.get(f"/subjects/{subject}/versions/{alias}").json()
        assert without_guid(got) == {
            "subject": subject,
            "version": 2,
            "id": id2,
            "schemaType": "AVRO",
            "schema": v2,
        }
    assert api.get(f"/subjects/{subject}/versions/1").json()["id"] == id1
    assert json.loads(api.get(f"/subjects/{subject}/versions/1/schema").text) == json.loads(V1)
    assert api.get(f"/subjects/{subject}/versions/1/referencedby").json() == []
    assert subject in api.get("/subjects").json()
    assert api.get("/subjects", params={"subjectPrefix": subject[:10]}).json() == [subject]
    rows = api.get("/schemas", params={"subjectPrefix": subject}).json()
    assert [(r["subject"], r["version"], r["id"]) for r in rows] == [(subject, 1, id1), (subject, 2, id2)]
    latest = api.get("/schemas", params={"subjectPrefix": subject, "latestOnly": "true"}).json()
    assert [(r["version"], r["id"]) for r in latest] == [(2, id2)]
    paged = api.get("/schemas", params={"subjectPrefix": subject, "offset": 1, "limit": 1}).json()
    assert [r["version"] for r in paged] == [2]


@pytest.mark.parametrize("bad", ["0", "-2", "abc", "2147483648", "1.5"])
def test_invalid_version_is_42202(api: httpx.Client, subject: str, bad: str) -> None:
    register(api, subject, V1)
    response = api.get(f"/subjects/{subject}/versions/{bad}")
    assert response.status_code == 422
    assert error_code(response) == 42202
    assert error_code(api.delete(f"/subjects/{subject}/versions/{bad}")) == 42202


def test_subject_and_version_not_found(api: httpx.Client, subject: str) -> None:
    response = api.get(f"/subjects/{subject}/versions")
    assert response.status_code == 404
    assert error_code(response) == 40401
    assert error_code(api.get(f"/subjects/{subject}/versions/1")) == 40401
    assert error_code(api.get(f"/subjects/{subject}/versions/latest")) == 40401
    register(api, subject, V1)
    missing = api.get(f"/subjects/{subject}/versions/9")
    assert missing.status_code == 404
    assert error_code(missing) == 40402
    assert error_code(api.get(f"/subjects/{subject}/versions/9/schema")) == 40402
    assert error_code(api.get(f"/subjects/{subject}/versions/9/referencedby")) == 40402


def test_lookup(api: httpx.Client, subject: str) -> None:
    not_there = api.post(f"/subjects/{subject}", json={"schema": V1})
    assert not_there.status_code == 404
    assert error_code(not_there) == 40401
    schema_id = register(api, subject, V1).json()["id"]
    found = api.post(f"/subjects/{subject}", json={"schema": V1})
    assert without_guid(found.json()) == {
        "subject": subject,
        "version": 1,
        "id": schema_id,
        "schemaType": "AVRO",
        "schema": V1,
    }
    other = api.post(f"/subjects/{subject}", json={"schema": avro(("zz", "long"))})
    assert other.status_code == 404
    assert error_code(other) == 40403
    assert error_code(api.post(f"/subjects/{subject}", json={"schema": "{nope"})) == 42201


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"schema": "{not json"}, 422, 42201),
        ({"schema": '{"type":"record","name":"R","fields":[{"name":"a","type":"nosuch"}]}'}, 422, 42201),
        ({"schema": ""}, 422, 42201),
        ({}, 422, 42201),
        ({"schema": 'syntax = "proto3"; message {', "schemaType": "PROTOBUF"}, 422, 42201),
        ({"schema": V1, "schemaType": "XML"}, 422, 42201),
        ({"schema": V1, "references": "nope"}, 422, 422),
        (
            {"schema": V1, "references": [{"name": "x", "subject": "nosuch-subject", "version": 1}]},
            422,
            42201,
        ),
        ({"schema": V1, "id": 5}, 422, 42205),
    ],
)
@pytest.mark.usefixtures("flux_only")
def test_register_rejections(
    api: httpx.Client, subject: str, body: dict[str, object], status: int, code: int
) -> None:
    response = api.post(f"/subjects/{subject}/versions", json=body)
    assert response.status_code == status
    assert error_code(response) == code


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"{bad json", 400),
        (b"[1, 2]", 422),
        (b"", 422),
        (b"\xff\xfe", 400),
        (b"null", 422),
        (b"[" * 5000, 400),
    ],
)
@pytest.mark.usefixtures("flux_only")
def test_malformed_bodies_are_4xx(api: httpx.Client, subject: str, content: bytes, status: int) -> None:
    for path in (
        f"/subjects/{subject}/versions",
        f"/subjects/{subject}",
        "/config",
        f"/mode/{subject}",
        f"/compatibility/subjects/{subject}/versions/latest",
    ):
        method = "PUT" if path.startswith(("/config", "/mode")) else "POST"
        response = api.request(method, path, content=content)
        if path == "/config" and content == b"":
            assert response.status_code == 200  # no body: no change, the config as it is
            continue
        assert response.status_code == status, (path, response.text)
        assert "error_code" in response.json()


def test_unknown_routes_and_methods(api: httpx.Client) -> None:
    response = api.get("/no/such/route")
    assert response.status_code == 404
    assert error_code(response) == 404
    response = api.put("/subjects")
    assert response.status_code == 405
    assert error_code(response) == 405


def test_plain_json_content_type_accepted(api: httpx.Client, subject: str) -> None:
    response = api.post(
        f"/subjects/{subject}/versions",
        content=json.dumps({"schema": V1}),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200


def test_subject_names_with_special_characters(api: httpx.Client, subject: str) -> None:
    odd = subject + ":x y"
    assert register(api, odd.replace(" ", "%20"), V1).status_code == 200
    assert odd in api.get("/subjects").json()


@pytest.mark.usefixtures("flux_only")
def test_compatibility_endpoint(api: httpx.Client, subject: str) -> None:
    # no versions yet: anything is compatible with nothing
    empty = api.post(f"/compatibility/subjects/{subject}/versions", json={"schema": V1})
    assert empty.json() == {"is_compatible": True}
    # Confluent 8: "latest" of a subject without versions is compatible, a numbered version is 40402
    latest = api.post(f"/compatibility/subjects/{subject}/versions/latest", json={"schema": V1})
    assert latest.json() == {"is_compatible": True}
    assert error_code(api.post(f"/compatibility/subjects/{subject}/versions/1", json={"schema": V1})) == 40402
    register(api, subject, V1)
    breaking = avro(("a", "string"))
    plain = api.post(f"/compatibility/subjects/{subject}/versions/latest", json={"schema": breaking})
    assert plain.json() == {"is_compatible": False}
    verbose = api.post(
        f"/compatibility/subjects/{subject}/versions/1?verbose=true", json={"schema": breaking}
    )
    body = verbose.json()
    assert body["is_compatible"] is False
    assert any("TYPE_MISMATCH" in m and "version 1" in m for m in body["messages"])
    ok = api.post(
        f"/compatibility/subjects/{subject}/versions?verbose=true",
        json={"schema": avro(("a", "int"), ("b", "string"))},
    )
    assert ok.json() == {"is_compatible": False, "messages": ok.json()["messages"]}
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in ok.json()["messages"][0]
    good = api.post(
        f"/compatibility/subjects/{subject}/versions/latest?verbose=true",
        json={"schema": avro(("a", "long"))},
    )
    assert good.json() == {"is_compatible": True, "messages": []}
    assert error_code(api.post(f"/compatibility/subjects/{subject}/versions/5", json={"schema": V1})) == 40402
    assert (
        error_code(api.post(f"/compatibility/subjects/{subject}/versions/zero", json={"schema": V1})) == 42202
    )
    assert (
        error_code(api.post(f"/compatibility/subjects/{subject}/versions/1", json={"schema": "{"})) == 42201
    )


def test_incompatible_register_is_409(api: httpx.Client, subject: str) -> None:
    register(api, subject, V1)
    response = register(api, subject, avro(("a", "string")))
    assert response.status_code == 409
    assert error_code(response) == 409
    assert subject in response.json()["message"]


@pytest.mark.usefixtures("flux_only")
def test_health_metrics_openapi(api: httpx.Client, subject: str) -> None:
    assert api.get("/health").json()["ready"] is True
    assert api.get("/ready").status_code == 200
    register(api, subject, V1)
    metrics = api.get("/metrics")
    assert metrics.status_code == 200
    text = metrics.text
    assert "flux_registry_requests_total" in text
    assert 'route="/subjects/{subject}/versions"' in text
    assert "flux_registry_schemas " in text
    assert 'flux_kafka_consumer_lag_records{component="registry",partition="0",' in text
    assert "\nprocess_cpu_seconds_total " in text
    document = api.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert "/subjects/{subject}/versions/{version}" in document["paths"]
