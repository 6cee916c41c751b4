"""Records of the registry's Kafka log, keyed and shaped like Confluent's ``_schemas`` topic.

Keys are compact JSON with a fixed attribute order (compaction compares key bytes):

* ``{"keytype":"SCHEMA","subject":S,"version":V,"magic":1}`` → ``{"subject","version","id","schema",
  "schemaType"?,"references"?,"metadata"?,"ruleSet"?,"deleted"}``; a tombstone (null value) is a
  permanent delete. Records written before data contracts (no ``metadata``/``ruleSet``) replay as
  schemas without them.
* ``{"keytype":"CONFIG","subject":S|null,"magic":0}`` → Confluent's config value:
  ``{"alias"?,"normalize"?,"validateFields"?,"compatibilityLevel"?,"compatibilityGroup"?,
  "defaultMetadata"?,"overrideMetadata"?,"defaultRuleSet"?,"overrideRuleSet"?}`` (null: removed).
* ``{"keytype":"MODE","subject":S|null,"magic":0}`` → ``{"mode": M}`` (null: removed).
* ``{"keytype":"DELETE_SUBJECT","subject":S,"magic":0}`` → ``{"subject","version"}`` (read only, for
  topics written by Confluent's server: soft-deletes versions up to ``version``).
* ``{"keytype":"NOOP","magic":0}``: ignored.
* ``{"keytype":"ID_HIGH_WATER","magic":0}`` → ``{"id": N}``: Flux's own record, written before a
  permanent delete, so that ids stay unique after the deleted records are compacted away. Ids are
  allocated per context: a context other than the default one has its own key
  (``{"keytype":"ID_HIGH_WATER","context":".ctx","magic":0}``, value ``{"id": N, "context": ".ctx"}``).

A subject of another context is stored qualified (``:.ctx:name``), as Confluent stores it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from flux.registry.core.metadata import Metadata
from flux.registry.core.model import Reference, StoredSchema
from flux.registry.core.qualified import DEFAULT_CONTEXT, context_of
from flux.registry.core.rules import RuleSet
from flux.registry.core.subject_config import SubjectConfig
from flux.schemas.types import SchemaType

__all__ = [
    "ConfigRecord",
    "DeleteSubjectRecord",
    "HighWaterRecord",
    "LogRecord",
    "ModeRecord",
    "SchemaRecord",
    "decode_record",
    "encode_record",
]

_SEPARATORS: Final = (",", ":")


@dataclass(frozen=True, slots=True)
class SchemaRecord:
    """A subject version (``version`` None value: tombstone → ``schema`` is None)."""

    subject: str
    version: int
    schema: StoredSchema | None
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class ConfigRecord:
    """A subject's (``subject`` None: the global) configuration; ``config`` None removes it."""

    subject: str | None
    config: SubjectConfig | None


@dataclass(frozen=True, slots=True)
class ModeRecord:
    subject: str | None
    mode: str | None


@dataclass(frozen=True, slots=True)
class DeleteSubjectRecord:
    subject: str
    version: int


@dataclass(frozen=True, slots=True)
class HighWaterRecord:
    schema_id: int
    context: str = DEFAULT_CONTEXT


LogRecord = SchemaRecord | ConfigRecord | ModeRecord | DeleteSubjectRecord | HighWaterRecord


def _dump(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=_SEPARATORS, ensure_ascii=False).encode("utf-8")


def encode_record(record: LogRecord) -> tuple[bytes, bytes | None]:
    """Return the Kafka key and value bytes of ``record`` (value None: tombstone)."""
    if isinstance(record, SchemaRecord):
        key = _dump({"keytype": "SCHEMA", "subject": record.subject, "version": record.version, "magic": 1})
        if record.schema is None:
            return key, None
        value: dict[str, Any] = {
            "subject": record.subject,
            "version": record.version,
            "id": record.schema.schema_id,
            "schema": record.schema.text,
            "deleted": record.deleted,
        }
        if record.schema.schema_type is not SchemaType.AVRO:
            value["schemaType"] = str(record.schema.schema_type)
        if record.schema.references:
            value["references"] = [r.to_json() for r in record.schema.references]
        if record.schema.metadata is not None:
            value["metadata"] = record.schema.metadata.to_json()
        if record.schema.rule_set is not None:
            value["ruleSet"] = record.schema.rule_set.to_json()
        return key, _dump(value)
    if isinstance(record, ConfigRecord):
        key = _dump({"keytype": "CONFIG", "subject": record.subject, "magic": 0})
        return key, None if record.config is None else _dump(record.config.to_json())
    if isinstance(record, ModeRecord):
        key = _dump({"keytype": "MODE", "subject": record.subject, "magic": 0})
        return key, None if record.mode is None else _dump({"mode": record.mode})
    if isinstance(record, DeleteSubjectRecord):
        key = _dump({"keytype": "DELETE_SUBJECT", "subject": record.subject, "magic": 0})
        return key, _dump({"subject": record.subject, "version": record.version})
    if record.context == DEFAULT_CONTEXT:
        key = _dump({"keytype": "ID_HIGH_WATER", "magic": 0})
        return key, _dump({"id": record.schema_id})
    key = _dump({"keytype": "ID_HIGH_WATER", "context": record.context, "magic": 0})
    return key, _dump({"id": record.schema_id, "context": record.context})


def _references(raw: Any) -> tuple[Reference, ...]:
    if not raw:
        return ()
    return tuple(Reference(str(r["name"]), str(r["subject"]), int(r["version"])) for r in raw)


def _schema(v: dict[str, Any], subject: str) -> StoredSchema:
    metadata, rule_set = v.get("metadata"), v.get("ruleSet")
    return StoredSchema(
        schema_id=int(v["id"]),
        schema_type=SchemaType(v.get("schemaType") or "AVRO"),
        text=str(v["schema"]),
        references=_references(v.get("references")),
        metadata=None if metadata is None else Metadata.from_json(metadata),
        rule_set=None if rule_set is None else RuleSet.from_json(rule_set),
        context=context_of(subject),
    )


def decode_record(key: bytes | None, value: bytes | None) -> LogRecord | None:
    """Decode one log record; None for records to ignore (NOOP, unknown key types).

    Raises:
        ValueError: when the record is malformed (the caller logs and skips it).
    """
    if key is None:
        return None
    try:
        k = json.loads(key)
        v = json.loads(value) if value is not None else None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"record is not JSON: {exc}") from None
    if not isinstance(k, dict):
        raise ValueError("record key is not a JSON object")
    keytype = k.get("keytype")
    try:
        if keytype == "SCHEMA":
            subject, version = str(k["subject"]), int(k["version"])
            if v is None:
                return SchemaRecord(subject, version, None)
            return SchemaRecord(subject, version, _schema(v, subject), deleted=bool(v.get("deleted", False)))
        if keytype == "CONFIG":
            return ConfigRecord(k.get("subject"), None if v is None else SubjectConfig.from_json(v))
        if keytype == "MODE":
            mode = None if v is None else v.get("mode")
            return ModeRecord(k.get("subject"), None if mode is None else str(mode))
        if keytype == "DELETE_SUBJECT":
            if v is None:
                return None
            return DeleteSubjectRecord(str(v["subject"]), int(v["version"]))
        if keytype == "ID_HIGH_WATER":
            if v is None:
                return None
            return HighWaterRecord(int(v["id"]), str(v.get("context") or DEFAULT_CONTEXT))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"malformed {keytype} record: {exc}") from None
    return None
