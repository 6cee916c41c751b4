"""Request parsing and JSON responses in Confluent's content type."""

from __future__ import annotations

import json
from typing import Any, Final

from aiohttp import web

from flux.registry.core.errors import RegistryError
from flux.registry.core.model import Reference
from flux.registry.core.service import LATEST, SchemaRequest
from flux.schemas.types import SchemaType

__all__ = [
    "CONTENT_TYPE",
    "json_body",
    "json_response",
    "query_bool",
    "query_int",
    "read_json_object",
    "schema_request",
]

CONTENT_TYPE: Final = "application/vnd.schemaregistry.v1+json"


def json_body(body: Any) -> bytes:
    """Compact UTF-8 JSON."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def json_response(body: Any, status: int = 200) -> web.Response:
    """A JSON response with Confluent's content type."""
    return web.Response(body=json_body(body), status=status, content_type=CONTENT_TYPE)


def query_bool(request: web.Request, name: str) -> bool:
    """A boolean query parameter (``true`` in any case is true; anything else false, as Jersey)."""
    return request.query.get(name, "").strip().lower() == "true"


def query_int(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise RegistryError.bad_request(f"Query parameter {name} must be an integer, got {raw!r}") from None


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object; 400 for malformed JSON, 422 for other JSON values."""
    raw = await request.read()
    if not raw.strip():
        raise RegistryError.unprocessable("Request body is empty")
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RegistryError.bad_request(f"Unexpected character in request body: {exc}") from None
    except RecursionError:
        raise RegistryError.bad_request("Request body is nested too deeply") from None
    if not isinstance(body, dict):
        raise RegistryError.unprocessable("Request body must be a JSON object")
    return body


def _as_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise RegistryError.unprocessable(f"{what} must be an integer")
    try:
        return int(value)
    except ValueError:
        raise RegistryError.unprocessable(f"{what} must be an integer") from None


def _references(raw: Any) -> tuple[Reference, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise RegistryError.unprocessable("references must be a list")
    found: list[Reference] = []
    for item in raw:
        if not isinstance(item, dict):
            raise RegistryError.unprocessable(
                "each reference must be an object with name, subject and version"
            )
        name, subject = item.get("name"), item.get("subject")
        if not isinstance(name, str) or not isinstance(subject, str) or not name or not subject:
            raise RegistryError.invalid_schema("Invalid schema reference: name and subject are required")
        version = _as_int(item.get("version", LATEST), "reference version")
        found.append(Reference(name, subject, version))
    return tuple(found)


def schema_request(body: dict[str, Any], *, allow_id: bool = False) -> SchemaRequest:
    """Build a :class:`SchemaRequest` from a request body (``schema``, ``schemaType``, ``references``)."""
    text = body.get("schema")
    if text is None or (isinstance(text, str) and not text.strip()):
        raise RegistryError.invalid_schema("Empty schema")
    if isinstance(text, dict | list):
        text = json.dumps(text)  # a schema sent as JSON rather than as a string
    if not isinstance(text, str):
        raise RegistryError.invalid_schema("Invalid schema: schema must be a string")
    raw_type = body.get("schemaType") or "AVRO"
    try:
        schema_type = SchemaType(str(raw_type).upper())
    except ValueError:
        raise RegistryError.invalid_schema(f"Invalid schema type {raw_type!r}") from None
    schema_id = version = None
    if allow_id:
        if body.get("id") is not None:
            schema_id = _as_int(body["id"], "id")
            if schema_id < 0:
                schema_id = None
        if body.get("version") is not None:
            version = _as_int(body["version"], "version")
            if version <= 0:
                version = None
    return SchemaRequest(text, schema_type, _references(body.get("references")), schema_id, version)
