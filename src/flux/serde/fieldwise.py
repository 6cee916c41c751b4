"""Avro encoding of a contract object field by field, with each field's bytes remembered.

The Avro binary form of a record is the concatenation of its fields' encodings, in schema order,
and each of them depends on that field's value alone. A snapshot service publishes the same
content under a new envelope per command: a city's reading to every command for it within 30 s,
the same headlines between refreshes. Only the envelope's ids and clock differ, so re-encoding
the whole record with fastavro each time (its logical types and union branches are most of the
cost) repeats work on fields whose bytes are already known.

:class:`FieldwiseWriter` encodes a generated Avro class this way:

* a field holding a UUID or a timezone-aware datetime (or null) — new per event — is written by a
  few lines of code here, with fastavro's own conversions;
* any other field's bytes are remembered per value: by value for strings, numbers, booleans,
  enum members and null, by identity for the generated (frozen) objects and tuples inside a
  contract object, so an observation or a list of articles shared by many events is encoded once;
* a field value it has not seen is encoded by fastavro with a one-field record schema (the field
  as written in the contract's schema, its named types resolved as in the whole schema).

With a data contract whose WRITE outcome is a function of named top-level fields (see
:mod:`flux.serde.write_memo`), :meth:`FieldwiseWriter.encode_checked` also remembers the bytes of
those fields as the rules left them, keyed by their values, so a record whose rule inputs were
seen before skips the rules; an unseen combination runs them on the whole record, and only a
passing outcome is remembered. Memories are bounded (cleared when full).

The bytes are fastavro's, byte for byte (a property test compares them over every contract). A
contract whose schema cannot be split (a field refers to the record itself) gets no writer and is
encoded whole.
"""

from __future__ import annotations

import dataclasses
import json
import operator
import struct
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from enum import Enum
from io import BytesIO
from typing import Any, Final

from fastavro import parse_schema, schemaless_writer
from fastavro.types import Schema

from flux.serde.errors import SchemaMismatch

__all__ = ["CAPACITY", "ENCODE_ERRORS", "FieldwiseWriter"]

CAPACITY: Final = 1024
"""Values remembered per field (and rule-input combinations per writer); cleared when full."""

ENCODE_ERRORS: Final = (TypeError, ValueError, AttributeError, KeyError, OverflowError)
"""What fastavro raises for a value its schema does not allow."""

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_SCALARS: Final = frozenset({str, int, float, bool, type(None)})
_PLANS: Final = 16  # sets of rule inputs per writer (a contract's rules give one or two)
_pack_double = struct.Struct("<d").pack


def _long(n: int) -> bytes:
    """Avro's zig-zag varint of ``n`` (a long)."""
    n = (n << 1) ^ (n >> 63)
    if n < 0x80:
        return bytes((n,))
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _uuid_bytes(value: Any) -> bytes | None:
    if type(value) is uuid.UUID:
        return b"H" + str(value).encode()  # 36 characters: length 36 zig-zagged is 72, "H"
    return None


def _millis_bytes(value: Any) -> bytes | None:
    # fastavro's prepare_timestamp_millis for an aware datetime; naive ones go to fastavro itself.
    if type(value) is datetime and value.tzinfo is not None:
        delta = value - _EPOCH
        return _long((delta.days * 86_400 + delta.seconds) * 1000 + int(delta.microseconds / 1000))
    return None


def _fresh_encoder(node: Any) -> Callable[[Any], bytes | None] | None:
    """The fast encoder of a UUID or timestamp-millis field (optionally nullable), else None."""
    branches = node if isinstance(node, list) else [node]
    non_null = [b for b in branches if b != "null"]
    if len(non_null) != 1 or len(branches) > 2 or not isinstance(non_null[0], dict):
        return None
    logical = non_null[0].get("logicalType")
    base = non_null[0].get("type")
    if logical == "uuid" and base == "string":
        write = _uuid_bytes
    elif logical == "timestamp-millis" and base == "long":
        write = _millis_bytes
    else:
        return None
    if len(branches) == 1:
        return write
    null_tag, value_tag = (b"\x00", b"\x02") if branches[0] == "null" else (b"\x02", b"\x00")

    def nullable(value: Any) -> bytes | None:
        if value is None:
            return null_tag
        body = write(value)
        return None if body is None else value_tag + body

    return nullable


