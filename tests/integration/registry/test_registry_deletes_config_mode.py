"""Deletes (soft, then permanent, with Confluent's codes), compatibility config and modes."""

from __future__ import annotations

import json

import httpx
import pytest

pytestmark = pytest.mark.integration


def avro(*fields: tuple[str, str], namespace: str = "flux.del") -> str:
    return json.dumps(
        {
            "type": "record",
            "name": "Event",
            "namespace": namespace,
            "fields": [{"name": n, "type": t} for n, t in fields],
        }
    )


V1 = avro(("a", "int"))
V2 = avro(("a", "int"), ("b", "string"))


def own(subject: str, *fields: tuple[str, str]) -> str:
    """A schema no other test registers (its namespace is derived from the subject)."""
    return avro(*fields, namespace="flux.del." + subject.replace("-", "_"))


def code(response: httpx.Response) -> int:
    return int(response.json()["error_code"])


def register(api: httpx.Client, subject: str, schema: str, **extra: object) -> httpx.Response:
    return api.post(f"/subjects/{subject}/versions", json={"schema": schema, **extra})


def two_versions(api: httpx.Client, subject: str) -> tuple[int, int]:
    assert api.put(f"/config/{subject}", json={"compatibility": "NONE"}).status_code == 200
    first = register(api, subject, own(subject, ("a", "int"))).json()["id"]
    return first, register(api, subject, own(subject, ("a", "int"), ("b", "string"))).json()["id"]


def test_delete_version_soft_then_permanent(api: httpx.Client, subject: str) -> None:
    id1, _ = two_versions(api, subject)
    assert code(api.delete(f"/subjects/{subject}/versions/1?permanent=true")) == 40407
    assert api.delete(f"/subjects/{subject}/versions/1").json() == 1
    again = api.delete(f"/subjects/{subject}/versions/1")
    assert again.status_code == 404
    assert code(again) == 40406
    assert api.get(f"/subjects/{subject}/versions").json() == [2]
    assert api.get(f"/subjects/{subject}/versions?deleted=true").json() == [1, 2]
    assert code(api.get(f"/subjects/{subject}/versions/1")) == 40402
    assert api.get(f"/subjects/{subject}/versions/1?deleted=true").json()["id"] == id1
    # the id still resolves while a soft-deleted version holds it
    assert api.get(f"/schemas/ids/{id1}").status_code == 200
    assert api.delete(f"/subjects/{subject}/versions/1?permanent=true").json() == 1
    assert code(api.delete(f"/subjects/{subject}/versions/1?permanent=true")) == 40402
    assert code(api.get(f"/schemas/ids/{id1}")) == 40403
    assert code(api.delete(f"/subjects/{subject}/versions/7")) == 40402
    assert code(api.delete(f"/subjects/{subject}-nope/versions/1")) == 40401


def test_delete_latest_version(api: httpx.Client, subject: str) -> None:
    two_versions(api, subject)
    assert api.delete(f"/subjects/{subject}/versions/latest").json() == 2
    assert api.get(f"/subjects/{subject}/versions/latest").json()["version"] == 1


def test_delete_subject_soft_then_permanent(api: httpx.Client, subject: str) -> None:
    id1, id2 = two_versions(api, subject)
    assert code(api.delete(f"/subjects/{subject}?permanent=true")) == 40405
    assert api.get(f"/schemas/ids/{id1}").status_code == 200
    assert api.delete(f"/subjects/{subject}").json() == [1, 2]
    assert subject not in api.get("/subjects").json()
    assert subject in api.get("/subjects?deleted=true").json()
    assert subject in api.get("/subjects?deletedOnly=true").json()
    again = api.delete(f"/subjects/{subject}")
    assert again.status_code == 404
    assert code(again) == 40404
    assert code(api.get(f"/subjects/{subject}/versions")) == 40401
    assert api.delete(f"/subjects/{subject}?permanent=true").json() == [1, 2]
    assert subject not in api.get("/subjects?deleted=true").json()
    assert code(api.delete(f"/subjects/{subject}")) == 40401
    assert code(api.get(f"/schemas/ids/{id2}")) == 40403
    # subject config went with the permanent delete
    assert code(api.get(f"/config/{subject}")) == 40408


@pytest.mark.usefixtures("flux_only")
def test_ids_are_never_reused_after_hard_delete(api: httpx.Client, subject: str) -> None:
    unique = own(subject, ("a", "int"))
    first = register(api, subject, unique).json()["id"]
    api.delete(f"/subjects/{subject}")
    api.delete(f"/subjects/{subject}?permanent=true")
    # the same schema again gets a new id: the old one is gone for good
    second = register(api, subject, unique).json()["id"]
    assert second > first
    assert api.get(f"/subjects/{subject}/versions").json() == [1]


def test_register_after_soft_delete_makes_a_new_version_with_the_same_id(
    api: httpx.Client, subject: str
) -> None:
    schema_id = register(api, subject, V1).json()["id"]
    api.delete(f"/subjects/{subject}/versions/1")
    assert register(api, subject, V1).json() == {"id": schema_id}
    assert api.get(f"/subjects/{subject}/versions").json() == [2]


def test_lookup_deleted(api: httpx.Client, subject: str) -> None:
    schema_id = register(api, subject, V1).json()["id"]
    api.delete(f"/subjects/{subject}")
    assert code(api.post(f"/subjects/{subject}", json={"schema": V1})) == 40401
    found = api.post(f"/subjects/{subject}?deleted=true", json={"schema": V1})
    assert found.json()["id"] == schema_id


