"""Rules for object schemas (Confluent's ``ObjectSchemaDiff``): content models, properties, required.

Content models, as Confluent names them:
    open: no ``patternProperties``, no schema for ``additionalProperties``, and additional
        properties allowed: anything may appear under an undeclared name;
    partially open: ``patternProperties`` and/or an ``additionalProperties`` schema say what
        an undeclared property may hold;
    closed: ``additionalProperties: false`` and no ``patternProperties``.

A property added to the reader is judged by the *writer's* content model (could the writer
already have written it?); a property dropped from the reader by the *reader's* model (will
the reader still accept it?).

Example:
    >>> from flux.schemas.json_schema.model import ObjectNode, StringNode
    >>> def cmp(old, new, path, guard): return []
    >>> old, new = ObjectNode(), ObjectNode(properties={"a": StringNode()})
    >>> [c.type for c in compare_object(old, new, (), frozenset(), cmp)]
    ['PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL']
"""

from __future__ import annotations

import re

from flux.schemas.json_schema.diff_base import Change, Compare, Guard, Path, is_compatible
from flux.schemas.json_schema.diff_scalar import bound_change
from flux.schemas.json_schema.model import EmptyNode, FalseNode, Node, ObjectNode

__all__ = ["compare_object", "is_open", "partial_schema_for"]


def is_open(node: ObjectNode) -> bool:
    return not node.pattern_properties and node.additional_schema is None and node.additional_allowed


def _matches(pattern: str, name: str) -> bool:
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return False  # a Java-only regex construct: treat as not matching


def partial_schema_for(node: ObjectNode, name: str) -> Node | None:
    """The schema ``node`` applies to an undeclared property ``name`` (None when closed/open)."""
    # Confluent tries patterns in hash order; we take the first matching one in document order.
    for pattern, schema in node.pattern_properties:
        if _matches(pattern, name):
            return schema
    return node.additional_schema


def _required(old: ObjectNode, new: ObjectNode, path: Path) -> list[Change]:
    # Only properties declared on both sides count: a name in "required" without a
    # matching "properties" entry is invisible to Confluent's rule.
    changes = []
    for name in sorted(old.properties):
        if name not in new.properties:
            continue
        before, after = name in old.required, name in new.required
        where = (*path, "required", name)
        if before and not after:
            changes.append(Change("REQUIRED_ATTRIBUTE_REMOVED", where))
        elif after and not before:
            with_default = new.properties[name].meta.has_default
            changes.append(
                Change(
                    "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED" if with_default else "REQUIRED_ATTRIBUTE_ADDED",
                    where,
                )
            )
    return changes


def _covered(
    schema: Node, partial: Node, where: Path, guard: Guard, compare: Compare, *, removed: bool
) -> list[Change]:
    inner = compare(schema, partial, where, guard) if removed else compare(partial, schema, where, guard)
    verdict = "IS_COVERED" if is_compatible(inner) else "NOT_COVERED"
    action = "REMOVED" if removed else "ADDED"
    return [*inner, Change(f"PROPERTY_{action}_{verdict}_BY_PARTIALLY_OPEN_CONTENT_MODEL", where)]


def _removed(
    old: ObjectNode, new: ObjectNode, name: str, where: Path, *, guard: Guard, compare: Compare
) -> list[Change]:
    if is_open(new):
        return [Change("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", where)]
    partial = partial_schema_for(new, name)
    if partial is not None:
        return _covered(old.properties[name], partial, where, guard, compare, removed=True)
    if isinstance(old.properties[name], FalseNode):
        return [Change("PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", where)]
    return [Change("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", where)]


