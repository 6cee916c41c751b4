"""Deletes (``DELETE /subjects/{s}`` and ``/subjects/{s}/versions/{v}``): soft first, then permanent.

A soft delete rewrites the version's record with ``deleted: true``; a permanent delete writes an
``ID_HIGH_WATER`` record (so ids stay unique once compaction drops the deleted records) and a
tombstone. References to a version block deleting it (42206).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from flux.registry.core.config import ConfigOperations
from flux.registry.core.context import RegistryContext
from flux.registry.core.errors import ErrorCode, RegistryError
from flux.registry.core.model import SubjectVersion
from flux.registry.core.qualified import context_of, normalize
from flux.registry.core.records import ConfigRecord, HighWaterRecord, LogRecord, ModeRecord, SchemaRecord
from flux.registry.core.requests import LATEST

__all__ = ["Deletes"]

LOG = logging.getLogger(__name__)


class Deletes:
    """Soft and permanent deletes of subjects and versions."""

    def __init__(self, context: RegistryContext, config: ConfigOperations) -> None:
        self._ctx = context
        self._state = context.state
        self._config = config

    def _high_water(self, subject: str) -> HighWaterRecord:
        context = context_of(subject)
        return HighWaterRecord(self._state.max_id_in(context), context)

    def _references_to(self, subject: str, versions: Sequence[SubjectVersion]) -> list[int]:
        found: set[int] = set()
        for entry in versions:
            found.update(self._state.referenced_by(subject, entry.version))
        return sorted(found)

    async def delete_subject(self, subject: str, *, permanent: bool) -> list[int]:
        """``DELETE /subjects/{subject}``: soft delete, or permanent after a soft delete."""
        subject = normalize(self._config.resolve_alias(subject))
        state = self._state
        async with self._ctx.write_lock:
            self._config.require_writable(subject)
            every = state.versions(subject, include_deleted=True)
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
                records: list[LogRecord] = [self._high_water(subject)]
                records += [SchemaRecord(subject, v.version, None) for v in every]
                if subject in state.configs:
                    records.append(ConfigRecord(subject, None))
                if subject in state.modes:
                    records.append(ModeRecord(subject, None))
                await self._ctx.log.append(records)
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
            await self._ctx.log.append(
                [SchemaRecord(subject, v.version, state.schemas[v.ref], deleted=True) for v in live]
            )
            LOG.info("subject soft-deleted", extra={"subject": subject, "versions": len(live)})
            return [v.version for v in live]

    @staticmethod
    def _entry(every: list[SubjectVersion], version: int, *, permanent: bool) -> SubjectVersion:
        if version == LATEST:
            candidates = every if permanent else [v for v in every if not v.deleted]
            if not candidates:
                raise RegistryError.version_not_found("latest")
            return candidates[-1]
        matches = [v for v in every if v.version == version]
        if not matches:
            raise RegistryError.version_not_found(version)
        return matches[0]

    async def delete_version(self, subject: str, version: int, *, permanent: bool) -> int:
        """``DELETE /subjects/{subject}/versions/{version}``."""
        subject = normalize(self._config.resolve_alias(subject))
        state = self._state
        async with self._ctx.write_lock:
            self._config.require_writable(subject)
            every = state.versions(subject, include_deleted=True)
            if not every:
                raise RegistryError.subject_not_found(subject)
            entry = self._entry(every, version, permanent=permanent)
            if permanent:
                if not entry.deleted:
                    raise RegistryError(
                        404,
                        ErrorCode.VERSION_NOT_SOFT_DELETED,
                        f"Subject '{subject}' Version {entry.version} was not deleted first before being "
                        "permanently deleted",
                    )
                if state.referenced_by(subject, entry.version):
                    raise RegistryError(
                        422,
                        ErrorCode.REFERENCE_EXISTS,
                        f"One or more references exist to the schema {{subject={subject},version={entry.version}}}",
                    )
                await self._ctx.log.append(
                    [self._high_water(subject), SchemaRecord(subject, entry.version, None)]
                )
                return entry.version
            if entry.deleted:
                raise RegistryError(
                    404,
                    ErrorCode.VERSION_SOFT_DELETED,
                    f"Subject '{subject}' Version {entry.version} was soft deleted.Set permanent=true to delete "
                    "permanently",
                )
            referencing = state.referenced_by(subject, entry.version)
            if referencing:
                raise RegistryError(
                    422,
                    ErrorCode.REFERENCE_EXISTS,
                    f"One or more references exist to the schema {{subject={subject},version={entry.version}}}: "
                    f"ids {referencing}",
                )
            schema = state.schemas[entry.ref]
            await self._ctx.log.append([SchemaRecord(subject, entry.version, schema, deleted=True)])
            return entry.version
