"""Confluent's ``SchemaDiff.compare``: the entry point that dispatches to the per-kind rules.

Before comparing kinds it applies Confluent's special cases, in this order:

1. ``$ref`` on either side is replaced by its target (one level, like Confluent: a ref to a
   ref is compared as a ref, i.e. only by its annotations);
2. writer not combined, reader combined: a singleton combination is compared with its only
   subschema; an ``anyOf``/``oneOf`` is fine when one alternative is (SUM_TYPE_EXTENDED);
3. writer combined, reader not: a singleton is compared with its only subschema; for an
   ``allOf`` it is enough that one part is compatible (PRODUCT_TYPE_NARROWED);
4. different kinds: nothing to report when the writer is ``false`` or the reader is ``{}``
   or ``true``; otherwise TYPE_CHANGED. Note integer and number are one kind (a number
   schema with an integer flag), so they yield TYPE_NARROWED/TYPE_EXTENDED instead;
5. a writer node already being compared higher up (a recursive schema) ends the branch
   with no change, whatever the reader node is (so a recursive writer can hide a change).

Confluent 8.1 explores recursive unions exhaustively, which is exponential (a dozen
mutually recursive ``oneOf`` types never finish). After ``STEP_BUDGET`` comparisons we
switch to what later Confluent releases do: memoise each (writer, reader) pair, assume a
pair met again while in progress is compatible, and repeat until the verdicts are stable
(a greatest fixed point).

Example:
    >>> from flux.schemas.json_schema.model import NumberNode
    >>> [c.type for c in compare(NumberNode(integer=True), NumberNode())]
    ['TYPE_EXTENDED']
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from flux.schemas.json_schema.canonical import value_key
from flux.schemas.json_schema.diff_array import compare_array
from flux.schemas.json_schema.diff_base import Change, Guard, Path, is_compatible
from flux.schemas.json_schema.diff_combined import compare_combined
from flux.schemas.json_schema.diff_object import compare_object
from flux.schemas.json_schema.diff_scalar import (
    compare_const,
    compare_enum,
    compare_not,
    compare_number,
    compare_string,
)
from flux.schemas.json_schema.model import (
    ABSENT,
    ArrayNode,
    CombinedNode,
    ConstNode,
    EmptyNode,
    EnumNode,
    FalseNode,
    Node,
    NotNode,
    NumberNode,
    ObjectNode,
    RefNode,
    StringNode,
    class_of,
)

__all__ = ["STEP_BUDGET", "compare"]

STEP_BUDGET: Final = 50_000
_MAX_PASSES: Final = 64
# Memoised pairs nest as deep as the chain of distinct pairs; Python frames only, no C stack.
_RECURSION_LIMIT: Final = 20_000

Pair = tuple[int, int]


class _OverBudget(Exception):
    """The exhaustive comparison ran out of steps."""


_depth_lock = threading.Lock()
_depth_users = 0
_saved_limit = 0


@contextmanager
def _deep_recursion() -> Iterator[None]:
    """Raise the interpreter's recursion limit while any comparison runs (thread-safe)."""
    global _depth_users, _saved_limit  # noqa: PLW0603 - process-wide setting, counted
    with _depth_lock:
        if _depth_users == 0:
            _saved_limit = sys.getrecursionlimit()
            sys.setrecursionlimit(max(_saved_limit, _RECURSION_LIMIT))
        _depth_users += 1
    try:
        yield
    finally:
        with _depth_lock:
            _depth_users -= 1
            if _depth_users == 0:
                sys.setrecursionlimit(_saved_limit)


def _deref(node: Node) -> Node:
    return node.target if isinstance(node, RefNode) else node


def _annotations(old: Node, new: Node, path: Path) -> list[Change]:
    changes = []
    if old.meta.id != new.meta.id:
        changes.append(Change("ID_CHANGED", path))
    if value_key(old.meta.title) != value_key(new.meta.title):
        changes.append(Change("TITLE_CHANGED", path))
    if value_key(old.meta.description) != value_key(new.meta.description):
        changes.append(Change("DESCRIPTION_CHANGED", path))
    old_default, new_default = old.meta.default, new.meta.default
    if (old_default is ABSENT) != (new_default is ABSENT) or (
        old_default is not ABSENT and value_key(old_default) != value_key(new_default)
    ):
        changes.append(Change("DEFAULT_CHANGED", path))
    return changes


