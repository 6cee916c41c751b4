"""The WRITE phase memo and Flux's field walk: the same outcome as running every rule, cheaper."""

from __future__ import annotations

import copy
import json
from typing import Any
from uuid import UUID

import pytest
from confluent_kafka.schema_registry.common.avro import transform as confluent_walk
from confluent_kafka.schema_registry.schema_registry_client import Rule
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY

import flux.serde.contract_rules as contract_rules
from flux.contracts import NewsUpdated, WeatherUpdated
from flux.schema_tools.examples import example_datum
from flux.serde import RuleViolation
from flux.serde.contract_rules import ContractRules
from flux.serde.write_memo import WriteMemo, write_memo_for


def weather_datum(n: int = 0, **data: Any) -> dict[str, Any]:
    datum = example_datum(json.loads(WeatherUpdated.SCHEMA_TEXT))
    datum["error"] = None
    datum["event_id"] = UUID(int=n)
    datum["correlation_id"] = f"c-{n}"
    datum["data"].update({"country": "DE", "lat": 28.6139, "lon": 77.209, **data})
    return datum


def fresh_rules(*, memo: bool) -> ContractRules:
    rules = ContractRules(WeatherUpdated)
    if not memo:
        rules._write_memo = None  # the phase runs in full every time
    return rules


def rule(**fields: Any) -> Rule:
    return Rule.from_dict({"name": "r", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", **fields})


def no_top_fields(tags: Any) -> list[str]:
    return ["data"]


@pytest.mark.parametrize(
    "rules",
    [
        [rule(expr="message.a > now")],  # reads the clock
        [rule(expr="size(message) > 1")],  # reads the whole message
        [rule(type="JSONATA", kind="TRANSFORM", expr="$")],
        [rule(kind="TRANSFORM", expr="message")],
        [rule(expr="message.a > 1", onSuccess="DLQ")],
        [rule(type="CEL_FIELD", kind="TRANSFORM", expr="value")],  # no tags: every field
        [rule(type="CEL_FIELD", kind="TRANSFORM", expr="message.a", tags=["PII"])],
    ],
)
def test_a_phase_whose_outcome_may_depend_on_more_than_named_fields_is_not_memoised(
    rules: list[Rule],
) -> None:
    assert write_memo_for(rules, no_top_fields) is None


def test_conditions_and_tagged_field_rules_are_memoised_by_the_fields_they_reach() -> None:
    rules = [
        rule(expr="message.status == 'ok'"),
        rule(type="CEL_FIELD", kind="TRANSFORM", expr="value", tags=["PII"]),
        rule(expr="message.b > 1", disabled=True),  # does not run
        rule(expr="message.c > 1", mode="READ"),  # not on WRITE
    ]
    memo = write_memo_for(rules, no_top_fields)
    assert memo is not None
    assert (memo.reads, memo.transforms) == (("data", "status"), ("data",))


def test_records_differing_only_in_their_envelope_are_answered_from_the_memo_with_the_same_outcome() -> None:
    memoised, plain = fresh_rules(memo=True), fresh_rules(memo=False)
    for n in range(20):
        got = memoised.write(weather_datum(n, lat=1.23456))
        assert got == plain.write(weather_datum(n, lat=1.23456))
        assert got["data"]["lat"] == 1.23  # the field rule's transform, recalled
        assert got["event_id"] == UUID(int=n)  # the record's own envelope
    memo = memoised._write_memo
    assert isinstance(memo, WriteMemo)
    assert memo.hits == 19
    memoised.write(weather_datum(99, lat=2.0))  # other content: the rules run
    assert memo.hits == 19


def _violations(rule_name: str) -> float:
    labels = {"subject": WeatherUpdated.SUBJECT, "rule": rule_name, "action": "DLQ"}
    return REGISTRY.get_sample_value("flux_serde_contract_violations_total", labels) or 0.0


def test_a_record_that_breaks_a_rule_is_refused_every_time() -> None:
    rules = fresh_rules(memo=True)
    for n in range(3):
        with pytest.raises(RuleViolation, match="humidityInRange"):
            rules.write(weather_datum(n, humidity_pct=-3))
    memo = rules._write_memo
    assert isinstance(memo, WriteMemo) and memo.hits == 0


def test_a_record_replayed_past_a_rule_skips_the_memo_and_that_rule() -> None:
    rules = fresh_rules(memo=True)
    rules.write(weather_datum(1, humidity_pct=50))  # remembered as passing
    headers = [("__rule.name", b"humidityInRange")]
    assert rules.write(weather_datum(2, humidity_pct=-3), headers)["data"]["humidity_pct"] == -3
    with pytest.raises(RuleViolation):
        rules.write(weather_datum(3, humidity_pct=-3))


def test_the_memo_is_bounded() -> None:
    memo = WriteMemo(("a",), (), capacity=4)
    for n in range(10):
        memo.remember(memo.key({"a": n}), {"a": n})
    assert len(memo._outcomes) <= 4


def test_news_outcomes_are_memoised_too() -> None:
    rules = ContractRules(NewsUpdated)
    datum = example_datum(json.loads(NewsUpdated.SCHEMA_TEXT))
    for article in datum["articles"]:
        article.update(url="https://news.example/a", image_url="https://img.example/a.png")
    rules.write(copy.deepcopy(datum))
    rules.write(copy.deepcopy(datum))
    memo = rules._write_memo
    assert isinstance(memo, WriteMemo) and memo.hits == 1


@settings(max_examples=200, deadline=None)
@given(
    lat=st.floats(min_value=-90, max_value=90, allow_nan=False),
    lon=st.floats(min_value=-180, max_value=180, allow_nan=False),
    shape=st.sampled_from(["data", "error", "both-null"]),
)
def test_flux_walk_transforms_exactly_as_confluent_kafkas(lat: float, lon: float, shape: str) -> None:
    datum = weather_datum(0, lat=lat, lon=lon)
    if shape == "error":
        datum.update(status="error", data=None, error={"code": "x", "message": "y", "retryable": False})
    elif shape == "both-null":
        datum.update(data=None)
    outcomes = []
    for walk in (contract_rules.walk, confluent_walk):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(contract_rules, "walk", walk)
            try:
                outcomes.append(("ok", fresh_rules(memo=False).write(copy.deepcopy(datum))))
            except RuleViolation as violation:
                outcomes.append(("refused", violation.rule))
    assert outcomes[0] == outcomes[1]
