"""Fuzzing: no request, valid-looking or not, gets a 5xx (or hangs).

Two generators against a private registry (fuzzing changes global config and modes):
schemathesis draws requests from our OpenAPI document (positive and negative data), and a
hypothesis strategy throws arbitrary methods, paths and bodies at every route template.
``FLUX_FUZZ_EXAMPLES`` (default 250 per test) scales a longer run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from flux.registry.api.openapi import openapi_document

pytestmark = pytest.mark.integration

FUZZ_SETTINGS = settings(
    max_examples=int(os.environ.get("FLUX_FUZZ_EXAMPLES", "250")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    derandomize=True,
)


@pytest.fixture
def fuzz_target(start_registry: Callable[..., Any]) -> Iterator[httpx.Client]:
    process = start_registry()
    with httpx.Client(base_url=process.url, timeout=10.0) as client:
        # something to find: two subjects, one with a reference, one protobuf
        money = json.dumps({"type": "record", "name": "Money", "fields": [{"name": "c", "type": "long"}]})
        client.post("/subjects/money/versions", json={"schema": money})
        price = json.dumps({"type": "record", "name": "Price", "fields": [{"name": "m", "type": "Money"}]})
        client.post(
            "/subjects/price/versions",
            json={"schema": price, "references": [{"name": "Money", "subject": "money", "version": 1}]},
        )
        proto = 'syntax = "proto3"; message Q { string s = 1; }'
        client.post("/subjects/q/versions", json={"schema": proto, "schemaType": "PROTOBUF"})
        # a JSON schema with a reference, and a subject in another context
        client.post("/subjects/addr/versions", json={"schema": '{"type":"string"}', "schemaType": "JSON"})
        client.post(
            "/subjects/person/versions",
            json={
                "schema": '{"type":"object","properties":{"a":{"$ref":"addr.json"}}}',
                "schemaType": "JSON",
                "references": [{"name": "addr.json", "subject": "addr", "version": 1}],
            },
        )
        client.post("/subjects/:.ctx:money/versions", json={"schema": money})
        yield client


def _assert_no_server_error(response: httpx.Response, what: str) -> None:
    assert response.status_code < 500, (what, response.text)
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body.get("error_code"), int), (what, response.text)
        assert isinstance(body.get("message"), str), (what, response.text)


def test_schemathesis_operations_never_5xx(fuzz_target: httpx.Client) -> None:
    schema = schemathesis.openapi.from_dict(openapi_document())
    strategies = [
        result.ok().as_strategy(generation_mode=mode)
        for result in schema.get_all_operations()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    ]

    @FUZZ_SETTINGS
    @given(case=st.one_of(strategies))
    def run(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url=str(fuzz_target.base_url))
        kwargs.pop("base_url", None)
        method, url = kwargs.pop("method"), kwargs.pop("url")
        if "data" in kwargs:
            kwargs["content"] = kwargs.pop("data")
        allowed = ("params", "headers", "json", "content")
        response = fuzz_target.request(method, url, **{k: v for k, v in kwargs.items() if k in allowed})
        _assert_no_server_error(response, f"{method} {url}")

    run()


TEMPLATES = [
    "/schemas/ids/{id}",
    "/schemas/ids/{id}/schema",
    "/schemas/ids/{id}/subjects",
    "/schemas/ids/{id}/versions",
    "/subjects/{s}",
    "/subjects/{s}/versions",
    "/subjects/{s}/versions/{v}",
    "/subjects/{s}/versions/{v}/schema",
    "/subjects/{s}/versions/{v}/referencedby",
    "/config",
    "/config/{s}",
    "/mode",
    "/mode/{s}",
    "/compatibility/subjects/{s}/versions",
    "/compatibility/subjects/{s}/versions/{v}",
    "/schemas",
    "/subjects",
    "/schemas/guids/{v}",
    "/contexts",
    "/contexts/{s}/subjects",
    "/contexts/{s}/subjects/{v}/versions",
    "/contexts/{s}/schemas/ids/{v}",
    "/contexts/{s}/config",
    "/contexts/{s}/mode",
    "/subjects/:{s}:{v}/versions",
    "/v1/metadata/id",
    "/v1/metadata/version",
]
segment = st.one_of(
    st.sampled_from(
        ["money", "price", "q", "person", "addr", ".ctx", ":.ctx:money", ":.:", "latest", "-1", "0", "1", "2"]
    ),
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="/?#"),
        min_size=1,
        max_size=20,
    ),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
schema_texts = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            '"int"',
            '"Money"',
            '{"type":"record","name":"R","fields":[]}',
            'syntax = "proto3";',
            '{"type":"enum","name":"E","symbols":["A","A"]}',
            '["null","null"]',
            "{" * 200,
            '{"type":"object","properties":{"a":{"$ref":"addr.json"}}}',
            '{"$ref":"#/definitions/nope"}',
            '{"type": 5}',
            "",
        ]
    ),
)
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"schema": schema_texts},
        optional={
            "schemaType": st.sampled_from(["AVRO", "PROTOBUF", "JSON", "json", "x", 3]),
            "references": json_values,
            "id": json_values,
            "version": json_values,
            "metadata": json_values,
            "ruleSet": json_values,
        },
    ),
    st.fixed_dictionaries({"compatibility": json_values}),
    st.fixed_dictionaries(
        {"mode": st.sampled_from(["READWRITE", "READONLY", "IMPORT", "bad"]) | json_values}
    ),
)
params = st.dictionaries(
    st.sampled_from(
        [
            "deleted",
            "permanent",
            "verbose",
            "defaultToGlobal",
            "force",
            "format",
            "offset",
            "limit",
            "subjectPrefix",
            "latestOnly",
            "normalize",
            "subject",
        ]
    ),
    st.sampled_from(["true", "false", "True", "1", "-5", "x", "serialized", "", ":.ctx:money", ":.ctx:"]),
    max_size=3,
)


def test_arbitrary_requests_never_5xx(fuzz_target: httpx.Client) -> None:
    @FUZZ_SETTINGS
    @given(
        method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
        template=st.sampled_from(TEMPLATES),
        s=segment,
        v=segment,
        body=st.one_of(st.none(), bodies, st.binary(max_size=64)),
        query=params,
    )
    def run(method: str, template: str, s: str, v: str, body: Any, query: dict[str, str]) -> None:
        s_part, v_part = quote(s, safe="") or "x", quote(v, safe="") or "1"
        path = template.replace("{id}", v_part).replace("{s}", s_part).replace("{v}", v_part)
        content = body if isinstance(body, bytes) else (None if body is None else json.dumps(body).encode())
        response = fuzz_target.request(
            method,
            path,
            params=query,
            content=content,
            headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
        )
        _assert_no_server_error(response, f"{method} {path} {body!r}")

    run()
    # and the registry is still healthy and serving afterwards
    assert fuzz_target.get("/health").status_code == 200
