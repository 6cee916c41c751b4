"""Rules for string, number, enum, const and ``not`` schemas (Confluent's *SchemaDiff classes).

Example:
    >>> from flux.schemas.json_schema.model import StringNode
    >>> [c.type for c in compare_string(StringNode(max_length=5), StringNode(max_length=3), ())]
    ['MAX_LENGTH_DECREASED']
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation, localcontext

from flux.schemas.json_schema.diff_base import Change, Compare, Guard, Path, is_compatible
from flux.schemas.json_schema.model import ConstNode, EnumNode, NotNode, Number, NumberNode, StringNode

__all__ = ["compare_const", "compare_enum", "compare_not", "compare_number", "compare_string"]


def bound_change(name: str, keyword: str, old: Number | None, new: Number | None, path: Path) -> list[Change]:
    """``<NAME>_ADDED/REMOVED/INCREASED/DECREASED`` for one numeric keyword (none when equal)."""
    if old is None and new is None:
        return []
    if old is None:
        action = "ADDED"
    elif new is None:
        action = "REMOVED"
    elif Decimal(old) < Decimal(new):
        action = "INCREASED"
    elif Decimal(old) > Decimal(new):
        action = "DECREASED"
    else:
        return []
    return [Change(f"{name}_{action}", (*path, keyword))]


def compare_string(old: StringNode, new: StringNode, path: Path) -> list[Change]:
    changes = bound_change("MAX_LENGTH", "maxLength", old.max_length, new.max_length, path)
    changes += bound_change("MIN_LENGTH", "minLength", old.min_length, new.min_length, path)
    # Patterns compare as text: an equivalent rewrite of a regex is still PATTERN_CHANGED.
    if old.pattern is None and new.pattern is not None:
        changes.append(Change("PATTERN_ADDED", (*path, "pattern")))
    elif old.pattern is not None and new.pattern is None:
        changes.append(Change("PATTERN_REMOVED", (*path, "pattern")))
    elif old.pattern != new.pattern:
        changes.append(Change("PATTERN_CHANGED", (*path, "pattern")))
    return changes


def _multiple_of(old: Number | None, new: Number | None, path: Path) -> list[Change]:
    # Exact decimal arithmetic: 8.1 truncated both values to int (and failed on 0.5);
    # later Confluent releases compare BigDecimals, which is what we do.
    if old is None and new is None:
        return []
    where = (*path, "multipleOf")
    if old is None:
        return [Change("MULTIPLE_OF_ADDED", where)]
    if new is None:
        return [Change("MULTIPLE_OF_REMOVED", where)]
    before, after = Decimal(old), Decimal(new)
    if before == after:
        return []
    with localcontext() as ctx:
        ctx.prec = 200
        try:
            if after % before == 0:
                return [Change("MULTIPLE_OF_EXPANDED", where)]
            if before % after == 0:
                return [Change("MULTIPLE_OF_REDUCED", where)]
        except InvalidOperation:
            pass
    return [Change("MULTIPLE_OF_CHANGED", where)]


def compare_number(old: NumberNode, new: NumberNode, path: Path) -> list[Change]:
    # 8.1 tested a decreased exclusiveMaximum against the reader's *maximum* (a typo that
    # hid the change or failed outright); we report EXCLUSIVE_MAXIMUM_DECREASED as intended.
    changes = bound_change("MAXIMUM", "maximum", old.maximum, new.maximum, path)
    changes += bound_change("MINIMUM", "minimum", old.minimum, new.minimum, path)
    changes += bound_change(
        "EXCLUSIVE_MAXIMUM", "exclusiveMaximum", old.exclusive_maximum, new.exclusive_maximum, path
    )
    changes += bound_change(
        "EXCLUSIVE_MINIMUM", "exclusiveMinimum", old.exclusive_minimum, new.exclusive_minimum, path
    )
    changes += _multiple_of(old.multiple_of, new.multiple_of, path)
    if old.integer and not new.integer:
        changes.append(Change("TYPE_EXTENDED", path))
    elif new.integer and not old.integer:
        changes.append(Change("TYPE_NARROWED", path))
    return changes


def compare_enum(old: EnumNode, new: EnumNode, path: Path) -> list[Change]:
    if old.values == new.values:
        return []
    if new.values >= old.values:
        kind = "ENUM_ARRAY_EXTENDED"
    elif new.values <= old.values:
        kind = "ENUM_ARRAY_NARROWED"
    else:
        kind = "ENUM_ARRAY_CHANGED"
    return [Change(kind, (*path, "enum"))]


def compare_const(old: ConstNode, new: ConstNode, path: Path) -> list[Change]:
    # Confluent words any const change as an enum change.
    return [] if old.value == new.value else [Change("ENUM_ARRAY_CHANGED", (*path, "const"))]


def compare_not(old: NotNode, new: NotNode, path: Path, guard: Guard, compare: Compare) -> list[Change]:
    # The wrapped schemas are compared the other way round, and only the verdict is kept.
    where = (*path, "not")
    inner = compare(new.schema, old.schema, where, guard)
    return [Change("NOT_TYPE_NARROWED" if is_compatible(inner) else "NOT_TYPE_EXTENDED", where)]
