"""The run-time half of Flux's compiled CEL subset: values, field selection and the functions.

A compiled rule (:mod:`flux.serde.cel_compile`) works on the datum as the serde holds it (an Avro
dict, a Protobuf message) instead of cel-python's converted copy. Every helper here either returns
exactly what cel-python, called by confluent-kafka's ``CelExecutor``, would make of the same input,
or raises one of two signals:

* :class:`CelError`: cel-python would hold an *error value* here (field selection on null or on a
  string, a key the map lacks). Like cel-python, the compiled rule lets ``&&``, ``||``, ``all()``,
  ``exists()`` and ``has()`` absorb it; reaching the top it becomes a fallback.
* :class:`Fallback`: anything not known to match exactly (a type mix, an overflow, a raised error,
  a value type the subset does not model). The record is then evaluated by the executor.

The semantics were read off cel-python 0.5 and confluent-kafka's ``rules/cel`` (equality with
null, for one, answers for strings, bytes, bools and maps, and is an error for numbers), and are
checked by ``tests/unit/serde/test_cel_differential.py``.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any, Final

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

__all__ = [
    "CelError",
    "Fallback",
    "celable",
    "compare",
    "convert",
    "equal",
    "has_field",
    "int64",
    "proto_safe",
    "select",
    "size",
    "unequal",
]

INT_MIN: Final = -(2**63)
INT_MAX: Final = 2**63 - 1
_DAYS_SHIFT: Final = datetime.date(1970, 1, 1).toordinal()


class Fallback(Exception):
    """The compiled rule cannot vouch for this record: the executor must evaluate it."""


class CelError(Exception):
    """cel-python would hold an error value here (absorbable by ``&&``, ``||`` and macros)."""


_PLAIN: Final = frozenset({str, float, bool, type(None), dict, list, bytes, Decimal})
_NOT_SELECTABLE: Final = frozenset({type(None), str, int, float, bool, list, bytes, Decimal})
_KIND: Final[dict[type, str]] = {
    type(None): "n",
    str: "s",
    int: "i",
    float: "d",
    bool: "b",
    dict: "m",
    list: "l",
    bytes: "y",
    Decimal: "c",
}
# Which right-hand kinds are an error value ("no such overload") for each left-hand kind, as measured
# on cel-python 0.5 with confluent-kafka's operators (the differential test re-checks them).
_EQ_ERRORS: Final = {
    "n": "id",
    "s": "idml",
    "i": "nsdbmly",
    "d": "nsibmly",
    "b": "dml",
    "m": "sidbly",
    "l": "sidbmy",
    "y": "idml",
    "c": "",
}
_NE_ERRORS: Final = {**_EQ_ERRORS, "n": "idml", "m": "nsidbly", "l": "nsidbmy"}
_ORDER_ERRORS: Final = {
    "n": "nsidbmlyc",
    "s": "nidbmlyc",
    "i": "nsdbmlyc",
    "d": "nsmly",
    "b": "nsmly",
    "m": "nsidbmlyc",
    "l": "nsidbmlyc",
    "y": "nsidbmlc",
    "c": "nsmly",
}
_ORDERED: Final = frozenset("idsybc")
_EQUATABLE: Final = frozenset("idsbnyc")
_NULL_EQ_FALSE: Final = frozenset("sybml")
_NULL_NE_TRUE: Final = frozenset("syb")


def int64(value: int) -> int:
    """``value`` if it is a CEL int (int64); cel-python reports an overflow otherwise."""
    if INT_MIN <= value <= INT_MAX:
        return value
    raise Fallback


def convert(value: Any) -> Any:
    """A datum value as cel-python sees it (``_value_to_cel``), or :class:`Fallback`."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is int:
        return int64(value)
    if kind is uuid.UUID:
        return str(value)
    if kind is datetime.date:
        return value.toordinal() - _DAYS_SHIFT
    if isinstance(value, Message):
        return value  # a Protobuf list element
    raise Fallback  # timestamps, times, durations, union pairs, subclasses: the executor's


