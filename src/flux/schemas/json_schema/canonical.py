r"""Confluent's canonical string for JSON schemas, and the exact JSON decoding behind it.

Confluent Schema Registry reads a JSON schema with Jackson (floats kept as exact
``BigDecimal``s) and writes it back compactly: no whitespace, members in document order,
numbers as Java prints them. That compact text is what the registry hashes and compares,
so two schemas that differ only in layout are the same schema, while a reordered object
is a different one.

Example:
    >>> jackson_compact(decode_exact('{ "b": 1.50, "a": [1e2, -0.0, "\\u0001"] }'))
    '{"b":1.50,"a":[1E+2,0.0,"\\u0001"]}'
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Final

from flux.schemas.errors import InvalidSchemaError
from flux.schemas.nesting import check_nesting

__all__ = ["decode_exact", "decode_plain", "jackson_compact", "value_key"]

# Jackson's short escapes; every other control character becomes \\u00XX (upper-case hex).
_SHORT_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _reject_constant(name: str) -> Any:
    raise InvalidSchemaError(f"Invalid JSON schema: non-finite number {name} is not allowed")


def _decode(text: str, *, exact: bool) -> Any:
    try:
        if exact:
            data = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
        else:
            data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InvalidSchemaError(f"Invalid JSON schema: malformed JSON ({exc})") from None
    except TypeError as exc:
        raise InvalidSchemaError(f"Invalid JSON schema: not text ({exc})") from None
    except RecursionError:
        raise InvalidSchemaError("Invalid JSON schema: nested too deeply") from None
    check_nesting(data, "JSON schema")
    return data


def decode_plain(text: str) -> Any:
    """Decode ``text`` the usual Python way (floats as ``float``); raise ``InvalidSchemaError``."""
    return _decode(text, exact=False)


def decode_exact(text: str) -> Any:
    """Decode ``text`` keeping every float as an exact ``Decimal`` (as Confluent's Jackson does)."""
    return _decode(text, exact=True)


def _string(value: str) -> str:
    out = ['"']
    for char in value:
        escaped = _SHORT_ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif char < " ":
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _number(value: int | Decimal) -> str:
    if isinstance(value, int):
        return str(value)
    # java.math.BigDecimal has no negative zero and prints like Decimal's to-scientific-string.
    return str(value.copy_abs() if value.is_zero() else value)


def jackson_compact(value: Any) -> str:
    """Serialise decoded JSON the way Jackson's default writer does (compact, document order)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int | Decimal):
        return _number(value)
    if isinstance(value, float):
        return _number(Decimal(repr(value)))
    if isinstance(value, list):
        return "[" + ",".join(jackson_compact(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_string(k)}:{jackson_compact(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def value_key(value: Any) -> str:
    """A key equal for two JSON values exactly when Java's ``equals`` on the loaded values is.

    Members are sorted (maps compare by content), booleans never equal numbers, and an
    integer never equals a decimal (``1`` vs ``1.0``), while decimals compare with their
    scale, like ``BigDecimal.equals``.
    """
    if isinstance(value, dict):
        return "{" + ",".join(f"{_string(k)}:{value_key(value[k])}" for k in sorted(value)) + "}"
    if isinstance(value, list):
        return "[" + ",".join(value_key(item) for item in value) + "]"
    if isinstance(value, Decimal | float):
        return "d" + jackson_compact(value)
    return jackson_compact(value)
