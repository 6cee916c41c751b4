"""Data contracts beside the schemas: each family's ``<family>.rules.yaml`` (metadata and rule set).

One file per schema family (so per subject), next to its version files::

    schemas/avro/weather/weather_updated.v1.avsc
    schemas/avro/weather/weather_updated.v2.avsc
    schemas/avro/weather/weather_updated.rules.yaml

The file holds the subject's ``metadata`` (``properties``, ``tags`` by field path, ``sensitive``
property names) and its ``domainRules``, both registered with every version, and under
``versions: {N: ...}`` what only version N carries: its ``migrationRules`` (the rules between
version N-1 and N, as Confluent attaches them to the later version) and extra ``metadata``. Every
version's metadata also gets the property ``flux.contract.version: "N"``, so a reader can pin a
version with ``use.latest.with.metadata``. Keys and values are Confluent's (``ruleSet`` JSON), so
what is registered is exactly what the file says. The full format: docs/schema-evolution.md.

Example:
    >>> from flux.schema_tools.subjects import load_subjects
    >>> weather = load_subjects().subject("weather.service.event.updated-value")
    >>> [r["name"] for r in weather.versions[1].rule_set["migrationRules"]]
    ['addFeelsLike', 'dropFeelsLike']
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

__all__ = [
    "CONTRACT_VERSION_PROPERTY",
    "RULES_SUFFIX",
    "DataContract",
    "DataContractError",
    "load_data_contracts",
    "parse_data_contracts",
    "rules_path",
]

LOG = logging.getLogger(__name__)

RULES_SUFFIX: Final = ".rules.yaml"
CONTRACT_VERSION_PROPERTY: Final = "flux.contract.version"
"""Metadata property carrying a version's own number (what ``use.latest.with.metadata`` pins)."""

_TOP_KEYS: Final = frozenset({"metadata", "domainRules", "versions"})
_VERSION_KEYS: Final = frozenset({"metadata", "migrationRules"})
_METADATA_KEYS: Final = frozenset({"properties", "tags", "sensitive"})
_RULE_KEYS: Final = frozenset(
    {"name", "doc", "kind", "mode", "type", "tags", "params", "expr", "onSuccess", "onFailure", "disabled"}
)
KINDS: Final = frozenset({"CONDITION", "TRANSFORM"})
MIGRATION_MODES: Final = frozenset({"UPGRADE", "DOWNGRADE", "UPDOWN"})
DOMAIN_MODES: Final = frozenset({"WRITE", "READ", "WRITEREAD"})


class DataContractError(ValueError):
    """A rules file breaks the format (the message names the file and the entry)."""


@dataclass(frozen=True, slots=True)
class DataContract:
    """What one version is registered with, in Confluent's JSON shapes (``None``: nothing)."""

    metadata: dict[str, Any] | None
    rule_set: dict[str, Any] | None


def rules_path(root: Path, family: str) -> Path:
    """Where the rules file of ``family`` lives."""
    return root / "schemas" / f"{family}{RULES_SUFFIX}"


