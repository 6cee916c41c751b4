"""Data contracts over HTTP, per endpoint and error code: ``metadata`` and ``ruleSet`` on
registrations and every read, identity, inheritance, ``confluent:version``, config defaults and
overrides, ``compatibilityGroup``, ``alias``, ``validateFields`` and ``/subjects/{s}/metadata``.

Rule sets are dropped by Confluent's Community edition (Flux keeps them), so checks of stored
rules and of rule-set validation are Flux-only; the rest holds for any Confluent 8.1 server.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration

RULE = {"name": "celsius", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "message.c > -273"}
# what Confluent answers for RULE: kind, mode and disabled always, empty attributes left out
RULE_OUT = {**RULE, "disabled": False}
RULES = {"domainRules": [RULE]}
RULES_OUT = {"domainRules": [RULE_OUT]}


def avro(*fields: str, name: str = "Reading") -> str:
    return json.dumps(
        {
            "type": "record",
            "name": name,
            "namespace": "flux.it.dc",
            "fields": [{"name": f, "type": "int"} for f in fields],
        }
    )


S1 = avro("c")


def register(api: httpx.Client, subject: str, schema: str = S1, **extra: Any) -> httpx.Response:
    return api.post(f"/subjects/{subject}/versions", json={"schema": schema, **extra})


def props(**values: str) -> dict[str, Any]:
    return {"properties": values}


def code(response: httpx.Response) -> int:
    body = response.json()
    assert set(body) == {"error_code", "message"}, body
    return int(body["error_code"])


def latest(api: httpx.Client, subject: str) -> dict[str, Any]:
    response = api.get(f"/subjects/{subject}/versions/latest")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_metadata_is_stored_and_returned_by_every_read(api: httpx.Client, subject: str) -> None:
    metadata = {"tags": {"$.c": ["PII"]}, "properties": {"owner": "ops", "tier": "1"}, "sensitive": ["owner"]}
    registered = register(api, subject, metadata=metadata).json()
    schema_id = registered["id"]
    guid = registered["guid"]
    expected = {
        "subject": subject,
        "version": 1,
        "id": schema_id,
        "guid": guid,
        "schemaType": "AVRO",
        "metadata": metadata,
        "schema": S1,
    }
    # a registration that sets contracts answers the version as stored, without the subject
    assert registered == {k: v for k, v in expected.items() if k != "subject"}
    assert latest(api, subject) == expected
    assert api.get(f"/subjects/{subject}/versions/1").json() == expected
    by_id = api.get(f"/schemas/ids/{schema_id}").json()
    assert by_id == {"guid": guid, "schemaType": "AVRO", "metadata": metadata, "schema": S1}
    assert api.get(f"/schemas/guids/{guid}").json() == by_id
    assert api.post(f"/subjects/{subject}", json={"schema": S1, "metadata": metadata}).json() == expected
    rows = api.get("/schemas", params={"subjectPrefix": subject}).json()
    assert rows == [expected]
    assert (
        api.get(f"/subjects/{subject}/metadata", params={"key": "owner", "value": "ops"}).json() == expected
    )


@pytest.mark.usefixtures("flux_only")
def test_rule_sets_are_kept_and_returned(api: httpx.Client, subject: str) -> None:
    schema_id = register(api, subject, ruleSet=RULES).json()["id"]
    assert latest(api, subject)["ruleSet"] == RULES_OUT
    assert api.get(f"/schemas/ids/{schema_id}").json()["ruleSet"] == RULES_OUT
    assert api.post(f"/subjects/{subject}", json={"schema": S1, "ruleSet": RULES}).json()["id"] == schema_id
    # a schema without contracts has neither key
    plain = register(api, subject + "-plain").json()["id"]
    assert set(api.get(f"/schemas/ids/{plain}").json()) == {"guid", "schemaType", "schema"}


def test_identity_includes_metadata(api: httpx.Client, subject: str) -> None:
    first = register(api, subject, metadata=props(owner="a")).json()["id"]
    assert register(api, subject, metadata=props(owner="a")).json()["id"] == first
    second = register(api, subject, metadata=props(owner="b")).json()["id"]
    assert second != first  # the same text with other metadata: a new schema, a new id
    assert api.get(f"/subjects/{subject}/versions").json() == [1, 2]
    looked_up = api.post(f"/subjects/{subject}", json={"schema": S1, "metadata": props(owner="a")}).json()
    assert (looked_up["version"], looked_up["id"]) == (1, first)
    missing = api.post(f"/subjects/{subject}", json={"schema": S1, "metadata": props(owner="z")})
    assert (missing.status_code, code(missing)) == (404, 40403)


def test_versions_inherit_metadata(api: httpx.Client, subject: str) -> None:
    api.put(f"/config/{subject}", json={"compatibility": "NONE"})
    register(api, subject, metadata=props(owner="a"))
    register(api, subject, avro("c", "d"))
    assert latest(api, subject)["metadata"] == props(owner="a")
    # the bare v1 text, inheriting v1's metadata, is v1
    assert register(api, subject).json()["id"] == api.get(f"/subjects/{subject}/versions/1").json()["id"]


def test_confluent_version_compare_and_set(api: httpx.Client, subject: str) -> None:
    first = register(api, subject).json()["id"]
    assert register(api, subject, version=-1).json()["id"] == first
    second = register(api, subject, version=2).json()["id"]
    assert second != first
    assert latest(api, subject)["metadata"] == props(**{"confluent:version": "2"})
    refused = register(api, subject, version=2)  # 2 is no longer the next version
    assert (refused.status_code, code(refused)) == (422, 42201)
    # confluent:version naming an existing version of the same schema answers with it
    assert register(api, subject, metadata=props(**{"confluent:version": "2"})).json()["id"] == second
    # -1 (or 0) asks for the next version number
    third = register(api, subject, metadata=props(**{"confluent:version": "-1"})).json()["id"]
    assert third not in (first, second)
    assert latest(api, subject)["version"] == 3
    assert latest(api, subject)["metadata"] == props(**{"confluent:version": "3"})
    # a lookup finds the exact schema first: the bare text is version 1
    assert api.post(f"/subjects/{subject}", json={"schema": S1}).json()["id"] == first
    by_version = api.post(
        f"/subjects/{subject}", json={"schema": S1, "metadata": props(**{"confluent:version": "1"})}
    )
    assert by_version.json()["version"] == 1


def test_subject_config_fields(api: httpx.Client, subject: str) -> None:
    update = {
        "compatibility": "FULL",
        "compatibilityGroup": "app.major",
        "defaultMetadata": props(owner="d"),
        "overrideMetadata": props(env="prod"),
        "validateFields": False,
        "normalize": True,
    }
    put = api.put(f"/config/{subject}", json=update)
    assert put.json() == update
    stored = {**{k: v for k, v in update.items() if k != "compatibility"}, "compatibilityLevel": "FULL"}
    assert api.get(f"/config/{subject}").json() == stored
    assert api.get(f"/config/{subject}?defaultToGlobal=true").json() == stored
    # left out: kept; null: cleared
    assert api.put(f"/config/{subject}", json={"overrideMetadata": None}).json() == {
        k: v for k, v in update.items() if k != "overrideMetadata"
    }
    register(api, subject, metadata=props(app="x"))
    assert latest(api, subject)["metadata"] == props(app="x", owner="d")
    deleted = api.delete(f"/config/{subject}")
    assert deleted.json()["compatibilityGroup"] == "app.major"
    assert code(api.get(f"/config/{subject}")) == 40408
    assert code(api.delete(f"/config/{subject}")) == 40401


@pytest.mark.parametrize(
    ("body", "status", "error_code"),
    [
        ({"compatibility": "SIDEWAYS"}, 422, 42203),
        ({"defaultMetadata": "oops"}, 400, 400),
        ({"normalize": {"x": 1}}, 400, 400),
    ],
)
def test_config_errors(
    api: httpx.Client, subject: str, body: dict[str, Any], status: int, error_code: int
) -> None:
    response = api.put(f"/config/{subject}", json=body)
    assert (response.status_code, code(response)) == (status, error_code)


@pytest.mark.usefixtures("flux_only")
def test_global_defaults_and_overrides(private_api: httpx.Client) -> None:
    api = private_api
    update = {"defaultMetadata": props(owner="platform"), "overrideRuleSet": RULES, "defaultRuleSet": {}}
    # the answer is the stored config: no level was ever set, so none is echoed
    assert api.put("/config", json=update).json() == {**update, "overrideRuleSet": RULES_OUT}
    assert api.get("/config").json() == {
        "compatibilityLevel": "BACKWARD",
        **update,
        "overrideRuleSet": RULES_OUT,
    }
    register(api, "orders-value", metadata=props(team="orders"))
    got = latest(api, "orders-value")
    assert got["metadata"] == props(owner="platform", team="orders")
    assert got["ruleSet"] == RULES_OUT
    # the bare schema is found through the same completion
    assert (
        api.post("/subjects/orders-value", json={"schema": S1, "metadata": props(team="orders")}).json()[
            "version"
        ]
        == 1
    )
    assert api.delete("/config").json()["defaultMetadata"] == props(owner="platform")
    assert api.get("/config").json() == {"compatibilityLevel": "BACKWARD"}


def test_compatibility_group(api: httpx.Client, subject: str) -> None:
    api.put(f"/config/{subject}", json={"compatibilityGroup": "major"})
    register(api, subject, metadata=props(major="1"))
    breaking = avro("c", "d")  # a new field without default: not BACKWARD
    refused = register(api, subject, breaking, metadata=props(major="1"))
    assert refused.status_code == 409
    assert register(api, subject, breaking, metadata=props(major="2")).status_code == 200
    check = api.post(
        f"/compatibility/subjects/{subject}/versions",
        json={"schema": avro("c", "d", "e"), "metadata": props(major="3")},
    )
    assert check.json()["is_compatible"] is True


def test_alias(api: httpx.Client, subject: str) -> None:
    target, alias = subject, subject.replace("-value", "-alias")
    schema_id = register(api, target).json()["id"]
    assert api.put(f"/config/{alias}", json={"alias": target}).json() == {"alias": target}
    assert api.get(f"/subjects/{alias}/versions").json() == [1]
    got = api.get(f"/subjects/{alias}/versions/latest").json()
    assert (got["subject"], got["id"]) == (target, schema_id)
    assert api.post(f"/subjects/{alias}", json={"schema": S1}).json()["subject"] == target
    api.put(f"/config/{target}", json={"compatibility": "NONE"})
    assert register(api, alias, avro("x")).status_code == 200
    assert api.get(f"/subjects/{target}/versions").json() == [1, 2]
    check = api.post(f"/compatibility/subjects/{alias}/versions/latest", json={"schema": avro("x")})
    assert check.json()["is_compatible"] is True
    assert api.get(f"/config/{alias}").json() == {"alias": target}  # the alias's config stays its own


def test_validate_fields_reserved_fields(api: httpx.Client, subject: str) -> None:
    api.put(f"/config/{subject}", json={"validateFields": True, "compatibility": "NONE"})
    register(api, subject, metadata=props(**{"confluent:reserved": "ssn"}))
    assert (
        register(api, subject, avro("ssn"), metadata=props(**{"confluent:reserved": "ssn"})).status_code
        == 409
    )
    assert register(api, subject, avro("d"), metadata=props(other="x")).status_code == 409
    assert register(api, subject, avro("d")).status_code == 200


def test_latest_with_metadata(api: httpx.Client, subject: str) -> None:
    api.put(f"/config/{subject}", json={"compatibility": "NONE"})
    register(api, subject, metadata=props(app="a", env="prod"))
    register(api, subject, avro("x"), metadata=props(app="a", env="dev"))
    url = f"/subjects/{subject}/metadata"
    assert api.get(url, params={"key": "app", "value": "a"}).json()["version"] == 2
    both = api.get(url, params=[("key", "app"), ("value", "a"), ("key", "env"), ("value", "prod")])
    assert both.json()["version"] == 1
    none = api.get(url, params={"key": "env", "value": "qa"})
    assert (none.status_code, code(none)) == (404, 40403)
    missing = api.get(f"/subjects/{subject}-nope/metadata", params={"key": "a", "value": "b"})
    assert (missing.status_code, code(missing)) == (404, 40401)
    api.delete(f"/subjects/{subject}/versions/2")
    assert api.get(url, params={"key": "env", "value": "dev"}).status_code == 404
    assert api.get(url, params={"key": "env", "value": "dev", "deleted": "true"}).json()["version"] == 2


@pytest.mark.usefixtures("flux_only")
@pytest.mark.parametrize(
    ("rule_set", "message"),
    [
        ({"domainRules": [{**RULE, "name": "1st"}]}, "Illegal initial character in rule name: 1st"),
        ({"domainRules": [{**RULE, "mode": "UPGRADE"}]}, "Domain rules can only be WRITE, READ, WRITEREAD"),
        (
            {"migrationRules": [{**RULE, "mode": "WRITE"}]},
            "Migration rules can only be UPGRADE, DOWNGRADE, UPDOWN",
        ),
        ({"domainRules": [RULE, RULE]}, "Found rule with duplicate name 'celsius'"),
        ({"domainRules": [{k: v for k, v in RULE.items() if k != "type"}]}, "Missing rule type"),
        (
            {"domainRules": [{**RULE, "onFailure": "ERROR,NONE"}]},
            "Multiple actions only valid with WRITEREAD and UPDOWN",
        ),
    ],
)
def test_rule_set_validation_is_42210(
    api: httpx.Client, subject: str, rule_set: dict[str, Any], message: str
) -> None:
    response = register(api, subject, ruleSet=rule_set)
    assert (response.status_code, code(response)) == (422, 42210)
    assert response.json()["message"] == message
    config = api.put(f"/config/{subject}", json={"defaultRuleSet": rule_set})
    assert (config.status_code, code(config)) == (422, 42210)


@pytest.mark.parametrize(
    "extra",
    [
        {"metadata": "oops"},
        {"metadata": {"properties": ["a"]}},
        {"ruleSet": {"domainRules": [{**RULE, "kind": "FILTER"}]}},
        {"ruleSet": {"domainRules": "x"}},
    ],
)
def test_malformed_contracts_are_400(api: httpx.Client, subject: str, extra: dict[str, Any]) -> None:
    response = register(api, subject, **extra)
    assert (response.status_code, code(response)) == (400, 400)


@pytest.mark.usefixtures("flux_only")
def test_oversized_contracts_are_42209(api: httpx.Client, subject: str) -> None:
    big = register(api, subject, metadata=props(blob="x" * 70_000))
    assert (big.status_code, code(big)) == (422, 42209)
    assert "too large" in big.json()["message"]


def test_contracts_survive_a_restart(
    start_registry: Callable[..., Any], client_for: Callable[..., httpx.Client]
) -> None:
    first = start_registry()
    api = client_for(first)
    api.put("/config/s", json={"compatibilityGroup": "major", "defaultMetadata": props(owner="o")})
    schema_id = register(api, "s", metadata=props(major="1"), ruleSet=RULES).json()["id"]
    before = latest(api, "s")
    first.stop()
    second = start_registry(topic=first.topic)
    again = client_for(second)
    assert latest(again, "s") == before
    assert before["ruleSet"] == RULES_OUT
    assert again.get("/config/s").json()["compatibilityGroup"] == "major"
    assert register(again, "s", metadata=props(major="1"), ruleSet=RULES).json()["id"] == schema_id