def _same(known: tuple[Any, ...], values: tuple[Any, ...]) -> bool:
    return all(a is b or a == b for a, b in zip(known, values, strict=True))


def _key(value: Any) -> Any:
    """The memo key of ``value``: by value for scalars and enum members, else by identity."""
    kind = type(value)
    if kind in _SCALARS or isinstance(value, Enum):
        return (kind, value)
    return id(value)


@dataclasses.dataclass(frozen=True, slots=True)
class _Plan:
    """How one set of rule inputs is encoded: which fields the rules read (their positions), the
    other fields with their positions, and the outcomes that passed, keyed by the inputs' memo keys
    (the inputs are kept, so identity keys stay unique, with those fields' bytes as the rules left
    them)."""

    wanted: tuple[int, ...]
    rest: tuple[tuple[int, _Field], ...]
    checked: dict[tuple[Any, ...], tuple[tuple[Any, ...], tuple[bytes, ...]]]


class _Field:
    """One top-level field: how to read it off the object, encode it, and remember its bytes."""

    __slots__ = ("attr", "fast", "memo", "name", "schema")

    def __init__(self, attr: str, name: str, node: Any, schema: Schema) -> None:
        self.attr = attr
        self.name = name
        self.schema = schema  # a one-field record around this field
        self.fast = _fresh_encoder(node)  # set: the field's values are new per event, never remembered
        self.memo: dict[Any, tuple[Any, bytes]] = {}

    def with_fastavro(self, datum_value: Any) -> bytes:
        buffer = BytesIO()
        schemaless_writer(buffer, self.schema, {self.name: datum_value})
        return buffer.getvalue()


