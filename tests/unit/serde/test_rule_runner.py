"""The rule runner: each rule kind and action, Confluent's ordering, modes, disabled rules, params,
DLQ replay, and rules whose expression is bad or whose type has no executor."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema
from confluent_kafka.schema_registry.common.avro import transform
from confluent_kafka.schema_registry.schema_registry_client import Rule, RuleKind, RuleMode, RuleSet
from confluent_kafka.schema_registry.serde import RuleContext, RuleExecutor
from fastavro import parse_schema
from fastavro.schema import expand_schema

from flux.serde import RuleViolation
from flux.serde.rule_executors import RuleExecutors, memo_fields
from flux.serde.rule_runner import RuleRunner, rules_for

SUBJECT = "t-value"
AVRO = '{"type":"record","name":"R","fields":[{"name":"n","type":"int"},{"name":"s","type":"string"}]}'


def rule(
    name: str,
    expr: str,
    *,
    kind: str = "CONDITION",
    mode: str = "WRITE",
    type_: str = "CEL",
    on_success: str | None = None,
    on_failure: str | None = None,
    disabled: bool = False,
    params: dict[str, str] | None = None,
) -> Rule:
    return Rule.from_dict(
        {
            "name": name,
            "kind": kind,
            "mode": mode,
            "type": type_,
            "expr": expr,
            "disabled": disabled,
            **({"onSuccess": on_success} if on_success else {}),
            **({"onFailure": on_failure} if on_failure else {}),
            **({"params": params} if params else {}),
        }
    )


def target(*domain: Rule, migration: tuple[Rule, ...] = ()) -> Schema:
    return Schema(AVRO, "AVRO", rule_set=RuleSet(list(migration) or None, list(domain) or None))


def run(mode: str, schema: Schema, message: Any, *, source: Schema | None = None, **kwargs: Any) -> Any:
    return RuleRunner().run(
        subject=SUBJECT,
        topic="t",
        mode=RuleMode(mode),
        source=source,
        target=schema,
        message=message,
        **kwargs,
    )


class Recorder(RuleExecutor):
    """A TRANSFORM executor of type TEST that appends the rule's name to message['trail']."""

    def type(self) -> str:
        return "TEST"

    def transform(self, ctx: RuleContext, message: Any) -> Any:
        return {**message, "trail": [*message.get("trail", []), ctx.rule.name]}


def recording_runner() -> RuleRunner:
    executors = RuleExecutors()
    executors._executors["TEST"] = Recorder()  # a test double in the runner's own registry
    return RuleRunner(executors)


def test_a_passing_condition_lets_the_message_through_unchanged() -> None:
    message = {"n": 5, "s": "x"}
    assert run("WRITE", target(rule("positive", "message.n > 0")), message) == message


@pytest.mark.parametrize(
    ("on_failure", "action"), [(None, "ERROR"), ("ERROR", "ERROR"), ("DLQ", "DLQ"), ("CUSTOM", "CUSTOM")]
)
def test_a_failing_condition_raises_with_its_action(on_failure: str | None, action: str) -> None:
    with pytest.raises(RuleViolation) as raised:
        run("WRITE", target(rule("positive", "message.n > 0", on_failure=on_failure)), {"n": -1, "s": "x"})
    violation = raised.value
    assert (violation.subject, violation.rule, violation.action) == (SUBJECT, "positive", action)
    assert (violation.kind, violation.mode) == ("CONDITION", "WRITE")


def test_on_failure_none_lets_a_failing_record_through() -> None:
    message = {"n": -1, "s": "x"}
    assert run("WRITE", target(rule("positive", "message.n > 0", on_failure="NONE")), message) == message


def test_on_success_action_runs_when_the_rule_holds() -> None:
    with pytest.raises(RuleViolation) as raised:
        run("WRITE", target(rule("flag", "message.n > 0", on_success="DLQ")), {"n": 1, "s": "x"})
    assert raised.value.action == "DLQ"


def test_the_violation_carries_the_rules_doc_as_its_reason() -> None:
    documented = Rule.from_dict({**rule("positive", "message.n > 0").to_dict(), "doc": "n is positive"})
    with pytest.raises(RuleViolation, match="n is positive") as raised:
        run("WRITE", target(documented), {"n": 0, "s": "x"})
    assert raised.value.reason == "n is positive"