def celable(value: Any) -> bool:
    """Whether confluent-kafka's ``msg_to_cel`` converts this Avro datum without raising.

    It raises for an int outside int64 and for a duration outside CEL's range; a rule then fails
    whatever it says, so such a record must go to the executor.
    """
    kind = type(value)
    if kind is dict:
        return all(celable(v) for v in value.values())
    if kind is list:
        return all(celable(v) for v in value)
    if kind in _PLAIN:
        return True
    if isinstance(value, dict):
        return all(celable(v) for v in value.values())
    if isinstance(value, list):
        return all(celable(v) for v in value)
    if isinstance(value, str | bytes | bool):
        return True
    if isinstance(value, int):
        return INT_MIN <= value <= INT_MAX
    return not isinstance(value, datetime.timedelta)


# --- Protobuf -----------------------------------------------------------------------------------

_SCALAR, _REPEATED, _MESSAGE, _UNSUPPORTED = range(4)
_SCALAR_TYPES: Final = frozenset(
    {
        FieldDescriptor.TYPE_STRING,
        FieldDescriptor.TYPE_BOOL,
        FieldDescriptor.TYPE_DOUBLE,
        FieldDescriptor.TYPE_FLOAT,
        FieldDescriptor.TYPE_INT32,
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_SINT32,
        FieldDescriptor.TYPE_SINT64,
        FieldDescriptor.TYPE_SFIXED32,
        FieldDescriptor.TYPE_SFIXED64,
        FieldDescriptor.TYPE_ENUM,
        FieldDescriptor.TYPE_BYTES,
    }
)
_FIELDS: dict[tuple[Descriptor, str], tuple[int, FieldDescriptor] | None] = {}
_SAFE: dict[Descriptor, bool] = {}


def _plain_message(message_type: Descriptor) -> bool:
    """A message cel-python binds as a plain map (not a well-known type or a Confluent decimal)."""
    name = message_type.full_name
    return not (name.startswith(("google.protobuf.", "confluent.")) or message_type.GetOptions().map_entry)


def _is_repeated(field: FieldDescriptor) -> bool:
    flag = getattr(field, "is_repeated", None)  # protobuf 7 dropped ``label``
    return bool(flag) if flag is not None else bool(field.label == FieldDescriptor.LABEL_REPEATED)


def _field_info(descriptor: Descriptor, name: str) -> tuple[int, FieldDescriptor] | None:
    key = (descriptor, name)
    try:
        return _FIELDS[key]
    except KeyError:
        pass
    field = descriptor.fields_by_name.get(name)
    info: tuple[int, FieldDescriptor] | None = None
    if field is not None:
        message_type = field.message_type
        if message_type is not None:
            kind = _UNSUPPORTED if not _plain_message(message_type) else _MESSAGE
        elif field.type in _SCALAR_TYPES:
            kind = _SCALAR
        else:
            kind = _UNSUPPORTED  # unsigned ints are CEL uints: not in the subset
        if kind != _UNSUPPORTED and _is_repeated(field):
            kind = _REPEATED
        info = (kind, field)
    _FIELDS[key] = info
    return info


def proto_safe(descriptor: Descriptor, seen: frozenset[str] = frozenset()) -> bool:
    """Whether confluent-kafka's conversion of such a message cannot raise (plain fields only)."""
    found = _SAFE.get(descriptor)
    if found is not None:
        return found
    if descriptor.full_name in seen:
        return True
    inner = seen | {descriptor.full_name}
    safe = _plain_message(descriptor) and all(
        f.message_type is None or proto_safe(f.message_type, inner) for f in descriptor.fields
    )
    if not seen:
        _SAFE[descriptor] = safe
    return safe


def _is_set(message: Any, field: FieldDescriptor) -> bool:
    """Protobuf's notion of a set field, which confluent-kafka's ``has()`` reports."""
    value = getattr(message, field.name)
    if _is_repeated(field):
        return len(value) > 0
    if field.has_presence:
        return bool(message.HasField(field.name))
    return bool(value != field.default_value)


