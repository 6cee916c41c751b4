"""Compatibility levels through the API (Avro and Protobuf, transitive over three versions) and
schema references (Avro named types across subjects, Protobuf imports)."""

from __future__ import annotations

import json

import httpx
import pytest

pytestmark = pytest.mark.integration


def avro(subject: str, *fields: dict[str, object]) -> str:
    return json.dumps(
        {
            "type": "record",
            "name": "Reading",
            "namespace": "flux.lv." + subject.replace("-", "_"),
            "fields": list(fields),
        }
    )


A = {"name": "a", "type": "int"}
B = {"name": "b", "type": "string"}
B_DEFAULT = {"name": "b", "type": "string", "default": ""}
C = {"name": "c", "type": "long"}


def register(
    api: httpx.Client,
    subject: str,
    schema: str,
    schema_type: str | None = None,
    references: list[dict[str, object]] | None = None,
) -> httpx.Response:
    body: dict[str, object] = {"schema": schema}
    if schema_type:
        body["schemaType"] = schema_type
    if references is not None:
        body["references"] = references
    return api.post(f"/subjects/{subject}/versions", json=body)


def with_level(api: httpx.Client, subject: str, level: str) -> None:
    assert api.put(f"/config/{subject}", json={"compatibility": level}).status_code == 200


# (level, v1 fields, v2 fields, registrable?)
AVRO_PAIRS = [
    ("BACKWARD", [A], [A, B], False),
    ("BACKWARD", [A], [A, B_DEFAULT], True),
    ("BACKWARD", [A, B], [A], True),
    ("FORWARD", [A], [A, B], True),
    ("FORWARD", [A, B], [A], False),
    ("FULL", [A], [A, B], False),
    ("FULL", [A], [A, B_DEFAULT], True),
    ("FULL", [A, B], [A], False),
    ("NONE", [A], [{"name": "a", "type": "string"}], True),
    ("BACKWARD_TRANSITIVE", [A], [A, B_DEFAULT], True),
    ("FORWARD_TRANSITIVE", [A, B], [A], False),
    ("FULL_TRANSITIVE", [A], [A, B_DEFAULT], True),
]


@pytest.mark.parametrize(("level", "old", "new", "ok"), AVRO_PAIRS)
def test_avro_levels(
    api: httpx.Client,
    subject: str,
    level: str,
    old: list[dict[str, object]],
    new: list[dict[str, object]],
    ok: bool,
) -> None:
    with_level(api, subject, level)
    assert register(api, subject, avro(subject, *old)).status_code == 200
    response = register(api, subject, avro(subject, *new))
    assert response.status_code == (200 if ok else 409), response.text


@pytest.mark.parametrize(
    ("level", "third_ok"),
    [("BACKWARD", True), ("BACKWARD_TRANSITIVE", False), ("FULL", True), ("FULL_TRANSITIVE", False)],
)
def test_avro_transitive_over_three_versions(
    api: httpx.Client, subject: str, level: str, third_ok: bool
) -> None:
    # v1 {a}; v2 {a, b=""}; v3 {a, b}: v3 and v2 read each other's data, but v3 cannot read v1 data
    # (b has no default), so only the transitive levels refuse v3.
    with_level(api, subject, "NONE")
    register(api, subject, avro(subject, A))
    register(api, subject, avro(subject, A, B_DEFAULT))
    with_level(api, subject, level)
    v3 = avro(subject, A, B)
    check = api.post(f"/compatibility/subjects/{subject}/versions?verbose=true", json={"schema": v3}).json()
    assert check["is_compatible"] is third_ok
    if not third_ok:
        assert any("version 1" in m for m in check["messages"])
    response = register(api, subject, v3)
    assert response.status_code == (200 if third_ok else 409), response.text


def test_forward_transitive_over_three_versions(api: httpx.Client, subject: str) -> None:
    # v1 {a, b}; v2 {a, b="", c=0}; v3 {a, c=0}: v2 readers default b, v1 readers need b.
    with_level(api, subject, "NONE")
    register(api, subject, avro(subject, A, B))
    register(api, subject, avro(subject, A, B_DEFAULT, {"name": "c", "type": "long", "default": 0}))
    v3 = avro(subject, A, {"name": "c", "type": "long", "default": 0})
    with_level(api, subject, "FORWARD_TRANSITIVE")
    rejected = register(api, subject, v3)
    assert rejected.status_code == 409
    assert "version 1" in rejected.json()["message"]
    with_level(api, subject, "FULL_TRANSITIVE")
    assert register(api, subject, v3).status_code == 409
    with_level(api, subject, "FORWARD")
    assert register(api, subject, v3).status_code == 200


PROTO_V1 = (
    'syntax = "proto3";\npackage flux.lv.{pkg};\nmessage Quote {{ string symbol = 1; double price = 2; }}\n'
)
PROTO_ADD = (
    'syntax = "proto3";\npackage flux.lv.{pkg};\n'
    "message Quote {{ string symbol = 1; double price = 2; int64 ts = 3; }}\n"
)
PROTO_TYPE = (
    'syntax = "proto3";\npackage flux.lv.{pkg};\nmessage Quote {{ string symbol = 1; string price = 2; }}\n'
)
PROTO_NEW_MESSAGE = PROTO_V1 + "message Extra {{ int32 x = 1; }}\n"


