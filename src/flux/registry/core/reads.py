"""Reads (Confluent's SchemasResource, SubjectsResource and the GETs of SubjectVersionsResource):
schemas by id, subjects, versions, lookups and the latest version with given metadata.

Every answer that carries a schema carries its ``metadata`` and ``ruleSet`` (when it has them).
Subject paths go through the subject's ``alias`` first, as Confluent's alias filter does.
"""

from __future__ import annotations

from collections.abc import Mapping

from flux.registry.core.candidates import Candidates
from flux.registry.core.config import ConfigOperations
from flux.registry.core.context import RegistryContext
from flux.registry.core.data_contracts import complete_contracts
from flux.registry.core.errors import RegistryError
from flux.registry.core.model import StoredSchema, SubjectVersion
from flux.registry.core.requests import LATEST, SchemaRequest
from flux.schemas.protobuf_schema import ParsedProtobuf
from flux.schemas.types import SchemaType

__all__ = ["Reads"]


class Reads:
    """What the read routes answer."""

    def __init__(self, context: RegistryContext, config: ConfigOperations, candidates: Candidates) -> None:
        self._state = context.state
        self._config = config
        self._candidates = candidates

    # ------------------------------------------------------------------ schemas by id
    def schema_by_id(self, schema_id: int) -> StoredSchema:
        schema = self._state.schemas.get(schema_id)
        if schema is None:
            raise RegistryError.schema_not_found(f"Schema {schema_id} not found")
        return schema

    def schema_json(
        self, schema: StoredSchema, *, fetch_max_id: bool = False, serialized: bool = False
    ) -> dict[str, object]:
        """A schema's JSON; ``serialized`` gives Protobuf as a base64 ``FileDescriptorProto``
        (``format=serialized``), ``fetch_max_id`` adds ``maxId``."""
        body = schema.to_json()
        if fetch_max_id:
            body["maxId"] = self._state.max_id
        if serialized and schema.schema_type is SchemaType.PROTOBUF:
            parsed = self._state.parsed(schema.schema_id).parsed
            if isinstance(parsed, ParsedProtobuf):
                body["schema"] = parsed.serialized_base64()
        return body

    def subjects_of_id(self, schema_id: int, *, deleted: bool) -> list[str]:
        self.schema_by_id(schema_id)
        state = self._state
        return sorted(
            {s for s, v in state.users_of(schema_id) if deleted or not state.subjects[s][v].deleted}
        )

    def versions_of_id(self, schema_id: int, *, deleted: bool) -> list[dict[str, object]]:
        self.schema_by_id(schema_id)
        state = self._state
        return [
            {"subject": s, "version": v}
            for s, v in state.users_of(schema_id)
            if deleted or not state.subjects[s][v].deleted
        ]

    def list_schemas(
        self, *, prefix: str, deleted: bool, latest_only: bool, offset: int, limit: int
    ) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        for subject in self._state.subject_names(include_deleted=deleted):
            if not subject.startswith(prefix):
                continue
            versions = self._state.versions(subject, include_deleted=deleted)
            if latest_only:
                versions = versions[-1:]
            rows.extend(self.version_json(v) for v in versions)
        end = None if limit < 0 else offset + limit
        return rows[offset:end]

    def max_id(self) -> int:
        return self._state.max_id

    def counts(self) -> tuple[int, int]:
        """(schemas, live subjects), for the metrics."""
        return len(self._state.schemas), len(self._state.subject_names())

    # ------------------------------------------------------------------ subjects and versions
    def stored(self, entry: SubjectVersion) -> StoredSchema:
        return self._state.schemas[entry.schema_id]

    def version_json(self, entry: SubjectVersion, *, serialized: bool = False) -> dict[str, object]:
        body: dict[str, object] = {"subject": entry.subject, "version": entry.version, "id": entry.schema_id}
        body.update(self.schema_json(self.stored(entry), serialized=serialized))
        return body

    def subjects(self, *, prefix: str, deleted: bool, deleted_only: bool) -> list[str]:
        names = self._state.subject_names(include_deleted=deleted, deleted_only=deleted_only)
        return [n for n in names if n.startswith(prefix)]

    def _versions_or_404(self, subject: str, *, deleted: bool) -> list[SubjectVersion]:
        versions = self._state.versions(subject, include_deleted=deleted)
        if not versions:
            raise RegistryError.subject_not_found(subject)
        return versions

    def versions(self, subject: str, *, deleted: bool, deleted_only: bool = False) -> list[int]:
        subject = self._config.resolve_alias(subject)
        versions = self._versions_or_404(subject, deleted=deleted or deleted_only)
        return [v.version for v in versions if not deleted_only or v.deleted]

    def get_version(self, subject: str, version: int, *, deleted: bool) -> SubjectVersion:
        """One version (``LATEST`` for the newest); 40401 / 40402 as Confluent."""
        versions = self._versions_or_404(self._config.resolve_alias(subject), deleted=deleted)
        if version == LATEST:
            return versions[-1]
        for entry in versions:
            if entry.version == version:
                return entry
        raise RegistryError.version_not_found(version)

    def referenced_by(self, subject: str, version: int) -> list[int]:
        entry = self.get_version(subject, version, deleted=True)
        return self._state.referenced_by(entry.subject, entry.version)

    # ------------------------------------------------------------------ lookups
    def lookup(self, subject: str, request: SchemaRequest, *, deleted: bool) -> dict[str, object]:
        """``POST /subjects/{subject}``: the version holding this schema (40401, 40403).

        As Confluent, a request that matches nothing is tried once more with the metadata and
        rule set a registration would give it (config defaults and overrides, or the latest
        version's).
        """
        subject = self._config.resolve_alias(subject)
        self._versions_or_404(subject, deleted=deleted)
        candidate = self._candidates.prepare(request)
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
        if found is None:
            raise RegistryError.schema_not_found()
        return self.version_json(found)

    def latest_with_metadata(
        self, subject: str, wanted: Mapping[str, str], *, deleted: bool
    ) -> SubjectVersion:
        """``GET /subjects/{subject}/metadata``: the newest version whose metadata has every
        property in ``wanted`` (40401 without versions, 40403 when none matches)."""
        subject = self._config.resolve_alias(subject)
        for entry in reversed(self._versions_or_404(subject, deleted=deleted)):
            metadata = self.stored(entry).metadata
            if metadata is not None and all(metadata.get(k) == v for k, v in wanted.items()):
                return entry
        raise RegistryError.schema_not_found()
