"""The rules files beside the schemas: their format, the gate's checks of them, and registration
with a registry that keeps rule sets and one that drops them."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from flux.paths import project_root
from flux.schema_tools.contracts import CONTRACT_VERSION_PROPERTY, DataContractError, parse_data_contracts
from flux.schema_tools.gate import check_history
from flux.schema_tools.registration import RegistrationStatus, register_subject
from flux.schema_tools.subjects import POLICY_FILE, SubjectsError, load_subjects, parse_subjects

WEATHER_RULES = Path("schemas/avro/weather/weather_updated.rules.yaml")
NEWS_RULES = Path("schemas/avro/news/news_updated.rules.yaml")


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(project_root() / "schemas", tmp_path / "schemas")
    return tmp_path


def _edit(root: Path, relative: Path, change: Any) -> None:
    path = root / relative
    body = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(body)
    path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")


def _problems(root: Path) -> str:
    history = parse_subjects((root / POLICY_FILE).read_text(encoding="utf-8"), root)
    return "\n".join(str(p) for p in check_history(history))


def test_every_version_carries_its_metadata_and_rules() -> None:
    weather = load_subjects().subject("weather.service.event.updated-value")
    v1, v2 = weather.versions
    assert v1.metadata is not None and v1.metadata["properties"][CONTRACT_VERSION_PROPERTY] == "1"
    assert v2.metadata is not None and v2.metadata["properties"][CONTRACT_VERSION_PROPERTY] == "2"
    assert v1.metadata["tags"]["flux.weather.WeatherObservation.lat"] == ["PII"]
    assert v1.rule_set is not None and "migrationRules" not in v1.rule_set
    assert v2.rule_set is not None
    assert [r["mode"] for r in v2.rule_set["migrationRules"]] == ["UPGRADE", "DOWNGRADE"]
    assert v1.rule_set["domainRules"] == v2.rule_set["domainRules"]
    assert weather.rules_path is not None and weather.rules_path.name == "weather_updated.rules.yaml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("domainRules: [{name: a, kind: CONDITION, mode: UPGRADE, type: CEL, expr: 'true'}]", "mode"),
        ("domainRules: [{name: a, kind: CHECK, mode: WRITE, type: CEL, expr: 'true'}]", "kind"),
        ("domainRules: [{kind: CONDITION, mode: WRITE, type: CEL}]", "'name' is required"),
        ("domainRules: [{name: a, kind: CONDITION, mode: WRITE, type: CEL, colour: red}]", "unknown keys"),
        ("versions: {3: {migrationRules: []}}", "no schema version 3"),
        ("metadata: {tags: {a.b: PII}}", "list of tags"),
        (
            "domainRules: [{name: a, kind: CONDITION, mode: WRITE, type: CEL}]\n"
            "versions: {1: {migrationRules: [{name: a, kind: TRANSFORM, mode: UPGRADE, type: JSONATA}]}}",
            "duplicate rule names",
        ),
    ],
)
def test_malformed_rules_files_are_refused_with_the_file_and_entry(text: str, message: str) -> None:
    with pytest.raises(DataContractError, match=message) as raised:
        parse_data_contracts(text, "x.rules.yaml", [1])
    assert "x.rules.yaml" in str(raised.value)


def test_a_malformed_rules_file_is_a_subjects_error(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / WEATHER_RULES).write_text("domainRules: {not: a list}\n", encoding="utf-8")
    with pytest.raises(SubjectsError, match=r"weather_updated\.rules\.yaml"):
        parse_subjects((root / POLICY_FILE).read_text(encoding="utf-8"), root)


def test_a_bad_cel_expression_fails_the_gate_with_file_rule_and_position(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root, NEWS_RULES, lambda b: b["domainRules"][0].update(expr="message.articles.all(a, a.url >)"))
    text = _problems(root)
    assert "news.service.event.updated-value v1 (schemas/avro/news/news_updated.rules.yaml)" not in text
    assert "news_updated.rules.yaml" in text
    assert "rule 'articleUrlsAbsoluteHttps'" in text
    assert "line 1, column 32" in text


def test_a_bad_jsonata_expression_fails_the_gate_with_its_position(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root, WEATHER_RULES, lambda b: b["versions"][2]["migrationRules"][0].update(expr="$merge([$, {"))
    text = _problems(root)
    assert "weather.service.event.updated-value v2" in text
    assert "rule 'addFeelsLike': JSONata does not compile at position" in text


def test_a_migration_that_breaks_the_target_schema_fails_the_gate(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(
        root,
        WEATHER_RULES,
        lambda b: b["versions"][2]["migrationRules"][1].update(expr="$merge([$, {'data': 5}])"),
    )
    text = _problems(root)
    assert "DOWNGRADE v2 -> v1 (dropFeelsLike) does not give a valid v1 record" in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.update(type="ENCRYPT"), "has no executor in Flux"),
        (lambda r: r.update(onFailure="PAGE"), "unknown action 'PAGE'"),
        (lambda r: r.update(mode="WRITE", onFailure="DLQ,ERROR"), "paired actions only"),
        (lambda r: r.update(name="9lives"), "starting with a letter"),
    ],
)
def test_rules_confluent_or_flux_would_refuse_fail_the_gate(
    tmp_path: Path, change: Any, message: str
) -> None:
    root = _copy(tmp_path)
    _edit(root, NEWS_RULES, lambda b: change(b["domainRules"][1]))
    assert message in _problems(root)


def test_a_dlq_rule_needs_the_catalogues_dead_letter_topic(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root, NEWS_RULES, lambda b: b["metadata"]["properties"].update({"dlq.topic": "elsewhere"}))
    assert "dlq.topic must be 'news.service.event.updated.dlq' (found 'elsewhere')" in _problems(root)


def test_tag_paths_must_name_fields(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(
        root,
        WEATHER_RULES,
        lambda b: b["metadata"]["tags"].update({"flux.weather.WeatherObservation.latt": ["PII"]}),
    )
    assert "metadata tag path 'flux.weather.WeatherObservation.latt' names no field" in _problems(root)


def test_version_one_cannot_have_migration_rules(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root, WEATHER_RULES, lambda b: b["versions"].update({1: b["versions"][2]}))
    assert "version 1 has no previous version to migrate from" in _problems(root)


def _mock(name: str) -> SchemaRegistryClient:
    client = SchemaRegistryClient.new_client({"url": f"mock://{name}"})
    client.set_compatibility = lambda subject, level: {"compatibility": level}  # the mock has no config API
    return client


class DroppingRegistry:
    """Wraps confluent-kafka's mock registry; registers and looks up as Confluent's Community edition
    does with rule sets: it strips them."""

    def __init__(self, inner: SchemaRegistryClient) -> None:
        self.inner = inner

    @staticmethod
    def _strip(schema: Schema) -> Schema:
        return Schema(schema.schema_str, schema.schema_type, schema.references, schema.metadata, None)

    def register_schema(self, subject: str, schema: Schema) -> int:
        return int(self.inner.register_schema(subject, self._strip(schema)))

    def lookup_schema(self, subject: str, schema: Schema) -> Any:
        return self.inner.lookup_schema(subject, self._strip(schema))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_registration_sends_each_versions_contract() -> None:
    client = _mock("register-contracts")
    weather = load_subjects().subject("weather.service.event.updated-value")
    lines: list[str] = []
    rows = register_subject(client, weather, lines.append)
    assert [r.status for r in rows] == [RegistrationStatus.REGISTERED] * 2
    latest = client.get_latest_version(weather.subject).schema
    assert latest.rule_set is not None and len(latest.rule_set.migration_rules) == 2
    assert latest.metadata.properties.properties[CONTRACT_VERSION_PROPERTY] == "2"
    assert "8 rule(s)" in lines[1] and "10 rule(s)" in lines[2]
    again = register_subject(client, weather, lines.append)
    assert [r.status for r in again] == [RegistrationStatus.EXISTS] * 2


def test_registration_says_so_when_the_registry_dropped_the_rules() -> None:
    client = DroppingRegistry(_mock("register-dropped"))
    weather = load_subjects().subject("weather.service.event.updated-value")
    lines: list[str] = []
    rows = register_subject(client, weather, lines.append)  # type: ignore[arg-type]
    assert [r.status for r in rows] == [RegistrationStatus.RULES_DROPPED] * 2
    assert all(r.ok for r in rows)
    assert "dropped the ruleSet" in lines[1] and "enforce their generated rules anyway" in lines[1]


def test_an_old_version_registered_without_contracts_is_left_alone() -> None:
    client = _mock("register-old")
    weather = load_subjects().subject("weather.service.event.updated-value")
    for version in weather.versions:
        client.register_schema(weather.subject, Schema(version.text, "AVRO"))
    rows = register_subject(client, weather, lambda _: None)
    assert rows[0].status is RegistrationStatus.EXISTS and "keeps none" in rows[0].message
    assert rows[1].status is RegistrationStatus.REGISTERED
    assert client.get_latest_version(weather.subject).version == 3
