"""The component schemas of the registry's OpenAPI document: bodies, answers and data contracts."""

from __future__ import annotations

from typing import Any, Final

__all__ = ["component_schemas", "ref"]

_LEVELS: Final = [
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
]


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def _object(**properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


_STRING: Final[dict[str, Any]] = {"type": "string"}
_STRING_MAP: Final[dict[str, Any]] = {"type": "object", "additionalProperties": _STRING}


def _contracts() -> dict[str, Any]:
    rule = _object(
        name=_STRING,
        doc=_STRING,
        kind={"type": "string", "enum": ["TRANSFORM", "CONDITION"]},
        mode={"type": "string", "enum": ["UPGRADE", "DOWNGRADE", "UPDOWN", "WRITE", "READ", "WRITEREAD"]},
        type=_STRING,
        tags=_array(_STRING),
        params=_STRING_MAP,
        expr=_STRING,
        onSuccess=_STRING,
        onFailure=_STRING,
        disabled={"type": "boolean"},
    )
    return {
        "Metadata": _object(
            tags={"type": "object", "additionalProperties": _array(_STRING)},
            properties=_STRING_MAP,
            sensitive=_array(_STRING),
        ),
        "Rule": rule,
        "RuleSet": _object(
            migrationRules=_array(ref("Rule")),
            domainRules=_array(ref("Rule")),
            encodingRules=_array(ref("Rule")),
        ),
    }


def _configs() -> dict[str, Any]:
    common: dict[str, dict[str, Any]] = {
        "alias": _STRING,
        "normalize": {"type": "boolean"},
        "validateFields": {"type": "boolean"},
        "compatibilityGroup": _STRING,
        "defaultMetadata": ref("Metadata"),
        "overrideMetadata": ref("Metadata"),
        "defaultRuleSet": ref("RuleSet"),
        "overrideRuleSet": ref("RuleSet"),
    }
    return {
        "ConfigUpdate": _object(compatibility={"type": "string", "enum": _LEVELS}, **common),
        "ConfigResponse": _object(compatibilityLevel=_STRING, **common),
    }


def component_schemas() -> dict[str, Any]:
    """Every schema the paths refer to."""
    reference = {
        "type": "object",
        "required": ["name", "subject", "version"],
        "properties": {"name": _STRING, "subject": _STRING, "version": {"type": "integer"}},
    }
    schema_fields: dict[str, dict[str, Any]] = {
        "schema": _STRING,
        "schemaType": _STRING,
        "references": _array(ref("Reference")),
        "metadata": ref("Metadata"),
        "ruleSet": ref("RuleSet"),
    }
    return {
        "Error": {
            "type": "object",
            "required": ["error_code", "message"],
            "properties": {"error_code": {"type": "integer"}, "message": _STRING},
        },
        "Reference": reference,
        "Schema": {
            "type": "object",
            "required": ["schema"],
            "properties": {**schema_fields, "guid": _STRING},
        },
        "SubjectVersion": _object(
            subject=_STRING,
            version={"type": "integer"},
            id={"type": "integer"},
            guid=_STRING,
            **schema_fields,
        ),
        "RegisterResponse": _object(
            id={"type": "integer"}, version={"type": "integer"}, guid=_STRING, **schema_fields
        ),
        "SubjectVersionRef": _object(subject=_STRING, version={"type": "integer"}),
        "RegisterRequest": {
            "type": "object",
            "required": ["schema"],
            "properties": {
                **schema_fields,
                "schemaType": {"type": "string", "enum": ["AVRO", "PROTOBUF", "JSON"]},
                "id": {"type": "integer"},
                "version": {"type": "integer"},
            },
        },
        **_contracts(),
        **_configs(),
        "Mode": {
            "type": "object",
            "required": ["mode"],
            "properties": {
                "mode": {"type": "string", "enum": ["READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT"]}
            },
        },
    }