def _mapping(value: Any, where: str, allowed: frozenset[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DataContractError(f"{where}: expected a mapping")
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        raise DataContractError(f"{where}: unknown keys {unknown} (allowed: {sorted(allowed)})")
    return value


def _text(value: Any, where: str) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        raise DataContractError(f"{where}: expected a string")
    return str(value)


def _metadata(raw: Any, where: str) -> dict[str, Any]:
    body = _mapping(raw, where, _METADATA_KEYS)
    out: dict[str, Any] = {}
    properties = body.get("properties") or {}
    if not isinstance(properties, dict):
        raise DataContractError(f"{where}.properties: expected a mapping")
    if properties:
        out["properties"] = {str(k): _text(v, f"{where}.properties.{k}") for k, v in properties.items()}
    tags = body.get("tags") or {}
    if not isinstance(tags, dict) or not all(isinstance(v, list) for v in tags.values()):
        raise DataContractError(f"{where}.tags: expected a mapping of field path to a list of tags")
    if tags:
        out["tags"] = {str(k): sorted({_text(t, f"{where}.tags.{k}") for t in v}) for k, v in tags.items()}
    sensitive = body.get("sensitive") or []
    if not isinstance(sensitive, list):
        raise DataContractError(f"{where}.sensitive: expected a list of property names")
    if sensitive:
        out["sensitive"] = sorted({_text(s, f"{where}.sensitive") for s in sensitive})
    return out


def _rule(raw: Any, where: str, modes: frozenset[str]) -> dict[str, Any]:
    body = _mapping(raw, where, _RULE_KEYS)
    for key in ("name", "kind", "mode", "type"):
        if body.get(key) is None:
            raise DataContractError(f"{where}: '{key}' is required")
    rule: dict[str, Any] = {"name": _text(body["name"], f"{where}.name")}
    where = f"{where} ({rule['name']})"
    if body.get("doc") is not None:
        rule["doc"] = _text(body["doc"], f"{where}.doc")
    rule["kind"] = _text(body["kind"], f"{where}.kind")
    if rule["kind"] not in KINDS:
        raise DataContractError(f"{where}.kind: {rule['kind']!r} is not one of {sorted(KINDS)}")
    rule["mode"] = _text(body["mode"], f"{where}.mode")
    if rule["mode"] not in modes:
        raise DataContractError(f"{where}.mode: {rule['mode']!r} is not one of {sorted(modes)}")
    rule["type"] = _text(body["type"], f"{where}.type")
    tags = body.get("tags") or []
    if not isinstance(tags, list):
        raise DataContractError(f"{where}.tags: expected a list")
    if tags:
        rule["tags"] = sorted({_text(t, f"{where}.tags") for t in tags})
    params = body.get("params") or {}
    if not isinstance(params, dict):
        raise DataContractError(f"{where}.params: expected a mapping")
    if params:
        rule["params"] = {str(k): _text(v, f"{where}.params.{k}") for k, v in sorted(params.items())}
    for key in ("expr", "onSuccess", "onFailure"):
        if body.get(key) is not None:
            rule[key] = _text(body[key], f"{where}.{key}")
    disabled = body.get("disabled", False)
    if not isinstance(disabled, bool):
        raise DataContractError(f"{where}.disabled: expected true or false")
    rule["disabled"] = disabled
    return rule


def _rules(raw: Any, where: str, modes: frozenset[str]) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise DataContractError(f"{where}: expected a list of rules")
    return [_rule(item, f"{where}[{i}]", modes) for i, item in enumerate(raw)]


def _merged_metadata(base: dict[str, Any], extra: dict[str, Any], number: int) -> dict[str, Any]:
    properties = {**base.get("properties", {}), **extra.get("properties", {})}
    properties[CONTRACT_VERSION_PROPERTY] = str(number)
    merged: dict[str, Any] = {}
    tags = {**base.get("tags", {}), **extra.get("tags", {})}
    if tags:
        merged["tags"] = dict(sorted(tags.items()))
    merged["properties"] = dict(sorted(properties.items()))
    sensitive = sorted(set(base.get("sensitive", [])) | set(extra.get("sensitive", [])))
    if sensitive:
        merged["sensitive"] = sensitive
    return merged


def parse_data_contracts(text: str, where: str, numbers: list[int]) -> dict[int, DataContract]:
    """Parse a rules file into the contract of each version in ``numbers``.

    Raises:
        DataContractError: a malformed file, a rule missing a required key, an unknown kind or mode,
            a duplicate rule name, or a version section for a version that does not exist.
    """
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DataContractError(f"{where}: not valid YAML: {exc}") from exc
    body = _mapping(raw, where, _TOP_KEYS)
    base = _metadata(body.get("metadata"), f"{where}: metadata")
    domain = _rules(body.get("domainRules"), f"{where}: domainRules", DOMAIN_MODES)
    sections = body.get("versions") or {}
    if not isinstance(sections, dict):
        raise DataContractError(f"{where}: versions: expected a mapping of version number to a section")
    unknown = sorted(str(n) for n in sections if n not in numbers)
    if unknown:
        raise DataContractError(f"{where}: versions: no schema version {', '.join(unknown)}")
    contracts = {}
    for number in numbers:
        section = _mapping(sections.get(number), f"{where}: versions.{number}", _VERSION_KEYS)
        extra = _metadata(section.get("metadata"), f"{where}: versions.{number}.metadata")
        migration = _rules(
            section.get("migrationRules"), f"{where}: versions.{number}.migrationRules", MIGRATION_MODES
        )
        names = [r["name"] for r in [*migration, *domain]]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise DataContractError(f"{where}: version {number}: duplicate rule names {duplicates}")
        rule_set: dict[str, Any] = {}
        if migration:
            rule_set["migrationRules"] = migration
        if domain:
            rule_set["domainRules"] = domain
        contracts[number] = DataContract(_merged_metadata(base, extra, number), rule_set or None)
    return contracts


def load_data_contracts(
    root: Path, family: str, numbers: list[int]
) -> tuple[Path | None, dict[int, DataContract]]:
    """Read ``family``'s rules file; without one, each version carries only its version property."""
    path = rules_path(root, family)
    if not path.is_file():
        LOG.debug("%s has no rules file", family)
        empty = {n: DataContract(_merged_metadata({}, {}, n), None) for n in numbers}
        return None, empty
    where = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
    return path, parse_data_contracts(path.read_text(encoding="utf-8"), where, numbers)