@pytest.mark.parametrize(("mode", "action"), [("WRITE", "DLQ"), ("READ", "ERROR")])
def test_a_paired_action_gives_write_its_first_part_and_read_its_second(mode: str, action: str) -> None:
    both = rule("positive", "message.n > 0", mode="WRITEREAD", on_failure="DLQ,ERROR")
    with pytest.raises(RuleViolation) as raised:
        run(mode, target(both), {"n": 0, "s": "x"})
    assert raised.value.action == action


@pytest.mark.parametrize(
    ("rule_mode", "ran_on"),
    [("WRITE", {"WRITE"}), ("READ", {"READ"}), ("WRITEREAD", {"WRITE", "READ"})],
)
def test_a_rule_runs_only_in_its_modes(rule_mode: str, ran_on: set[str]) -> None:
    failing = rule("never", "false", mode=rule_mode)
    for mode in ("WRITE", "READ"):
        if mode in ran_on:
            with pytest.raises(RuleViolation):
                run(mode, target(failing), {"n": 1, "s": "x"})
        else:
            assert run(mode, target(failing), {"n": 1, "s": "x"}) == {"n": 1, "s": "x"}


def test_domain_rules_do_not_run_while_migrating() -> None:
    assert run("UPGRADE", target(rule("never", "false", mode="WRITEREAD")), {"n": 1}) == {"n": 1}


def test_a_disabled_rule_is_skipped() -> None:
    assert run("WRITE", target(rule("never", "false", disabled=True)), {"n": 1, "s": "x"}) == {
        "n": 1,
        "s": "x",
    }


def test_a_record_replayed_from_a_dlq_skips_the_rule_that_parked_it() -> None:
    schema = target(rule("never", "false"), rule("other", "message.n > 0"))
    headers = [("__rule.name", b"never")]
    assert run("WRITE", schema, {"n": 1, "s": "x"}, headers=headers) == {"n": 1, "s": "x"}
    with pytest.raises(RuleViolation, match="other"):
        run("WRITE", schema, {"n": 0, "s": "x"}, headers=headers)


def test_write_runs_rules_in_order_and_read_in_reverse() -> None:
    rules = [rule(name, "", kind="TRANSFORM", mode="WRITEREAD", type_="TEST") for name in ("a", "b", "c")]
    runner = recording_runner()
    common = {"subject": SUBJECT, "topic": "t", "source": None, "target": target(*rules)}
    assert runner.run(mode=RuleMode.WRITE, message={}, **common)["trail"] == ["a", "b", "c"]
    assert runner.run(mode=RuleMode.READ, message={}, **common)["trail"] == ["c", "b", "a"]


def test_upgrade_takes_the_targets_migration_rules_and_downgrade_the_sources_reversed() -> None:
    migration = tuple(rule(n, "", kind="TRANSFORM", mode="UPDOWN", type_="TEST") for n in ("m1", "m2"))
    newer = target(migration=migration)
    older = target()
    runner = recording_runner()
    up = runner.run(subject=SUBJECT, topic="t", mode=RuleMode.UPGRADE, source=older, target=newer, message={})
    down = runner.run(
        subject=SUBJECT, topic="t", mode=RuleMode.DOWNGRADE, source=newer, target=older, message={}
    )
    assert up["trail"] == ["m1", "m2"]
    assert down["trail"] == ["m2", "m1"]
    assert [r.name for r in rules_for(RuleMode.DOWNGRADE, newer, older)] == ["m2", "m1"]


def test_a_transform_replaces_the_message_and_later_conditions_see_the_result() -> None:
    coarsen = rule(
        "coarsen",
        "typeName == 'INT' ; value - value % 10",
        kind="TRANSFORM",
        type_="CEL_FIELD",
    )
    check = rule("isRound", "message.n % 10 == 0")

    expanded = expand_schema(
        parse_schema(
            {
                "type": "record",
                "name": "R",
                "fields": [{"name": "n", "type": "int"}, {"name": "s", "type": "string"}],
            }
        )
    )

    def transformer(ctx: Any, field_transform: Any, message: Any) -> Any:
        return transform(ctx, expanded, message, field_transform)

    result = run("WRITE", target(coarsen, check), {"n": 47, "s": "x"}, field_transformer=transformer)
    assert result == {"n": 40, "s": "x"}