def _proto_select(message: Any, name: str, in_has: bool) -> Any:
    info = _field_info(message.DESCRIPTOR, name)
    if info is None:
        raise CelError  # no such field: an error value
    kind, field = info
    if in_has:
        if not _is_set(message, field):
            raise CelError
    elif field.has_presence and not message.HasField(name):
        raise Fallback  # read as a zero value built by confluent-kafka: not modelled
    if kind in (_SCALAR, _MESSAGE):
        return getattr(message, name)
    if kind == _REPEATED:
        return list(getattr(message, name))
    raise Fallback


# --- Selection, presence, operators -------------------------------------------------------------


def select(value: Any, name: str, in_has: bool = False) -> Any:
    """``value.name``: a map's key, a message's field; an error value on anything else."""
    kind = type(value)
    if kind is dict:
        try:
            return convert(value[name])
        except KeyError:
            raise CelError from None
    if kind in _NOT_SELECTABLE:
        raise CelError
    if isinstance(value, Message):
        return _proto_select(value, name, in_has)
    raise Fallback


def has_field(value: Any, name: str) -> bool:
    """``has(value.name)`` once ``value`` evaluated without error."""
    kind = type(value)
    if kind is dict:
        return name in value
    if kind in _NOT_SELECTABLE:
        return False
    if isinstance(value, Message):
        info = _field_info(value.DESCRIPTOR, name)
        return info is not None and _is_set(value, info[1])
    raise Fallback


def _finite(value: Any) -> None:
    """A NaN or infinite decimal (an Avro decimal can be one) raises in Python's comparisons."""
    if type(value) is Decimal and not value.is_finite():
        raise Fallback


def _holds_decimal(value: Any) -> bool:
    if type(value) is Decimal:
        return True
    if type(value) is list:
        return any(_holds_decimal(v) for v in value)
    if type(value) is dict:
        return any(_holds_decimal(v) for v in value.values())
    return False


def _kinds(left: Any, right: Any) -> tuple[str, str]:
    a, b = _KIND.get(type(left)), _KIND.get(type(right))
    if a is None or b is None:
        raise Fallback
    _finite(left)
    _finite(right)
    return a, b


def equal(left: Any, right: Any) -> bool:
    """CEL ``==`` as confluent-kafka's decimal-aware override and cel-python answer it."""
    a, b = _kinds(left, right)
    if a == b and a in _EQUATABLE:
        return bool(left == right)
    if b in _EQ_ERRORS[a]:
        raise CelError
    if a == "c" or b == "c" or (a == "n" and b in _NULL_EQ_FALSE) or (b == "n" and a in _NULL_EQ_FALSE):
        return False
    raise Fallback


def unequal(left: Any, right: Any) -> bool:
    """CEL ``!=``: not always ``!(a == b)`` (a map ``!= null`` is an error in cel-python, unless the
    map holds a decimal somewhere: then confluent-kafka's override answers true)."""
    a, b = _kinds(left, right)
    if a == b and a in _EQUATABLE:
        return bool(left != right)
    if a == "c" or b == "c":
        return True
    if (a in "ml" or b in "ml") and (_holds_decimal(left) or _holds_decimal(right)):
        raise Fallback
    if b in _NE_ERRORS[a]:
        raise CelError
    if (a == "n" and b in _NULL_NE_TRUE) or (b == "n" and a in _NULL_NE_TRUE):
        return True
    raise Fallback


def compare(left: Any, right: Any) -> None:
    """Check that ``<``, ``<=``, ``>``, ``>=`` of these operands is Python's (same ordered kind);
    a :class:`CelError` where cel-python has no such overload."""
    a, b = _kinds(left, right)
    if a == b and a in _ORDERED:
        return
    if b in _ORDER_ERRORS[a]:
        raise CelError
    raise Fallback  # mixed kinds cel-python does compare (double < int): not modelled


def size(value: Any) -> int:
    """``size()`` of a string (code points), bytes, list or map."""
    kind = type(value)
    if kind is str or kind is list or kind is dict or kind is bytes:
        return len(value)
    raise Fallback
