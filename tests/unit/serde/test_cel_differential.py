"""The compiled CEL subset against its authority: confluent-kafka's executors over cel-python.

Every CEL expression of ``schemas/`` and a set of tricky ones run over generated records (good
ones, bad ones, edges: nulls, empty strings, NaN, huge ints, unicode, missing fields, odd types).
Where the compiled rule answers, its answer must be the executor's, value and type; where it is
not sure it must fall back (``Fallback``), never guess. A record the executor rejects by raising
must never get a verdict from the compiled rule.
"""

from __future__ import annotations

import datetime
import json
import math
import uuid
from decimal import Decimal
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema
from confluent_kafka.schema_registry.common.serde import FieldContext, FieldType
from confluent_kafka.schema_registry.rules.cel.cel_executor import CelExecutor
from confluent_kafka.schema_registry.rules.cel.cel_field_executor import CelFieldExecutor
from confluent_kafka.schema_registry.schema_registry_client import Rule, RuleMode
from confluent_kafka.schema_registry.serde import RuleContext
from confluent_kafka.serialization import MessageField, SerializationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flux.contracts import AVRO_CONTRACTS, Tick, TickerBatch
from flux.contracts.generated.data_contracts import DATA_CONTRACTS
from flux.schema_tools.examples import example_datum
from flux.serde.cel_program import compiled
from flux.serde.cel_values import Fallback

SCHEMA = Schema('{"type": "record", "name": "R", "fields": []}', "AVRO")
CEL = CelExecutor()
CEL_FIELD = CelFieldExecutor()
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _rules(kind: str) -> dict[str, list[str]]:
    """The expressions of ``kind`` rules in the generated contracts, by subject."""
    found: dict[str, list[str]] = {}
    for subject, versions in DATA_CONTRACTS.items():
        for contract in versions.values():
            rule_set = contract["ruleSet"] or {}
            for rule in (rule_set.get("domainRules") or []) + (rule_set.get("migrationRules") or []):
                if rule.get("type") == kind and rule["expr"] not in found.get(subject, []):
                    found.setdefault(subject, []).append(rule["expr"])
    return found


CONDITIONS = _rules("CEL")
FIELD_RULES = [e for exprs in _rules("CEL_FIELD").values() for e in exprs]


def context(expr: str, kind: str = "CONDITION") -> RuleContext:
    rule = Rule.from_dict({"name": "r", "kind": kind, "mode": "WRITE", "type": "CEL", "expr": expr})
    return RuleContext(
        None,
        SerializationContext("t", MessageField.VALUE),
        None,
        SCHEMA,
        "s",
        RuleMode.WRITE,
        rule,
        0,
        [rule],
        None,
        None,
    )


def oracle(expr: str, message: Any) -> tuple[Any, ...]:
    try:
        return ("value", CEL.transform(context(expr), message))
    except Exception as exc:
        return ("raised", type(exc).__name__)


def fast(expr: str, message: Any) -> tuple[Any, ...] | None:
    program = compiled(expr)
    assert program is not None, f"not compiled: {expr}"
    try:
        return ("value", program.condition(message))
    except Fallback:
        return None


def agree(expr: str, message: Any) -> bool:
    """Assert the compiled verdict is the executor's; True when the compiled rule answered."""
    mine = fast(expr, message)
    if mine is None:
        return False
    theirs = oracle(expr, message)
    assert theirs == mine, f"{expr!r} on {message!r}: executor {theirs}, compiled {mine}"
    assert type(theirs[1]) is bool
    return True


# --- generated records ---------------------------------------------------------------------------

EDGE_STRINGS = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-0",
        "0.00",
        "64123.45",
        "-1",
        "1e3",
        "1E-7",
        "1_000",
        " 1",
        "NaN",
        "Infinity",
        "9" * 40,
        "1e2147483648",
        "USD",
        "usd",
        "EU",
        "ÉUR",
        "https://news.example.com/a",
        "https://",
        "https:///x",
        "http://x.example/y",
        "https://x.example",
        "ftp://x/y",
        "héllo wörld",
        "\U0001f600",
        "a;b",
        "success",
        "error",
    ]
)
EDGE_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([0, 1, -1, 7, 100, 359, 360, -91, 2**63 - 1, -(2**63), 2**63, -(2**64), 10**30]),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 0.5, -0.5, 21.5, -90.0, 90.5, 1e308, 5e-324]),
    EDGE_STRINGS,
    st.text(max_size=8),
    st.binary(max_size=4),
    st.uuids(),
    st.dates(),
    st.just(datetime.datetime(2026, 1, 31, tzinfo=datetime.UTC)),
    st.just(datetime.timedelta(days=3)),
    st.just(Decimal("1.5")),
    st.just(("branch", 1)),
    st.just([]),
    st.just({}),
)


