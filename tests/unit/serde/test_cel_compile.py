"""The compiled CEL subset, construct by construct: what it answers, where it falls back, what it
leaves to the executor, and that the serde's executors use it without changing a verdict."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema
from confluent_kafka.schema_registry.schema_registry_client import RuleMode

from flux.contracts import Tick, TickerBatch
from flux.serde.cel_program import compiled
from flux.serde.cel_values import Fallback
from flux.serde.errors import RuleViolation
from flux.serde.rule_executors import RuleExecutors
from flux.serde.rule_runner import RuleRunner

MESSAGE = {"s": "abc", "i": 5, "d": 2.5, "n": None, "b": True, "l": [1, 2], "m": {"x": 1}, "e": ""}


def verdict(expr: str, message: Any = None) -> bool:
    program = compiled(expr)
    assert program is not None, f"not compiled: {expr}"
    return program.condition(MESSAGE if message is None else message)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("message.s == 'abc'", True),
        ("message.m.x == 1", True),
        ("message.n == null", True),
        ("message.s != null", True),
        ("has(message.m.x) && !has(message.m.y)", True),
        ("has(message.n.x)", False),
        ("message.i >= 5 && message.d < 3.0", True),
        ("message.i > 9 || message.s > 'abb'", True),
        ("message.b ? message.i == 5 : false", True),
        ("message.i + 2 * 3 - 1 == 10", True),
        ("message.i / 2 == 2", True),
        ("message.d * 2.0 / 5.0 == 1.0", True),
        ("-message.i == -5 && -0.5 < 0.0", True),
        ("size(message.s) == 3 && message.l.size() == 2 && size(message.m) == 1", True),
        ("message.s.startsWith('ab') && message.s.endsWith('c') && message.s.contains('b')", True),
        ("message.s.matches('^[a-c]+$') && !matches(message.s, '[0-9]')", True),
        ("message.l.all(v, v > 0) && message.l.exists(v, v == 2)", True),
        ("message.l.all(v, v > 1)", False),
        ("decimal('1.50') == decimal('1.5') && decimal(message.s + '') != decimal('0')", False),
        ("decimal('64123.45') > decimal('0')", True),
        ("isUri('https://a.example/x') && !isUri('https://')", True),
        ("double(message.i) == 5.0 && int(message.d) == 2", True),
        ("'x' + message.s == 'xabc'", True),
        ("message.n.x || true", True),
        ("message.n.x && false", False),
        ("message.s == 'zzz' ; false", True),
        ("message.s == 'abc' ; message.i == 4", False),
    ],
)
def test_each_construct_gives_the_cel_verdict(expr: str, expected: bool) -> None:
    try:
        assert verdict(expr) is expected
    except Fallback:
        assert "decimal(message.s" in expr  # an invalid decimal: the executor's to report


@pytest.mark.parametrize(
    "expr",
    [
        "message.s == 1",  # no such overload
        "message.i == message.d",  # int vs double
        "message.i == null",  # an error value, at the top
        "message.m != null",  # an error value in cel-python
        "message.s && true",  # a non-bool passed through by cel-python
        "message.i ? true : false",  # a non-bool condition
        "9223372036854775807 + message.i > 0",  # int overflow
        "message.d / 0.0 > 1.0",  # division by zero
        "decimal(message.s) > decimal('0')",  # not a decimal: the executor raises
        "message.n.all(v, v)",  # all() over null raises in cel-python
        "message.zz == 1",  # no such key, at the top
        "size(message.n) == 0",  # size(null) is 0 in cel-python only
        "message.l.all(v, v.x)",  # error values in every element
    ],
)
def test_what_the_subset_cannot_vouch_for_falls_back(expr: str) -> None:
    with pytest.raises(Fallback):
        verdict(expr)


def test_records_the_executor_would_refuse_fall_back() -> None:
    for record in ({**MESSAGE, "big": 2**64}, {**MESSAGE, "t": (1, 2), "s": Decimal("NaN")}):
        with pytest.raises(Fallback):
            verdict("message.s == 'abc'", record)


@pytest.mark.parametrize(
    "expr",
    [
        "message.l.map(v, v * 2).size() > 0",
        "message.l.filter(v, v > 1).size() > 0",
        "message.l.exists_one(v, v > 1)",
        "message.l[0] == 1",
        "message.m['x'] == 1",
        "[1, 2].size() == 2",
        "{'a': 1}.size() == 1",
        "message.i == 1u",
        "message.s == b'abc'",
        "message.at < now",
        "timestamp('2026-01-01T00:00:00Z') < now",
        "decimals.ge(decimal(message.s), decimal('0'))",
        "string(message.i) == '5'",
        "message.i % 2 == 1",
        "unknown_var == 1",
        "dyn(message.i) == 5",
        "message.s.matches('[')",
        "message.s ==",
    ],
)
def test_constructs_outside_the_subset_are_left_to_the_executor(expr: str) -> None:
    assert compiled(expr) is None


def test_protobuf_fields_read_as_cel_reads_them() -> None:
    batch = TickerBatch(ticks=[Tick(product_id="BTC-USD", price="1.5")])
    assert verdict("message.ticks.all(t, t.best_bid == '' && decimal(t.price) > decimal('1'))", batch)
    assert verdict("has(message.ticks) && !has(message.source)", batch)
    assert not verdict("message.ticks.all(t, size(t.product_id) > 0)", TickerBatch(ticks=[Tick()]))
    with pytest.raises(Fallback):
        verdict("message.ticks.all(t, t.trade_id > 0)", batch)  # a uint: not in the subset


def _runner(compiled_rules: bool) -> RuleRunner:
    return RuleRunner(RuleExecutors(memo=False, compiled=compiled_rules))


def _schema(expr: str) -> Schema:
    rule = {"name": "r", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": expr, "doc": "no"}
    return Schema.from_dict(
        {"schema": '{"type": "string"}', "schemaType": "AVRO", "ruleSet": {"domainRules": [rule]}}
    )


@pytest.mark.parametrize("expr", ["message.i > 3", "message.i > 7", "message.s == 1", "message.n.x || true"])
def test_the_executors_give_the_same_outcome_compiled_or_not(expr: str) -> None:
    outcomes = []
    for flag in (True, False):
        try:
            _runner(flag).run(
                subject="s",
                topic="t",
                mode=RuleMode.WRITE,
                source=None,
                target=_schema(expr),
                message=MESSAGE,
            )
            outcomes.append("passed")
        except RuleViolation as violation:
            outcomes.append(violation.reason)
    assert outcomes[0] == outcomes[1]


def test_a_field_transform_rounds_as_the_executor_does() -> None:
    program = compiled(
        "typeName == 'DOUBLE' ; double(int(value * 100.0 + (value >= 0.0 ? 0.5 : -0.5))) / 100.0", True
    )
    assert program is not None

    class Field:
        containing_message: Any = {"lat": 1.0}
        full_name, name, tags, field_descriptor = "ns.R.lat", "lat", {"GEO"}, None

        def __init__(self, kind: str) -> None:
            self.kind = kind

        def is_primitive(self) -> bool:
            return True

        def type_name(self) -> str:
            return self.kind

    assert program.field(Field("DOUBLE"), 28.6149, condition=False) == 28.61
    assert program.field(Field("DOUBLE"), -0.125, condition=False) == -0.13
    assert program.field(Field("STRING"), "Delhi", condition=False) == "Delhi"
    with pytest.raises(Fallback):
        program.field(Field("DOUBLE"), float("nan"), condition=False)
