"""OpenAPI 3.0 document of the registry's API (served at ``/openapi.json``, used by the fuzz tests)."""

from __future__ import annotations

from functools import cache
from typing import Any

from .openapi_schemas import component_schemas, ref

__all__ = ["openapi_document"]

_JSON = "application/vnd.schemaregistry.v1+json"


def _param(name: str, where: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required or where == "path", "schema": schema}


def _bool(name: str) -> dict[str, Any]:
    return _param(name, "query", {"type": "boolean"})


SUBJECT = _param("subject", "path", {"type": "string", "minLength": 1})
VERSION = _param("version", "path", {"type": "string"})
SCHEMA_ID = _param("id", "path", {"type": "integer"})
CONTEXT = _param("context", "path", {"type": "string", "minLength": 1})
PAGE = [_param("offset", "query", {"type": "integer"}), _param("limit", "query", {"type": "integer"})]
# Routes also served under Confluent's /contexts/{context} prefix.
_IN_CONTEXT = ("/subjects", "/schemas", "/compatibility", "/config", "/mode")


def _op(
    summary: str,
    ok: dict[str, Any] | None,
    *,
    params: list[dict[str, Any]] | None = None,
    body: str | None = None,
    errors: tuple[int, ...] = (),
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {"description": "OK", **({"content": {_JSON: {"schema": ok}}} if ok is not None else {})}
    }
    for status in errors:
        responses[str(status)] = {"description": "Error", "content": {_JSON: {"schema": ref("Error")}}}
    operation: dict[str, Any] = {"summary": summary, "responses": responses}
    if params:
        operation["parameters"] = params
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {_JSON: {"schema": ref(body)}, "application/json": {"schema": ref(body)}},
        }
    return operation


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


@cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI document (built once)."""
    version_obj = ref("SubjectVersion")
    compat = {
        "type": "object",
        "properties": {"is_compatible": {"type": "boolean"}, "messages": _array({"type": "string"})},
    }
    paths: dict[str, Any] = {
        "/": {"get": _op("Root", {"type": "object"})},
        "/contexts": {"get": _op("Contexts", _array({"type": "string"}))},
        "/schemas/types": {"get": _op("Supported schema types", _array({"type": "string"}))},
        "/schemas": {
            "get": _op(
                "Latest or all schemas",
                _array(version_obj),
                params=[
                    _param("subjectPrefix", "query", {"type": "string"}),
                    _bool("deleted"),
                    _bool("latestOnly"),
                    *PAGE,
                ],
                errors=(400,),
            )
        },
        "/schemas/ids/{id}": {
            "get": _op(
                "Schema by global id",
                ref("Schema"),
                params=[
                    SCHEMA_ID,
                    _param("subject", "query", {"type": "string"}),
                    _param("format", "query", {"type": "string"}),
                    _bool("fetchMaxId"),
                ],
                errors=(404,),
            )
        },
        "/schemas/ids/{id}/schema": {"get": _op("Raw schema by id", None, params=[SCHEMA_ID], errors=(404,))},
        "/schemas/ids/{id}/subjects": {
            "get": _op(
                "Subjects using an id",
                _array({"type": "string"}),
                params=[SCHEMA_ID, _param("subject", "query", {"type": "string"}), _bool("deleted"), *PAGE],
                errors=(404,),
            )
        },
        "/schemas/ids/{id}/versions": {
            "get": _op(
                "Subject versions using an id",
                _array(ref("SubjectVersionRef")),
                params=[SCHEMA_ID, _param("subject", "query", {"type": "string"}), _bool("deleted"), *PAGE],
                errors=(404,),
            )
        },
        "/schemas/guids/{guid}": {
            "get": _op(
                "Schema by guid",
                ref("Schema"),
                params=[
                    _param("guid", "path", {"type": "string"}),
                    _param("format", "query", {"type": "string"}),
                ],
                errors=(404,),
            )
        },
        "/subjects": {
            "get": _op(
                "Subjects",
                _array({"type": "string"}),
                params=[
                    _param("subjectPrefix", "query", {"type": "string"}),
                    _bool("deleted"),
                    _bool("deletedOnly"),
                    *PAGE,
                ],
                errors=(400,),
            )
        },
        "/subjects/{subject}": {
            "post": _op(
                "Find the version of a schema",
                version_obj,
                params=[SUBJECT, _bool("normalize"), _bool("deleted")],
                body="RegisterRequest",
                errors=(400, 404, 422),
            ),
            "delete": _op(
                "Delete a subject",
                _array({"type": "integer"}),
                params=[SUBJECT, _bool("permanent")],
                errors=(404, 422),
            ),
        },
        "/subjects/{subject}/metadata": {
            "get": _op(
                "The latest version whose metadata has these properties",
                version_obj,
                params=[
                    SUBJECT,
                    _param("key", "query", _array({"type": "string"})),
                    _param("value", "query", _array({"type": "string"})),
                    _bool("deleted"),
                    _param("format", "query", {"type": "string"}),
                ],
                errors=(404,),
            )
        },
        "/subjects/{subject}/versions": {
            "get": _op(
                "Versions of a subject",
                _array({"type": "integer"}),
                params=[SUBJECT, _bool("deleted"), _bool("deletedOnly"), *PAGE],
                errors=(400, 404),
            ),
            "post": _op(
                "Register a schema",
                ref("RegisterResponse"),
                params=[SUBJECT, _bool("normalize")],
                body="RegisterRequest",
                errors=(400, 409, 422),
            ),
        },
        "/subjects/{subject}/versions/{version}": {
            "get": _op(
                "A version",
                version_obj,
                params=[SUBJECT, VERSION, _bool("deleted"), _param("format", "query", {"type": "string"})],
                errors=(404, 422),
            ),
            "delete": _op(
                "Delete a version",
                {"type": "integer"},
                params=[SUBJECT, VERSION, _bool("permanent")],
                errors=(404, 422),
            ),
        },
        "/subjects/{subject}/versions/{version}/schema": {
            "get": _op(
                "Raw schema of a version",
                None,
                params=[SUBJECT, VERSION, _bool("deleted")],
                errors=(404, 422),
            )
        },
        "/subjects/{subject}/versions/{version}/referencedby": {
            "get": _op(
                "Ids referencing a version",
                _array({"type": "integer"}),
                params=[SUBJECT, VERSION, *PAGE],
                errors=(400, 404, 422),
            )
        },
        "/config": {
            "get": _op("Global config", ref("ConfigResponse")),
            "put": _op(
                "Set global compatibility", ref("ConfigUpdate"), body="ConfigUpdate", errors=(400, 422)
            ),
            "delete": _op("Reset global compatibility", ref("ConfigResponse")),
        },
        "/config/{subject}": {
            "get": _op(
                "Subject compatibility",
                ref("ConfigResponse"),
                params=[SUBJECT, _bool("defaultToGlobal")],
                errors=(404,),
            ),
            "put": _op(
                "Set subject compatibility",
                ref("ConfigUpdate"),
                params=[SUBJECT],
                body="ConfigUpdate",
                errors=(400, 422),
            ),
            "delete": _op(
                "Remove subject compatibility", ref("ConfigResponse"), params=[SUBJECT], errors=(404,)
            ),
        },
        "/mode": {
            "get": _op("Global mode", ref("Mode")),
            "put": _op(
                "Set global mode", ref("Mode"), params=[_bool("force")], body="Mode", errors=(400, 422)
            ),
        },
        "/mode/{subject}": {
            "get": _op(
                "Subject mode", ref("Mode"), params=[SUBJECT, _bool("defaultToGlobal")], errors=(404,)
            ),
            "put": _op(
                "Set subject mode",
                ref("Mode"),
                params=[SUBJECT, _bool("force")],
                body="Mode",
                errors=(400, 422),
            ),
            "delete": _op("Remove subject mode", ref("Mode"), params=[SUBJECT], errors=(404,)),
        },
        "/compatibility/subjects/{subject}/versions": {
            "post": _op(
                "Check against the versions the level requires",
                compat,
                params=[SUBJECT, _bool("verbose"), _bool("normalize")],
                body="RegisterRequest",
                errors=(400, 422),
            )
        },
        "/compatibility/subjects/{subject}/versions/{version}": {
            "post": _op(
                "Check against one version",
                compat,
                params=[SUBJECT, VERSION, _bool("verbose"), _bool("normalize")],
                body="RegisterRequest",
                errors=(400, 404, 422),
            )
        },
        "/health": {"get": _op("Liveness: the node is up (role, replay state)", {"type": "object"})},
        "/ready": {"get": _op("Readiness: 200 once the log is replayed, 503 before", {"type": "object"})},
        "/v1/metadata/id": {"get": _op("Kafka and registry cluster ids", {"type": "object"})},
        "/v1/metadata/version": {"get": _op("Server version", {"type": "object"})},
    }
    for path in [p for p in paths if p.startswith(_IN_CONTEXT)]:
        paths["/contexts/{context}" + path] = {
            method: {**op, "parameters": [CONTEXT, *op.get("parameters", [])]}
            for method, op in paths[path].items()
        }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Flux Schema Registry",
            "version": "1",
            "description": "Confluent Schema Registry v1 REST API, served by Flux.",
        },
        "paths": paths,
        "components": {"schemas": component_schemas()},
    }
