"""Configuration and modes (Confluent's ConfigResource and ModeResource): levels, data-contract
defaults and overrides, ``compatibilityGroup``, ``alias``, ``normalize``, ``validateFields``.

A subject's config *in scope* is its own when it has one, else its context's (``:.ctx:``), else
the global one (the whole object, as Confluent picks it); the compatibility level alone falls
back further, to the global level and then BACKWARD, so that a subject config holding only, say,
``defaultMetadata`` still checks compatibility. Modes fall back the same way, except that a global
READONLY_OVERRIDE overrides every subject's mode. In READONLY and READONLY_OVERRIDE configs can be
neither changed nor deleted (42205), as Confluent refuses them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

from flux.registry.core.context import RegistryContext
from flux.registry.core.errors import ErrorCode, RegistryError
from flux.registry.core.model import Mode
from flux.registry.core.qualified import context_key, context_of, is_context_only, normalize
from flux.registry.core.records import ConfigRecord, ModeRecord
from flux.registry.core.requests import parse_level, parse_mode
from flux.registry.core.subject_config import SubjectConfig
from flux.schemas.types import CompatibilityLevel

__all__ = ["DEFAULT_COMPATIBILITY", "ConfigOperations"]

LOG = logging.getLogger(__name__)

DEFAULT_COMPATIBILITY: Final = CompatibilityLevel.BACKWARD


class ConfigOperations:
    """Reads and writes of ``/config`` and ``/mode``, and what other operations need from them."""

    def __init__(self, context: RegistryContext) -> None:
        self._ctx = context

    # ------------------------------------------------------------------ config
    def global_config(self) -> SubjectConfig:
        """The global config (Confluent's default, BACKWARD, when none is set)."""
        stored = self._ctx.state.configs.get(None)
        if stored is None:
            return SubjectConfig(compatibility=str(DEFAULT_COMPATIBILITY))
        if stored.compatibility is None:
            return replace(stored, compatibility=str(DEFAULT_COMPATIBILITY))
        return stored

    def subject_config(self, subject: str, *, default_to_global: bool) -> SubjectConfig:
        """``GET /config/{subject}``: 40408 when the subject has none (unless ``default_to_global``)."""
        own = self._ctx.state.configs.get(subject)
        if own is not None:
            return own
        if default_to_global:
            return self.global_config()
        raise RegistryError(
            404,
            ErrorCode.SUBJECT_COMPATIBILITY_NOT_CONFIGURED,
            f"Subject '{subject}' does not have subject-level compatibility configured",
        )

    def _scoped_config(self, subject: str) -> SubjectConfig | None:
        """The subject's own config, else its context's (None: neither has one)."""
        configs = self._ctx.state.configs
        own = configs.get(subject)
        if own is None and not is_context_only(subject):
            key = context_key(context_of(subject))
            own = configs.get(key) if key is not None else None
        return own

    def config_in_scope(self, subject: str) -> SubjectConfig:
        own = self._scoped_config(subject)
        return own if own is not None else self.global_config()

    def global_compatibility(self) -> CompatibilityLevel:
        return parse_level(self.global_config().compatibility)

    def effective_compatibility(self, subject: str) -> CompatibilityLevel:
        own = self._scoped_config(subject)
        if own is not None and own.compatibility is not None:
            return parse_level(own.compatibility)
        return self.global_compatibility()

    def resolve_alias(self, subject: str) -> str:
        """The subject ``subject``'s config names as its ``alias`` (one hop, as Confluent), or itself."""
        own = self._ctx.state.configs.get(subject)
        return own.alias if own is not None and own.alias else subject

    @staticmethod
    def scope_key(subject: str | None) -> str | None:
        """Where ``/config/{subject}`` and ``/mode/{subject}`` keep their value: ``:.:`` is the
        global one (as Confluent treats the default context), subjects are normalised."""
        if subject is None or normalize(subject) == "":
            return None
        return normalize(subject)

    def _require_config_writable(self, subject: str | None) -> None:
        mode = self.global_mode() if subject is None else self.effective_mode(subject)
        if mode in (Mode.READONLY, Mode.READONLY_OVERRIDE):
            raise RegistryError.not_permitted(f"Subject {subject} is in read-only mode")

    async def set_config(self, subject: str | None, changes: Mapping[str, object]) -> SubjectConfig:
        """``PUT /config[/{subject}]`` with validated ``changes``: the resulting stored config
        (no record is written when nothing changes, e.g. an empty body)."""
        async with self._ctx.write_lock:
            self._require_config_writable(subject)
            old = self._ctx.state.configs.get(subject) or SubjectConfig()
            new = old.updated(changes)
            if new != old or subject not in self._ctx.state.configs:
                await self._ctx.log.append([ConfigRecord(subject, new)])
        LOG.info("config set", extra={"subject": subject, "compatibility": new.compatibility})
        return new

    async def delete_config(self, subject: str | None) -> SubjectConfig:
        """``DELETE /config[/{subject}]``: the config removed (40401 when the subject has none)."""
        async with self._ctx.write_lock:
            self._require_config_writable(subject)
            if subject is None:
                previous = self.global_config()
            else:
                own = self._ctx.state.configs.get(subject)
                if own is None:
                    raise RegistryError.subject_not_found(subject)
                previous = own
            if subject in self._ctx.state.configs:
                await self._ctx.log.append([ConfigRecord(subject, None)])
        return previous

    # ------------------------------------------------------------------ mode
    def global_mode(self) -> Mode:
        return parse_mode(self._ctx.state.modes.get(None, Mode.READWRITE))

    def effective_mode(self, subject: str) -> Mode:
        """Confluent's mode in scope: a global READONLY_OVERRIDE wins, else the subject's own,
        its context's, the global mode."""
        global_mode = self.global_mode()
        if global_mode is Mode.READONLY_OVERRIDE:
            return global_mode
        modes = self._ctx.state.modes
        own = modes.get(subject)
        if own is None and not is_context_only(subject):
            key = context_key(context_of(subject))
            own = modes.get(key) if key is not None else None
        return parse_mode(own) if own is not None else global_mode

    def subject_mode(self, subject: str, *, default_to_global: bool) -> Mode:
        own = self._ctx.state.modes.get(subject)
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
        state = self._ctx.state
        async with self._ctx.write_lock:
            if mode is Mode.IMPORT and not force:
                has_schemas = (
                    bool(state.subject_names()) if subject is None else bool(state.versions(subject))
                )
                if has_schemas:
                    raise RegistryError.not_permitted("Cannot import since found existing subjects")
            await self._ctx.log.append([ModeRecord(subject, str(mode))])
        LOG.info("mode set", extra={"subject": subject, "mode": str(mode)})
        return mode

    async def delete_mode(self, subject: str) -> Mode:
        state = self._ctx.state
        async with self._ctx.write_lock:
            if subject not in state.modes:
                if subject not in state.subjects:
                    raise RegistryError.subject_not_found(subject)
                return self.global_mode()
            previous = self.effective_mode(subject)
            await self._ctx.log.append([ModeRecord(subject, None)])
        return previous

    async def delete_global_mode(self) -> Mode:
        """Reset the global mode (READWRITE); answers the mode it was."""
        async with self._ctx.write_lock:
            previous = self.global_mode()
            if None in self._ctx.state.modes:
                await self._ctx.log.append([ModeRecord(None, None)])
        return previous

    def require_writable(self, subject: str) -> Mode:
        """The subject's mode; 42205 when it is read-only."""
        mode = self.effective_mode(subject)
        if not mode.writable:
            raise RegistryError.not_permitted(f"Subject {subject} is in read-only mode")
        return mode

    def require_registrable(self, subject: str, *, explicit_id: bool) -> Mode:
        """Confluent's registration mode check: read-only refuses, an explicit id needs IMPORT
        and a registration without one needs READWRITE (42205)."""
        mode = self.require_writable(subject)
        if explicit_id and mode is not Mode.IMPORT:
            raise RegistryError.not_permitted(f"Subject {subject} is not in import mode")
        if not explicit_id and mode is not Mode.READWRITE:
            raise RegistryError.not_permitted(f"Subject {subject} is not in read-write mode")
        return mode