def test_an_expression_that_fails_to_evaluate_is_the_rules_failure() -> None:
    with pytest.raises(RuleViolation) as raised:
        run("WRITE", target(rule("typo", "message.missing_field > 0", on_failure="DLQ")), {"n": 1, "s": "x"})
    assert raised.value.action == "DLQ" and "CELEvalError" in raised.value.reason


def test_an_expression_that_does_not_parse_fails_the_rule() -> None:
    with pytest.raises(RuleViolation, match="bad"):
        run("WRITE", target(rule("bad", "message.n >")), {"n": 1, "s": "x"})


def test_a_rule_type_without_executor_fails_with_its_on_failure_action() -> None:
    with pytest.raises(RuleViolation, match="no executor") as raised:
        run("WRITE", target(rule("exotic", "x", type_="ENCRYPT", on_failure="DLQ")), {"n": 1})
    assert raised.value.action == "DLQ"


def test_a_guarded_cel_rule_passes_when_its_guard_is_false() -> None:
    guarded = rule("onlyBig", "message.n > 100 ; message.s == 'big'")
    assert run("WRITE", target(guarded), {"n": 5, "s": "small"}) == {"n": 5, "s": "small"}
    with pytest.raises(RuleViolation):
        run("WRITE", target(guarded), {"n": 500, "s": "small"})


def test_rule_params_reach_the_executor_through_the_rule_context() -> None:
    seen: list[str | None] = []

    class ParamReader(Recorder):
        def transform(self, ctx: RuleContext, message: Any) -> Any:
            seen.append(ctx.get_parameter("limit"))
            return message

    executors = RuleExecutors()
    executors._executors["TEST"] = ParamReader()
    with_param = rule("p", "", kind="TRANSFORM", type_="TEST", params={"limit": "10"})
    RuleRunner(executors).run(
        subject=SUBJECT, topic="t", mode=RuleMode.WRITE, source=None, target=target(with_param), message={}
    )
    assert seen == ["10"]


def test_memo_fields_finds_the_fields_a_condition_reads() -> None:
    assert memo_fields("message.data == null || message.data.x > 0") == ("data",)
    assert memo_fields("message.coins.all(c, c.price > 0) && message.quote_currency != ''") == (
        "coins",
        "quote_currency",
    )
    assert memo_fields("message.at < now") is None
    assert memo_fields("size(message) > 2") is None


def test_remembered_verdicts_are_the_evaluated_ones() -> None:
    executors = RuleExecutors()
    runner = RuleRunner(executors)
    schema = target(rule("positive", "message.n > 0"))
    for _ in range(3):
        assert runner.run(
            subject=SUBJECT,
            topic="t",
            mode=RuleMode.WRITE,
            source=None,
            target=schema,
            message={"n": 1, "s": "a"},
        ) == {"n": 1, "s": "a"}
        with pytest.raises(RuleViolation):
            runner.run(
                subject=SUBJECT,
                topic="t",
                mode=RuleMode.WRITE,
                source=None,
                target=schema,
                message={"n": 0, "s": "a"},
            )
    assert executors.memo is not None and len(executors.memo._verdicts) == 2


def test_rule_kind_and_mode_names_are_confluents() -> None:
    violation_rule = rule("x", "false", kind="CONDITION", mode="WRITEREAD")
    assert violation_rule.kind == RuleKind.CONDITION and violation_rule.mode == RuleMode.WRITEREAD


def test_frozen_maps_and_tuples_are_remembered_too() -> None:
    runner = RuleRunner()
    schema = target(rule("hasS", "size(message.s) > 0 && size(message.m) == 0"))
    message = {"n": 1, "s": "x", "m": MappingProxyType({}), "t": ()}
    assert (
        runner.run(
            subject=SUBJECT, topic="t", mode=RuleMode.WRITE, source=None, target=schema, message=message
        )
        == message
    )