def _value_reader(attrs: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """Every attribute of an object in one call, as a tuple (attrgetter's shape varies with the count)."""
    if not attrs:
        return lambda obj: ()
    getter = operator.attrgetter(*attrs)
    return getter if len(attrs) > 1 else (lambda obj: (getter(obj),))


class FieldwiseWriter:
    """Encodes one generated Avro class field by field (see the module docs).

    Use :meth:`for_contract`; it returns None for a class whose schema cannot be split.
    """

    __slots__ = ("_fields", "_lock", "_plans", "_values", "contract")

    def __init__(self, contract: type, fields: Sequence[_Field]) -> None:
        self.contract = contract
        self._fields = tuple(fields)
        # Every field's value off an object in one call (a tuple, even for a single field).
        self._values: Callable[[Any], tuple[Any, ...]] = _value_reader(tuple(f.attr for f in self._fields))
        self._plans: dict[tuple[str, ...], _Plan] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_contract(cls, contract: type) -> FieldwiseWriter | None:
        """The writer of ``contract`` (a generated Avro class), or None when it cannot have one."""
        try:
            schema = json.loads(contract.SCHEMA_TEXT)  # type: ignore[attr-defined]
            attrs = [f.name for f in dataclasses.fields(contract)]
        except (AttributeError, TypeError, ValueError):
            return None
        if not isinstance(schema, dict) or schema.get("type") != "record":
            return None
        fields_json = schema.get("fields", [])
        if len(attrs) != len(fields_json):
            return None
        namespace = schema.get("namespace") or schema["name"].rpartition(".")[0] or None
        named: dict[str, Any] = {}
        fields = []
        for index, (attr, field) in enumerate(zip(attrs, fields_json, strict=True)):
            wrapper: dict[str, Any] = {
                "type": "record",
                "name": f"flux_fieldwise_{index}",
                "fields": [{"name": field["name"], "type": field["type"]}],
            }
            if namespace:
                wrapper["namespace"] = namespace
            try:
                parsed = parse_schema(wrapper, named_schemas=named)
            except Exception:  # e.g. a field naming the record itself: encode it whole
                return None
            fields.append(_Field(attr, field["name"], field["type"], parsed))
        return cls(contract, fields)

    def encode(self, obj: Any) -> bytes:
        """The Avro binary body of ``obj`` (no wire header).

        Raises:
            SchemaMismatch: a field holds a value its schema does not allow.
        """
        try:
            values = self._values(obj)
            parts = [b""] * len(values)
            self._encode_into(parts, enumerate(self._fields), values, obj)
        except ENCODE_ERRORS as exc:
            raise self._mismatch(obj, exc) from exc
        return b"".join(parts)

    def encode_checked(
        self, obj: Any, reads: tuple[str, ...], check: Callable[[dict[str, Any]], Any]
    ) -> bytes:
        """Like :meth:`encode`, with ``check`` (the WRITE rules, whose outcome is a function of the
        top-level fields ``reads``) run on ``obj.to_dict()`` unless those fields' values passed before.

        ``check`` returns the record as the rules left it (a dict: the fields in ``reads`` may be
        transformed); what it raises propagates, and nothing is remembered then.

        Raises:
            SchemaMismatch: a field holds a value its schema does not allow.
        """
        plan = self._plans.get(reads) or self._plan(reads)
        try:
            values = self._values(obj)
        except AttributeError as exc:
            raise self._mismatch(obj, exc) from exc
        inputs = tuple([values[i] for i in plan.wanted])
        memo_key = tuple(map(_key, inputs))
        found = plan.checked.get(memo_key)
        if found is not None and _same(found[0], inputs):
            checked_bytes = found[1]
        else:
            checked_bytes = self._run_check(obj, plan, check)
            with self._lock:
                if sum(len(p.checked) for p in self._plans.values()) >= CAPACITY:
                    for known in self._plans.values():  # the bound is the writer's, over its plans
                        known.checked.clear()
                plan.checked[memo_key] = (inputs, checked_bytes)
        parts = [b""] * len(values)
        for position, index in enumerate(plan.wanted):
            parts[index] = checked_bytes[position]
        try:
            self._encode_into(parts, plan.rest, values, obj)
        except ENCODE_ERRORS as exc:
            raise self._mismatch(obj, exc) from exc
        return b"".join(parts)

    def _plan(self, reads: tuple[str, ...]) -> _Plan:
        """The plan of ``reads`` (made once per set of rule inputs; a bound, not a working set)."""
        fields = self._fields
        wanted = tuple(i for i, f in enumerate(fields) if f.name in reads)
        rest = tuple((i, f) for i, f in enumerate(fields) if i not in wanted)
        plan = _Plan(wanted, rest, {})
        with self._lock:
            if len(self._plans) >= _PLANS:
                self._plans.clear()
            self._plans[reads] = plan
        return plan

    def _run_check(self, obj: Any, plan: _Plan, check: Callable[[dict[str, Any]], Any]) -> tuple[bytes, ...]:
        """Run the rules on the whole record: the bytes of the fields they read, as they left them."""
        result = check(obj.to_dict())
        if type(result) is not dict:
            raise TypeError(f"the rules returned a {type(result).__name__}, not the record")
        fields = self._fields
        try:
            return tuple(fields[i].with_fastavro(result[fields[i].name]) for i in plan.wanted)
        except ENCODE_ERRORS as exc:
            raise self._mismatch(obj, exc) from exc

    def _encode_into(
        self, parts: list[bytes], fields: Iterable[tuple[int, _Field]], values: tuple[Any, ...], obj: Any
    ) -> None:
        """Put the bytes of ``fields`` (position, field) of ``obj`` (its ``values``) into ``parts``."""
        datum: dict[str, Any] | None = None  # the object's datum, built when fastavro is needed
        for index, field in fields:
            value = values[index]
            fast = field.fast
            if fast is not None:
                body = fast(value)
                if body is not None:
                    parts[index] = body
                    continue
            else:
                known = field.memo.get(_key(value))
                if known is not None and (known[0] is value or known[0] == value):
                    parts[index] = known[1]
                    continue
            if datum is None:
                datum = obj.to_dict()
            parts[index] = self._remember(field, value, datum)

    @staticmethod
    def _remember(field: _Field, value: Any, datum: dict[str, Any]) -> bytes:
        """``field``'s bytes for ``value`` by fastavro, remembered unless the field is fresh per event."""
        body = field.with_fastavro(datum[field.name])
        if field.fast is None:
            memo = field.memo
            if len(memo) >= CAPACITY:
                memo.clear()
            memo[_key(value)] = (value, body)  # the value is kept: its id is not reused meanwhile
        return body

    def _mismatch(self, obj: Any, exc: BaseException) -> SchemaMismatch:
        return SchemaMismatch(f"{type(obj).__name__} does not fit its schema: {exc}")
