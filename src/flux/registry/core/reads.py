"""Reads (Confluent's SchemasResource, SubjectsResource and the GETs of SubjectVersionsResource):
schemas by id and by guid, subjects, versions, lookups and the latest version with given metadata.

Every answer that carries a schema carries its ``guid``, its ``schemaType`` (AVRO too, as
Confluent 8) and its ``metadata`` and ``ruleSet`` (when it has them). Subject paths go through
the subject's ``alias`` first, as Confluent's alias filter does. Ids are looked up in the context
of the ``subject`` given (the default context without one); a version read or a lookup of a
subject without a context that finds nothing tries the same name in every other context, as
Confluent's ``...UsingContexts`` reads do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from flux.registry.core.candidates import Candidates
from flux.registry.core.config import ConfigOperations
from flux.registry.core.context import RegistryContext
from flux.registry.core.data_contracts import complete_contracts
from flux.registry.core.errors import RegistryError
from flux.registry.core.model import StoredSchema, SubjectVersion
from flux.registry.core.qualified import (
    CONTEXT_WILDCARD,
    DEFAULT_CONTEXT,
    context_of,
    is_context_only,
    local_name,
    normalize,
)
from flux.registry.core.requests import LATEST, SchemaRequest
from flux.schemas.protobuf_schema import ParsedProtobuf
from flux.schemas.types import SchemaType

__all__ = ["Reads"]

_Found = TypeVar("_Found")


class Reads:
    """What the read routes answer."""

    def __init__(self, context: RegistryContext, config: ConfigOperations, candidates: Candidates) -> None:
        self._context = context
        self._state = context.state
        self._config = config
        self._candidates = candidates

    def generation(self) -> int:
        """The state's generation (one more per applied log record): answers computed at one
        generation hold until it changes (the API's answer caches)."""
        return self._state.generation

    # ------------------------------------------------------------------ schemas by id and guid
    def schema_by_id(self, schema_id: int, subject: str | None = None) -> StoredSchema:
        schema = self._state.schemas.get((context_of(subject), schema_id))
        if schema is None:
            raise RegistryError.schema_not_found(f"Schema {schema_id} not found")
        return schema

    def schema_by_guid(self, guid: str) -> StoredSchema:
        schema = self._state.by_guid(guid)
        if schema is None:
            raise RegistryError.schema_not_found(f"Schema {guid} not found")
        return schema

    def schema_json(
        self, schema: StoredSchema, *, fetch_max_id: bool = False, serialized: bool = False
    ) -> dict[str, object]:
        """A schema's JSON; ``serialized`` gives Protobuf as a base64 ``FileDescriptorProto``
        (``format=serialized``), ``fetch_max_id`` adds ``maxId`` (of the schema's context)."""
        body = schema.to_json(self._state.guid_of(schema.ref))
        if fetch_max_id:
            body["maxId"] = self._state.max_id_in(schema.context)
        if serialized and schema.schema_type is SchemaType.PROTOBUF:
            parsed = self._state.parsed(schema.ref).parsed
            if isinstance(parsed, ParsedProtobuf):
                body["schema"] = parsed.serialized_base64()
        return body

    def _users(self, schema_id: int, subject: str | None, deleted: bool) -> list[tuple[str, int]]:
        schema = self.schema_by_id(schema_id, subject)
        state = self._state
        return [
            (s, v)
            for s, v in state.users_of(schema.ref)
            if (deleted or not state.subjects[s][v].deleted)
            and (not subject or is_context_only(subject) or s == normalize(subject))
        ]

    def subjects_of_id(self, schema_id: int, *, subject: str | None = None, deleted: bool) -> list[str]:
        return sorted({s for s, _ in self._users(schema_id, subject, deleted)})

    def versions_of_id(
        self, schema_id: int, *, subject: str | None = None, deleted: bool
    ) -> list[dict[str, object]]:
        return [{"subject": s, "version": v} for s, v in self._users(schema_id, subject, deleted)]

    def list_schemas(self, *, prefix: str, deleted: bool, latest_only: bool) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        for subject in self.subjects(prefix=prefix, deleted=deleted, deleted_only=False):
            versions = self._state.versions(subject, include_deleted=deleted)
            if latest_only:
                versions = versions[-1:]
            rows.extend(self.version_json(v) for v in versions)
        return rows

    def max_id(self) -> int:
        return self._state.max_id

    def max_id_in(self, context: str) -> int:
        return self._state.max_id_in(context)

    def counts(self) -> tuple[int, int]:
        """(schemas, live subjects), for the metrics."""
        return len(self._state.schemas), len(self._state.subject_names())

    def versions_by_type(self) -> tuple[Mapping[SchemaType, int], Mapping[SchemaType, int]]:
        """Subject versions registered and soft-deleted, by schema type, since start-up."""
        return self._state.created, self._state.deleted

    def contexts(self) -> list[str]:
        return self._state.contexts()

    # ------------------------------------------------------------------ subjects and versions
    def stored(self, entry: SubjectVersion) -> StoredSchema:
        return self._state.schemas[entry.ref]

    def version_json(self, entry: SubjectVersion, *, serialized: bool = False) -> dict[str, object]:
        body: dict[str, object] = {"subject": entry.subject, "version": entry.version, "id": entry.schema_id}
        body.update(self.schema_json(self.stored(entry), serialized=serialized))
        return body

    def subjects(self, *, prefix: str, deleted: bool, deleted_only: bool) -> list[str]:
        """Subjects whose qualified name starts with ``prefix``: Confluent's default, ``:*:``,
        lists every context; a plain prefix looks in the default context."""
        names = self._state.subject_names(include_deleted=deleted, deleted_only=deleted_only)
        if prefix in ("", CONTEXT_WILDCARD):
            return names
        if prefix.startswith(":") and context_of(prefix) != DEFAULT_CONTEXT:
            wanted = context_of(prefix)
            return [
                n for n in names if context_of(n) == wanted and local_name(n).startswith(local_name(prefix))
            ]
        plain = normalize(prefix)
        return [n for n in names if context_of(n) == DEFAULT_CONTEXT and n.startswith(plain)]

    def _in_contexts(self, subject: str, find: Callable[[str], _Found | None]) -> _Found | None:
        """``find`` on the subject, then (a subject without a context) in every other context."""
        found = find(subject)
        if found is not None or context_of(subject) != DEFAULT_CONTEXT:
            return found
        for context in self._state.contexts()[1:]:
            found = find(f":{context}:{subject}")
            if found is not None:
                return found
        return None

    def _versions_or_404(self, subject: str, *, deleted: bool) -> list[SubjectVersion]:
        versions = self._state.versions(subject, include_deleted=deleted)
        if not versions:
            raise RegistryError.subject_not_found(subject)
        return versions

    def versions(self, subject: str, *, deleted: bool, deleted_only: bool = False) -> list[int]:
        subject = normalize(self._config.resolve_alias(subject))
        versions = self._versions_or_404(subject, deleted=deleted or deleted_only)
        return [v.version for v in versions if not deleted_only or v.deleted]

    def get_version(self, subject: str, version: int, *, deleted: bool) -> SubjectVersion:
        """One version (``LATEST`` for the newest); 40401 / 40402 as Confluent."""
        subject = normalize(self._config.resolve_alias(subject))

        def find(name: str) -> SubjectVersion | None:
            versions = self._state.versions(name, include_deleted=deleted)
            if version == LATEST:
                return versions[-1] if versions else None
            return next((v for v in versions if v.version == version), None)

        found = self._in_contexts(subject, find)
        if found is not None:
            return found
        self._versions_or_404(subject, deleted=deleted)
        raise RegistryError.version_not_found(version)

    def referenced_by(self, subject: str, version: int) -> list[int]:
        entry = self.get_version(subject, version, deleted=True)
        return self._state.referenced_by(entry.subject, entry.version)

    # ------------------------------------------------------------------ lookups
    async def indexed(self) -> None:
        """Wait, yielding, until every schema's identity is known (before :meth:`lookup`)."""
        await self._context.indexed()

    def lookup(self, subject: str, request: SchemaRequest, *, deleted: bool) -> dict[str, object]:
        """``POST /subjects/{subject}``: the version holding this schema (40401, 40403).

        As Confluent, a request that matches nothing is tried once more with the metadata and
        rule set a registration would give it (config defaults and overrides, or the latest
        version's); an empty schema matches nothing (40403 when the subject exists).
        """
        subject = normalize(self._config.resolve_alias(subject))
        if request.empty:
            self._versions_or_404(subject, deleted=deleted)
            raise RegistryError.schema_not_found()
        found = self._in_contexts(subject, lambda name: self._lookup_in(name, request, deleted))
        if found is None:
            self._versions_or_404(subject, deleted=deleted)
            raise RegistryError.schema_not_found()
        return self.version_json(found)

    def _lookup_in(self, subject: str, request: SchemaRequest, deleted: bool) -> SubjectVersion | None:
        if not self._state.versions(subject, include_deleted=deleted):
            return None
        candidate = self._candidates.prepare(request, subject)
        found = self._candidates.match_in_subject(subject, candidate, deleted=deleted)
        live = self._state.versions(subject)
        if found is None and live:
            metadata, rule_set = complete_contracts(
                self._config.config_in_scope(subject),
                candidate.metadata,
                candidate.rule_set,
                self.stored(live[-1]),
                new_version=None,
                version_given=False,
            )
            if (metadata, rule_set) != (candidate.metadata, candidate.rule_set):
                completed = candidate.with_contracts(metadata, rule_set)
                found = self._candidates.match_in_subject(subject, completed, deleted=deleted)
        return found

    def latest_with_metadata(
        self, subject: str, wanted: Mapping[str, str], *, deleted: bool
    ) -> SubjectVersion:
        """``GET /subjects/{subject}/metadata``: the newest version whose metadata has every
        property in ``wanted`` (40401 without versions, 40403 when none matches)."""
        subject = normalize(self._config.resolve_alias(subject))
        for entry in reversed(self._versions_or_404(subject, deleted=deleted)):
            metadata = self.stored(entry).metadata
            if metadata is not None and all(metadata.get(k) == v for k, v in wanted.items()):
                return entry
        raise RegistryError.schema_not_found()
