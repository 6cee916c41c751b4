"""How deeply a decoded schema document nests, measured without recursion.

Schema parsers (Apache Avro's, Flux's JSON Schema model) recurse once per
nesting level, so a hostile document of a few thousand nested arrays would
exhaust the interpreter's stack. Flux refuses such documents up front, with an
explicit bound, instead of relying on ``RecursionError``: the recursion limit
is process-wide and other libraries change it (``jsonata-python`` raises it to
10,000 on import, which turns a clean ``RecursionError`` into a crash of the
C stack).

Example:
    >>> nesting_depth({"type": "array", "items": {"type": "array", "items": "int"}})
    3
"""

from __future__ import annotations

from typing import Any, Final

from flux.schemas.errors import InvalidSchemaError

__all__ = ["MAX_NESTING", "check_nesting", "nesting_depth"]

# Far beyond any real schema (Flux's deepest is 5), far below what the parsers' recursion survives.
MAX_NESTING: Final = 200


def nesting_depth(value: Any, *, stop_above: int | None = None) -> int:
    """Levels of objects and arrays in ``value`` (a scalar is 0); stops counting past ``stop_above``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if stop_above is not None and deepest > stop_above:
            return deepest
        stack.extend((child, depth) for child in children)
    return deepest


def check_nesting(value: Any, what: str, limit: int = MAX_NESTING) -> None:
    """Raise :class:`InvalidSchemaError` when ``value`` nests deeper than ``limit``."""
    if nesting_depth(value, stop_above=limit) > limit:
        raise InvalidSchemaError(f"Invalid {what}: nested too deeply (more than {limit} levels)")
