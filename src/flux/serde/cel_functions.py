"""The functions and operators of Flux's compiled CEL subset, as the executor implements them.

Names resolve as in confluent-kafka's ``CelExecutor`` programs: its extension functions
(``EXTRA_FUNCS``: ``decimal``, ``isUri``, a decimal-aware ``==``...) over cel-python's
``base_functions``. An operator or function whose semantics the subset reproduces inline (ordering,
``size``, ``startsWith``, ``matches``...) is used only while the name still resolves to the
implementation those semantics were read from (:func:`require`); extension functions (``decimal``,
``double``, ``int``, ``isUri``...) are *called*, with cel-python's own value types, so they mean
exactly what they mean to the executor. Failures and type mixes raise
:class:`~flux.serde.cel_values.Fallback`.

Example:
    >>> function("decimal", [])("12.50") > function("decimal", [])("0")
    True
"""

from __future__ import annotations

import math
import operator
from collections import ChainMap
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final

import re2  # type: ignore[import-untyped]
from celpy import celtypes
from celpy import evaluation as cel_eval
from confluent_kafka.schema_registry.rules.cel import decimal_funcs
from confluent_kafka.schema_registry.rules.cel.extra_func import EXTRA_FUNCS

from flux.serde import cel_values as cv
from flux.serde.cel_values import Fallback

__all__ = ["FUNCS", "Unsupported", "binary", "function", "require"]

FUNCS: Final[ChainMap[str, Any]] = ChainMap(EXTRA_FUNCS, cel_eval.base_functions)
"""The functions the executor's programs resolve names in (its extras over cel-python's)."""

_EXPECTED: Final = {  # the implementations whose semantics the subset reproduces
    "_<_": cel_eval.bool_lt,
    "_<=_": cel_eval.bool_le,
    "_>_": cel_eval.bool_gt,
    "_>=_": cel_eval.bool_ge,
    "_==_": getattr(decimal_funcs, "_decimal_aware_eq", None),
    "_!=_": getattr(decimal_funcs, "_decimal_aware_ne", None),
    "_in_": getattr(decimal_funcs, "_decimal_aware_in", None),
    "_&&_": celtypes.logical_and,
    "_||_": celtypes.logical_or,
    "_?_:_": celtypes.logical_condition,
    "!_": celtypes.logical_not,
    "-_": operator.neg,
    "_+_": operator.add,
    "_-_": operator.sub,
    "_*_": operator.mul,
    "_/_": operator.truediv,
    "size": cel_eval.function_size,
    "startsWith": cel_eval.function_startsWith,
    "endsWith": cel_eval.function_endsWith,
    "contains": cel_eval.function_contains,
    "matches": cel_eval.function_matches,
    "int": celtypes.IntType,
}
_STRING_PREDICATES: Final = ("isUri", "isUriRef", "isEmail", "isHostname", "isIpv4", "isIpv6", "isUuid")
_ORDER: Final = {"_<_": operator.lt, "_<=_": operator.le, "_>_": operator.gt, "_>=_": operator.ge}
_FLOAT_OPS: Final = {"_+_": operator.add, "_-_": operator.sub, "_*_": operator.mul, "_/_": operator.truediv}


class Unsupported(Exception):
    """The expression uses something outside the compiled subset (the executor keeps it)."""


def require(name: str) -> None:
    if name not in _EXPECTED or _EXPECTED[name] is None or FUNCS.get(name) is not _EXPECTED[name]:
        raise Unsupported(f"{name} is not the implementation the subset reproduces")


def _arith(op: str, a: Any, b: Any) -> Any:
    kind = type(a)
    if kind is not type(b):
        raise Fallback
    if kind is int:
        if op == "_+_":
            return cv.int64(a + b)
        if op == "_-_":
            return cv.int64(a - b)
        if op == "_*_":
            return cv.int64(a * b)
        if a >= 0 and b > 0:  # truncation and floor agree
            return a // b
        raise Fallback
    if kind is float:
        if op == "_/_" and b == 0.0:
            raise Fallback
        result = _FLOAT_OPS[op](a, b)
        if math.isfinite(result):
            return result
        raise Fallback
    if kind is str and op == "_+_":
        return a + b
    raise Fallback


def binary(op: str) -> Callable[[Any, Any], Any]:
    require(op)
    if op == "_==_":
        return cv.equal
    if op == "_!=_":
        return cv.unequal
    if op in _ORDER:
        order = _ORDER[op]

        def ordered(a: Any, b: Any) -> bool:
            cv.compare(a, b)
            return bool(order(a, b))

        return ordered
    if op == "_in_":

        def contained(item: Any, container: Any) -> bool:
            if type(item) is str and type(container) is list and all(type(c) is str for c in container):
                return item in container
            raise Fallback

        return contained
    return lambda a, b: _arith(op, a, b)


def _strings(method: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    def call(text: Any, other: Any) -> bool:
        if type(text) is str and type(other) is str:
            return method(text, other)
        raise Fallback

    return call


_CEL_TYPES: Final[dict[type, Any]] = {
    str: celtypes.StringType,
    int: celtypes.IntType,
    float: celtypes.DoubleType,
    Decimal: Decimal,  # an Avro decimal: passed through as is
}
"""How the executor hands a value to a function: as cel-python's type."""


def _guarded(func: Any, kinds: tuple[type, ...], result: type) -> Callable[[Any], Any]:
    """``func`` on an argument of an exact type in ``kinds``; any failure is a fallback."""
    accepted = (bool, celtypes.BoolType) if result is bool else result

    def call(value: Any) -> Any:
        kind = type(value)
        if kind not in kinds:
            raise Fallback
        try:
            found = func(_CEL_TYPES[kind](value))
        except Exception as exc:
            raise Fallback from exc
        if not isinstance(found, accepted):
            raise Fallback
        return found if result is Decimal else result(found)

    return call


def function(name: str, consts: list[Any]) -> Callable[..., Any]:
    """The implementation of function ``name`` (receiver first) over subset values."""
    if name in _STRING_PREDICATES:
        if name not in FUNCS:
            raise Unsupported(name)
        return _guarded(FUNCS[name], (str,), bool)
    if name == "decimal" and "decimal" in FUNCS:
        return _guarded(FUNCS["decimal"], (str, int, float, Decimal), Decimal)
    if name == "double" and "double" in FUNCS:
        return _guarded(FUNCS["double"], (int, float, str), float)
    require(name)
    if name == "int":
        return _guarded(celtypes.IntType, (int, float, str), int)
    if name == "size":
        return cv.size
    if name == "matches":
        if len(consts) == 2 and type(consts[1]) is str:
            try:
                pattern = re2.compile(consts[1])
            except re2.error as exc:
                raise Unsupported(f"bad pattern: {exc}") from exc
            return _strings(lambda text, _p: pattern.search(text) is not None)
        return _strings(lambda text, p: re2.search(p, text) is not None)
    return _strings(
        {"startsWith": str.startswith, "endsWith": str.endswith, "contains": str.__contains__}[name]
    )
