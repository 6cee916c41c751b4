"""HTTP plumbing: JSON bodies and query parameters read like Jersey reads them, JSON responses in
Confluent's content type. What the bodies mean is validated in :mod:`flux.registry.core.requests`."""

from __future__ import annotations

import json
from typing import Any, Final

from aiohttp import web

from flux.registry.core.errors import RegistryError

__all__ = [
    "CONTENT_TYPE",
    "json_body",
    "json_response",
    "paginate",
    "query_bool",
    "query_int",
    "query_pairs",
    "read_json_object",
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


def query_pairs(request: web.Request, keys: str, values: str) -> dict[str, str]:
    """Repeated ``keys``/``values`` parameters paired by position (extra ones ignored, a repeated
    key keeps its last value), as Jersey's lists are paired by Confluent."""
    return dict(zip(request.query.getall(keys, []), request.query.getall(values, []), strict=False))


def query_int(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise RegistryError.bad_request(f"Query parameter {name} must be an integer, got {raw!r}") from None


def paginate(request: web.Request, items: list[Any]) -> list[Any]:
    """``offset`` (negative: 0) and ``limit`` (0 or negative: no limit) applied to a list, as
    Confluent pages its lists (Flux does not cap an unlimited list at a default page size)."""
    offset = max(0, query_int(request, "offset", 0))
    limit = query_int(request, "limit", -1)
    return items[offset:] if limit <= 0 else items[offset : offset + limit]


async def read_json_object(request: web.Request, *, empty_is_object: bool = False) -> dict[str, Any]:
    """The request body as a JSON object; 400 for malformed JSON, 422 for other JSON values (and
    for no body at all, unless ``empty_is_object``: then it is ``{}``)."""
    raw = await request.read()
    if not raw.strip():
        if empty_is_object:
            return {}
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
