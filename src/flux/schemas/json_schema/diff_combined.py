"""Rules for ``allOf``/``anyOf``/``oneOf`` on both sides (Confluent's ``CombinedSchemaDiff``).

First the criterion: moving to ``anyOf`` is always fine, a singleton may become ``oneOf``,
and a singleton may become a singleton ``allOf``; any other switch is
COMBINED_TYPE_CHANGED and ends the comparison. Then duplicates are dropped, a size change
is reported (PRODUCT_* for an ``allOf`` reader, SUM_* otherwise), every writer subschema is
compared with every reader subschema, and a maximum matching of the compatible pairs must
cover the smaller side, or COMBINED_TYPE_SUBSCHEMAS_CHANGED.

Example:
    >>> _max_matching({0: [0, 1], 1: [0]})
    {0: 1, 1: 0}
"""

from __future__ import annotations

from flux.schemas.json_schema.diff_base import Change, Compare, Guard, Path, is_compatible
from flux.schemas.json_schema.model import CombinedNode, Node

__all__ = ["compare_combined"]


def _criterion_change(old: CombinedNode, new: CombinedNode) -> str | None:
    if old.criterion == new.criterion:
        return None
    singleton = len(old.subschemas) == 1
    if new.criterion == "anyOf":
        return "COMBINED_TYPE_EXTENDED"
    if new.criterion == "oneOf":
        return "COMBINED_TYPE_EXTENDED" if singleton else "COMBINED_TYPE_CHANGED"
    if singleton and len(new.subschemas) == 1:  # new criterion is allOf
        return "COMBINED_TYPE_EXTENDED"
    return "COMBINED_TYPE_CHANGED"


def _distinct(nodes: list[Node]) -> list[Node]:
    seen: set[str] = set()
    kept = []
    for node in nodes:
        if node.key not in seen:
            seen.add(node.key)
            kept.append(node)
    return kept


def _max_matching(edges: dict[int, list[int]]) -> dict[int, int]:
    """Maximum bipartite matching (augmenting paths); returns right index -> left index."""
    owner: dict[int, int] = {}

    def augment(left: int, visited: set[int]) -> bool:
        for right in edges.get(left, []):
            if right in visited:
                continue
            visited.add(right)
            if right not in owner or augment(owner[right], visited):
                owner[right] = left
                return True
        return False

    for left in edges:
        augment(left, set())
    return owner


def compare_combined(
    old: CombinedNode, new: CombinedNode, path: Path, guard: Guard, compare: Compare
) -> list[Change]:
    changes: list[Change] = []
    criterion = _criterion_change(old, new)
    if criterion is not None:
        changes.append(Change(criterion, path))
        if criterion == "COMBINED_TYPE_CHANGED":
            return changes
    before, after = _distinct(old.subschemas), _distinct(new.subschemas)
    family = "PRODUCT" if new.criterion == "allOf" else "SUM"
    if len(before) < len(after):
        changes.append(Change(f"{family}_TYPE_EXTENDED", path))
    elif len(before) > len(after):
        changes.append(Change(f"{family}_TYPE_NARROWED", path))
    edges: dict[int, list[int]] = {}
    found: dict[tuple[int, int], list[Change]] = {}
    for i, old_sub in enumerate(before):
        where = (*path, old.criterion, str(i))
        for j, new_sub in enumerate(after):
            pair = compare(old_sub, new_sub, where, guard)
            if is_compatible(pair):
                edges.setdefault(i, []).append(j)
                found[i, j] = pair
    matching = _max_matching(edges)
    for j, i in sorted(matching.items(), key=lambda item: item[1]):
        changes += found[i, j]
    if len(matching) < min(len(before), len(after)):
        changes.append(Change("COMBINED_TYPE_SUBSCHEMAS_CHANGED", path))
    return changes
