"""The Confluent REST shapes Flux's registry readers share: a registered version, a compatibility
check's request body, a config answer's level, a ruleSet as rows.

Used by the synchronous ``flux registry`` client (:mod:`flux.cli.registry_client`) and the BFF's
asynchronous one (:mod:`flux.bff.registry_reader`), so both read and ask the same way. Works with
any Confluent-compatible registry (Flux's own, Confluent's, Karapace).

Example:
    >>> v = SchemaVersion.from_json({"subject": "s-value", "version": 2, "id": 7, "schema": "{}"})
    >>> v.schema_type, compatibility_request(v)
    ('AVRO', {'schema': '{}'})
    >>> level_of({"compatibilityLevel": "FULL"})
    'FULL'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "HIDDEN",
    "RULE_GROUPS",
    "SchemaVersion",
    "compatibility_request",
    "level_of",
    "public_metadata",
    "rule_rows",
]

RULE_GROUPS: Final = (
    ("domainRules", "domain"),
    ("migrationRules", "migration"),
    ("encodingRules", "encoding"),
)
"""A ruleSet's lists of rules, with the short name each row carries."""


@dataclass(frozen=True, slots=True)
class SchemaVersion:
    """One registered version of a subject (``GET /subjects/{s}/versions/{v}``)."""

    subject: str
    version: int
    schema_id: int
    schema_type: str
    schema: str
    references: tuple[dict[str, Any], ...] = ()
    metadata: dict[str, Any] | None = None
    rule_set: dict[str, Any] | None = None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> SchemaVersion:
        metadata, rule_set = body.get("metadata"), body.get("ruleSet")
        return cls(
            subject=str(body["subject"]),
            version=int(body["version"]),
            schema_id=int(body["id"]),
            schema_type=str(body.get("schemaType") or "AVRO"),
            schema=str(body["schema"]),
            references=tuple(body.get("references") or ()),
            metadata=metadata if isinstance(metadata, dict) else None,
            rule_set=rule_set if isinstance(rule_set, dict) else None,
        )


def compatibility_request(schema: SchemaVersion) -> dict[str, Any]:
    """The body of ``POST /compatibility/subjects/{s}/versions/{v}`` asking about ``schema``."""
    payload: dict[str, Any] = {"schema": schema.schema}
    if schema.schema_type != "AVRO":
        payload["schemaType"] = schema.schema_type
    if schema.references:
        payload["references"] = list(schema.references)
    return payload


def level_of(config: Any) -> str:
    """The compatibility level of a ``GET /config[/{s}]`` answer (``?`` when it names none)."""
    if not isinstance(config, dict):
        return "?"
    return str(config.get("compatibilityLevel") or config.get("compatibility") or "?")


def rule_rows(rule_set: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Every rule of a ruleSet as one flat row: ``group`` (domain, migration, encoding), ``name``,
    ``doc``, ``kind``, ``mode``, ``type``, ``expr``, ``onSuccess``, ``onFailure``, ``disabled``,
    ``tags``, ``params``; fields a rule leaves out are None (tags and params empty)."""
    rows: list[dict[str, Any]] = []
    if not isinstance(rule_set, dict):
        return rows
    for key, group in RULE_GROUPS:
        rules = rule_set.get(key)
        if not isinstance(rules, list):
            continue
        for rule in rules:
            if not isinstance(rule, dict):
                continue
            rows.append(
                {
                    "group": group,
                    **{
                        name: rule.get(name)
                        for name in ("name", "doc", "kind", "mode", "type", "expr", "onSuccess", "onFailure")
                    },
                    "disabled": bool(rule.get("disabled", False)),
                    "tags": list(rule.get("tags") or []),
                    "params": dict(rule.get("params") or {}),
                }
            )
    return rows


HIDDEN = "(sensitive: not shown)"


def public_metadata(metadata: Any) -> Any:
    """``metadata`` with the values of the properties it lists as ``sensitive`` replaced by
    :data:`HIDDEN` (Confluent's marker for values no reader should be shown).

    Example:
        >>> public_metadata({"properties": {"owner": "a", "token": "s3"}, "sensitive": ["token"]})
        {'properties': {'owner': 'a', 'token': '(sensitive: not shown)'}, 'sensitive': ['token']}
    """
    if not isinstance(metadata, dict):
        return metadata
    sensitive = metadata.get("sensitive")
    properties = metadata.get("properties")
    if not isinstance(sensitive, list) or not isinstance(properties, dict):
        return metadata
    hidden = {str(name) for name in sensitive}
    shown = {k: (HIDDEN if k in hidden else v) for k, v in properties.items()}
    return {**metadata, "properties": shown}
