"""The configuration of a subject (or, for subject ``None``, the global one), shaped like Confluent's.

Besides the compatibility level it holds what registrations inherit — default and override
metadata and rule sets — and ``compatibilityGroup``, ``alias``, ``normalize``, ``validateFields``.
An update names only what changes: an attribute left out keeps its value, one sent as ``null``
is cleared.

Example:
    >>> old = SubjectConfig(compatibility="FULL")
    >>> new = old.updated(config_changes({"compatibilityGroup": "major"}, LEVEL_UPDATE_KEY))
    >>> new.to_json(LEVEL_KEY)
    {'compatibilityLevel': 'FULL', 'compatibilityGroup': 'major'}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, cast

from flux.registry.core.metadata import Metadata, json_text
from flux.registry.core.rules import RuleSet

__all__ = ["LEVEL_KEY", "LEVEL_UPDATE_KEY", "SubjectConfig", "config_changes"]

# Confluent names the level ``compatibilityLevel`` in stored and read configs, ``compatibility``
# in update requests and their answers.
LEVEL_KEY: Final = "compatibilityLevel"
LEVEL_UPDATE_KEY: Final = "compatibility"


def _flag(raw: Any, where: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise ValueError(f"Cannot deserialize {where}: expected a boolean")


def _text(where: str) -> Callable[[Any], object]:
    return lambda raw: json_text(raw, where)


# attribute name → (JSON name, parser); the level's JSON name depends on the body (see LEVEL_KEY).
_FIELDS: Final[tuple[tuple[str, str, Callable[[Any], object]], ...]] = (
    ("alias", "alias", _text("alias")),
    ("normalize", "normalize", lambda raw: _flag(raw, "normalize")),
    ("validate_fields", "validateFields", lambda raw: _flag(raw, "validateFields")),
    ("compatibility", LEVEL_KEY, _text("compatibility")),
    ("compatibility_group", "compatibilityGroup", _text("compatibilityGroup")),
    ("default_metadata", "defaultMetadata", Metadata.from_json),
    ("override_metadata", "overrideMetadata", Metadata.from_json),
    ("default_rule_set", "defaultRuleSet", RuleSet.from_json),
    ("override_rule_set", "overrideRuleSet", RuleSet.from_json),
)


def config_changes(body: Mapping[str, Any], level_key: str) -> dict[str, object]:
    """The attributes ``body`` sets (``None``: cleared), by attribute name; unknown keys ignored.

    Raises:
        ValueError: when a value has the wrong JSON type.
    """
    changes: dict[str, object] = {}
    for attribute, json_key, parse in _FIELDS:
        key = level_key if attribute == "compatibility" else json_key
        if key in body:
            raw = body[key]
            changes[attribute] = None if raw is None else parse(raw)
    return changes


@dataclass(frozen=True, slots=True)
class SubjectConfig:
    """A stored configuration (every attribute optional, as in Confluent's ``Config``)."""

    alias: str | None = None
    normalize: bool | None = None
    validate_fields: bool | None = None
    compatibility: str | None = None
    compatibility_group: str | None = None
    default_metadata: Metadata | None = None
    override_metadata: Metadata | None = None
    default_rule_set: RuleSet | None = None
    override_rule_set: RuleSet | None = None

    @classmethod
    def from_json(cls, body: Mapping[str, Any], level_key: str = LEVEL_KEY) -> SubjectConfig:
        return cls().updated(config_changes(body, level_key))

    def updated(self, changes: Mapping[str, object]) -> SubjectConfig:
        return replace(self, **cast(dict[str, Any], changes))

    @property
    def has_defaults_or_overrides(self) -> bool:
        return any(
            value is not None
            for value in (
                self.default_metadata,
                self.override_metadata,
                self.default_rule_set,
                self.override_rule_set,
            )
        )

    def to_json(self, level_key: str = LEVEL_KEY) -> dict[str, object]:
        """Confluent's shape, in its attribute order; unset attributes (and an empty alias) omitted."""
        body: dict[str, object] = {}
        for attribute, json_key, _ in _FIELDS:
            value = getattr(self, attribute)
            if value is None or value == "":
                continue
            key = level_key if attribute == "compatibility" else json_key
            body[key] = value.to_json() if isinstance(value, Metadata | RuleSet) else value
        return body
