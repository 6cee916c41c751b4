"""``/subjects``: subjects, lookups, registration, versions, deletes and ``/metadata``."""

from __future__ import annotations

from aiohttp import web

from flux.registry.core.answers import AnswerCache
from flux.registry.core.errors import RegistryError
from flux.registry.core.requests import parse_version, schema_request
from flux.registry.core.service import RegistryService

from ..http import (
    CONTENT_TYPE,
    json_body,
    json_response,
    paginate,
    query_bool,
    query_pairs,
    read_json_object,
)
from .prefix import Routes, subject_prefix_query

__all__ = ["SubjectRoutes"]


class SubjectRoutes:
    """Handlers of Confluent's subjects and subject-versions resources."""

    def __init__(
        self, service: RegistryService, lookups: AnswerCache[tuple[int, bytes]] | None = None
    ) -> None:
        self._reads = service.reads
        self._registration = service.registration
        self._deletes = service.deletes
        # Lookups answered before, by the exact request: (qualified subject, query string, body
        # bytes) -> (status, encoded answer). Dropped whenever the state changes.
        self.lookups = lookups if lookups is not None else AnswerCache("lookup", service.reads.generation)

    def add_to(self, routes: Routes) -> None:
        routes.add("GET", "/subjects", self.list_subjects)
        routes.add_hot("POST", "/subjects/{subject}", self.lookup)  # every serializer's call
        for method, path, handler in (
            ("DELETE", "/subjects/{subject}", self.delete_subject),
            ("GET", "/subjects/{subject}/metadata", self.latest_with_metadata),
            ("GET", "/subjects/{subject}/versions", self.list_versions),
            ("POST", "/subjects/{subject}/versions", self.register),
            ("GET", "/subjects/{subject}/versions/{version}", self.get_version),
            ("DELETE", "/subjects/{subject}/versions/{version}", self.delete_version),
            ("GET", "/subjects/{subject}/versions/{version}/schema", self.raw_version),
            ("GET", "/subjects/{subject}/versions/{version}/referencedby", self.referenced_by),
        ):
            routes.add(method, path, handler)

    async def list_subjects(self, request: web.Request) -> web.Response:
        names = self._reads.subjects(
            prefix=subject_prefix_query(request, every_context=":*:"),
            deleted=query_bool(request, "deleted"),
            deleted_only=query_bool(request, "deletedOnly"),
        )
        return json_response(paginate(request, names))

    async def lookup(self, request: web.Request, subject: str) -> web.Response:
        raw = await request.read()
        key = (subject, request.query_string, raw)
        cache = self.lookups
        found = cache.get(key)
        if found is None:
            try:
                body = await read_json_object(request)
                await self._reads.indexed()
                # nothing awaits from here to put(): the answer is of this generation's state
                generation = cache.generation()
                status, answer = (
                    200,
                    json_body(
                        self._reads.lookup(
                            subject, schema_request(body), deleted=query_bool(request, "deleted")
                        )
                    ),
                )
            except RegistryError as exc:
                if exc.http_status >= 500:
                    raise
                generation = cache.generation()
                status, answer = exc.http_status, json_body(exc.body())
            found = (status, answer)
            cache.put(key, found, generation=generation, size=len(raw) + len(subject) + len(answer) + 256)
        return web.Response(body=found[1], status=found[0], content_type=CONTENT_TYPE)

    async def register(self, request: web.Request) -> web.Response:
        body = await read_json_object(request)
        result = await self._registration.register(
            request.match_info["subject"], schema_request(body, register=True)
        )
        return json_response(result)

    async def latest_with_metadata(self, request: web.Request) -> web.Response:
        entry = self._reads.latest_with_metadata(
            request.match_info["subject"],
            query_pairs(request, "key", "value"),
            deleted=query_bool(request, "deleted"),
        )
        return json_response(
            self._reads.version_json(entry, serialized=request.query.get("format") == "serialized")
        )

    async def list_versions(self, request: web.Request) -> web.Response:
        versions = self._reads.versions(
            request.match_info["subject"],
            deleted=query_bool(request, "deleted"),
            deleted_only=query_bool(request, "deletedOnly"),
        )
        return json_response(paginate(request, versions))

    async def get_version(self, request: web.Request) -> web.Response:
        version = parse_version(request.match_info["version"])
        entry = self._reads.get_version(
            request.match_info["subject"], version, deleted=query_bool(request, "deleted")
        )
        return json_response(
            self._reads.version_json(entry, serialized=request.query.get("format") == "serialized")
        )

    async def raw_version(self, request: web.Request) -> web.Response:
        version = parse_version(request.match_info["version"])
        entry = self._reads.get_version(
            request.match_info["subject"], version, deleted=query_bool(request, "deleted")
        )
        return web.Response(text=self._reads.stored(entry).text, content_type=CONTENT_TYPE)

    async def referenced_by(self, request: web.Request) -> web.Response:
        version = parse_version(request.match_info["version"])
        return json_response(
            paginate(request, self._reads.referenced_by(request.match_info["subject"], version))
        )

    async def delete_subject(self, request: web.Request) -> web.Response:
        deleted = await self._deletes.delete_subject(
            request.match_info["subject"], permanent=query_bool(request, "permanent")
        )
        return json_response(deleted)

    async def delete_version(self, request: web.Request) -> web.Response:
        version = parse_version(request.match_info["version"])
        deleted = await self._deletes.delete_version(
            request.match_info["subject"], version, permanent=query_bool(request, "permanent")
        )
        return json_response(deleted)
