"""Data-contract values: parsing, Confluent's rule-set validation (its messages), merging, the
completion of a registration's metadata and rules, and config updates. Table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from flux.registry.core.data_contracts import complete_contracts
from flux.registry.core.errors import RegistryError
from flux.registry.core.metadata import Metadata, merge_metadata
from flux.registry.core.model import StoredSchema
from flux.registry.core.requests import MAX_METADATA_BYTES, config_update, schema_request
from flux.registry.core.rules import InvalidRuleSetError, Rule, RuleMode, RuleSet, merge_rule_sets
from flux.registry.core.subject_config import LEVEL_UPDATE_KEY, SubjectConfig
from flux.schemas.types import SchemaType


def rule(name: str | None = "r", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "CEL", "expr": "true", **extra}
    if name is not None:
        body["name"] = name
    return body


def props(**values: str) -> Metadata:
    return Metadata.of_properties(values.items())


# ---------------------------------------------------------------------- rule-set validation
@pytest.mark.parametrize(
    ("rule_set", "message"),
    [
        ({"domainRules": [rule(None)]}, "Missing rule name"),
        ({"domainRules": [rule("")]}, "Empty rule name"),
        ({"domainRules": [rule("x" * 65)]}, "Rule name too long"),
        ({"domainRules": [rule("1abc")]}, "Illegal initial character in rule name: 1abc"),
        ({"domainRules": [rule("a b")]}, "Illegal character in rule name: a b"),
        ({"domainRules": [{"name": "r", "expr": "true"}]}, "Missing rule type"),
        (
            {"domainRules": [rule(mode="WRITE", onFailure="ERROR,NONE")]},
            "Multiple actions only valid with WRITEREAD and UPDOWN",
        ),
        ({"migrationRules": [rule(mode="WRITE")]}, "Migration rules can only be UPGRADE, DOWNGRADE, UPDOWN"),
        # a rule without a mode is WRITEREAD: not a migration mode
        ({"migrationRules": [rule()]}, "Migration rules can only be UPGRADE, DOWNGRADE, UPDOWN"),
        ({"domainRules": [rule(mode="UPGRADE")]}, "Domain rules can only be WRITE, READ, WRITEREAD"),
        ({"encodingRules": [rule(mode="UPDOWN")]}, "Encoding rules can only be WRITE, READ, WRITEREAD"),
        (
            {"migrationRules": [rule("same", mode="UPGRADE")], "domainRules": [rule("same")]},
            "Found rule with duplicate name 'same'",
        ),
    ],
)
def test_rule_set_validation_messages(rule_set: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRuleSetError) as raised:
        RuleSet.from_json(rule_set).validate()
    assert str(raised.value) == message
    # through a registration request: 42210 with the same message
    with pytest.raises(RegistryError) as answered:
        schema_request({"schema": '"string"', "ruleSet": rule_set}, register=True)
    assert (answered.value.http_status, answered.value.error_code) == (422, 42210)
    assert answered.value.message == message


@pytest.mark.parametrize(
    "rule_set",
    [
        {"domainRules": [rule("_x-1", kind="CONDITION", mode="WRITEREAD", onFailure="NONE,ERROR")]},
        {
            "migrationRules": [rule("up", mode="UPDOWN", onSuccess="NONE,NONE")],
            "encodingRules": [rule("enc")],
        },
        {"domainRules": [rule("é_ü9")]},
        {},
    ],
)
def test_valid_rule_sets(rule_set: dict[str, Any]) -> None:
    RuleSet.from_json(rule_set).validate()


@pytest.mark.parametrize(
    "rule_set",
    [
        "not an object",
        {"domainRules": {}},
        {"domainRules": [5]},
        {"domainRules": [rule(kind="FILTER")]},
        {"domainRules": [rule(mode="write")]},  # enum names are case-sensitive, as in Jackson
        {"domainRules": [rule(params=[1])]},
        {"domainRules": [rule(tags="PII")]},
        {"domainRules": [rule(disabled="yes")]},
        {"domainRules": [rule(expr={"a": 1})]},
    ],
)
def test_rule_set_shape_errors_are_400(rule_set: Any) -> None:
    with pytest.raises(RegistryError) as answered:
        schema_request({"schema": '"string"', "ruleSet": rule_set})
    assert (answered.value.http_status, answered.value.error_code) == (400, 400)


def test_rule_defaults_and_confluent_json_shape() -> None:
    parsed = RuleSet.from_json(
        {"domainRules": [{"name": "r", "type": "CEL", "doc": "", "tags": ["b", "a", "a"], "unknown": 1}]}
    )
    assert parsed.domain_rules[0].mode is RuleMode.WRITEREAD
    # kind, mode and disabled always written; empty strings and collections omitted; tags sorted
    assert parsed.to_json() == {
        "domainRules": [
            {
                "name": "r",
                "kind": "TRANSFORM",
                "mode": "WRITEREAD",
                "type": "CEL",
                "tags": ["a", "b"],
                "disabled": False,
            }
        ]
    }


# ---------------------------------------------------------------------- metadata
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({}, {}),
        ({"properties": {"b": "2", "a": 1, "c": True}}, {"properties": {"a": "1", "b": "2", "c": "true"}}),
        ({"tags": {"$.b": ["Y", "X"], "$.a": []}}, {"tags": {"$.a": [], "$.b": ["X", "Y"]}}),
        ({"sensitive": ["s2", "s1", "s1"], "extra": {"ignored": True}}, {"sensitive": ["s1", "s2"]}),
    ],
)
def test_metadata_parsing_sorts_and_coerces(raw: dict[str, Any], expected: dict[str, Any]) -> None:
    assert Metadata.from_json(raw).to_json() == expected


@pytest.mark.parametrize(
    "raw",
    [
        [],
        {"properties": []},
        {"properties": {"a": None}},
        {"properties": {"a": {}}},
        {"tags": {"p": "x"}},
        {"sensitive": "x"},
    ],
)
def test_metadata_shape_errors_are_400(raw: Any) -> None:
    with pytest.raises(RegistryError) as answered:
        schema_request({"schema": '"string"', "metadata": raw})
    assert answered.value.error_code == 400


def test_oversized_metadata_is_42209() -> None:
    big = {"properties": {"k": "v" * MAX_METADATA_BYTES}}
    with pytest.raises(RegistryError) as answered:
        schema_request({"schema": '"string"', "metadata": big}, register=True)
    assert (answered.value.http_status, answered.value.error_code) == (422, 42209)
    assert "too large" in answered.value.message


# ---------------------------------------------------------------------- merging
ONE = Metadata(tags=(("$.a", ("A",)),), properties=(("k", "1"), ("old", "o")), sensitive=("s1",))
TWO = Metadata(tags=(("$.a", ("B",)), ("$.b", ("C",))), properties=(("k", "2"),), sensitive=("s2",))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (None, None, None),
        (None, ONE, ONE),
        (ONE, None, ONE),
        (ONE, Metadata(), ONE),
        (
            ONE,
            TWO,
            Metadata(
                tags=(("$.a", ("B",)), ("$.b", ("C",))),
                properties=(("k", "2"), ("old", "o")),
                sensitive=("s1", "s2"),
            ),
        ),
    ],
)
def test_merge_metadata(old: Metadata | None, new: Metadata | None, expected: Metadata | None) -> None:
    assert merge_metadata(old, new) == expected


R1, R2, R1_NEW = Rule("r1", type="CEL"), Rule("r2", type="CEL"), Rule("r1", type="CEL", expr="false")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (None, RuleSet((), (R1,)), RuleSet((), (R1,))),
        (RuleSet((), (R1,)), None, RuleSet((), (R1,))),
        (RuleSet((), (R1, R2)), RuleSet((), (R1_NEW,)), RuleSet((), (R2, R1_NEW))),
        (RuleSet((), (R1,)), RuleSet((), (), (R2,)), RuleSet((), (R1,), (R2,))),
    ],
)
def test_merge_rule_sets(old: RuleSet | None, new: RuleSet | None, expected: RuleSet | None) -> None:
    assert merge_rule_sets(old, new) == expected


PREVIOUS = StoredSchema(
    1, SchemaType.AVRO, '"string"', metadata=props(owner="a"), rule_set=RuleSet((), (R1,))
)


@pytest.mark.parametrize(
    ("config", "metadata", "previous", "version_given", "expected"),
    [
        (SubjectConfig(), props(x="1"), PREVIOUS, False, props(x="1")),
        (SubjectConfig(), None, PREVIOUS, False, props(owner="a")),
        (SubjectConfig(), None, None, False, None),
        (
            SubjectConfig(default_metadata=props(a="d", b="d"), override_metadata=props(a="o")),
            props(b="r", c="r"),
            None,
            False,
            props(a="o", b="r", c="r"),
        ),
        (SubjectConfig(), None, None, True, props(**{"confluent:version": "7"})),
        (
            SubjectConfig(),
            props(**{"confluent:version": "2"}),
            None,
            False,
            props(**{"confluent:version": "7"}),
        ),
        (
            SubjectConfig(),
            props(**{"confluent:version": "-1"}),
            None,
            False,
            props(**{"confluent:version": "7"}),
        ),
    ],
)
def test_complete_contracts_metadata(
    config: SubjectConfig,
    metadata: Metadata | None,
    previous: StoredSchema | None,
    version_given: bool,
    expected: Metadata | None,
) -> None:
    got, _ = complete_contracts(config, metadata, None, previous, new_version=7, version_given=version_given)
    assert got == expected


def test_complete_contracts_rules_and_lookups() -> None:
    config = SubjectConfig(default_rule_set=RuleSet((), (R2,)), override_rule_set=RuleSet((), (R1_NEW,)))
    _, rules = complete_contracts(config, None, None, PREVIOUS, new_version=2, version_given=False)
    assert rules == RuleSet((), (R2, R1_NEW))
    # lookups pass no new version: confluent:version is left alone
    metadata, _ = complete_contracts(
        SubjectConfig(), props(**{"confluent:version": "3"}), None, None, new_version=None, version_given=True
    )
    assert metadata == props(**{"confluent:version": "3"})


# ---------------------------------------------------------------------- config updates
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, SubjectConfig(compatibility="FULL", alias="a")),
        ({"compatibility": "none"}, SubjectConfig(compatibility="NONE", alias="a")),
        ({"alias": None}, SubjectConfig(compatibility="FULL")),
        ({"compatibility": None, "normalize": True}, SubjectConfig(alias="a", normalize=True)),
        ({"compatibilityLevel": "NONE"}, SubjectConfig(compatibility="FULL", alias="a")),  # not an update key
        (
            {
                "defaultMetadata": {"properties": {"o": "x"}},
                "validateFields": "true",
                "compatibilityGroup": "g",
            },
            SubjectConfig(
                compatibility="FULL",
                alias="a",
                validate_fields=True,
                compatibility_group="g",
                default_metadata=props(o="x"),
            ),
        ),
    ],
)
def test_config_update_keeps_what_is_left_out(body: dict[str, Any], expected: SubjectConfig) -> None:
    old = SubjectConfig(compatibility="FULL", alias="a")
    assert old.updated(config_update(body)) == expected


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"compatibility": "SIDEWAYS"}, 42203),
        ({"compatibility": 5}, 42203),
        ({"overrideRuleSet": {"domainRules": [rule(mode="UPGRADE")]}}, 42210),
        ({"defaultRuleSet": {"domainRules": [rule(None)]}}, 42210),
        ({"normalize": "maybe"}, 400),
        ({"defaultMetadata": "x"}, 400),
        ({"overrideMetadata": {"properties": {"k": "v" * MAX_METADATA_BYTES}}}, 42209),
    ],
)
def test_config_update_errors(body: dict[str, Any], code: int) -> None:
    with pytest.raises(RegistryError) as answered:
        config_update(body)
    assert answered.value.error_code == code


def test_config_json_shapes() -> None:
    config = SubjectConfig(alias="", normalize=False, compatibility="FULL", default_metadata=Metadata())
    assert config.to_json() == {"normalize": False, "compatibilityLevel": "FULL", "defaultMetadata": {}}
    assert config.to_json(LEVEL_UPDATE_KEY) == {
        "normalize": False,
        "compatibility": "FULL",
        "defaultMetadata": {},
    }
    assert SubjectConfig.from_json(config.to_json()) == SubjectConfig(
        normalize=False, compatibility="FULL", default_metadata=Metadata()
    )
