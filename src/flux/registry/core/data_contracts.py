"""What a registration's metadata and rule set become, as Confluent decides it.

* The request's metadata (or, when it sends none, the previous version's) is merged over the
  config's ``defaultMetadata``, and ``overrideMetadata`` over the result; rule sets likewise.
* ``confluent:version`` is (re)written with the new version's number when the request named a
  version, or when the merged metadata already carries the property.
* With ``validateFields``, the ``confluent:reserved`` fields of the previous version stay reserved
  and the new schema may not declare a reserved field at its top level.

Example:
    >>> from flux.registry.core.subject_config import SubjectConfig
    >>> md, _ = complete_contracts(SubjectConfig(), Metadata.of_properties([("confluent:version", "0")]),
    ...                            None, None, new_version=3, version_given=False)
    >>> md.get("confluent:version")
    '3'
"""

from __future__ import annotations

from flux.registry.core.metadata import (
    CONFLUENT_RESERVED,
    CONFLUENT_VERSION,
    Metadata,
    merge_metadata,
    with_confluent_version,
)
from flux.registry.core.model import StoredSchema
from flux.registry.core.rules import RuleSet, merge_rule_sets
from flux.registry.core.subject_config import SubjectConfig
from flux.schemas.avro_schema import ParsedAvro
from flux.schemas.compatibility import ParsedSchema
from flux.schemas.protobuf_schema import ParsedProtobuf

__all__ = ["complete_contracts", "group_value", "reserved_field_problems"]


def complete_contracts(
    config: SubjectConfig,
    metadata: Metadata | None,
    rule_set: RuleSet | None,
    previous: StoredSchema | None,
    *,
    new_version: int | None,
    version_given: bool,
) -> tuple[Metadata | None, RuleSet | None]:
    """The metadata and rule set a schema is registered (or looked up) with.

    Args:
        config: the subject's config in scope.
        metadata, rule_set: what the request sent (None: nothing).
        previous: the subject's latest live version, which a request without metadata or rules
            inherits them from.
        new_version: the version being registered (None for lookups: no ``confluent:version``).
        version_given: the request named a version (or -1).
    """
    specific_metadata = metadata if metadata is not None else (previous.metadata if previous else None)
    specific_rules = rule_set if rule_set is not None else (previous.rule_set if previous else None)
    merged_metadata = merge_metadata(
        merge_metadata(config.default_metadata, specific_metadata), config.override_metadata
    )
    merged_rules = merge_rule_sets(
        merge_rule_sets(config.default_rule_set, specific_rules), config.override_rule_set
    )
    carries_version = merged_metadata is not None and merged_metadata.get(CONFLUENT_VERSION) is not None
    if new_version is not None and (version_given or carries_version):
        merged_metadata = with_confluent_version(merged_metadata, new_version)
    return merged_metadata, merged_rules


def group_value(metadata: Metadata | None, group: str) -> str | None:
    """The value of the ``compatibilityGroup`` property ``group`` (None when absent)."""
    return None if metadata is None else metadata.get(group)


def _reserved(metadata: Metadata | None) -> set[str]:
    raw = None if metadata is None else metadata.get(CONFLUENT_RESERVED)
    return {name.strip() for name in (raw or "").split(",") if name.strip()}


def _top_level_fields(parsed: ParsedSchema) -> set[str]:
    inner = parsed.parsed
    if isinstance(inner, ParsedAvro):
        fields = getattr(inner.schema, "fields", None) or []
        return {field.name for field in fields}
    if isinstance(inner, ParsedProtobuf) and inner.file.message_type:
        return {field.name for field in inner.file.message_type[0].field}
    return set()


def reserved_field_problems(
    parsed: ParsedSchema, metadata: Metadata | None, previous: Metadata | None
) -> list[str]:
    """``validateFields`` checks of ``confluent:reserved``: fields reserved by the previous
    version must stay reserved, and no reserved name may be a top-level field."""
    reserved = _reserved(metadata)
    problems = [
        f"RESERVED_FIELD_REMOVED: field '{name}' is reserved in the previous version's metadata "
        f"({CONFLUENT_RESERVED}) but not in the new schema's"
        for name in sorted(_reserved(previous) - reserved)
    ]
    fields = _top_level_fields(parsed)
    problems += [
        f"FIELD_CONFLICTS_WITH_RESERVED_FIELD: the new schema declares field '{name}', which its "
        f"metadata reserves ({CONFLUENT_RESERVED})"
        for name in sorted(reserved & fields)
    ]
    return problems
