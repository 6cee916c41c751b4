"""What clients send, validated: schema requests (with metadata and rule sets), config updates,
version parameters, levels and modes. Each problem is answered with Confluent's error code."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from flux.registry.core.errors import ErrorCode, RegistryError
from flux.registry.core.metadata import Metadata
from flux.registry.core.model import Mode, Reference
from flux.registry.core.rules import InvalidRuleSetError, RuleSet
from flux.registry.core.subject_config import LEVEL_UPDATE_KEY, config_changes
from flux.schemas.types import CompatibilityLevel, SchemaType

__all__ = [
    "LATEST",
    "MAX_METADATA_BYTES",
    "MAX_RULE_SET_BYTES",
    "MAX_VERSION",
    "SchemaRequest",
    "check_contract_sizes",
    "config_update",
    "invalid_schema_message",
    "parse_level",
    "parse_mode",
    "parse_version",
    "schema_request",
]

MAX_VERSION: Final = 2**31 - 1
LATEST: Final = -1
# Metadata and rule sets ride in the schema's log record next to the schema, and a record must
# stay under the topic's max.message.bytes (1 MB by default): bound each well below it.
MAX_METADATA_BYTES: Final = 64 * 1024
MAX_RULE_SET_BYTES: Final = 256 * 1024


@dataclass(frozen=True, slots=True)
class SchemaRequest:
    """A schema as sent by a client (``POST .../versions``, lookups, compatibility checks).

    ``version`` is None when not given, ``LATEST`` for -1 (Confluent's "the latest, or next"),
    else the version asked for (compare-and-set outside IMPORT mode).
    """

    text: str
    schema_type: SchemaType
    references: tuple[Reference, ...] = ()
    schema_id: int | None = None
    version: int | None = None
    metadata: Metadata | None = None
    rule_set: RuleSet | None = None

    @property
    def empty(self) -> bool:
        """No schema text: a registration takes the previous version's schema, as Confluent."""
        return not self.text.strip()


def invalid_schema_message(request: SchemaRequest, subject: str | None, detail: str) -> str:
    """Confluent's 42201 message: the schema as its ``Schema.toString`` prints it, then details."""
    r = request
    refs = ", ".join(f"{{name='{x.name}', subject='{x.subject}', version={x.version}}}" for x in r.references)
    metadata = None if r.metadata is None else r.metadata.to_json()
    rule_set = None if r.rule_set is None else r.rule_set.to_json()
    shown = (
        f"{{subject={subject},version={r.version or 0},id={r.schema_id or -1},schemaType={r.schema_type},"
        f"references=[{refs}],metadata={metadata},ruleSet={rule_set},schema={r.text}}}"
    )
    return f"Invalid schema {shown} with refs [{refs}] of type {r.schema_type}, details: {detail}"


def parse_version(raw: str) -> int:
    """Parse a version path parameter: ``1``..``2^31-1``, ``latest`` or ``-1`` (→ ``LATEST``).

    Raises:
        RegistryError: 42202 for anything else.
    """
    if raw == "latest":
        return LATEST
    try:
        value = int(raw)
    except ValueError:
        raise RegistryError.invalid_version(raw) from None
    if value == LATEST or 1 <= value <= MAX_VERSION:
        return value
    raise RegistryError.invalid_version(raw)


def parse_level(raw: Any) -> CompatibilityLevel:
    try:
        if not isinstance(raw, str):
            raise ValueError(raw)
        return CompatibilityLevel(raw.upper())
    except ValueError:
        raise RegistryError(
            422,
            ErrorCode.INVALID_COMPATIBILITY_LEVEL,
            "Invalid compatibility level. Valid values are none, backward, forward, full, "
            "backward_transitive, forward_transitive, and full_transitive",
        ) from None


def parse_mode(raw: Any) -> Mode:
    try:
        if not isinstance(raw, str):
            raise ValueError(raw)
        return Mode(raw.upper())
    except ValueError:
        raise RegistryError(
            422,
            ErrorCode.INVALID_MODE,
            "Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE and IMPORT",
        ) from None


# ---------------------------------------------------------------------- data contracts
def _bounded(value: Metadata | RuleSet | None, what: str, limit: int) -> None:
    if value is None:
        return
    size = len(json.dumps(value.to_json(), separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if size > limit:
        raise RegistryError.too_large(f"The {what} is too large: {size} bytes (the limit is {limit} bytes)")


def check_contract_sizes(metadata: Metadata | None, rule_set: RuleSet | None) -> None:
    """42209 when the metadata or the rule set is over its limit."""
    _bounded(metadata, "metadata", MAX_METADATA_BYTES)
    _bounded(rule_set, "ruleSet", MAX_RULE_SET_BYTES)


def _validated(rule_set: RuleSet | None) -> None:
    if rule_set is None:
        return
    try:
        rule_set.validate()
    except InvalidRuleSetError as exc:
        raise RegistryError.invalid_rule_set(str(exc)) from None


def _contracts(body: dict[str, Any]) -> tuple[Metadata | None, RuleSet | None]:
    raw_metadata, raw_rules = body.get("metadata"), body.get("ruleSet")
    try:
        metadata = None if raw_metadata is None else Metadata.from_json(raw_metadata)
        rule_set = None if raw_rules is None else RuleSet.from_json(raw_rules)
    except ValueError as exc:
        raise RegistryError.bad_request(str(exc)) from None
    check_contract_sizes(metadata, rule_set)
    return metadata, rule_set


# ---------------------------------------------------------------------- schema requests
def _as_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise RegistryError.unprocessable(f"{what} must be an integer")
    try:
        return int(value)
    except ValueError:
        raise RegistryError.unprocessable(f"{what} must be an integer") from None


def _references(raw: Any) -> tuple[Reference, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise RegistryError.unprocessable("references must be a list")
    found: list[Reference] = []
    for item in raw:
        if not isinstance(item, dict):
            raise RegistryError.unprocessable(
                "each reference must be an object with name, subject and version"
            )
        name, subject = item.get("name"), item.get("subject")
        if not isinstance(name, str) or not isinstance(subject, str) or not name or not subject:
            raise RegistryError.invalid_schema("Invalid schema reference: name and subject are required")
        version = _as_int(item.get("version", LATEST), "reference version")
        found.append(Reference(name, subject, version))
    return tuple(found)


def _register_fields(body: dict[str, Any]) -> tuple[int | None, int | None]:
    schema_id = version = None
    if body.get("id") is not None:
        schema_id = _as_int(body["id"], "id")
        if schema_id < 0:
            schema_id = None
    if body.get("version") is not None:
        version = _as_int(body["version"], "version")
        if version == 0:
            version = None
        elif version < 0:
            version = LATEST
    return schema_id, version


def schema_request(body: dict[str, Any], *, register: bool = False) -> SchemaRequest:
    """Build a :class:`SchemaRequest` from a request body (``schema``, ``schemaType``,
    ``references``, ``metadata``, ``ruleSet``; with ``register`` also ``id`` and ``version``,
    and the rule set is validated as Confluent validates registrations)."""
    text = body.get("schema")
    if text is None:
        text = ""  # empty: see SchemaRequest.empty
    if isinstance(text, dict | list):
        text = json.dumps(text)  # a schema sent as JSON rather than as a string
    if not isinstance(text, str):
        raise RegistryError.invalid_schema("Invalid schema: schema must be a string")
    raw_type = body.get("schemaType") or "AVRO"
    try:
        schema_type = SchemaType(raw_type if isinstance(raw_type, str) else str(raw_type))
    except ValueError:
        # Confluent's provider lookup is by exact name: "json" is not JSON.
        raise RegistryError.invalid_schema(f"Invalid schema type {raw_type}") from None
    metadata, rule_set = _contracts(body)
    schema_id, version = _register_fields(body) if register else (None, None)
    if register:
        _validated(rule_set)
    return SchemaRequest(
        text, schema_type, _references(body.get("references")), schema_id, version, metadata, rule_set
    )


# ---------------------------------------------------------------------- config updates
def config_update(body: dict[str, Any]) -> dict[str, object]:
    """The changes a ``PUT /config[/{subject}]`` body asks for, validated like Confluent: the
    level (42203), default and override rule sets (42210), wrong JSON types (400), sizes (42209).
    """
    try:
        changes = config_changes(body, LEVEL_UPDATE_KEY)
    except ValueError as exc:
        raise RegistryError.bad_request(str(exc)) from None
    if changes.get("compatibility") is not None:
        changes["compatibility"] = str(parse_level(changes["compatibility"]))
    for key in ("default_metadata", "override_metadata"):
        value = changes.get(key)
        _bounded(value if isinstance(value, Metadata) else None, "metadata", MAX_METADATA_BYTES)
    for key in ("default_rule_set", "override_rule_set"):
        value = changes.get(key)
        rule_set = value if isinstance(value, RuleSet) else None
        _validated(rule_set)
        _bounded(rule_set, "ruleSet", MAX_RULE_SET_BYTES)
    return changes
