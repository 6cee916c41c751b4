"""Compatibility (Confluent's CompatibilityResource, and the check every registration makes).

A new schema is checked against the subject's live versions the level asks for, narrowed, when
the config names a ``compatibilityGroup``, to the versions whose metadata has the same value of
that property (a missing value is a value too). With ``validateFields`` the reserved-field rules
of :func:`~flux.registry.core.data_contracts.reserved_field_problems` apply as well.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from flux.registry.core.candidates import Candidates
from flux.registry.core.config import ConfigOperations
from flux.registry.core.context import RegistryContext
from flux.registry.core.data_contracts import group_value, reserved_field_problems
from flux.registry.core.errors import RegistryError
from flux.registry.core.metadata import Metadata
from flux.registry.core.model import SubjectVersion
from flux.registry.core.qualified import normalize
from flux.registry.core.requests import LATEST, SchemaRequest
from flux.schemas.compatibility import ParsedSchema, check_parsed_compatibility
from flux.schemas.types import CompatibilityLevel

__all__ = ["CompatibilityChecks"]

LOG = logging.getLogger(__name__)


class CompatibilityChecks:
    """Finds the problems that make a schema incompatible with a subject's versions."""

    def __init__(self, context: RegistryContext, config: ConfigOperations, candidates: Candidates) -> None:
        self._state = context.state
        self._config = config
        self._candidates = candidates

    def problems(
        self,
        subject: str,
        parsed: ParsedSchema,
        metadata: Metadata | None,
        against: Sequence[SubjectVersion],
        level: CompatibilityLevel,
    ) -> list[str]:
        """Why ``parsed`` (with ``metadata``) is incompatible with ``against`` (oldest first) at
        ``level`` under the subject's config in scope; empty when compatible."""
        config = self._config.config_in_scope(subject)
        found: list[str] = []
        if config.validate_fields and against:
            previous = self._state.schemas[against[-1].ref].metadata
            found += reserved_field_problems(parsed, metadata, previous)
        group = config.compatibility_group
        if group:
            mine = group_value(metadata, group)
            against = [v for v in against if group_value(self._state.schemas[v.ref].metadata, group) == mine]
        return found + self._level_problems(parsed, against, level)

    def _level_problems(
        self, parsed: ParsedSchema, against: Sequence[SubjectVersion], level: CompatibilityLevel
    ) -> list[str]:
        previous: list[ParsedSchema] = []
        labels: list[str] = []
        for entry in against:
            try:
                previous.append(self._state.parsed(entry.ref))
            except (ValueError, LookupError) as exc:
                LOG.warning(
                    "skipping unparsable stored schema",
                    extra={"schema_id": entry.schema_id, "error": str(exc)},
                )
                continue
            labels.append(f"version {entry.version}")
        return check_parsed_compatibility(parsed, previous, level, previous_labels=labels)

    def check(self, subject: str, version: int | None, request: SchemaRequest) -> list[str]:
        """``POST /compatibility/subjects/{s}/versions[/{v}]``: the problems (empty when compatible).

        ``version`` None checks against the versions the level asks for; a version (or
        ``LATEST``) checks against that one version at the level's non-transitive form. As in
        Confluent, a version that does not exist is 40402 (the subject too may not exist) and
        ``latest`` of a subject without versions is compatible.
        """
        subject = normalize(self._config.resolve_alias(subject))
        if request.empty:
            raise RegistryError.invalid_schema("Empty schema")
        level = self._config.effective_compatibility(subject)
        live = self._state.versions(subject)
        if version is None:
            candidate = self._candidates.prepare(request, subject)
            return self.problems(subject, candidate.parsed, candidate.metadata, live, level)
        if version == LATEST:
            against = live[-1:]
        else:
            against = [v for v in live if v.version == version]
            if not against:
                raise RegistryError.version_not_found(version)
        candidate = self._candidates.prepare(request, subject)
        single = CompatibilityLevel(level.value.removesuffix("_TRANSITIVE"))
        return self.problems(subject, candidate.parsed, candidate.metadata, against, single)
