"""Registry operations with Confluent's rules: register, look up, delete, configure, check.

Reads answer from :class:`RegistryState`. Writes are serialised by one lock, validated against
the state, appended to the log through a :class:`RecordLog`, and return once the log has been
applied back to the state (so the answer reflects durable, replayable state).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

from flux.registry.core.errors import ErrorCode, RegistryError
from flux.registry.core.model import Mode, Reference, StoredSchema, SubjectVersion
from flux.registry.core.records import (
    ConfigRecord,
    HighWaterRecord,
    LogRecord,
    ModeRecord,
    SchemaRecord,
)
from flux.registry.core.requests import (
    LATEST,
    MAX_VERSION,
    SchemaRequest,
    parse_level,
    parse_mode,
    parse_version,
)
from flux.registry.core.state import RegistryState
from flux.schemas.compatibility import (
    InvalidSchemaError,
    ParsedSchema,
    check_parsed_compatibility,
    parse_schema,
)
from flux.schemas.protobuf_schema import ParsedProtobuf, proto_text_of
from flux.schemas.types import CompatibilityLevel, SchemaType

__all__ = [
    "DEFAULT_COMPATIBILITY",
    "LATEST",
    "RecordLog",
    "RegistryService",
    "SchemaRequest",
    "parse_version",
]

LOG = logging.getLogger(__name__)

DEFAULT_COMPATIBILITY = CompatibilityLevel.BACKWARD


class RecordLog(Protocol):
    """Where writes go: appends records and returns once they are applied to the state."""

    async def append(self, records: Sequence[LogRecord]) -> None: ...


class RegistryService:
    """The registry's operations over a state and a log."""

    def __init__(self, state: RegistryState, log: RecordLog) -> None:
        self.state = state
        self.log = log
        self._write_lock = asyncio.Lock()

    # ================================================================== schemas
    def schema_by_id(self, schema_id: int) -> StoredSchema:
        schema = self.state.schemas.get(schema_id)
        if schema is None:
            raise RegistryError.schema_not_found(f"Schema {schema_id} not found")
        return schema

    def subjects_of_id(self, schema_id: int, *, deleted: bool) -> list[str]:
        self.schema_by_id(schema_id)
        return sorted(
            {s for s, v in self.state.users_of(schema_id) if deleted or not self.state.subjects[s][v].deleted}
        )

    def versions_of_id(self, schema_id: int, *, deleted: bool) -> list[dict[str, object]]:
        self.schema_by_id(schema_id)
        return [
            {"subject": s, "version": v}
            for s, v in self.state.users_of(schema_id)
            if deleted or not self.state.subjects[s][v].deleted
        ]

    def list_schemas(
        self, *, prefix: str, deleted: bool, latest_only: bool, offset: int, limit: int
    ) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        for subject in self.state.subject_names(include_deleted=deleted):
            if not subject.startswith(prefix):
                continue
            versions = self.state.versions(subject, include_deleted=deleted)
            if latest_only:
                versions = versions[-1:]
            rows.extend(self.version_json(v) for v in versions)
        end = None if limit < 0 else offset + limit
        return rows[offset:end]

    def version_json(self, entry: SubjectVersion) -> dict[str, object]:
        schema = self.state.schemas[entry.schema_id]
        return {"subject": entry.subject, "version": entry.version, "id": entry.schema_id, **schema.to_json()}

    # ================================================================== subjects
    def subjects(self, *, prefix: str, deleted: bool, deleted_only: bool) -> list[str]:
        names = self.state.subject_names(include_deleted=deleted, deleted_only=deleted_only)
        return [n for n in names if n.startswith(prefix)]

    def _versions_or_404(self, subject: str, *, deleted: bool) -> list[SubjectVersion]:
        versions = self.state.versions(subject, include_deleted=deleted)
        if not versions:
            raise RegistryError.subject_not_found(subject)
        return versions

    def versions(self, subject: str, *, deleted: bool, deleted_only: bool = False) -> list[int]:
        versions = self._versions_or_404(subject, deleted=deleted or deleted_only)
        return [v.version for v in versions if not deleted_only or v.deleted]

    def get_version(self, subject: str, version: int, *, deleted: bool) -> SubjectVersion:
        """One version (``LATEST`` for the newest); 40401 / 40402 as Confluent."""
        versions = self._versions_or_404(subject, deleted=deleted)
        if version == LATEST:
            return versions[-1]
        for entry in versions:
            if entry.version == version:
                return entry
        raise RegistryError.version_not_found(version)

    def referenced_by(self, subject: str, version: int) -> list[int]:
        entry = self.get_version(subject, version, deleted=True)
        return self.state.referenced_by(subject, entry.version)

    # ================================================================== parsing requests
    def pin_references(self, request: SchemaRequest) -> SchemaRequest:
        """Replace ``latest`` (-1) reference versions by the subject's current latest version."""
        if all(r.version != LATEST for r in request.references):
            return request
        pinned: list[Reference] = []
        for ref in request.references:
            if ref.version == LATEST:
                live = self.state.versions(ref.subject)
                if not live:
                    raise RegistryError.invalid_schema(
                        f"Invalid schema: reference subject {ref.subject!r} not found"
                    )
                pinned.append(Reference(ref.name, ref.subject, live[-1].version))
            else:
                pinned.append(ref)
        return replace(request, references=tuple(pinned))

    def parse_request(self, request: SchemaRequest) -> ParsedSchema:
        """Validate a client's schema (with its references resolved); 42201 when invalid."""
        try:
            resolved = self.state.resolve_references(request.references)
        except LookupError as exc:
            raise RegistryError.invalid_schema(f"Invalid schema: cannot resolve reference {exc}") from None
        if request.schema_type is SchemaType.JSON:
            raise RegistryError.invalid_schema(
                "Invalid schema: JSON Schema is not supported by this registry"
            )
        try:
            return parse_schema(request.schema_type, request.text, resolved)
        except InvalidSchemaError as exc:
            raise RegistryError.invalid_schema(str(exc)) from None

    def _find_in_subject(
        self, subject: str, parsed: ParsedSchema, request: SchemaRequest, *, deleted: bool
    ) -> SubjectVersion | None:
        schema_id = self.state.find_schema_id(
            request.schema_type, request.text, request.references, parsed.identity
        )
        if schema_id is None:
            return None
        matches = [
            v for v in self.state.versions(subject, include_deleted=deleted) if v.schema_id == schema_id
        ]
        return matches[-1] if matches else None

    def lookup(self, subject: str, request: SchemaRequest, *, deleted: bool) -> dict[str, object]:
        """``POST /subjects/{subject}``: the version holding this schema."""
        self._versions_or_404(subject, deleted=deleted)
        request = self.pin_references(request)
        parsed = self.parse_request(request)
        found = self._find_in_subject(subject, parsed, request, deleted=deleted)
        if found is None:
            raise RegistryError.schema_not_found()
        return self.version_json(found)

    # ================================================================== configuration
    def global_compatibility(self) -> CompatibilityLevel:
        return parse_level(self.state.configs.get(None, DEFAULT_COMPATIBILITY))

    def effective_compatibility(self, subject: str) -> CompatibilityLevel:
        own = self.state.configs.get(subject)
        return parse_level(own) if own is not None else self.global_compatibility()

    def subject_compatibility(self, subject: str, *, default_to_global: bool) -> CompatibilityLevel:
        own = self.state.configs.get(subject)
        if own is not None:
            return parse_level(own)
        if default_to_global:
            return self.global_compatibility()
        raise RegistryError(
            404,
            ErrorCode.SUBJECT_COMPATIBILITY_NOT_CONFIGURED,
            f"Subject '{subject}' does not have subject-level compatibility configured",
        )

    async def set_compatibility(self, subject: str | None, raw_level: Any) -> CompatibilityLevel:
        level = parse_level(raw_level)
        async with self._write_lock:
            await self.log.append([ConfigRecord(subject, str(level))])
        LOG.info("compatibility set", extra={"subject": subject, "compatibility": str(level)})
        return level

    async def delete_compatibility(self, subject: str | None) -> CompatibilityLevel:
        async with self._write_lock:
            if subject is None:
                previous = self.global_compatibility()
            else:
                if subject not in self.state.subjects and subject not in self.state.configs:
                    raise RegistryError.subject_not_found(subject)
                previous = self.effective_compatibility(subject)
            if (subject in self.state.configs) or subject is None:
                await self.log.append([ConfigRecord(subject, None)])
        return previous

    def global_mode(self) -> Mode:
        return parse_mode(self.state.modes.get(None, Mode.READWRITE))

    def effective_mode(self, subject: str) -> Mode:
        own = self.state.modes.get(subject)
        return parse_mode(own) if own is not None else self.global_mode()

    def subject_mode(self, subject: str, *, default_to_global: bool) -> Mode:
        own = self.state.modes.get(subject)
        if own is not None:
            return parse_mode(own)
        if default_to_global:
            return self.global_mode()
        raise RegistryError(
            404,
            ErrorCode.SUBJECT_MODE_NOT_CONFIGURED,
            f"Subject '{subject}' does not have subject-level mode configured",
        )

    async def set_mode(self, subject: str | None, raw_mode: Any, *, force: bool) -> Mode:
        mode = parse_mode(raw_mode)
        async with self._write_lock:
            if mode is Mode.IMPORT and not force:
                has_schemas = (
                    bool(self.state.subject_names())
                    if subject is None
                    else bool(self.state.versions(subject))
                )
                if has_schemas:
                    raise RegistryError.not_permitted("Cannot import since found existing subjects")
            await self.log.append([ModeRecord(subject, str(mode))])
        LOG.info("mode set", extra={"subject": subject, "mode": str(mode)})
        return mode

    async def delete_mode(self, subject: str) -> Mode:
        async with self._write_lock:
            if subject not in self.state.modes:
                if subject not in self.state.subjects:
                    raise RegistryError.subject_not_found(subject)
                return self.global_mode()
            previous = self.effective_mode(subject)
            await self.log.append([ModeRecord(subject, None)])
        return previous

    def _require_writable(self, subject: str) -> Mode:
        mode = self.effective_mode(subject)
        if not mode.writable:
            raise RegistryError.not_permitted(f"Subject {subject} is in read-only mode")
        return mode

    # ================================================================== compatibility
    def _check(
        self, parsed: ParsedSchema, against: Sequence[SubjectVersion], level: CompatibilityLevel
    ) -> list[str]:
        previous: list[ParsedSchema] = []
        labels: list[str] = []
        for entry in against:
            try:
                previous.append(self.state.parsed(entry.schema_id))
            except (ValueError, LookupError) as exc:
                LOG.warning(
                    "skipping unparsable stored schema",
                    extra={"schema_id": entry.schema_id, "error": str(exc)},
                )
                continue
            labels.append(f"version {entry.version}")
        return check_parsed_compatibility(parsed, previous, level, previous_labels=labels)

    def check_compatibility(self, subject: str, version: int | None, request: SchemaRequest) -> list[str]:
        """``POST /compatibility/subjects/{s}/versions[/{v}]``: the problems (empty when compatible)."""
        level = self.effective_compatibility(subject)
        request = self.pin_references(request)
        if version is None:
            live = self.state.versions(subject)
            parsed = self.parse_request(request)
            return self._check(parsed, live, level)
        entry = self.get_version(subject, version, deleted=False)
        parsed = self.parse_request(request)
        single = CompatibilityLevel(level.value.removesuffix("_TRANSITIVE"))
        return self._check(parsed, [entry], single)

    # ================================================================== register
    async def register(self, subject: str, request: SchemaRequest) -> dict[str, object]:
        """``POST /subjects/{subject}/versions``: returns ``{"id": N}`` (same schema → same id)."""
        async with self._write_lock:
            mode = self._require_writable(subject)
            if request.schema_id is not None and mode is not Mode.IMPORT:
                raise RegistryError.not_permitted(
                    f"Subject {subject} is not in import mode; cannot register with an explicit id"
                )
            request = self.pin_references(request)
            parsed = self.parse_request(request)
            live = self.state.versions(subject)
            existing_id = self.state.find_schema_id(
                request.schema_type, request.text, request.references, parsed.identity
            )
            same_request_id = request.schema_id is None or request.schema_id == existing_id
            if existing_id is not None and same_request_id and any(v.schema_id == existing_id for v in live):
                return {"id": existing_id}
            schema_id = self._choose_id(request, existing_id, parsed)
            if mode is not Mode.IMPORT:
                problems = self._check(parsed, live, self.effective_compatibility(subject))
                if problems:
                    raise RegistryError(
                        409,
                        ErrorCode.INCOMPATIBLE_SCHEMA,
                        f'Schema being registered is incompatible with an earlier schema for subject "{subject}", '
                        f"details: {problems}",
                    )
            version = self._choose_version(subject, request)
            stored = StoredSchema(
                schema_id, request.schema_type, self._text_to_store(request, parsed), request.references
            )
            await self.log.append([SchemaRecord(subject, version, stored)])
            self.state.remember_parsed(schema_id, parsed)
            LOG.info(
                "registered schema", extra={"subject": subject, "version": version, "schema_id": schema_id}
            )
            return {"id": schema_id}

    def _text_to_store(self, request: SchemaRequest, parsed: ParsedSchema) -> str:
        """The text as given, except Protobuf descriptors, stored as ``.proto`` text like Confluent."""
        if isinstance(parsed.parsed, ParsedProtobuf) and parsed.parsed.from_descriptor:
            text = proto_text_of(parsed.parsed, self.state.resolve_references(request.references))
            if text is not None:
                return text
        return request.text

    def _choose_id(self, request: SchemaRequest, existing_id: int | None, parsed: ParsedSchema) -> int:
        if request.schema_id is None:
            return existing_id if existing_id is not None else self.state.max_id + 1
        if request.schema_id < 1:
            raise RegistryError.unprocessable(f"Invalid schema id {request.schema_id}")
        taken = self.state.schemas.get(request.schema_id)
        if taken is not None:
            same = (
                taken.schema_type is request.schema_type
                and taken.references == request.references
                and self.state.identity_of(request.schema_id) == parsed.identity
            )
            if not same:
                raise RegistryError.not_permitted(
                    f"Overwrite new schema with id {request.schema_id} is not permitted."
                )
        return request.schema_id

    def _choose_version(self, subject: str, request: SchemaRequest) -> int:
        every = self.state.versions(subject, include_deleted=True)
        if request.version is not None and request.version != LATEST:
            if any(v.version == request.version for v in every):
                raise RegistryError.not_permitted(
                    f"Version {request.version} already exists in subject {subject}"
                )
            if not 1 <= request.version <= MAX_VERSION:
                raise RegistryError.invalid_version(str(request.version))
            return request.version
        return (every[-1].version + 1) if every else 1

    # ================================================================== deletes
    def _references_to(self, subject: str, versions: Sequence[SubjectVersion]) -> list[int]:
        found: set[int] = set()
        for entry in versions:
            found.update(self.state.referenced_by(subject, entry.version))
        return sorted(found)

    async def delete_subject(self, subject: str, *, permanent: bool) -> list[int]:
        """``DELETE /subjects/{subject}``: soft delete, or permanent after a soft delete."""
        async with self._write_lock:
            self._require_writable(subject)
            every = self.state.versions(subject, include_deleted=True)
            if not every:
                raise RegistryError.subject_not_found(subject)
            live = [v for v in every if not v.deleted]
            if permanent:
                if live:
                    raise RegistryError(
                        404,
                        ErrorCode.SUBJECT_NOT_SOFT_DELETED,
                        f"Subject '{subject}' was not deleted first before being permanently deleted",
                    )
                records: list[LogRecord] = [HighWaterRecord(self.state.max_id)]
                records += [SchemaRecord(subject, v.version, None) for v in every]
                if subject in self.state.configs:
                    records.append(ConfigRecord(subject, None))
                if subject in self.state.modes:
                    records.append(ModeRecord(subject, None))
                await self.log.append(records)
                LOG.info("subject deleted permanently", extra={"subject": subject, "versions": len(every)})
                return [v.version for v in every]
            if not live:
                raise RegistryError(
                    404,
                    ErrorCode.SUBJECT_SOFT_DELETED,
                    f"Subject '{subject}' was soft deleted.Set permanent=true to delete permanently",
                )
            referencing = self._references_to(subject, live)
            if referencing:
                raise RegistryError(
                    422,
                    ErrorCode.REFERENCE_EXISTS,
                    f"One or more references exist to the schema {{subject={subject}}}: ids {referencing}",
                )
            await self.log.append(
                [
                    SchemaRecord(subject, v.version, self.state.schemas[v.schema_id], deleted=True)
                    for v in live
                ]
            )
            LOG.info("subject soft-deleted", extra={"subject": subject, "versions": len(live)})
            return [v.version for v in live]

    async def delete_version(self, subject: str, version: int, *, permanent: bool) -> int:
        """``DELETE /subjects/{subject}/versions/{version}``."""
        async with self._write_lock:
            self._require_writable(subject)
            every = self.state.versions(subject, include_deleted=True)
            if not every:
                raise RegistryError.subject_not_found(subject)
            if version == LATEST:
                candidates = every if permanent else [v for v in every if not v.deleted]
                if not candidates:
                    raise RegistryError.version_not_found("latest")
                entry = candidates[-1]
            else:
                matches = [v for v in every if v.version == version]
                if not matches:
                    raise RegistryError.version_not_found(version)
                entry = matches[0]
            if permanent:
                if not entry.deleted:
                    raise RegistryError(
                        404,
                        ErrorCode.VERSION_NOT_SOFT_DELETED,
                        f"Subject '{subject}' Version {entry.version} was not deleted first before being "
                        "permanently deleted",
                    )
                if self.state.referenced_by(subject, entry.version):
                    raise RegistryError(
                        422,
                        ErrorCode.REFERENCE_EXISTS,
                        f"One or more references exist to the schema {{subject={subject},version={entry.version}}}",
                    )
                await self.log.append(
                    [HighWaterRecord(self.state.max_id), SchemaRecord(subject, entry.version, None)]
                )
                return entry.version
            if entry.deleted:
                raise RegistryError(
                    404,
                    ErrorCode.VERSION_SOFT_DELETED,
                    f"Subject '{subject}' Version {entry.version} was soft deleted.Set permanent=true to delete "
                    "permanently",
                )
            referencing = self.state.referenced_by(subject, entry.version)
            if referencing:
                raise RegistryError(
                    422,
                    ErrorCode.REFERENCE_EXISTS,
                    f"One or more references exist to the schema {{subject={subject},version={entry.version}}}: "
                    f"ids {referencing}",
                )
            schema = self.state.schemas[entry.schema_id]
            await self.log.append([SchemaRecord(subject, entry.version, schema, deleted=True)])
            return entry.version
