"""Basic auth (read-only and read-write users, from a file or the environment) and the body limit."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

pytestmark = pytest.mark.integration

SCHEMA = json.dumps({"type": "record", "name": "S", "fields": [{"name": "a", "type": "int"}]})


def test_basic_auth_roles(start_registry: Callable[..., Any], tmp_path: Path) -> None:
    users = tmp_path / "users"
    users.write_text("# registry users\nadmin:s3cret:read-write\nviewer:look:only:read-only\n")
    process = start_registry("--auth-file", str(users))
    url = process.url
    body = {"schema": SCHEMA}
    anonymous = httpx.get(url + "/subjects")
    assert anonymous.status_code == 401
    assert anonymous.json()["error_code"] == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")
    assert httpx.get(url + "/subjects", auth=("admin", "wrong")).status_code == 401
    assert httpx.get(url + "/subjects", auth=("nobody", "s3cret")).status_code == 401
    assert httpx.get(url + "/subjects", headers={"Authorization": "Basic !!!"}).status_code == 401
    # probes stay open for orchestration
    assert httpx.get(url + "/health").status_code == 200
    assert httpx.get(url + "/metrics").status_code == 200
    admin, viewer = ("admin", "s3cret"), ("viewer", "look:only")
    assert httpx.post(url + "/subjects/s-value/versions", json=body, auth=admin).json() == {"id": 1}
    refused = httpx.post(url + "/subjects/s-value/versions", json=body, auth=viewer)
    assert refused.status_code == 403
    assert refused.json()["error_code"] == 40301
    assert httpx.put(url + "/config", json={"compatibility": "NONE"}, auth=viewer).status_code == 403
    assert httpx.delete(url + "/subjects/s-value", auth=viewer).status_code == 403
    # reads, lookups and compatibility checks are reads
    assert httpx.get(url + "/subjects", auth=viewer).json() == ["s-value"]
    assert httpx.post(url + "/subjects/s-value", json=body, auth=viewer).json()["id"] == 1
    check = httpx.post(url + "/compatibility/subjects/s-value/versions/latest", json=body, auth=viewer)
    assert check.json() == {"is_compatible": True}
    # confluent-kafka's client with basic.auth.user.info
    client = SchemaRegistryClient({"url": url, "basic.auth.user.info": "admin:s3cret"})
    assert client.register_schema("t-value", Schema(SCHEMA, "AVRO")) == 1
    read_only = SchemaRegistryClient({"url": url, "basic.auth.user.info": "viewer:look:only"})
    with pytest.raises(SchemaRegistryError) as denied:
        read_only.register_schema("u-value", Schema(SCHEMA, "AVRO"))
    assert denied.value.http_status_code == 403


def test_users_from_environment(start_registry: Callable[..., Any]) -> None:
    process = start_registry(env={"FLUX_REGISTRY_USERS": "ci:token:read-write,dash:board:read-only"})
    assert httpx.get(process.url + "/subjects").status_code == 401
    assert httpx.get(process.url + "/subjects", auth=("dash", "board")).status_code == 200
    created = httpx.post(
        process.url + "/subjects/e-value/versions", json={"schema": SCHEMA}, auth=("ci", "token")
    )
    assert created.status_code == 200


def test_body_limit(start_registry: Callable[..., Any]) -> None:
    process = start_registry("--max-body-bytes", "4096")
    big = json.dumps(
        {"type": "record", "name": "Big", "fields": [{"name": f"f{i}", "type": "int"} for i in range(400)]}
    )
    response = httpx.post(process.url + "/subjects/big-value/versions", json={"schema": big})
    assert response.status_code == 413
    assert response.json()["error_code"] == 413
    small = httpx.post(process.url + "/subjects/big-value/versions", json={"schema": SCHEMA})
    assert small.status_code == 200