def _added(
    old: ObjectNode, new: ObjectNode, name: str, where: Path, *, guard: Guard, compare: Compare
) -> list[Change]:
    schema = new.properties[name]
    if is_open(old):
        # Confluent's "empty schema" here includes `true` (a subclass in Java).
        empty = isinstance(schema, EmptyNode)
        return [
            Change(
                "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
                if empty
                else "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
                where,
            )
        ]
    changes: list[Change] = []
    partial = partial_schema_for(old, name)
    if partial is not None:
        changes += _covered(schema, partial, where, guard, compare, removed=False)
    # Closed and partially open models alike then judge whether the property is required.
    if name in new.required:
        kind = "WITH_DEFAULT_" if schema.meta.has_default else ""
        changes.append(Change(f"REQUIRED_PROPERTY_{kind}ADDED_TO_UNOPEN_CONTENT_MODEL", where))
    else:
        changes.append(Change("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", where))
    return changes


def _properties(old: ObjectNode, new: ObjectNode, path: Path, guard: Guard, compare: Compare) -> list[Change]:
    changes: list[Change] = []
    for name in sorted(old.properties.keys() | new.properties.keys()):
        where = (*path, "properties", name)
        if name not in new.properties:
            changes += _removed(old, new, name, where, guard=guard, compare=compare)
        elif name not in old.properties:
            changes += _added(old, new, name, where, guard=guard, compare=compare)
        else:
            changes += compare(old.properties[name], new.properties[name], where, guard)
    return changes


def _dependencies(
    old: ObjectNode, new: ObjectNode, path: Path, guard: Guard, compare: Compare
) -> list[Change]:
    changes: list[Change] = []
    for name in sorted(old.property_dependencies.keys() | new.property_dependencies.keys()):
        where = (*path, "dependencies", name)
        before, after = old.property_dependencies.get(name), new.property_dependencies.get(name)
        if after is None:
            changes.append(Change("DEPENDENCY_ARRAY_REMOVED", where))
        elif before is None:
            changes.append(Change("DEPENDENCY_ARRAY_ADDED", where))
        elif before != after:
            kind = "EXTENDED" if after >= before else "NARROWED" if after <= before else "CHANGED"
            changes.append(Change(f"DEPENDENCY_ARRAY_{kind}", where))
    for name in sorted(old.schema_dependencies.keys() | new.schema_dependencies.keys()):
        where = (*path, "dependencies", name)
        if name not in new.schema_dependencies:
            changes.append(Change("DEPENDENCY_SCHEMA_REMOVED", where))
        elif name not in old.schema_dependencies:
            changes.append(Change("DEPENDENCY_SCHEMA_ADDED", where))
        else:
            changes += compare(old.schema_dependencies[name], new.schema_dependencies[name], where, guard)
    return changes


def _additional(old: ObjectNode, new: ObjectNode, path: Path, guard: Guard, compare: Compare) -> list[Change]:
    # Note `additionalProperties: {}` is a schema here, not the same as `true`: going from
    # nothing to `{}` is ADDITIONAL_PROPERTIES_NARROWED, as in Confluent.
    where = (*path, "additionalProperties")
    if old.additional_allowed != new.additional_allowed:
        return [
            Change(
                "ADDITIONAL_PROPERTIES_ADDED" if new.additional_allowed else "ADDITIONAL_PROPERTIES_REMOVED",
                where,
            )
        ]
    if old.additional_schema is None and new.additional_schema is not None:
        return [Change("ADDITIONAL_PROPERTIES_NARROWED", where)]
    if new.additional_schema is None and old.additional_schema is not None:
        return [Change("ADDITIONAL_PROPERTIES_EXTENDED", where)]
    return compare(old.additional_schema, new.additional_schema, where, guard)


def compare_object(
    old: ObjectNode, new: ObjectNode, path: Path, guard: Guard, compare: Compare
) -> list[Change]:
    changes = _required(old, new, path)
    changes += _properties(old, new, path, guard, compare)
    changes += _dependencies(old, new, path, guard, compare)
    changes += _additional(old, new, path, guard, compare)
    changes += bound_change("MAX_PROPERTIES", "maxProperties", old.max_properties, new.max_properties, path)
    changes += bound_change("MIN_PROPERTIES", "minProperties", old.min_properties, new.min_properties, path)
    return changes
