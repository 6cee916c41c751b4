"""Straight-line Avro readers: a schema compiled once into Python that decodes its binary body.

fastavro's ``schemaless_reader`` walks the schema for every record it reads: a dispatch per value,
a stream object, a logical-type lookup per field. A codec reading records written with its own
schema (no resolution) can instead compile that schema, once, into Python source with every value
inlined — one function per record type, each field read by a few lines of varint, slice and
struct code — and call it with the record's bytes and the body's offset (the generated source is
``exec``-ed, as :mod:`dataclasses` builds ``__init__``; schema names appear in it only as string
literals, every constant is passed in its namespace, so no schema text can inject code).

The contract with fastavro is strict: for every body the compiled reader accepts, its datum equals
``schemaless_reader(stream, schema, None)``'s (the property tests check every contract's schema,
and one using every Avro type, on random and on damaged bodies). Whatever is unusual it refuses
instead of interpreting: truncation, a negative length, an enum or union index out of range, a
boolean byte other than 0 or 1, a varint longer than ten bytes or wider than 64 bits, an array or
map block claiming more items than bytes are left. It then raises (:class:`NotStraightLine`,
``IndexError``, ``struct.error``, ``ValueError`` ...) and the caller reads the record with
fastavro, which raises the precise error — or, for odd encodings it accepts, gives its own answer.
So a compiled reader can be faster than fastavro, never different.

Example:
    >>> from fastavro import parse_schema
    >>> read = compile_reader(parse_schema({"type": "record", "name": "P", "fields": [
    ...     {"name": "name", "type": "string"}, {"name": "age", "type": ["null", "int"]}]}))
    >>> read(b"\\x06Ann\\x02\\x54", 0)
    ({'name': 'Ann', 'age': 42}, 6)
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any, Final
from uuid import UUID

from fastavro.logical_readers import LOGICAL_READERS
from fastavro.types import Schema

from flux.contracts.runtime import uuid_from_int

__all__ = ["NotStraightLine", "StraightLineReader", "compile_reader"]

StraightLineReader = Callable[[bytes, int], tuple[Any, int]]
"""``read(data, offset) -> (datum, end)``: the datum whose body starts at ``offset``, and where it ends."""

_PRIMITIVES: Final = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_VARINT_SHIFT: Final = 63  # a long takes at most ten bytes: the tenth starts at bit 63


class NotStraightLine(ValueError):
    """The body holds something the compiled reader leaves to fastavro."""


def _varint_tail(data: bytes, pos: int, first: int) -> tuple[int, int]:
    """The rest of a varint whose first byte ``first`` had its continuation bit set: the raw
    (still zigzag-encoded) value and the position after it."""
    value = first & 0x7F
    shift = 7
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            if value >> 64:  # fastavro keeps 64 bits of a ten-byte varint; leave such bodies to it
                raise NotStraightLine("varint wider than 64 bits")
            return value, pos
        shift += 7
        if shift > _MAX_VARINT_SHIFT:
            raise NotStraightLine("varint longer than ten bytes")


def _length(data: bytes, pos: int) -> tuple[int, int]:
    """A length at ``pos`` that is not one even byte: the length and the position after it."""
    raw, pos = data[pos], pos + 1
    if raw > 0x7F:
        raw, pos = _varint_tail(data, pos, raw)
    if raw & 1:
        raise NotStraightLine("negative length")
    return raw >> 1, pos


def _uuid(text: str) -> UUID:
    """``uuid.UUID(text)`` (what fastavro returns for a uuid string) for the canonical spelling and
    every other one whose hex digits parse, at half the cost; anything else goes to ``UUID``."""
    digits = text.replace("-", "")
    if len(digits) == 32:
        try:
            return uuid_from_int(int(digits, 16))
        except ValueError:
            pass
    return UUID(text)


def _fail(reason: str) -> None:
    raise NotStraightLine(reason)


class _Compiler:
    """Emits the source of one schema's reader: lines per function, constants by name."""

    def __init__(self, named: Mapping[str, Schema]) -> None:
        self.named = named
        self.functions: list[list[str]] = []
        self.namespace: dict[str, Any] = {
            "_tail": _varint_tail,
            "_length": _length,
            "_uuid": _uuid,
            "_EPOCH": _EPOCH,
            "_TD": timedelta,
            "_F32": struct.Struct("<f").unpack_from,
            "_F64": struct.Struct("<d").unpack_from,
            "_BOOL": (False, True),
            "_fail": _fail,
        }
        self.record_functions: dict[str, str] = {}
        self._open: set[str] = set()
        self._ids = count()

    def fresh(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    def constant(self, value: Any, prefix: str = "_K") -> str:
        name = self.fresh(prefix)
        self.namespace[name] = value
        return name

    def resolve(self, schema: Schema) -> Schema:
        """A named reference's definition (fastavro keeps only the first use of a name inline)."""
        if isinstance(schema, str) and schema not in _PRIMITIVES:
            if schema not in self.named:
                raise NotStraightLine(f"unknown named type {schema!r}")
            return self.named[schema]
        return schema

    # -- values ------------------------------------------------------------------------------

    def varint(self, target: str, out: list[str], ind: str) -> None:
        """Read one zigzag long into ``target`` (``x`` is scratch)."""
        out += [
            f"{ind}x = b[p]",
            f"{ind}p += 1",
            f"{ind}if x > 127:",
            f"{ind}    x, p = _tail(b, p, x)",
            f"{ind}{target} = (x >> 1) ^ -(x & 1)",
        ]

    def sized(self, target: str, out: list[str], ind: str) -> None:
        """Read a length-prefixed byte string into ``target`` (``e`` is scratch). A length under 64
        is one even byte; anything else (longer, negative) goes through :func:`_length`."""
        out += [
            f"{ind}x = b[p]",
            f"{ind}if x & 0x81:",
            f"{ind}    x, p = _length(b, p)",
            f"{ind}else:",
            f"{ind}    x >>= 1",
            f"{ind}    p += 1",
            f"{ind}e = p + x",
            f"{ind}if e > L:",
            f"{ind}    _fail('length beyond the record')",
            f"{ind}{target} = b[p:e]",
            f"{ind}p = e",
        ]

    def value(self, schema: Schema, target: str, out: list[str], ind: str) -> None:
        """Emit the lines that read one value of ``schema`` into ``target``."""
        schema = self.resolve(schema)
        if isinstance(schema, list):
            self.union(schema, target, out, ind)
            return
        if isinstance(schema, str):
            self.primitive(schema, target, out, ind)
            return
        if not isinstance(schema, dict):
            raise NotStraightLine(f"unexpected schema node {schema!r}")
        kind = schema["type"]
        logical = schema.get("logicalType")
        key = f"{kind}-{logical}" if logical else None
        if key == "string-uuid":
            raw = self.fresh("s")
            self.sized(raw, out, ind)
            out.append(f"{ind}{target} = _uuid({raw}.decode())")
            return
        if key in ("long-timestamp-millis", "long-timestamp-micros"):
            raw = self.fresh("v")
            self.varint(raw, out, ind)
            scale = " * 1000" if key == "long-timestamp-millis" else ""
            out.append(f"{ind}{target} = _EPOCH + _TD(microseconds={raw}{scale})")
            return
        convert = LOGICAL_READERS.get(key) if key else None
        if convert is not None:
            raw = self.fresh("r")
            self.plain(schema, kind, raw, out, ind)
            fn, node = self.constant(convert, "_LOGICAL"), self.constant(schema, "_SCHEMA")
            out.append(f"{ind}{target} = {fn}({raw}, {node}, None)")
            return
        self.plain(schema, kind, target, out, ind)

    def plain(self, schema: dict[str, Any], kind: Any, target: str, out: list[str], ind: str) -> None:
        """A dict-form node without (or before) its logical type."""
        if isinstance(kind, (dict, list)):  # {"type": {...}}: a nested node
            self.value(kind, target, out, ind)
        elif kind in _PRIMITIVES:
            self.primitive(kind, target, out, ind)
        elif kind in {"record", "error"}:
            self.record(schema, target, out, ind)
        elif kind == "enum":
            symbols = self.constant(tuple(schema["symbols"]), "_SYMBOLS")
            index = self.fresh("i")
            self.varint(index, out, ind)
            out += [f"{ind}if {index} < 0:", f"{ind}    _fail('negative enum index')"]
            out.append(f"{ind}{target} = {symbols}[{index}]")
        elif kind == "fixed":
            size = schema["size"]
            if type(size) is not int or size < 0:  # fastavro cannot read those either
                raise NotStraightLine(f"fixed size {size!r}")
            out += [
                f"{ind}if p + {size} > L:",
                f"{ind}    _fail('truncated fixed')",
                f"{ind}{target} = b[p:p + {size}]",
                f"{ind}p += {size}",
            ]
        elif kind == "array":
            self.blocks(target, out, ind, key=None, item=schema["items"])
        elif kind == "map":
            self.blocks(target, out, ind, key="string", item=schema["values"])
        elif isinstance(kind, str):
            self.value(kind, target, out, ind)  # {"type": "some.Named"}
        else:
            raise NotStraightLine(f"unsupported type {kind!r}")

    def primitive(self, kind: str, target: str, out: list[str], ind: str) -> None:
        if kind == "null":
            out.append(f"{ind}{target} = None")
        elif kind == "boolean":
            out += [f"{ind}{target} = _BOOL[b[p]]", f"{ind}p += 1"]
        elif kind in ("int", "long"):
            self.varint(target, out, ind)
        elif kind == "float":
            out += [f"{ind}{target} = _F32(b, p)[0]", f"{ind}p += 4"]
        elif kind == "double":
            out += [f"{ind}{target} = _F64(b, p)[0]", f"{ind}p += 8"]
        elif kind == "bytes":
            self.sized(target, out, ind)
        elif kind == "string":
            raw = self.fresh("s")
            self.sized(raw, out, ind)
            out.append(f"{ind}{target} = {raw}.decode()")
        else:  # pragma: no cover - _PRIMITIVES is exhaustive
            raise NotStraightLine(f"unsupported primitive {kind!r}")

    def union(self, branches: list[Any], target: str, out: list[str], ind: str) -> None:
        # A branch index under 64 is one byte holding twice the index; larger unions are refused.
        out += [f"{ind}x = b[p]", f"{ind}p += 1"]
        for number, branch in enumerate(branches[:64]):
            out.append(f"{ind}{'if' if number == 0 else 'elif'} x == {2 * number}:")
            self.value(branch, target, out, ind + "    ")
        out += [f"{ind}else:", f"{ind}    _fail('union index out of range')"]

    def blocks(self, target: str, out: list[str], ind: str, *, key: str | None, item: Schema) -> None:
        """An array (``key`` None) or a map: blocks of items until a zero count."""
        n, k, v = self.fresh("n"), self.fresh("k"), self.fresh("v")
        out.append(f"{ind}{target} = {'[]' if key is None else '{}'}")
        self.varint(n, out, ind)
        out.append(f"{ind}while {n}:")
        inner = ind + "    "
        out += [f"{inner}if {n} < 0:", f"{inner}    {n} = -{n}"]
        self.varint("_", out, inner + "    ")  # the block's size in bytes, unused
        out += [f"{inner}if {n} > L - p:", f"{inner}    _fail('block longer than the record')"]
        out.append(f"{inner}for _ in range({n}):")
        body = inner + "    "
        if key is None:
            self.value(item, v, out, body)
            out.append(f"{body}{target}.append({v})")
        else:
            self.value(key, k, out, body)
            self.value(item, v, out, body)
            out.append(f"{body}{target}[{k}] = {v}")
        self.varint(n, out, inner)

    def record(self, schema: dict[str, Any], target: str, out: list[str], ind: str) -> None:
        """Read a record into ``target``: its fields inline, or through a function of its own when
        the record is recursive (it appears inside itself)."""
        name = str(schema["name"])
        function = self.record_functions.get(name)
        if function is None and name not in self._open:
            self._open.add(name)
            try:
                out.append(f"{ind}{target} = {self.fields(schema, out, ind)}")
            finally:
                self._open.discard(name)
            return
        if function is None:
            function = self.record_functions[name] = self.fresh("_record")
            body = [f"def {function}(b, p, L):"]
            self.functions.append(body)
            body.append(f"    return {self.fields(schema, body, '    ')}, p")
        out.append(f"{ind}{target}, p = {function}(b, p, L)")

    def fields(self, schema: dict[str, Any], out: list[str], ind: str) -> str:
        """Emit the reads of ``schema``'s fields; returns the dict display that gathers them."""
        slots = []
        for field in schema["fields"]:
            slot = self.fresh("f")
            self.value(field["type"], slot, out, ind)
            slots.append(f"{field['name']!r}: {slot}")
        return f"{{{', '.join(slots)}}}"


def compile_reader(schema: Schema) -> StraightLineReader | None:
    """Compile ``schema`` (as ``fastavro.parse_schema`` returns it) into a reader of its bodies.

    Returns None when the schema holds something this compiler leaves to fastavro.
    """
    named: Mapping[str, Schema] = schema.get("__named_schemas", {}) if isinstance(schema, dict) else {}
    compiler = _Compiler(named)
    entry = ["def read(b, p):", "    L = len(b)"]
    try:
        compiler.value(schema, "t", entry, "    ")
        entry.append("    return t, p")
        source = "\n".join("\n".join(lines) for lines in [*compiler.functions, entry]) + "\n"
        name = schema.get("name") or schema.get("type") if isinstance(schema, dict) else schema
        code = compile(source, f"<avro reader {name}>", "exec")
    except (NotStraightLine, KeyError, TypeError, ValueError, SyntaxError, RecursionError, MemoryError):
        return None  # SyntaxError: nested past Python's block limit (about ten arrays or maps deep)
    namespace = dict(compiler.namespace)
    exec(code, namespace)  # noqa: S102 - see the module docstring
    reader: StraightLineReader = namespace["read"]
    return reader
