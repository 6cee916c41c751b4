"""The Avro field walk of ``CEL_FIELD`` rules, given only the part of the schema a rule can touch.

confluent-kafka's walk (``confluent_kafka.schema_registry.common.avro.transform``) visits every
field of the record, resolves every union by validating the value against each branch, and matches
each field's full name against every metadata tag pattern — for a weather event, about 1.5 ms per
rule, whatever the rule does. A rule with ``tags`` can only act on fields carrying one of them, and
which fields those are follows from the schema and its tags alone; so Flux hands confluent-kafka's
walk a copy of the schema *pruned* to the fields that lead to such a field (union branches kept, so
values resolve as before), and answers the field-tag lookups from a cache. A rule without tags gets
the whole schema.

:func:`walk` then walks that schema as confluent-kafka's ``transform`` does — the same field
contexts (``enter_field``/``exit_field``, ``get_type``), fields in schema order, the rule's tags
against each field's, a CONDITION failing on ``False`` — but resolves a union without validating
the value against each branch (a deep copy and a fastavro ``validate`` per branch per record, most
of a weather event's rule cost). It does so only where the branch follows from the value's Python
type alone: a union of ``null`` and one record, map, array or string, holding ``None`` or not. A
union value in wrapped (``(name, value)``) or typed (``-type``) notation, and any other union, is
handed to confluent-kafka's ``transform`` for that subtree. A value that does not fit its one
non-null branch is walked all the same (confluent-kafka would skip it); the codec refuses it
right after the rules.

Example:
    >>> schema = {"type": "record", "name": "ns.R", "fields": [
    ...     {"name": "a", "type": "int"}, {"name": "b", "type": "int"}]}
    >>> prune(schema, lambda name: name == "ns.R.b")["fields"]
    [{'name': 'b', 'type': 'int'}]
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from confluent_kafka.schema_registry.common.avro import get_type
from confluent_kafka.schema_registry.common.avro import transform as avro_transform
from confluent_kafka.schema_registry.schema_registry_client import RuleKind
from confluent_kafka.schema_registry.serde import FieldTransform, RuleConditionError, RuleContext
from confluent_kafka.schema_registry.wildcard_matcher import wildcard_match

__all__ = ["TaggedRuleContext", "field_tags", "prune", "walk"]

LOG = logging.getLogger(__name__)

_TAGS: dict[tuple[Any, str], frozenset[str]] = {}
_TAGS_CAPACITY = 10_000


def field_tags(patterns: dict[str, Any] | None, full_name: str) -> frozenset[str]:
    """The metadata tags of the field ``full_name`` (Confluent's wildcard matching, remembered)."""
    if not patterns:
        return frozenset()
    key = (id(patterns), full_name)
    found = _TAGS.get(key)
    if found is None:
        found = frozenset(
            t for pattern, tags in patterns.items() if wildcard_match(full_name, pattern) for t in tags
        )
        if len(_TAGS) >= _TAGS_CAPACITY:
            _TAGS.clear()
        _TAGS[key] = found
    return found


class TaggedRuleContext(RuleContext):
    """confluent-kafka's ``RuleContext`` with the metadata-tag lookup of a field remembered, and
    ``frozen``: the record's field values in hashable form, shared by its rules' verdict memo."""

    __slots__ = ("frozen",)

    def __init__(self, *args: Any, frozen: dict[str, Any] | None = None) -> None:
        super().__init__(*args)
        self.frozen = frozen

    def get_tags(self, full_name: str) -> set[str]:
        target = self.target
        tags = target.metadata.tags if target is not None and target.metadata is not None else None
        return set(field_tags(tags.tags if tags is not None else None, full_name))


def _leads_to(node: Any, wanted: Callable[[str], bool]) -> Any | None:
    """``node`` pruned to what leads to a wanted field, or None when nothing does."""
    if isinstance(node, list):
        branches = [_leads_to(branch, wanted) for branch in node]
        if all(b is None for b in branches):
            return None
        return [
            pruned if pruned is not None else branch for branch, pruned in zip(node, branches, strict=True)
        ]
    if not isinstance(node, dict):
        return None
    kind = node.get("type")
    if kind == "record":
        pruned = prune(node, wanted)
        return pruned if pruned["fields"] else None
    if kind == "array":
        items = _leads_to(node["items"], wanted)
        return None if items is None else {**node, "items": items}
    if kind == "map":
        values = _leads_to(node["values"], wanted)
        return None if values is None else {**node, "values": values}
    if isinstance(kind, dict | list):
        return _leads_to(kind, wanted)
    return None


def prune(record: dict[str, Any], wanted: Callable[[str], bool]) -> dict[str, Any]:
    """A copy of an expanded record schema keeping only the fields that are wanted (by full name)
    or lead to a wanted field."""
    fields = []
    for field in record.get("fields", []):
        if wanted(f"{record['name']}.{field['name']}"):
            fields.append(field)
            continue
        inner = _leads_to(field["type"], wanted)
        if inner is not None:
            fields.append({**field, "type": inner})
    return {**record, "fields": fields}


_DELEGATE: Any = object()
"""A union :func:`walk` leaves to confluent-kafka's ``transform``."""
_SIMPLE_BRANCHES = {"record": dict, "map": dict, "array": list, "string": str}
_UNIONS: dict[int, tuple[Any, Any, Any]] = {}
"""Per union schema (by id, kept alive by the pruned schema cache): (itself, null branch, other)."""


def _plan(union: list[Any]) -> tuple[Any, Any]:
    """(null branch, the other branch) of a union :func:`walk` resolves itself, else _DELEGATE."""
    found = _UNIONS.get(id(union))
    if found is not None and found[0] is union:
        return found[1], found[2]
    null, other = _DELEGATE, _DELEGATE
    if len(union) == 2:
        kinds = [b if isinstance(b, str) else b.get("type") if isinstance(b, dict) else None for b in union]
        if "null" in kinds:
            rest = union[1 - kinds.index("null")]
            rest_kind = kinds[1 - kinds.index("null")]
            if isinstance(rest_kind, str) and rest_kind in _SIMPLE_BRANCHES:
                null, other = union[kinds.index("null")], rest
    _UNIONS[id(union)] = (union, null, other)
    return null, other


def _branch(union: list[Any], value: Any) -> Any:
    """The branch of ``union`` holding ``value``, or _DELEGATE."""
    if type(value) is tuple or (type(value) is dict and "-type" in value):
        return _DELEGATE
    null, other = _plan(union)
    if other is _DELEGATE:
        return _DELEGATE
    return null if value is None else other


def walk(ctx: RuleContext, schema: Any, message: Any, field_transform: FieldTransform) -> Any:
    """confluent-kafka's Avro ``transform`` of ``message`` (see the module docs)."""
    if schema is None:
        return message
    field_ctx = ctx.current_field()
    if field_ctx is not None:
        field_ctx.field_type = get_type(schema)
    if isinstance(schema, list):
        branch = _branch(schema, message)
        if branch is _DELEGATE:
            return avro_transform(ctx, schema, message, field_transform)
        return walk(ctx, branch, message, field_transform)
    if isinstance(schema, dict):
        kind = schema.get("type")
        if kind == "array":
            if not isinstance(message, list):
                return message
            return [walk(ctx, schema["items"], item, field_transform) for item in message]
        if kind == "map":
            if not isinstance(message, dict):
                return message
            return {
                key: walk(ctx, schema["values"], value, field_transform) for key, value in message.items()
            }
        if kind == "record":
            if isinstance(message, dict):
                for field in schema["fields"]:
                    if field["name"] in message:
                        _walk_field(ctx, schema, field, message, field_transform)
            return message
    if field_ctx is not None:
        rule_tags = ctx.rule.tags
        if not rule_tags or not set(rule_tags).isdisjoint(field_ctx.tags):
            return field_transform(ctx, field_ctx, message)
    return message


def _walk_field(
    ctx: RuleContext,
    record: dict[str, Any],
    field: dict[str, Any],
    message: dict[str, Any],
    fn: FieldTransform,
) -> None:
    field_type, name = field["type"], field["name"]
    try:
        ctx.enter_field(message, f"{record['name']}.{name}", name, get_type(field_type), None)
        new_value = walk(ctx, field_type, message[name], fn)
        if ctx.rule.kind == RuleKind.CONDITION:
            if new_value is False:
                raise RuleConditionError(ctx.rule)
        else:
            message[name] = new_value
    finally:
        ctx.exit_field()  # type: ignore[no-untyped-call]