class _Engine:
    """One comparison run; ``memo`` selects the pair-memoised fallback."""

    def __init__(self, *, memo: bool, assumed: dict[Pair, list[Change]] | None = None) -> None:
        self.memo = memo
        self.steps = 0
        self.assumed = assumed or {}
        self.results: dict[Pair, list[Change]] = {}
        self.in_progress: set[Pair] = set()
        self.used: dict[Pair, bool] = {}  # pair met while in progress -> verdict assumed for it

    def compare(self, old: Node | None, new: Node | None, path: Path, guard: Guard) -> list[Change]:
        if old is None and new is None:
            return []
        if old is None:
            return [Change("SCHEMA_ADDED", path)]
        if new is None:
            return [Change("SCHEMA_REMOVED", path)]
        old, new = _deref(old), _deref(new)
        if not self.memo:
            self.steps += 1
            if self.steps > STEP_BUDGET:
                raise _OverBudget
            return self._compare(old, new, path, guard)
        pair = (id(old), id(new))
        if pair in self.in_progress:
            relative = self.assumed.get(pair, [])
            self.used[pair] = is_compatible(relative)
        elif pair in self.results:
            relative = self.results[pair]
        else:
            self.in_progress.add(pair)
            try:
                relative = self._compare(old, new, (), frozenset())
            finally:
                self.in_progress.discard(pair)
            self.results[pair] = relative
        return [Change(c.type, path + c.path) for c in relative] if path else relative

    def _into_combined(self, old: Node, new: CombinedNode, path: Path, guard: Guard) -> list[Change] | None:
        if len(new.subschemas) == 1:
            inner = self.compare(old, new.subschemas[0], path, guard)
            return inner if is_compatible(inner) else None
        if new.criterion in ("anyOf", "oneOf"):
            for sub in new.subschemas:
                inner = self.compare(old, sub, path, guard)
                if is_compatible(inner):
                    return [*inner, Change("SUM_TYPE_EXTENDED", path)]
        return None

    def _out_of_combined(self, old: CombinedNode, new: Node, path: Path, guard: Guard) -> list[Change] | None:
        if len(old.subschemas) == 1:
            inner = self.compare(old.subschemas[0], new, path, guard)
            return inner if is_compatible(inner) else None
        if old.criterion == "allOf":
            for sub in old.subschemas:
                inner = self.compare(sub, new, path, guard)
                if is_compatible(inner):
                    return [*inner, Change("PRODUCT_TYPE_NARROWED", path)]
        return None

    def _compare(self, old: Node, new: Node, path: Path, guard: Guard) -> list[Change]:
        special: list[Change] | None = None
        if isinstance(new, CombinedNode) and not isinstance(old, CombinedNode):
            special = self._into_combined(old, new, path, guard)
        elif isinstance(old, CombinedNode) and not isinstance(new, CombinedNode):
            special = self._out_of_combined(old, new, path, guard)
        if special is not None:
            return special
        if class_of(old) != class_of(new):
            if isinstance(old, FalseNode) or isinstance(new, EmptyNode):
                return []
            return [Change("TYPE_CHANGED", path)]
        if id(old) in guard:
            return []
        return self._same_kind(old, new, path, guard | {id(old)})

    def _same_kind(self, old: Node, new: Node, path: Path, guard: Guard) -> list[Change]:
        changes = _annotations(old, new, path)
        cmp = self.compare
        if isinstance(old, StringNode) and isinstance(new, StringNode):
            changes += compare_string(old, new, path)
        elif isinstance(old, NumberNode) and isinstance(new, NumberNode):
            changes += compare_number(old, new, path)
        elif isinstance(old, EnumNode) and isinstance(new, EnumNode):
            changes += compare_enum(old, new, path)
        elif isinstance(old, ConstNode) and isinstance(new, ConstNode):
            changes += compare_const(old, new, path)
        elif isinstance(old, CombinedNode) and isinstance(new, CombinedNode):
            changes += compare_combined(old, new, path, guard, cmp)
        elif isinstance(old, NotNode) and isinstance(new, NotNode):
            changes += compare_not(old, new, path, guard, cmp)
        elif isinstance(old, ObjectNode) and isinstance(new, ObjectNode):
            changes += compare_object(old, new, path, guard, cmp)
        elif isinstance(old, ArrayNode) and isinstance(new, ArrayNode):
            changes += compare_array(old, new, path, guard, cmp)
        return changes


def compare(writer: Node, reader: Node) -> list[Change]:
    """Every difference from ``writer`` (Confluent's original) to ``reader`` (its update)."""
    with _deep_recursion():
        try:
            return _Engine(memo=False).compare(writer, reader, (), frozenset())
        except (_OverBudget, RecursionError):
            pass
        assumed: dict[Pair, list[Change]] = {}
        for _ in range(_MAX_PASSES):
            engine = _Engine(memo=True, assumed=assumed)
            changes = engine.compare(writer, reader, (), frozenset())
            stable = all(is_compatible(engine.results[p]) == v for p, v in engine.used.items())
            if stable:
                break
            assumed = engine.results
        return changes
