"""confluent-kafka's own rule executors, behind a thin adapter: CEL, CEL_FIELD and JSONata.

Flux runs the rules of its contracts with the executors confluent-kafka's serializers use
(``confluent_kafka.schema_registry.rules.cel`` and ``...rules.jsonata``), so a rule means the same
thing to a Flux service and to any Confluent client. Two things are added around them:

* :class:`JsonSafeJsonataExecutor`: jsonata-python accepts JSON values only, and fastavro reads
  logical types as ``UUID``/``datetime``/``Decimal`` objects, so confluent-kafka's JSONata executor
  fails on every Avro record that has one (most of Flux's). The adapter hands the rule the record's
  Avro JSON encoding and reads the result back by the target schema
  (:mod:`flux.serde.json_datum`). It is a ``RuleExecutor``: register it in a confluent-kafka
  ``RuleRegistry`` to give confluent-kafka's deserializers the same fix.
* :class:`VerdictMemo`: a CEL ``CONDITION`` is a pure function of the message fields it names
  (unless it reads ``now``), so its verdict is remembered per rule and per value of those fields;
  a ``CEL_FIELD`` rule that reads only its field is remembered per field value. Snapshot services
  publish the same content under new envelopes again and again (a city's reading for 30 s, the same
  headlines between refreshes); those records cost a lookup per rule instead of a cel-python
  evaluation (0.2 to 0.6 ms per simple expression, per list element for ``all()``). Records whose
  content is new are evaluated in full, exactly as confluent-kafka evaluates them.
* the compiled subset (:mod:`flux.serde.cel_program`): a CEL ``CONDITION`` or ``CEL_FIELD``
  expression of the subset runs as Python closures over the datum, 100x faster than cel-python.
  The executor stays the authority: an expression outside the subset, and any record the closures
  are not sure of, is evaluated by it; ``test_cel_differential.py`` proves the two equal.

Example:
    >>> executors = RuleExecutors()
    >>> executors.get("CEL").type()
    'CEL'
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Mapping
from typing import Any, Final

from confluent_kafka.schema_registry.schema_registry_client import RuleKind
from confluent_kafka.schema_registry.serde import (
    FieldContext,
    FieldRuleExecutor,
    FieldTransform,
    RuleContext,
    RuleExecutor,
)
from fastavro import parse_schema
from fastavro.schema import expand_schema

from flux.serde.cel_program import CONVERTIBLE, CompiledRule, compiled, convertible
from flux.serde.cel_values import Fallback
from flux.serde.json_datum import from_json_value, to_json_value

__all__ = ["JsonSafeJsonataExecutor", "RuleExecutors", "VerdictMemo", "freeze", "memo_fields"]

LOG = logging.getLogger(__name__)

MEMO_CAPACITY: Final = 4096
"""Verdicts kept per executor set; cleared when full (a bound, not a working set)."""

_MESSAGE_REF: Final = re.compile(r"\bmessage\b(?:\s*\.\s*([A-Za-z_][A-Za-z0-9_]*))?")
_NOW: Final = re.compile(r"\bnow\b")


def memo_fields(expr: str) -> tuple[str, ...] | None:
    """The top-level message fields a CEL expression reads, or None when its verdict may depend on
    more than those (it reads ``now`` or uses ``message`` other than as ``message.<field>``)."""
    if _NOW.search(expr):
        return None
    fields = []
    for match in _MESSAGE_REF.finditer(expr):
        if match.group(1) is None:
            return None
        fields.append(match.group(1))
    return tuple(sorted(set(fields)))


def freeze(value: Any) -> Any:
    """A hashable stand-in for a datum value; types are kept so 1, 1.0 and True stay apart."""
    kind = type(value)
    if kind is dict:
        return ("{", tuple((k, freeze(v)) for k, v in value.items()))
    if kind is list or kind is tuple:
        return ("[", tuple(freeze(v) for v in value))
    if kind is not str and isinstance(value, Mapping):
        return ("{", tuple((k, freeze(v)) for k, v in value.items()))
    return (kind, value)


class VerdictMemo:
    """Remembered verdicts of CEL conditions, keyed by rule and the values of the fields it reads."""

    __slots__ = ("_fields", "_lock", "_verdicts", "capacity")

    def __init__(self, capacity: int = MEMO_CAPACITY) -> None:
        self.capacity = capacity
        self._verdicts: dict[Any, Any] = {}
        self._fields: dict[str, tuple[str, ...] | None] = {}
        self._lock = threading.Lock()

    def key(self, ctx: RuleContext, message: Any) -> Any | None:
        """The memo key of evaluating ``ctx.rule`` on ``message``, or None when it must be evaluated.

        A context with a ``frozen`` dict (the runner's, one per record until a transform changes
        it) shares the frozen field values between the record's rules.
        """
        rule = ctx.rule
        expr = rule.expr
        if expr is None or not isinstance(message, dict):
            return None
        fields = self._fields.get(expr, ())
        if fields == ():
            fields = self._fields[expr] = memo_fields(expr)
        if fields is None:
            return None
        frozen = getattr(ctx, "frozen", None)
        if frozen is None:
            key = (expr, tuple(freeze(message.get(f)) for f in fields))
        else:
            parts = []
            for name in fields:
                part = frozen.get(name)
                if part is None:
                    part = frozen[name] = freeze(message.get(name))
                parts.append(part)
            key = (expr, tuple(parts))
        try:
            hash(key)
        except TypeError:  # an unhashable value inside: evaluate instead
            return None
        return key

    def get(self, key: Any) -> Any:
        return self._verdicts.get(key)

    def put(self, key: Any, verdict: Any) -> None:
        with self._lock:
            if len(self._verdicts) >= self.capacity:
                self._verdicts.clear()
            self._verdicts[key] = verdict


def _program(ctx: RuleContext, enabled: bool, field: bool = False) -> CompiledRule | None:
    """The compiled rule, if ``ctx.rule`` has one and the executor would evaluate it at all (it
    raises without a typed target)."""
    target, expr = ctx.target, ctx.rule.expr
    if not enabled or expr is None or target is None or target.schema_type is None:
        return None
    return compiled(expr, field)


class _MemoCelExecutor(RuleExecutor):
    """confluent-kafka's ``CelExecutor`` with remembered verdicts and the compiled subset for
    conditions (see the module docs); everything else, and every doubt, goes to the executor."""

    def __init__(self, inner: RuleExecutor, memo: VerdictMemo | None, compiled: bool) -> None:
        self._inner = inner
        self._memo = memo
        self._compiled = compiled

    def type(self) -> str:
        return str(self._inner.type())

    def transform(self, ctx: RuleContext, message: Any) -> Any:
        if ctx.rule.kind != RuleKind.CONDITION:
            return self._inner.transform(ctx, message)
        memo = self._memo
        key = memo.key(ctx, message) if memo is not None else None
        if key is None:
            return self._evaluate(ctx, message)
        verdict = memo.get(key) if memo is not None else None
        if verdict is None:
            verdict = self._evaluate(ctx, message)
            if isinstance(verdict, bool) and memo is not None:
                memo.put(key, verdict)
        return verdict

    def _evaluate(self, ctx: RuleContext, message: Any) -> Any:
        program = _program(ctx, self._compiled)
        if program is not None:
            frozen = getattr(ctx, "frozen", None)
            checked = None if frozen is None else frozen.get(CONVERTIBLE)
            if checked is None:
                checked = convertible(message)
                if frozen is not None:
                    frozen[CONVERTIBLE] = checked
            if checked:
                try:
                    return program.condition(message, checked=True)
                except Fallback:
                    pass
        return self._inner.transform(ctx, message)


class _MemoCelFieldExecutor(FieldRuleExecutor):
    """confluent-kafka's ``CelFieldExecutor`` with the compiled subset, and remembered results per
    field value for rules that read only the field (``value``, ``name``, ``fullName``,
    ``typeName``, ``tags``), not ``message``."""

    def __init__(self, inner: FieldRuleExecutor, memo: VerdictMemo | None, compiled: bool) -> None:
        self._inner = inner
        self._memo = memo
        self._compiled = compiled

    def type(self) -> str:
        return str(self._inner.type())

    def new_transform(self, ctx: RuleContext) -> FieldTransform:
        inner = self._inner.new_transform(ctx)
        expr = ctx.rule.expr
        program = _program(ctx, self._compiled, field=True)
        if program is not None:
            executor, condition = inner, ctx.rule.kind == RuleKind.CONDITION

            def fast(rule_ctx: RuleContext, field: FieldContext, value: Any) -> Any:
                try:
                    return program.field(field, value, condition)
                except Fallback:
                    return executor(rule_ctx, field, value)

            inner = fast
        memo = self._memo
        if memo is None or expr is None or _NOW.search(expr) or _MESSAGE_REF.search(expr):
            return inner
        evaluate = inner

        def transform(rule_ctx: RuleContext, field: FieldContext, value: Any) -> Any:
            key: Any = (
                "field",
                expr,
                field.full_name,
                field.type_name(),
                tuple(sorted(field.tags)),
                freeze(value),
            )
            try:
                found = memo.get(key)
            except TypeError:
                return evaluate(rule_ctx, field, value)
            if found is not None:
                return found[0]
            result = evaluate(rule_ctx, field, value)
            memo.put(key, (result,))
            return result

        return transform


class JsonSafeJsonataExecutor(RuleExecutor):
    """confluent-kafka's ``JsonataExecutor`` fed JSON values (see the module docs).

    Example:
        >>> from confluent_kafka.schema_registry.rule_registry import RuleRegistry
        >>> registry = RuleRegistry()
        >>> registry.register_executor(JsonSafeJsonataExecutor())
        >>> registry.get_executor("JSONATA").type()
        'JSONATA'
    """

    def __init__(self) -> None:
        # Imported on first use: the rule engines (jsonata, celpy and its lark grammar) load only in
        # processes that run rules.
        from confluent_kafka.schema_registry.rules.jsonata.jsonata_executor import (  # noqa: PLC0415
            JsonataExecutor,
        )

        self._inner = JsonataExecutor()  # type: ignore[no-untyped-call]
        self._schemas: dict[str, Any] = {}
        self._lock = threading.Lock()

    def type(self) -> str:
        return "JSONATA"

    def _target_schema(self, ctx: RuleContext) -> Any | None:
        target = ctx.target
        if target is None or (target.schema_type or "AVRO") != "AVRO" or not target.schema_str:
            return None
        text = str(target.schema_str)
        schema = self._schemas.get(text)
        if schema is None:
            schema = expand_schema(parse_schema(json.loads(text)))
            with self._lock:
                self._schemas[text] = schema
        return schema

    def transform(self, ctx: RuleContext, message: Any) -> Any:
        if not isinstance(message, dict | list):
            return self._inner.transform(ctx, message)
        result = self._inner.transform(ctx, to_json_value(message))
        schema = self._target_schema(ctx)
        return result if schema is None else from_json_value(result, schema)


class RuleExecutors:
    """The executors of one serde, by rule type, created on first use (cel-python, jsonata-python).

    Args:
        memo: remember CEL condition verdicts (:class:`VerdictMemo`); on by default.
        compiled: evaluate CEL expressions of the compiled subset (:mod:`flux.serde.cel_compile`)
            without cel-python when they can; on by default. Off, or on both: the same verdicts.
    """

    __slots__ = ("_executors", "_lock", "compiled", "memo")

    def __init__(self, *, memo: bool = True, compiled: bool = True) -> None:
        self.memo = VerdictMemo() if memo else None
        self.compiled = compiled
        self._executors: dict[str, RuleExecutor] = {}
        self._lock = threading.Lock()

    def _build(self, rule_type: str) -> RuleExecutor | None:
        try:
            if rule_type == "CEL":
                from confluent_kafka.schema_registry.rules.cel.cel_executor import (  # noqa: PLC0415
                    CelExecutor,
                )

                cel = CelExecutor()  # type: ignore[no-untyped-call]
                if self.memo is None and not self.compiled:
                    return cel
                return _MemoCelExecutor(cel, self.memo, self.compiled)
            if rule_type == "CEL_FIELD":
                from confluent_kafka.schema_registry.rules.cel.cel_field_executor import (  # noqa: PLC0415
                    CelFieldExecutor,
                )

                field = CelFieldExecutor()  # type: ignore[no-untyped-call]
                if self.memo is None and not self.compiled:
                    return field
                return _MemoCelFieldExecutor(field, self.memo, self.compiled)
            if rule_type == "JSONATA":
                return JsonSafeJsonataExecutor()
        except ImportError as exc:
            raise ImportError(
                f"running {rule_type} rules needs cel-python, jsonata-python and google-re2 "
                f"(pip install 'cel-python>=0.4' 'jsonata-python>=0.6' 'google-re2<1.1.20251105'): {exc}"
            ) from exc
        return None

    def get(self, rule_type: str) -> RuleExecutor | None:
        """The executor of ``rule_type`` (upper-case, as Confluent looks it up), or None."""
        name = rule_type.upper()
        executor = self._executors.get(name)
        if executor is None:
            with self._lock:
                executor = self._executors.get(name) or self._build(name)
                if executor is not None:
                    self._executors[name] = executor
        return executor
