"""Confluent v1 REST routes: schemas, subjects, versions, config, mode, compatibility."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from flux.registry.core.errors import RegistryError
from flux.registry.core.model import StoredSchema
from flux.registry.core.service import RegistryService, parse_version
from flux.schemas.compatibility import ParsedSchema
from flux.schemas.protobuf_schema import ParsedProtobuf
from flux.schemas.types import SchemaType

from .http import (
    CONTENT_TYPE,
    json_body,
    json_response,
    query_bool,
    query_int,
    read_json_object,
    schema_request,
)

__all__ = ["READ_ONLY_POSTS", "RegistryRoutes"]

LOG = logging.getLogger(__name__)

# POST routes that only read (lookups and compatibility checks): allowed to read-only users and
# answered locally by followers.
READ_ONLY_POSTS = ("/subjects/{subject}", "/compatibility/")


def _schema_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    try:
        value = int(raw)
    except ValueError:
        raise RegistryError.schema_not_found(f"Schema {raw} not found") from None
    return value


class RegistryRoutes:
    """The handlers; :meth:`add_to` wires them into an application."""

    def __init__(self, service: RegistryService) -> None:
        self.service = service
        self._id_bodies: dict[int, bytes] = {}

    def add_to(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/", self.root)
        r.add_get("/schemas/types", self.schema_types)
        r.add_get("/schemas", self.list_schemas)
        r.add_get("/schemas/ids/{id}", self.schema_by_id)
        r.add_get("/schemas/ids/{id}/schema", self.raw_schema_by_id)
        r.add_get("/schemas/ids/{id}/subjects", self.subjects_by_id)
        r.add_get("/schemas/ids/{id}/versions", self.versions_by_id)
        r.add_get("/subjects", self.list_subjects)
        r.add_post("/subjects/{subject}", self.lookup)
        r.add_delete("/subjects/{subject}", self.delete_subject)
        r.add_get("/subjects/{subject}/versions", self.list_versions)
        r.add_post("/subjects/{subject}/versions", self.register)
        r.add_get("/subjects/{subject}/versions/{version}", self.get_version)
        r.add_delete("/subjects/{subject}/versions/{version}", self.delete_version)
        r.add_get("/subjects/{subject}/versions/{version}/schema", self.raw_version)
        r.add_get("/subjects/{subject}/versions/{version}/referencedby", self.referenced_by)
        r.add_get("/config", self.get_global_config)
        r.add_put("/config", self.put_global_config)
        r.add_delete("/config", self.delete_global_config)
        r.add_get("/config/{subject}", self.get_subject_config)
        r.add_put("/config/{subject}", self.put_subject_config)
        r.add_delete("/config/{subject}", self.delete_subject_config)
        r.add_get("/mode", self.get_global_mode)
        r.add_put("/mode", self.put_global_mode)
        r.add_get("/mode/{subject}", self.get_subject_mode)
        r.add_put("/mode/{subject}", self.put_subject_mode)
        r.add_delete("/mode/{subject}", self.delete_subject_mode)
        r.add_post("/compatibility/subjects/{subject}/versions", self.check_all)
        r.add_post("/compatibility/subjects/{subject}/versions/{version}", self.check_version)
        r.add_get("/contexts", self.contexts)

    # ------------------------------------------------------------------ helpers
    def _render(self, schema: StoredSchema, request: web.Request) -> dict[str, object]:
        body = schema.to_json()
        if query_bool(request, "fetchMaxId"):
            body["maxId"] = self.service.state.max_id
        if request.query.get("format") == "serialized" and schema.schema_type is SchemaType.PROTOBUF:
            parsed: ParsedSchema = self.service.state.parsed(schema.schema_id)
            if isinstance(parsed.parsed, ParsedProtobuf):
                body["schema"] = parsed.parsed.serialized_base64()
        return body

    # ------------------------------------------------------------------ misc
    async def root(self, request: web.Request) -> web.Response:
        return json_response({})

    async def contexts(self, request: web.Request) -> web.Response:
        return json_response(["."])

    async def schema_types(self, request: web.Request) -> web.Response:
        return json_response([str(SchemaType.PROTOBUF), str(SchemaType.AVRO)])

    # ------------------------------------------------------------------ /schemas
    async def list_schemas(self, request: web.Request) -> web.Response:
        rows = self.service.list_schemas(
            prefix=request.query.get("subjectPrefix", ""),
            deleted=query_bool(request, "deleted"),
            latest_only=query_bool(request, "latestOnly"),
            offset=max(0, query_int(request, "offset", 0)),
            limit=query_int(request, "limit", -1),
        )
        return json_response(rows)

    async def schema_by_id(self, request: web.Request) -> web.Response:
        schema = self.service.schema_by_id(_schema_id(request))
        if request.query:
            return json_response(self._render(schema, request))
        # the hot path of every deserializer: ids are immutable and never reused, so cache the body
        body = self._id_bodies.get(schema.schema_id)
        if body is None:
            body = json_body(schema.to_json())
            self._id_bodies[schema.schema_id] = body
        return web.Response(body=body, content_type=CONTENT_TYPE)

    async def raw_schema_by_id(self, request: web.Request) -> web.Response:
        schema = self.service.schema_by_id(_schema_id(request))
        return web.Response(text=schema.text, content_type="application/vnd.schemaregistry.v1+json")

    async def subjects_by_id(self, request: web.Request) -> web.Response:
        return json_response(
            self.service.subjects_of_id(_schema_id(request), deleted=query_bool(request, "deleted"))
        )

    async def versions_by_id(self, request: web.Request) -> web.Response:
        return json_response(
            self.service.versions_of_id(_schema_id(request), deleted=query_bool(request, "deleted"))
        )

    # ------------------------------------------------------------------ /subjects
    async def list_subjects(self, request: web.Request) -> web.Response:
        names = self.service.subjects(
            prefix=request.query.get("subjectPrefix", ""),
            deleted=query_bool(request, "deleted"),
            deleted_only=query_bool(request, "deletedOnly"),
        )
        return json_response(names)

    async def lookup(self, request: web.Request) -> web.Response:
        body = await read_json_object(request)
        found = self.service.lookup(
            request.match_info["subject"], schema_request(body), deleted=query_bool(request, "deleted")
        )
        return json_response(found)

    async def register(self, request: web.Request) -> web.Response:
        body = await read_json_object(request)
        result = await self.service.register(
            request.match_info["subject"], schema_request(body, allow_id=True)
        )
        return json_response(result)

    async def list_versions(self, request: web.Request) -> web.Response:
        versions = self.service.versions(
            request.match_info["subject"],
            deleted=query_bool(request, "deleted"),
            deleted_only=query_bool(request, "deletedOnly"),
        )
        return json_response(versions)

    async def get_version(self, request: web.Request) -> web.Response:
        version = parse_version(request.match_info["version"])
        entry = self.service.get_version(
            request.match_info["subject"], version, deleted=query_bool(request, "deleted")
        )
        schema = self.service.state.schemas[entry.schema_id]
        body: dict[str, Any] = {"subject": entry.subject, "version": entry.version, "id": entry.schema_id}
        body.update(self._render(schema, request))
        return json_response(body)

    async def raw_version(self, request: web.Request) -> web.Response:
        version = parse_version(request.match_info["version"])
        entry = self.service.get_version(
            request.match_info["subject"], version, deleted=query_bool(request, "deleted")
        )
        schema = self.service.state.schemas[entry.schema_id]
        return web.Response(text=schema.text, content_type="application/vnd.schemaregistry.v1+json")

    async def referenced_by(self, request: web.Request) -> web.Response:
        version = parse_version(request.match_info["version"])
        return json_response(self.service.referenced_by(request.match_info["subject"], version))

    async def delete_subject(self, request: web.Request) -> web.Response:
        deleted = await self.service.delete_subject(
            request.match_info["subject"], permanent=query_bool(request, "permanent")
        )
        return json_response(deleted)

    async def delete_version(self, request: web.Request) -> web.Response:
        version = parse_version(request.match_info["version"])
        deleted = await self.service.delete_version(
            request.match_info["subject"], version, permanent=query_bool(request, "permanent")
        )
        return json_response(deleted)

    # ------------------------------------------------------------------ /config
    async def get_global_config(self, request: web.Request) -> web.Response:
        return json_response({"compatibilityLevel": str(self.service.global_compatibility())})

    async def _put_config(self, request: web.Request, subject: str | None) -> web.Response:
        body = await read_json_object(request)
        level = await self.service.set_compatibility(subject, body.get("compatibility"))
        return json_response({"compatibility": str(level)})

    async def put_global_config(self, request: web.Request) -> web.Response:
        return await self._put_config(request, None)

    async def delete_global_config(self, request: web.Request) -> web.Response:
        previous = await self.service.delete_compatibility(None)
        return json_response({"compatibilityLevel": str(previous)})

    async def get_subject_config(self, request: web.Request) -> web.Response:
        level = self.service.subject_compatibility(
            request.match_info["subject"], default_to_global=query_bool(request, "defaultToGlobal")
        )
        return json_response({"compatibilityLevel": str(level)})

    async def put_subject_config(self, request: web.Request) -> web.Response:
        return await self._put_config(request, request.match_info["subject"])

    async def delete_subject_config(self, request: web.Request) -> web.Response:
        previous = await self.service.delete_compatibility(request.match_info["subject"])
        return json_response({"compatibilityLevel": str(previous)})

    # ------------------------------------------------------------------ /mode
    async def get_global_mode(self, request: web.Request) -> web.Response:
        return json_response({"mode": str(self.service.global_mode())})

    async def _put_mode(self, request: web.Request, subject: str | None) -> web.Response:
        body = await read_json_object(request)
        mode = await self.service.set_mode(subject, body.get("mode"), force=query_bool(request, "force"))
        return json_response({"mode": str(mode)})

    async def put_global_mode(self, request: web.Request) -> web.Response:
        return await self._put_mode(request, None)

    async def get_subject_mode(self, request: web.Request) -> web.Response:
        mode = self.service.subject_mode(
            request.match_info["subject"], default_to_global=query_bool(request, "defaultToGlobal")
        )
        return json_response({"mode": str(mode)})

    async def put_subject_mode(self, request: web.Request) -> web.Response:
        return await self._put_mode(request, request.match_info["subject"])

    async def delete_subject_mode(self, request: web.Request) -> web.Response:
        previous = await self.service.delete_mode(request.match_info["subject"])
        return json_response({"mode": str(previous)})

    # ------------------------------------------------------------------ /compatibility
    async def _check(self, request: web.Request, version: int | None) -> web.Response:
        body = await read_json_object(request)
        problems = self.service.check_compatibility(
            request.match_info["subject"], version, schema_request(body)
        )
        result: dict[str, object] = {"is_compatible": not problems}
        if query_bool(request, "verbose"):
            result["messages"] = problems
        return json_response(result)

    async def check_all(self, request: web.Request) -> web.Response:
        return await self._check(request, None)

    async def check_version(self, request: web.Request) -> web.Response:
        return await self._check(request, parse_version(request.match_info["version"]))