def test_subject_config(api: httpx.Client, subject: str) -> None:
    not_set = api.get(f"/config/{subject}")
    assert not_set.status_code == 404
    assert code(not_set) == 40408
    assert api.get(f"/config/{subject}?defaultToGlobal=true").json() == {"compatibilityLevel": "BACKWARD"}
    assert api.put(f"/config/{subject}", json={"compatibility": "full_transitive"}).json() == {
        "compatibility": "FULL_TRANSITIVE"
    }
    assert api.get(f"/config/{subject}").json() == {"compatibilityLevel": "FULL_TRANSITIVE"}
    bad = api.put(f"/config/{subject}", json={"compatibility": "SIDEWAYS"})
    assert bad.status_code == 422
    assert code(bad) == 42203
    # the level is optional (a config may set only other attributes): an empty update changes nothing
    assert api.put(f"/config/{subject}", json={}).json() == {"compatibility": "FULL_TRANSITIVE"}
    assert api.delete(f"/config/{subject}").json() == {"compatibilityLevel": "FULL_TRANSITIVE"}
    assert code(api.get(f"/config/{subject}")) == 40408
    assert code(api.delete(f"/config/{subject}-never-seen")) == 40401


def test_subject_mode(api: httpx.Client, subject: str) -> None:
    assert code(api.get(f"/mode/{subject}")) == 40409
    assert api.get(f"/mode/{subject}?defaultToGlobal=true").json() == {"mode": "READWRITE"}
    register(api, subject, V1)
    assert api.put(f"/mode/{subject}", json={"mode": "READONLY"}).json() == {"mode": "READONLY"}
    refused = register(api, subject, V2)
    assert refused.status_code == 422
    assert code(refused) == 42205
    assert code(api.delete(f"/subjects/{subject}")) == 42205
    # reads and lookups still work
    assert api.post(f"/subjects/{subject}", json={"schema": V1}).status_code == 200
    bad = api.put(f"/mode/{subject}", json={"mode": "WRITEONLY"})
    assert bad.status_code == 422
    assert code(bad) == 42204
    # IMPORT on a subject with schemas needs force
    assert code(api.put(f"/mode/{subject}", json={"mode": "IMPORT"})) == 42205
    assert api.put(f"/mode/{subject}?force=true", json={"mode": "IMPORT"}).json() == {"mode": "IMPORT"}
    assert api.delete(f"/mode/{subject}").json() == {"mode": "IMPORT"}
    assert api.get(f"/mode/{subject}?defaultToGlobal=true").json() == {"mode": "READWRITE"}


def test_import_mode_with_explicit_ids(api: httpx.Client, subject: str) -> None:
    assert api.put(f"/mode/{subject}", json={"mode": "IMPORT"}).json() == {"mode": "IMPORT"}
    explicit = 900_000 + int(subject[3:9], 16) % 90_000
    response = register(api, subject, V1, id=explicit, version=3)
    assert response.json() == {"id": explicit}
    assert api.get(f"/subjects/{subject}/versions").json() == [3]
    imported = api.get(f"/schemas/ids/{explicit}").json()
    assert (imported["schemaType"], imported["schema"]) == ("AVRO", V1)
    # importing the same (id, version) again answers that version
    again = register(api, subject, V1, id=explicit, version=3).json()
    assert (again["id"], again["version"], again["schema"]) == (explicit, 3, V1)
    # IMPORT mode refuses a registration without an explicit id
    no_id = register(api, subject, avro(("z", "long")))
    assert no_id.status_code == 422
    assert code(no_id) == 42205
    # an id holding another schema cannot be overwritten
    clash = register(api, subject, V2, id=explicit)
    assert clash.status_code == 422
    assert code(clash) == 42205
    # import skips compatibility checks
    breaking = avro(("a", "string"))
    assert register(api, subject, breaking, id=explicit + 1).json() == {"id": explicit + 1}
    api.delete(f"/mode/{subject}")
    # new ids continue above every imported one
    fresh = register(api, subject + "-after", own(subject, ("fresh", "int"))).json()["id"]
    assert fresh > explicit + 1


def test_global_config_and_mode(private_api: httpx.Client) -> None:
    api = private_api
    assert api.get("/config").json() == {"compatibilityLevel": "BACKWARD"}
    assert api.put("/config", json={"compatibility": "NONE"}).json() == {"compatibility": "NONE"}
    assert api.get("/config").json() == {"compatibilityLevel": "NONE"}
    assert api.get("/config/x?defaultToGlobal=true").json() == {"compatibilityLevel": "NONE"}
    assert code(api.put("/config", json={"compatibility": 5})) == 42203
    assert api.delete("/config").json() == {"compatibilityLevel": "NONE"}
    assert api.get("/config").json() == {"compatibilityLevel": "BACKWARD"}
    assert api.get("/mode").json() == {"mode": "READWRITE"}
    assert api.put("/mode", json={"mode": "IMPORT"}).json() == {"mode": "IMPORT"}
    assert register(api, "imported", V1, id=42).json() == {"id": 42}
    assert api.put("/mode", json={"mode": "READONLY"}).json() == {"mode": "READONLY"}
    assert code(register(api, "s", V1)) == 42205
    assert code(api.put("/mode", json={"mode": "IMPORT"})) == 42205
    assert code(api.put("/mode", json={"mode": "nope"})) == 42204
    assert api.put("/mode", json={"mode": "READWRITE"}).json() == {"mode": "READWRITE"}
    assert register(api, "s", V2).json() == {"id": 43}
