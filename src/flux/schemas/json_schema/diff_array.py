"""Rules for array schemas (Confluent's ``ArraySchemaDiff``): items, tuples and their content model.

A tuple (``items`` as a list, or ``prefixItems``) has a content model like an object:
open when additional items are allowed with no schema, partially open with an
``additionalItems`` schema (``items`` after ``prefixItems`` in 2020-12), closed when
additional items are forbidden. ``contains`` is not compared.

Example:
    >>> from flux.schemas.json_schema.model import ArrayNode, StringNode
    >>> def cmp(old, new, path, guard): return []
    >>> old, new = ArrayNode(items=[StringNode()]), ArrayNode(items=[])
    >>> [c.pointer for c in compare_array(old, new, (), frozenset(), cmp)]
    ['#/items/0']
"""

from __future__ import annotations

from flux.schemas.json_schema.diff_base import Change, Compare, Guard, Path, is_compatible
from flux.schemas.json_schema.diff_scalar import bound_change
from flux.schemas.json_schema.model import ArrayNode, EmptyNode, FalseNode, Node

__all__ = ["compare_array"]


def _is_open(node: ArrayNode) -> bool:
    return node.additional_schema is None and node.additional_allowed


def _covered(
    old: Node, new: Node, where: Path, guard: Guard, compare: Compare, *, action: str
) -> list[Change]:
    inner = compare(old, new, where, guard)
    verdict = "IS_COVERED" if is_compatible(inner) else "NOT_COVERED"
    return [*inner, Change(f"ITEM_{action}_{verdict}_BY_PARTIALLY_OPEN_CONTENT_MODEL", where)]


def _removed_item(schema: Node, new: ArrayNode, where: Path, guard: Guard, compare: Compare) -> list[Change]:
    if _is_open(new):
        return [Change("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", where)]
    if new.additional_schema is not None:
        return _covered(schema, new.additional_schema, where, guard, compare, action="REMOVED")
    if isinstance(schema, FalseNode):
        return [Change("ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", where)]
    return [Change("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", where)]


def _added_item(schema: Node, old: ArrayNode, where: Path, guard: Guard, compare: Compare) -> list[Change]:
    if _is_open(old):
        empty = isinstance(schema, EmptyNode)
        return [
            Change(
                "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
                if empty
                else "ITEM_ADDED_TO_OPEN_CONTENT_MODEL",
                where,
            )
        ]
    if old.additional_schema is not None:
        return _covered(old.additional_schema, schema, where, guard, compare, action="ADDED")
    # Surprising but Confluent's rule: a new tuple slot is fine when the writer's tuple was
    # closed, whatever the slot's schema (the writer never wrote that many items).
    return [Change("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", where)]


def _tuple(old: ArrayNode, new: ArrayNode, path: Path, guard: Guard, compare: Compare) -> list[Change]:
    before, after = old.items or [], new.items or []
    changes: list[Change] = []
    for index in range(max(len(before), len(after))):
        where = (*path, "items", str(index))
        if index < len(before) and index < len(after):
            changes += compare(before[index], after[index], where, guard)
        elif index < len(before):
            changes += _removed_item(before[index], new, where, guard, compare)
        else:
            changes += _added_item(after[index], old, where, guard, compare)
    return changes


def _additional(old: ArrayNode, new: ArrayNode, path: Path, guard: Guard, compare: Compare) -> list[Change]:
    where = (*path, "additionalItems")
    if old.additional_allowed != new.additional_allowed:
        return [
            Change("ADDITIONAL_ITEMS_REMOVED" if old.additional_allowed else "ADDITIONAL_ITEMS_ADDED", where)
        ]
    if old.additional_schema is None and new.additional_schema is not None:
        return [Change("ADDITIONAL_ITEMS_NARROWED", where)]
    if new.additional_schema is None and old.additional_schema is not None:
        return [Change("ADDITIONAL_ITEMS_EXTENDED", where)]
    return compare(old.additional_schema, new.additional_schema, where, guard)


def compare_array(old: ArrayNode, new: ArrayNode, path: Path, guard: Guard, compare: Compare) -> list[Change]:
    changes = compare(old.all_items, new.all_items, (*path, "items"), guard)
    changes += _tuple(old, new, path, guard, compare)
    changes += _additional(old, new, path, guard, compare)
    changes += bound_change("MAX_ITEMS", "maxItems", old.max_items, new.max_items, path)
    changes += bound_change("MIN_ITEMS", "minItems", old.min_items, new.min_items, path)
    if old.unique_items != new.unique_items:
        kind = "UNIQUE_ITEMS_REMOVED" if old.unique_items else "UNIQUE_ITEMS_ADDED"
        changes.append(Change(kind, (*path, "uniqueItems")))
    return changes
