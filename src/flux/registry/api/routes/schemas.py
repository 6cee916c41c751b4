"""``/``, ``/contexts`` and ``/schemas``: schema types, listing, and schemas by global id."""

from __future__ import annotations

from aiohttp import web

from flux.registry.core.errors import RegistryError
from flux.registry.core.service import RegistryService
from flux.schemas.types import SchemaType

from ..http import CONTENT_TYPE, json_body, json_response, query_bool, query_int

__all__ = ["SchemaRoutes"]


def _schema_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    try:
        return int(raw)
    except ValueError:
        raise RegistryError.schema_not_found(f"Schema {raw} not found") from None


class SchemaRoutes:
    """Handlers of Confluent's root, contexts and schemas resources."""

    def __init__(self, service: RegistryService) -> None:
        self._reads = service.reads
        self._id_bodies: dict[int, bytes] = {}

    def add_to(self, router: web.UrlDispatcher) -> None:
        router.add_get("/", self.root)
        router.add_get("/contexts", self.contexts)
        router.add_get("/schemas/types", self.schema_types)
        router.add_get("/schemas", self.list_schemas)
        router.add_get("/schemas/ids/{id}", self.schema_by_id)
        router.add_get("/schemas/ids/{id}/schema", self.raw_schema_by_id)
        router.add_get("/schemas/ids/{id}/subjects", self.subjects_by_id)
        router.add_get("/schemas/ids/{id}/versions", self.versions_by_id)

    async def root(self, request: web.Request) -> web.Response:
        return json_response({})

    async def contexts(self, request: web.Request) -> web.Response:
        return json_response(["."])

    async def schema_types(self, request: web.Request) -> web.Response:
        return json_response([str(SchemaType.PROTOBUF), str(SchemaType.AVRO)])

    async def list_schemas(self, request: web.Request) -> web.Response:
        rows = self._reads.list_schemas(
            prefix=request.query.get("subjectPrefix", ""),
            deleted=query_bool(request, "deleted"),
            latest_only=query_bool(request, "latestOnly"),
            offset=max(0, query_int(request, "offset", 0)),
            limit=query_int(request, "limit", -1),
        )
        return json_response(rows)

    async def schema_by_id(self, request: web.Request) -> web.Response:
        schema = self._reads.schema_by_id(_schema_id(request))
        if request.query:
            body = self._reads.schema_json(
                schema,
                fetch_max_id=query_bool(request, "fetchMaxId"),
                serialized=request.query.get("format") == "serialized",
            )
            return json_response(body)
        # the hot path of every deserializer: ids are immutable and never reused, so cache the body
        cached = self._id_bodies.get(schema.schema_id)
        if cached is None:
            cached = json_body(schema.to_json())
            self._id_bodies[schema.schema_id] = cached
        return web.Response(body=cached, content_type=CONTENT_TYPE)

    async def raw_schema_by_id(self, request: web.Request) -> web.Response:
        schema = self._reads.schema_by_id(_schema_id(request))
        return web.Response(text=schema.text, content_type=CONTENT_TYPE)

    async def subjects_by_id(self, request: web.Request) -> web.Response:
        return json_response(
            self._reads.subjects_of_id(_schema_id(request), deleted=query_bool(request, "deleted"))
        )

    async def versions_by_id(self, request: web.Request) -> web.Response:
        return json_response(
            self._reads.versions_of_id(_schema_id(request), deleted=query_bool(request, "deleted"))
        )
