"""A compiled CEL rule, run the way confluent-kafka's ``CelExecutor.execute`` runs the rule.

The executor splits an expression at its first ``;`` into a guard and a body (a false guard makes a
CONDITION true and leaves a TRANSFORM's value alone), binds ``message`` (and, for ``CEL_FIELD``,
the field's ``value``, ``name``, ``fullName``, ``typeName`` and ``tags``), evaluates, and turns a
``bool`` result into Python's. :class:`CompiledRule` does the same with closures from
:mod:`flux.serde.cel_compile`, after checking that the executor's own conversion of the record
would not have failed (it raises for an int beyond int64, for example, failing the rule whatever it
says). Any doubt raises :class:`~flux.serde.cel_values.Fallback`: the caller then runs the executor.

Example:
    >>> rule = compiled("message.price > 0.0")
    >>> rule.condition({"price": 2.5})
    True
    >>> compiled("message.tags.map(t, t)") is None
    True
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any, Final

from celpy import celtypes
from confluent_kafka.schema_registry.rules.cel.cel_field_presence import in_has
from google.protobuf.message import Message

from flux.serde import cel_values as cv
from flux.serde.cel_compile import Fn, celtyped, compile_expr
from flux.serde.cel_functions import Unsupported
from flux.serde.cel_values import Fallback

__all__ = ["CONVERTIBLE", "CompiledRule", "compiled", "convertible"]

CONDITION_NAMES: Final = frozenset({"message"})
FIELD_NAMES: Final = frozenset({"message", "value", "name", "fullName", "typeName", "tags"})
CONVERTIBLE: Final = " convertible"
"""Key of the record's convertibility in a rule context's ``frozen`` dict (no field is so named)."""

_SAME: Final = lambda value: value  # noqa: E731
_TYPED: Final[dict[type, Any]] = {
    float: celtypes.DoubleType,
    int: celtypes.IntType,
    str: celtypes.StringType,
    type(None): _SAME,
    Decimal: _SAME,
}
_PLAIN: Final[dict[type, Any]] = {**_TYPED, float: _SAME, str: _SAME}
_CACHE: dict[tuple[str, bool], CompiledRule | None] = {}
_CACHE_CAPACITY: Final = 1024
_LOCK = threading.Lock()


def convertible(message: Any) -> bool:
    """Whether confluent-kafka's ``msg_to_cel`` takes ``message`` without raising."""
    if isinstance(message, dict):
        return cv.celable(message)
    if isinstance(message, Message):
        return cv.proto_safe(message.DESCRIPTOR)
    return message is None


class CompiledRule:
    """One expression (guard and body) compiled for a ``CEL`` or a ``CEL_FIELD`` rule."""

    __slots__ = ("body", "expr", "guard", "results")

    def __init__(self, expr: str, guard: Fn | None, body: Fn, typed: bool | None = None) -> None:
        self.expr = expr
        self.guard = guard
        self.body = body
        self.results: dict[type, Any] = {} if typed is None else _TYPED if typed else _PLAIN
        """How a transform result is handed back, by type: as the executor's would be."""

    def _guard_passes(self, env: dict[str, Any]) -> bool:
        if self.guard is None:
            return True
        verdict = self.guard(env)
        if type(verdict) is not bool:
            raise Fallback
        return verdict

    def condition(self, message: Any, checked: bool = False) -> bool:
        """The verdict of a CONDITION on ``message`` (``checked``: its convertibility is known)."""
        if not (checked or convertible(message)) or message is None:
            raise Fallback
        if in_has():  # cel-python left inside has() by a raised error: fields read as absent
            raise Fallback
        env = {"message": message}
        if not self._guard_passes(env):
            return True
        verdict = self.body(env)
        if type(verdict) is not bool:
            raise Fallback
        return verdict

    def field(self, field: Any, value: Any, condition: bool) -> Any:
        """What ``CelFieldExecutor`` makes of ``value`` in ``field`` (a ``FieldContext``)."""
        if not field.is_primitive():
            return value
        if field.field_descriptor is not None:
            raise Fallback  # Protobuf field values take the descriptor's conversion: not modelled
        containing = field.containing_message
        if not convertible(containing) or in_has():
            raise Fallback
        env = {
            "value": cv.convert(value),
            "fullName": field.full_name,
            "name": field.name,
            "typeName": field.type_name(),
            "tags": [str(tag) for tag in field.tags],
            "message": containing,
        }
        if not self._guard_passes(env):
            return True if condition else value
        result = self.body(env)
        kind = type(result)
        if kind is bool:
            return result
        wrap = None if condition else self.results.get(kind)
        if wrap is None:
            raise Fallback
        return wrap(result)


def _compile(expr: str, field: bool) -> CompiledRule | None:
    names = FIELD_NAMES if field else CONDITION_NAMES
    guard: Fn | None = None
    body = expr
    index = expr.find(";")
    try:
        if index >= 0:
            if expr[:index].strip():
                guard = compile_expr(expr[:index], names)
            body = expr[index + 1 :]
        return CompiledRule(expr, guard, compile_expr(body, names), celtyped(body) if field else None)
    except Unsupported:
        return None


def compiled(expr: str, field: bool = False) -> CompiledRule | None:
    """The compiled form of ``expr`` (None outside the subset), remembered per expression."""
    key = (expr, field)
    try:
        return _CACHE[key]
    except KeyError:
        pass
    rule = _compile(expr, field)
    with _LOCK:
        if len(_CACHE) >= _CACHE_CAPACITY:
            _CACHE.clear()
        _CACHE[key] = rule
    return rule
