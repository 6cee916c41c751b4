"""The Avro field walk of ``CEL_FIELD`` rules, given only the part of the schema a rule can touch.

confluent-kafka's walk (``confluent_kafka.schema_registry.common.avro.transform``) visits every
field of the record, resolves every union by validating the value against each branch, and matches
each field's full name against every metadata tag pattern — for a weather event, about 1.5 ms per
rule, whatever the rule does. A rule with ``tags`` can only act on fields carrying one of them, and
which fields those are follows from the schema and its tags alone; so Flux hands confluent-kafka's
walk a copy of the schema *pruned* to the fields that lead to such a field (union branches kept, so
values resolve as before), and answers the field-tag lookups from a cache. The walk, the values it
passes and the order are confluent-kafka's; a rule without tags gets the whole schema.

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

from confluent_kafka.schema_registry.serde import RuleContext
from confluent_kafka.schema_registry.wildcard_matcher import wildcard_match

__all__ = ["TaggedRuleContext", "field_tags", "prune"]

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