@pytest.mark.parametrize(
    ("level", "second", "ok"),
    [
        ("BACKWARD", PROTO_ADD, True),
        ("BACKWARD", PROTO_TYPE, False),
        ("FORWARD", PROTO_NEW_MESSAGE, False),
        ("BACKWARD", PROTO_NEW_MESSAGE, True),
        ("FULL", PROTO_ADD, True),
        ("NONE", PROTO_TYPE, True),
        ("FULL_TRANSITIVE", PROTO_TYPE, False),
    ],
)
def test_protobuf_levels(api: httpx.Client, subject: str, level: str, second: str, ok: bool) -> None:
    pkg = subject.replace("-", "_")
    with_level(api, subject, level)
    first = register(api, subject, PROTO_V1.format(pkg=pkg), "PROTOBUF")
    assert first.status_code == 200, first.text
    response = register(api, subject, second.format(pkg=pkg), "PROTOBUF")
    assert response.status_code == (200 if ok else 409), response.text


@pytest.mark.usefixtures("flux_only")
def test_protobuf_identity_and_type(api: httpx.Client, subject: str) -> None:
    pkg = subject.replace("-", "_")
    text = PROTO_V1.format(pkg=pkg)
    schema_id = register(api, subject, text, "PROTOBUF").json()["id"]
    noisy = "// quotes\n" + text.replace("; ", ";\n   ").replace("{ ", "{\n  ")
    assert register(api, subject, noisy, "PROTOBUF").json() == {"id": schema_id}
    body = api.get(f"/schemas/ids/{schema_id}").json()
    assert isinstance(body.pop("guid"), str)
    assert body == {"schemaType": "PROTOBUF", "schema": text}
    serialized = api.get(f"/schemas/ids/{schema_id}?format=serialized").json()
    assert serialized["schemaType"] == "PROTOBUF"
    assert serialized["schema"] != text
    # the base64 descriptor form is the same schema
    assert register(api, subject, serialized["schema"], "PROTOBUF").json() == {"id": schema_id}
    version = api.get(f"/subjects/{subject}/versions/1").json()
    assert version["schemaType"] == "PROTOBUF"


def test_avro_references_across_subjects(api: httpx.Client, subject: str) -> None:
    ns = "flux.ref." + subject.replace("-", "_")
    money_subject = subject + "-money"
    money = json.dumps(
        {"type": "record", "name": "Money", "namespace": ns, "fields": [{"name": "cents", "type": "long"}]}
    )
    assert register(api, money_subject, money).status_code == 200
    price = json.dumps(
        {
            "type": "record",
            "name": "Price",
            "namespace": ns,
            "fields": [{"name": "amount", "type": f"{ns}.Money"}],
        }
    )
    unresolved = register(api, subject, price)
    assert unresolved.status_code == 422
    assert unresolved.json()["error_code"] == 42201
    refs = [{"name": f"{ns}.Money", "subject": money_subject, "version": 1}]
    response = register(api, subject, price, references=refs)
    assert response.status_code == 200, response.text
    price_id = response.json()["id"]
    by_id = api.get(f"/schemas/ids/{price_id}").json()
    assert isinstance(by_id.pop("guid"), str)
    assert by_id == {"schemaType": "AVRO", "references": refs, "schema": price}
    assert api.get(f"/subjects/{money_subject}/versions/1/referencedby").json() == [price_id]
    # "latest" (-1) references are pinned to the current version
    latest_refs = [{"name": f"{ns}.Money", "subject": money_subject, "version": -1}]
    assert register(api, subject, price, references=latest_refs).json() == {"id": price_id}
    looked_up = api.post(f"/subjects/{subject}", json={"schema": price, "references": refs})
    assert looked_up.json()["id"] == price_id
    # a referenced version cannot be deleted
    blocked = api.delete(f"/subjects/{money_subject}/versions/1")
    assert blocked.status_code == 422
    assert blocked.json()["error_code"] == 42206
    assert api.delete(f"/subjects/{money_subject}").json()["error_code"] == 42206
    # once the referrer is soft-deleted, the reference no longer blocks
    api.delete(f"/subjects/{subject}")
    assert api.delete(f"/subjects/{money_subject}/versions/1").json() == 1


def test_protobuf_imports(api: httpx.Client, subject: str) -> None:
    pkg = subject.replace("-", "_")
    common_subject = subject + "-common"
    money = f'syntax = "proto3";\npackage flux.{pkg}.common;\nmessage Money {{ int64 units = 1; }}\n'
    assert register(api, common_subject, money, "PROTOBUF").status_code == 200
    price = (
        f'syntax = "proto3";\npackage flux.{pkg};\nimport "flux/common/money.proto";\n'
        'import "google/protobuf/timestamp.proto";\n'
        f"message Price {{ flux.{pkg}.common.Money amount = 1; google.protobuf.Timestamp at = 2; }}\n"
    )
    missing = register(api, subject, price, "PROTOBUF")
    assert missing.status_code == 422
    assert missing.json()["error_code"] == 42201
    refs = [{"name": "flux/common/money.proto", "subject": common_subject, "version": 1}]
    response = register(api, subject, price, "PROTOBUF", refs)
    assert response.status_code == 200, response.text
    schema_id = response.json()["id"]
    assert api.get(f"/subjects/{common_subject}/versions/1/referencedby").json() == [schema_id]
    body = api.get(f"/schemas/ids/{schema_id}").json()
    assert body["references"] == refs
