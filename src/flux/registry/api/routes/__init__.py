"""Confluent v1 REST routes, one module per Confluent resource: schemas, subjects (with their
versions), config and mode, compatibility."""

from __future__ import annotations

from typing import Final

from flux.registry.core.answers import DEFAULT_CACHE_BYTES, DEFAULT_CACHE_ENTRIES, AnswerCache
from flux.registry.core.service import RegistryService

from .compatibility import CompatibilityRoutes
from .config import ConfigRoutes
from .prefix import CONTEXT_PREFIX, Routes
from .schemas import SchemaRoutes, ServerIdentity
from .subjects import SubjectRoutes

__all__ = ["READ_ONLY_POSTS", "RegistryRoutes", "Routes", "ServerIdentity", "is_read_only_post"]

# POST routes that only read (lookups and compatibility checks): allowed to read-only users and
# answered locally by followers.
READ_ONLY_POSTS: Final = ("/subjects/{subject}", "/compatibility/")


def is_read_only_post(route: str) -> bool:
    """True for a lookup or compatibility check (also under ``/contexts/{context}``)."""
    route = route.removeprefix(CONTEXT_PREFIX)
    return route == READ_ONLY_POSTS[0] or route.startswith(READ_ONLY_POSTS[1])


class RegistryRoutes:
    """Every route of the v1 API; :meth:`add_to` wires them into an application."""

    def __init__(
        self,
        service: RegistryService,
        identity: ServerIdentity,
        *,
        cache_entries: int = DEFAULT_CACHE_ENTRIES,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> None:
        lookups: AnswerCache[tuple[int, bytes]] = AnswerCache(
            "lookup", service.reads.generation, max_entries=cache_entries, max_bytes=cache_bytes
        )
        id_bodies: AnswerCache[bytes] = AnswerCache(
            "schema_by_id", None, max_entries=cache_entries, max_bytes=cache_bytes
        )
        self.caches: tuple[AnswerCache[tuple[int, bytes]] | AnswerCache[bytes], ...] = (lookups, id_bodies)
        self._parts = (
            SchemaRoutes(service, identity, id_bodies),
            SubjectRoutes(service, lookups),
            ConfigRoutes(service),
            CompatibilityRoutes(service),
        )

    def add_to(self, routes: Routes) -> None:
        for part in self._parts:
            part.add_to(routes)
