"""Confluent 8.1's answers: ``guid`` and ``schemaType`` on schema reads, ``/schemas/guids``,
``/v1/metadata``, the registration answer, pagination, modes refusing config changes, IMPORT
rules, compatibility against unknown subjects, empty schemas, Confluent's metric names."""

from __future__ import annotations

import json

import httpx
import pytest

pytestmark = pytest.mark.integration


def avro(*fields: tuple[str, str], name: str = "R") -> str:
    return json.dumps({"type": "record", "name": name, "fields": [{"name": n, "type": t} for n, t in fields]})


V1 = avro(("a", "int"))
V2 = json.dumps(
    {
        "type": "record",
        "name": "R",
        "fields": [{"name": "a", "type": "int"}, {"name": "b", "type": ["null", "string"], "default": None}],
    }
)  # BACKWARD compatible with V1


def register(api: httpx.Client, subject: str, schema: str, **extra: object) -> httpx.Response:
    return api.post(f"/subjects/{subject}/versions", json={"schema": schema, **extra})


def code(response: httpx.Response) -> int:
    body = response.json()
    assert set(body) == {"error_code", "message"}, body
    return int(body["error_code"])


def test_guid_on_reads_and_schema_by_guid(api: httpx.Client, subject: str) -> None:
    schema_id = register(api, subject, V1).json()["id"]
    version = api.get(f"/subjects/{subject}/versions/1").json()
    by_id = api.get(f"/schemas/ids/{schema_id}").json()
    guid = by_id["guid"]
    assert version["guid"] == guid
    assert version["schemaType"] == by_id["schemaType"] == "AVRO"
    assert api.post(f"/subjects/{subject}", json={"schema": V1}).json()["guid"] == guid
    by_guid = api.get(f"/schemas/guids/{guid}")
    assert by_guid.status_code == 200
    assert by_guid.json() == by_id
    assert "id" not in by_guid.json()
    missing = api.get("/schemas/guids/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert code(missing) == 40403
    # the same schema in another subject is the same schema: the same guid
    other = subject + "-other"
    assert register(api, other, V1).json() == {"id": schema_id}
    assert api.get(f"/subjects/{other}/versions/1").json()["guid"] == guid


def test_registration_answer(api: httpx.Client, subject: str) -> None:
    # a plain registration answers the id alone, as Confluent 8.1 does
    assert set(register(api, subject, V1).json()) == {"id"}
    # one the registry completed (here: metadata) answers the version as stored
    body = register(api, subject, V2, metadata={"properties": {"owner": "ops"}}).json()
    assert body["version"] == 2
    assert body["metadata"] == {"properties": {"owner": "ops"}}
    assert (body["schemaType"], body["schema"]) == ("AVRO", V2)
    assert isinstance(body["guid"], str) and "subject" not in body


def test_empty_schema_registration_takes_the_previous_schema(api: httpx.Client, subject: str) -> None:
    nothing = register(api, subject, "")
    assert nothing.status_code == 422
    assert code(nothing) == 42201  # no previous version to take it from
    first = register(api, subject, V1).json()["id"]
    # a registration changing only the contracts: the schema comes from the latest version
    body = register(api, subject, "", metadata={"properties": {"owner": "data"}}).json()
    assert body["version"] == 2 and body["schema"] == V1 and body["id"] != first
    # an empty schema on lookup matches nothing
    assert code(api.post(f"/subjects/{subject}", json={"schema": ""})) == 40403
    assert code(api.post(f"/subjects/{subject}-none", json={"schema": ""})) == 40401


def test_compatibility_against_unknown_subject(api: httpx.Client, subject: str) -> None:
    latest = api.post(f"/compatibility/subjects/{subject}/versions/latest", json={"schema": V1})
    assert latest.json() == {"is_compatible": True}
    numbered = api.post(f"/compatibility/subjects/{subject}/versions/3", json={"schema": V1})
    assert numbered.status_code == 404
    assert code(numbered) == 40402


def test_pagination(api: httpx.Client, subject: str) -> None:
    api.put(f"/config/{subject}", json={"compatibility": "NONE"})
    ids = [register(api, subject, avro(("a", t))).json()["id"] for t in ("int", "long", "string")]
    versions = f"/subjects/{subject}/versions"
    assert api.get(versions, params={"offset": 1, "limit": 1}).json() == [2]
    assert api.get(versions, params={"offset": 1}).json() == [2, 3]
    names = [f"{subject}-{i}" for i in range(3)]
    for name in names:
        register(api, name, V1)
    listed = api.get("/subjects", params={"subjectPrefix": subject + "-"}).json()
    assert listed == names
    assert api.get("/subjects", params={"subjectPrefix": subject + "-", "offset": 1, "limit": 1}).json() == [
        names[1]
    ]
    shared = register(api, names[0], V1).json()["id"]
    assert api.get(f"/schemas/ids/{shared}/subjects", params={"subjectPrefix": subject}).status_code == 200
    subjects = api.get(f"/schemas/ids/{shared}/subjects").json()
    assert (
        api.get(f"/schemas/ids/{shared}/subjects", params={"offset": 1, "limit": 2}).json() == subjects[1:3]
    )
    pairs = api.get(f"/schemas/ids/{shared}/versions").json()
    assert api.get(f"/schemas/ids/{shared}/versions", params={"limit": 1}).json() == pairs[:1]
    rows = api.get("/schemas", params={"subjectPrefix": subject, "offset": 2, "limit": 1}).json()
    assert [r["id"] for r in rows] == [ids[2]]
    referenced = api.get(f"/subjects/{subject}/versions/1/referencedby", params={"offset": 0, "limit": 5})
    assert referenced.json() == []


@pytest.mark.usefixtures("flux_only")
def test_server_metadata(api: httpx.Client) -> None:
    body = api.get("/v1/metadata/id").json()
    assert set(body) == {"scope"}
    assert body["scope"]["path"] == []
    clusters = body["scope"]["clusters"]
    assert set(clusters) == {"kafka-cluster", "schema-registry-cluster"}
    assert clusters["kafka-cluster"]
    version = api.get("/v1/metadata/version").json()
    assert set(version) == {"version", "commitId"}


def test_read_only_modes_refuse_config_changes(private_api: httpx.Client) -> None:
    api = private_api
    assert register(api, "s", V1).status_code == 200
    for mode in ("READONLY", "READONLY_OVERRIDE"):
        assert api.put("/mode", json={"mode": mode}).json() == {"mode": mode}
        for response in (
            api.put("/config", json={"compatibility": "NONE"}),
            api.put("/config/s", json={"compatibility": "NONE"}),
            api.delete("/config"),
        ):
            assert response.status_code == 422, response.text
            assert code(response) == 42205
        assert code(register(api, "s", V2)) == 42205
        assert api.put("/mode", json={"mode": "READWRITE"}).json() == {"mode": "READWRITE"}
    # READONLY_OVERRIDE wins over a subject's own mode; READONLY does not
    assert api.put("/mode/s", json={"mode": "READWRITE"}).json() == {"mode": "READWRITE"}
    api.put("/mode", json={"mode": "READONLY"})
    assert register(api, "s", V2).status_code == 200
    api.put("/mode", json={"mode": "READONLY_OVERRIDE"})
    assert code(register(api, "s", V1.replace('"int"', '"long"'))) == 42205
    api.put("/mode", json={"mode": "READWRITE"})
    # an empty config update changes nothing
    assert api.put("/config", content=b"").status_code == 200
    assert api.get("/config").json() == {"compatibilityLevel": "BACKWARD"}


def test_import_mode_rules(private_api: httpx.Client) -> None:
    api = private_api
    assert api.put("/mode", json={"mode": "IMPORT"}).json() == {"mode": "IMPORT"}
    assert code(register(api, "imp", V1)) == 42205  # no explicit id
    assert register(api, "imp", V1, id=7, version=2).json() == {"id": 7}
    again = register(api, "imp", V1, id=7, version=2).json()
    assert (again["id"], again["version"], again["schema"]) == (7, 2, V1)
    api.put("/mode", json={"mode": "READWRITE"})
    assert code(register(api, "imp", V2, id=8)) == 42205  # an explicit id needs IMPORT


@pytest.mark.usefixtures("flux_only")
def test_confluent_metric_names(api: httpx.Client, subject: str) -> None:
    register(api, subject, V1)
    text = api.get("/metrics").text
    for name in (
        "kafka_schema_registry_master_slave_role 1.0",
        "kafka_schema_registry_node_count 1.0",
        "kafka_schema_registry_registered_count",
        "kafka_schema_registry_deleted_count",
        "kafka_schema_registry_avro_schemas_created",
        "kafka_schema_registry_json_schemas_created",
        "kafka_schema_registry_protobuf_schemas_deleted",
        "kafka_schema_registry_api_success_count",
        "kafka_schema_registry_api_failure_count",
        "flux_registry_requests_total",
    ):
        assert name in text, name
    registered = next(
        line for line in text.splitlines() if line.startswith("kafka_schema_registry_registered_count ")
    )
    assert float(registered.split()[1]) >= 1
