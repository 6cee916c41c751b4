"""``/``, ``/contexts``, ``/schemas`` and ``/v1/metadata``: schema types, listing, schemas by id and
by guid, contexts, and the server's cluster ids and version."""

from __future__ import annotations

import re
from collections.abc import Callable

from aiohttp import web

from flux.registry.core.answers import AnswerCache
from flux.registry.core.errors import RegistryError
from flux.registry.core.service import RegistryService
from flux.schemas.types import SchemaType

from ..http import CONTENT_TYPE, json_body, json_response, paginate, query_bool
from .prefix import Routes, subject_prefix_query, subject_query

__all__ = ["SchemaRoutes", "ServerIdentity"]


class ServerIdentity:
    """What ``/v1/metadata`` tells: the Kafka cluster's id, the registry's group and version."""

    def __init__(self, kafka_cluster_id: Callable[[], str | None], group_id: str, version: str) -> None:
        self._kafka_cluster_id = kafka_cluster_id  # asked when needed: known once the log started
        self.group_id = group_id
        self.version = version

    @property
    def kafka_cluster_id(self) -> str:
        return self._kafka_cluster_id() or ""


_ID = re.compile(r"[+-]?[0-9]+")


def _schema_id(request: web.Request) -> int:
    return _parse_id(request.match_info["id"])


def _parse_id(raw: str) -> int:
    """An id as Java's ``Integer.valueOf`` reads a path parameter: an optional sign and digits
    (Python's ``int`` would also take spaces and ``1_000``)."""
    if _ID.fullmatch(raw) is None:
        raise RegistryError.schema_not_found(f"Schema {raw} not found")
    return int(raw)


class SchemaRoutes:
    """Handlers of Confluent's root, contexts, schemas and server-metadata resources."""

    def __init__(
        self, service: RegistryService, identity: ServerIdentity, id_bodies: AnswerCache[bytes] | None = None
    ) -> None:
        self._reads = service.reads
        self._identity = identity
        # Bodies of /schemas/ids/{id}, encoded once. A schema under an id never changes (ids are
        # never reused), so the entries never go stale: the schema is looked up first on every
        # request (a permanently deleted one is 404), and maxId, the one part that changes, is
        # part of the key.
        self.id_bodies = id_bodies if id_bodies is not None else AnswerCache("schema_by_id")

    def add_to(self, routes: Routes) -> None:
        routes.get("/", self.root)
        routes.get("/contexts", self.contexts)
        routes.get("/v1/metadata/id", self.cluster_id)
        routes.get("/v1/metadata/version", self.server_version)
        routes.add("GET", "/schemas/types", self.schema_types)
        routes.add("GET", "/schemas", self.list_schemas)
        routes.add_hot("GET", "/schemas/ids/{id}", self.schema_by_id)  # every deserializer's call
        for path, handler in (
            ("/schemas/ids/{id}/schema", self.raw_schema_by_id),
            ("/schemas/ids/{id}/subjects", self.subjects_by_id),
            ("/schemas/ids/{id}/versions", self.versions_by_id),
            ("/schemas/guids/{guid}", self.schema_by_guid),
        ):
            routes.add("GET", path, handler)

    async def root(self, request: web.Request) -> web.Response:
        return json_response({})

    async def contexts(self, request: web.Request) -> web.Response:
        return json_response(self._reads.contexts())

    async def cluster_id(self, request: web.Request) -> web.Response:
        clusters = {
            "kafka-cluster": self._identity.kafka_cluster_id,
            "schema-registry-cluster": self._identity.group_id,
        }
        return json_response({"scope": {"path": [], "clusters": clusters}})

    async def server_version(self, request: web.Request) -> web.Response:
        return json_response({"version": self._identity.version, "commitId": ""})

    async def schema_types(self, request: web.Request) -> web.Response:
        return json_response([str(SchemaType.JSON), str(SchemaType.PROTOBUF), str(SchemaType.AVRO)])

    async def list_schemas(self, request: web.Request) -> web.Response:
        rows = self._reads.list_schemas(
            prefix=subject_prefix_query(request),
            deleted=query_bool(request, "deleted"),
            latest_only=query_bool(request, "latestOnly"),
        )
        return json_response(paginate(request, rows))

    async def schema_by_id(self, request: web.Request, raw_id: str) -> web.Response:
        query = request.query
        schema = self._reads.schema_by_id(_parse_id(raw_id), subject_query(request))
        serialized = fetch_max_id = False
        if query:
            serialized = query.get("format") == "serialized"
            fetch_max_id = query_bool(request, "fetchMaxId")
        max_id = self._reads.max_id_in(schema.context) if fetch_max_id else None
        key = (schema.ref, serialized, max_id)
        cache = self.id_bodies
        body = cache.get(key)
        if body is None:
            generation = cache.generation()
            body = json_body(
                self._reads.schema_json(schema, fetch_max_id=fetch_max_id, serialized=serialized)
            )
            cache.put(key, body, generation=generation, size=len(body) + 64)
        return web.Response(body=body, content_type=CONTENT_TYPE)

    async def raw_schema_by_id(self, request: web.Request) -> web.Response:
        schema = self._reads.schema_by_id(_schema_id(request), subject_query(request))
        return web.Response(text=schema.text, content_type=CONTENT_TYPE)

    async def subjects_by_id(self, request: web.Request) -> web.Response:
        subjects = self._reads.subjects_of_id(
            _schema_id(request), subject=subject_query(request), deleted=query_bool(request, "deleted")
        )
        return json_response(paginate(request, subjects))

    async def versions_by_id(self, request: web.Request) -> web.Response:
        versions = self._reads.versions_of_id(
            _schema_id(request), subject=subject_query(request), deleted=query_bool(request, "deleted")
        )
        return json_response(paginate(request, versions))

    async def schema_by_guid(self, request: web.Request) -> web.Response:
        schema = self._reads.schema_by_guid(request.match_info["guid"])
        body = self._reads.schema_json(schema, serialized=request.query.get("format") == "serialized")
        return json_response(body)
