"""A schema's ``guid``: the UUID made of an MD5 over what the schema is, as Confluent 8 computes it.

The digest covers the stored text, then each reference (name, subject, version as four big-endian
bytes), then — each behind a ``0x01`` marker so that "none" and "empty" differ — the metadata
(tags by path, properties by key, sensitive names, all sorted) and the rule set (every rule of
the migration, domain and encoding phases: name, doc, kind, mode, type, tags, params, expr,
onSuccess, onFailure). The guid is the same wherever the same schema is registered, across
contexts and registries, which is what lets a record carry it in a header instead of an id.

Example:
    >>> from flux.schemas.types import SchemaType
    >>> schema_guid(StoredSchema(1, SchemaType.AVRO, '"string"'))
    'b8d6c4a3-...'  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import uuid

from flux.registry.core.metadata import Metadata
from flux.registry.core.model import StoredSchema
from flux.registry.core.rules import RuleSet

__all__ = ["schema_guid"]


def _text(digest: hashlib._Hash, value: str | None) -> None:
    if value is not None:
        digest.update(value.encode("utf-8"))


def _metadata(digest: hashlib._Hash, metadata: Metadata) -> None:
    for path, tags in metadata.tags:
        _text(digest, path)
        for tag in tags:
            _text(digest, tag)
    for key, value in metadata.properties:
        _text(digest, key)
        _text(digest, value)
    for name in metadata.sensitive:
        _text(digest, name)


def _rule_set(digest: hashlib._Hash, rule_set: RuleSet) -> None:
    for rule in (*rule_set.migration_rules, *rule_set.domain_rules, *rule_set.encoding_rules):
        for value in (rule.name, rule.doc, str(rule.kind), str(rule.mode), rule.type):
            _text(digest, value)
        for tag in rule.tags:
            _text(digest, tag)
        for key, value in rule.params:
            _text(digest, key)
            _text(digest, value)
        for value in (rule.expr, rule.on_success, rule.on_failure):
            _text(digest, value)


def schema_guid(schema: StoredSchema) -> str:
    """The schema's guid (a UUID string)."""
    digest = hashlib.md5(usedforsecurity=False)
    _text(digest, schema.text)
    for ref in schema.references:
        _text(digest, ref.name)
        _text(digest, ref.subject)
        digest.update(ref.version.to_bytes(4, "big", signed=True))
    if schema.metadata is not None:
        digest.update(b"\x01")
        _metadata(digest, schema.metadata)
    if schema.rule_set is not None:
        digest.update(b"\x01")
        _rule_set(digest, schema.rule_set)
    return str(uuid.UUID(bytes=digest.digest()))
