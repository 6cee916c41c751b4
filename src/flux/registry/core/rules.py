"""A schema version's ``ruleSet``: migration, domain and encoding rules, validated like Confluent's.

Rules are kept as given (Confluent's Community edition drops rule sets; Flux stores and serves
them). :meth:`RuleSet.validate` applies Confluent's checks with its messages; the API answers
them with 42210.

Example:
    >>> rules = RuleSet.from_json({"domainRules": [{"name": "ssn", "kind": "CONDITION",
    ...     "mode": "WRITE", "type": "CEL", "expr": "size(message.ssn) == 9"}]})
    >>> rules.validate()
    >>> rules.to_json()["domainRules"][0]["disabled"]
    False
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, TypeVar

from flux.registry.core.metadata import json_text, json_texts

__all__ = ["InvalidRuleSetError", "Rule", "RuleKind", "RuleMode", "RuleSet", "merge_rule_sets"]

# Confluent's limit on a rule name's length.
NAME_MAX_LENGTH: Final = 64


_Enum = TypeVar("_Enum", bound=StrEnum)


class InvalidRuleSetError(ValueError):
    """A rule set Confluent would refuse (its message is the client's answer)."""


class RuleKind(StrEnum):
    TRANSFORM = "TRANSFORM"
    CONDITION = "CONDITION"


class RuleMode(StrEnum):
    UPGRADE = "UPGRADE"
    DOWNGRADE = "DOWNGRADE"
    UPDOWN = "UPDOWN"
    WRITE = "WRITE"
    READ = "READ"
    WRITEREAD = "WRITEREAD"

    @property
    def migration(self) -> bool:
        return self in (RuleMode.UPGRADE, RuleMode.DOWNGRADE, RuleMode.UPDOWN)


def _enum(kind: type[_Enum], raw: Any, default: _Enum, where: str) -> _Enum:
    if raw is None:
        return default
    try:
        return kind(json_text(raw, where))
    except ValueError:
        accepted = ", ".join(sorted(kind))
        raise ValueError(
            f"Cannot deserialize value of type {kind.__name__} from {raw!r}: not one of the values "
            f"accepted for Enum class: [{accepted}]"
        ) from None


def _optional_text(raw: Any, where: str) -> str | None:
    return None if raw is None else json_text(raw, where)


def _flag(raw: Any, where: str) -> bool:
    if raw is None or isinstance(raw, bool):
        return bool(raw)
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise ValueError(f"Cannot deserialize {where}: expected a boolean")


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule; ``kind`` defaults to TRANSFORM and ``mode`` to WRITEREAD, as in Confluent."""

    name: str | None
    kind: RuleKind = RuleKind.TRANSFORM
    mode: RuleMode = RuleMode.WRITEREAD
    type: str | None = None
    doc: str | None = None
    tags: tuple[str, ...] = ()
    params: tuple[tuple[str, str], ...] = ()
    expr: str | None = None
    on_success: str | None = None
    on_failure: str | None = None
    disabled: bool = False

    @classmethod
    def from_json(cls, raw: Any, where: str) -> Rule:
        """Parse one rule; unknown attributes are ignored.

        Raises:
            ValueError: for attributes of the wrong JSON type or unknown kinds and modes.
        """
        if not isinstance(raw, dict):
            raise ValueError(f"Cannot deserialize {where}: expected a Rule object")
        params = raw.get("params")
        if params is not None and not isinstance(params, dict):
            raise ValueError(f"Cannot deserialize {where}.params: expected an Object")
        return cls(
            name=_optional_text(raw.get("name"), f"{where}.name"),
            kind=_enum(RuleKind, raw.get("kind"), RuleKind.TRANSFORM, f"{where}.kind"),
            mode=_enum(RuleMode, raw.get("mode"), RuleMode.WRITEREAD, f"{where}.mode"),
            type=_optional_text(raw.get("type"), f"{where}.type"),
            doc=_optional_text(raw.get("doc"), f"{where}.doc"),
            tags=json_texts(raw.get("tags"), f"{where}.tags"),
            params=tuple(
                sorted((str(k), json_text(v, f"{where}.params.{k}")) for k, v in (params or {}).items())
            ),
            expr=_optional_text(raw.get("expr"), f"{where}.expr"),
            on_success=_optional_text(raw.get("onSuccess"), f"{where}.onSuccess"),
            on_failure=_optional_text(raw.get("onFailure"), f"{where}.onFailure"),
            disabled=_flag(raw.get("disabled"), f"{where}.disabled"),
        )

    def to_json(self) -> dict[str, object]:
        """Confluent's shape: empty strings and collections omitted, ``kind``, ``mode`` and
        ``disabled`` always present."""
        body: dict[str, object] = {}
        for key, value in (("name", self.name), ("doc", self.doc)):
            if value:
                body[key] = value
        body["kind"] = str(self.kind)
        body["mode"] = str(self.mode)
        if self.type:
            body["type"] = self.type
        if self.tags:
            body["tags"] = list(self.tags)
        if self.params:
            body["params"] = dict(self.params)
        for key, value in (
            ("expr", self.expr),
            ("onSuccess", self.on_success),
            ("onFailure", self.on_failure),
        ):
            if value:
                body[key] = value
        body["disabled"] = self.disabled
        return body

    def validate(self) -> None:
        """Confluent's ``Rule.validate``: a well-formed name, a type, paired actions only for
        WRITEREAD and UPDOWN.

        Raises:
            InvalidRuleSetError: with Confluent's message.
        """
        _validate_name(self.name)
        if self.type is None:
            raise InvalidRuleSetError("Missing rule type")
        for action in (self.on_success, self.on_failure):
            if (
                action is not None
                and "," in action
                and self.mode not in (RuleMode.WRITEREAD, RuleMode.UPDOWN)
            ):
                raise InvalidRuleSetError("Multiple actions only valid with WRITEREAD and UPDOWN")


def _validate_name(name: str | None) -> None:
    if name is None:
        raise InvalidRuleSetError("Missing rule name")
    if not name:
        raise InvalidRuleSetError("Empty rule name")
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidRuleSetError("Rule name too long")
    if not (name[0].isalpha() or name[0] == "_"):
        raise InvalidRuleSetError(f"Illegal initial character in rule name: {name}")
    for char in name[1:]:
        if not (char.isalpha() or unicodedata.category(char) == "Nd" or char in "_-"):
            raise InvalidRuleSetError(f"Illegal character in rule name: {name}")


def _rules(raw: Any, where: str) -> tuple[Rule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ValueError(f"Cannot deserialize ruleSet.{where}: expected an Array")
    return tuple(Rule.from_json(item, f"ruleSet.{where}[{i}]") for i, item in enumerate(raw))


# Per phase (in _phases order): whether its rules are migration rules, and Confluent's message otherwise.
_PHASE_MODES: Final = (
    (True, "Migration rules can only be UPGRADE, DOWNGRADE, UPDOWN"),
    (False, "Domain rules can only be WRITE, READ, WRITEREAD"),
    (False, "Encoding rules can only be WRITE, READ, WRITEREAD"),
)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Rules by phase, in the order given."""

    migration_rules: tuple[Rule, ...] = ()
    domain_rules: tuple[Rule, ...] = ()
    encoding_rules: tuple[Rule, ...] = ()

    @classmethod
    def from_json(cls, raw: Any) -> RuleSet:
        """Parse a ``ruleSet`` object; unknown attributes are ignored.

        Raises:
            ValueError: when a part has the wrong JSON type.
        """
        if not isinstance(raw, dict):
            raise ValueError("Cannot deserialize ruleSet: expected an Object")
        return cls(
            migration_rules=_rules(raw.get("migrationRules"), "migrationRules"),
            domain_rules=_rules(raw.get("domainRules"), "domainRules"),
            encoding_rules=_rules(raw.get("encodingRules"), "encodingRules"),
        )

    def _phases(self) -> tuple[tuple[str, tuple[Rule, ...]], ...]:
        return (
            ("migrationRules", self.migration_rules),
            ("domainRules", self.domain_rules),
            ("encodingRules", self.encoding_rules),
        )

    def to_json(self) -> dict[str, object]:
        return {key: [rule.to_json() for rule in rules] for key, rules in self._phases() if rules}

    def validate(self) -> None:
        """Confluent's ``RuleSet.validate``: names unique across all lists, each rule valid, and
        migration rules UPGRADE/DOWNGRADE/UPDOWN, domain and encoding rules WRITE/READ/WRITEREAD.

        Raises:
            InvalidRuleSetError: with Confluent's message.
        """
        names: set[str | None] = set()
        for (_, rules), (migration, wrong_mode) in zip(self._phases(), _PHASE_MODES, strict=True):
            for rule in rules:
                if rule.name in names:
                    raise InvalidRuleSetError(f"Found rule with duplicate name '{rule.name}'")
                names.add(rule.name)
                rule.validate()
                if rule.mode.migration != migration:
                    raise InvalidRuleSetError(wrong_mode)


def _merge(old: tuple[Rule, ...], new: tuple[Rule, ...]) -> tuple[Rule, ...]:
    if not old:
        return new
    if not new:
        return old
    replaced = {rule.name for rule in new}
    return tuple(rule for rule in old if rule.name not in replaced) + new


def merge_rule_sets(old: RuleSet | None, new: RuleSet | None) -> RuleSet | None:
    """``new`` over ``old``, as Confluent merges: per phase, a rule of ``new`` replaces the rule
    of ``old`` with the same name, other old rules stay first."""
    if old is None:
        return new
    if new is None:
        return old
    return RuleSet(
        _merge(old.migration_rules, new.migration_rules),
        _merge(old.domain_rules, new.domain_rules),
        _merge(old.encoding_rules, new.encoding_rules),
    )