def _same_kind(value: Any) -> st.SearchStrategy[Any]:
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.one_of(st.integers(-1000, 1000), st.sampled_from([2**63 - 1, 2**63, -(2**63) - 1]))
    if isinstance(value, float):
        return st.floats(allow_nan=True, allow_infinity=True)
    if isinstance(value, str):
        return st.one_of(EDGE_STRINGS, st.text(max_size=6))
    return EDGE_VALUES


def mutated(data: st.DataObject, value: Any, depth: int = 0) -> Any:
    """``value`` with each leaf kept, replaced by one of its kind, or by anything (rarely)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if data.draw(st.integers(0, 30)) == 0:
                continue  # a missing field
            out[key] = mutated(data, item, depth + 1)
        return out
    if isinstance(value, list):
        template = value[0] if value else None
        count = data.draw(st.integers(0, 3))
        return [mutated(data, template, depth + 1) for _ in range(count)] if value else []
    choice = data.draw(st.integers(0, 9))
    if choice < 5:
        return value
    if choice < 9:
        return data.draw(_same_kind(value))
    return data.draw(EDGE_VALUES)


def _good(value: Any, name: str = "") -> Any:
    """An example datum with plausible leaves (decimals, urls, currency codes) instead of text."""
    if isinstance(value, dict):
        return {k: _good(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_good(v, name) for v in value]
    if isinstance(value, str) and not isinstance(value, bool):
        if "url" in name:
            return "https://news.example.com/a"
        if name in ("currency", "quote_currency"):
            return "USD"
        if name in ("price", "market_cap", "volume_24h"):
            return "64123.45"
        if name == "country":
            return "IN"
    return value


AVRO_BY_SUBJECT = {c.SUBJECT: c for c in AVRO_CONTRACTS.values()}


@pytest.mark.parametrize("subject", sorted(s for s in CONDITIONS if s in AVRO_BY_SUBJECT))
def test_schema_conditions_agree_with_the_executor_on_avro_records(subject: str) -> None:
    contract = AVRO_BY_SUBJECT[subject]
    base = _good(example_datum(json.loads(contract.SCHEMA_TEXT)))
    for expr in CONDITIONS[subject]:  # the plausible example itself: answered, not fallen back
        assert agree(expr, base), f"{expr} fell back on a good record"
    answered = [0]

    @SETTINGS
    @given(st.data())
    def check(data: st.DataObject) -> None:
        record = mutated(data, base)
        for expr in CONDITIONS[subject]:
            answered[0] += agree(expr, record)

    check()
    assert answered[0] > 0


def _tick(data: st.DataObject) -> Tick:
    text = st.one_of(EDGE_STRINGS, st.text(max_size=5), st.just("64123.45"))
    return Tick(
        product_id=data.draw(st.one_of(st.just("BTC-USD"), text)),
        price=data.draw(text),
        best_bid=data.draw(text),
        best_ask=data.draw(text),
        time_ms=data.draw(st.integers(-(2**63), 2**63 - 1)),
        trade_id=data.draw(st.integers(0, 2**64 - 1)),
    )


TICKER_SUBJECT = next(s for s in CONDITIONS if "ticker" in s)


@SETTINGS
@given(st.data())
def test_ticker_conditions_agree_with_the_executor_on_protobuf_batches(data: st.DataObject) -> None:
    batch = TickerBatch(
        source="crypto-service", ticks=[_tick(data) for _ in range(data.draw(st.integers(0, 3)))]
    )
    for expr in CONDITIONS[TICKER_SUBJECT]:
        agree(expr, batch)


def test_a_good_ticker_batch_is_answered_by_the_compiled_rules() -> None:
    tick = Tick(product_id="BTC-USD", price="64123.45", best_bid="64123.40", best_ask="64123.50")
    for expr in CONDITIONS[TICKER_SUBJECT]:
        assert agree(expr, TickerBatch(ticks=[tick, tick]))
        assert agree(expr, TickerBatch())


TRICKY = [
    "message.s == null",
    "null == message.s",
    "message.i == null",
    "message.d != null",
    "message.m == null",
    "message.m != null",
    "message.l == null",
    "message.b != null",
    "message.n == null && message.s != ''",
    "message.x.y || true",
    "true || message.x.y",
    "message.x.y && false",
    "message.n.y || message.s == 'a'",
    "message.i > 2 && message.s",
    "message.s && true",
    "!message.b",
    "!(message.n == null)",
    "message.b ? message.i > 0 : message.d > 0.0",
    "message.i ? true : false",
    "message.i < message.d",
    "message.i == message.d",
    "message.s < 'm'",
    "message.s >= message.s",
    "message.d == message.d",
    "message.d < 1.0 || message.d >= 1.0",
    "message.i + 1 > message.i",
    "message.i - 1 < message.i",
    "message.i * 2 == message.i + message.i",
    "message.i / 3 >= 0",
    "message.d * 100.0 + 0.5 > 0.0",
    "message.d / 2.0 < message.d",
    "-message.i <= 0",
    "-message.d <= 0.0",
    "message.s + 'x' == 'ax'",
    "size(message.s) > 2",
    "message.s.size() == size(message.s)",
    "size(message.l) == 0",
    "size(message.m) > 0",
    "size(message.n) == 0",
    "message.s.startsWith('a')",
    "message.s.endsWith(message.s)",
    "message.s.contains('é')",
    "message.s.matches('^[a-z]+$')",
    "matches(message.s, '[0-9]')",
    "message.s.matches(message.s)",
    "isUri(message.s)",
    "isEmail(message.s)",
    "decimal(message.s) > decimal('0')",
    "decimal(message.i) >= decimal('-1')",
    "decimal(message.d) == decimal('1.5')",
    "decimal(message.s) == message.s",
    "decimal(message.s) != null",
    "int(message.d) > 0",
    "int(message.s) == 1",
    "double(message.i) > 0.5",
    "double(message.s) < 1.0",
    "message.l.all(v, v > 1)",
    "message.l.exists(v, v == 'a')",
    "message.l.all(v, v.x > 0)",
    "message.l.exists(v, v.x == 1 || v.y == 2)",
    "message.l.all(v, decimal(v) > decimal('0'))",
    "message.m.all(k, k != '')",
    "message.n.all(v, v)",
    "'a' in message.l",
    "has(message.m.x)",
    "has(message.n.x)",
    "has(message.s.x)",
    "has(message.zz)",
    "!has(message.m.x) || message.m.x > 0",
    "message.m.x > 0",
    "message.s == 'a' ; message.i > 0",
    "message.i ; message.s == ''",
    " ; message.b",
    "message.u == message.u",
    "message.t == message.t",
]
GENERIC_VALUES = st.recursive(
    EDGE_VALUES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["x", "y", "s"]), inner, max_size=3)
    ),
    max_leaves=6,
)
GENERIC = st.fixed_dictionaries(
    {},
    optional={
        "s": st.one_of(EDGE_STRINGS, st.text(max_size=4), GENERIC_VALUES),
        "i": st.one_of(st.integers(-5, 5), GENERIC_VALUES),
        "d": st.one_of(st.floats(allow_nan=True), GENERIC_VALUES),
        "n": st.one_of(st.none(), GENERIC_VALUES),
        "b": st.one_of(st.booleans(), GENERIC_VALUES),
        "l": st.one_of(st.lists(st.one_of(st.integers(-3, 3), EDGE_STRINGS), max_size=4), GENERIC_VALUES),
        "m": st.one_of(st.dictionaries(st.sampled_from(["x", "y"]), st.integers(-2, 2)), GENERIC_VALUES),
        "u": st.uuids(),
        "t": GENERIC_VALUES,
    },
)


@pytest.mark.parametrize("expr", TRICKY)
def test_tricky_expressions_agree_with_the_executor(expr: str) -> None:
    assert compiled(expr) is not None, f"{expr} should be in the subset"

    @settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(GENERIC)
    def check(message: dict[str, Any]) -> None:
        agree(expr, message)

    check()


def _field_oracle(expr: str, field: FieldContext, value: Any) -> tuple[Any, ...]:
    try:
        result = CEL_FIELD.new_transform(context(expr, "TRANSFORM"))(context(expr, "TRANSFORM"), field, value)
    except Exception as exc:
        return ("raised", type(exc).__name__)
    return ("value", type(result), "nan" if isinstance(result, float) and math.isnan(result) else result)


@pytest.mark.parametrize("expr", [*FIELD_RULES, "name == 'lat' ; value + 1.0", "'PII' in tags ; 'x'"])
def test_field_transforms_agree_with_the_executor(expr: str) -> None:
    program = compiled(expr, field=True)
    assert program is not None

    @SETTINGS
    @given(
        st.one_of(EDGE_VALUES, st.floats(-1000, 1000)),
        st.sampled_from(list(FieldType)),
        st.sampled_from(["lat", "lon", "city"]),
        st.sets(st.sampled_from(["PII", "GEO"])),
    )
    def check(value: Any, field_type: FieldType, name: str, tags: set[str]) -> None:
        field = FieldContext({"lat": 1.0, "city": "x"}, f"ns.R.{name}", name, field_type, tags)
        try:
            result = program.field(field, value, condition=False)
        except Fallback:
            return
        mine = ("value", type(result), "nan" if isinstance(result, float) and math.isnan(result) else result)
        assert _field_oracle(expr, field, value) == mine

    check()


def test_a_record_the_executor_cannot_convert_is_never_answered() -> None:
    program = compiled("message.s == 'a'")
    assert program is not None
    for record in ({"s": "a", "big": 2**63}, {"s": "a", "l": [{"d": datetime.timedelta(days=999_999_999)}]}):
        assert oracle("message.s == 'a'", record)[0] == "raised"
        with pytest.raises(Fallback):
            program.condition(record)
    assert program.condition({"s": "a", "u": uuid.uuid4(), "t": datetime.date(2026, 1, 1)}) is True
