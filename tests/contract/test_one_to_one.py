"""(a) Catalogue ⇔ schemas ⇔ generated classes are one-to-one."""

from __future__ import annotations

import json

from flux.catalogue import TopicKind, load_catalogue
from flux.contracts import AVRO_CONTRACTS, PROTOBUF_CONTRACTS, contract_for
from flux.contracts.generated import TOPIC_OF_MODULE
from flux.paths import schemas_dir
from flux.schema_tools.subjects import SchemaFormat, load_subjects
from flux.serde.contract_schema import contract_schema

SCHEMA_TOPICS = {
    t.name for t in load_catalogue().of_kind(TopicKind.COMMAND, TopicKind.EVENT, TopicKind.STREAM)
}


def test_every_schema_carrying_topic_has_exactly_one_subject() -> None:
    topics = [s.topic for s in load_subjects().subjects]
    assert sorted(topics) == sorted(SCHEMA_TOPICS)
    assert all(s.subject == load_catalogue().topic(s.topic).subject for s in load_subjects().subjects)


def test_internal_and_dead_letter_topics_have_no_contract() -> None:
    for topic in load_catalogue().of_kind(TopicKind.INTERNAL, TopicKind.DEAD_LETTER):
        assert topic.name not in AVRO_CONTRACTS and topic.name not in PROTOBUF_CONTRACTS


def test_every_subject_has_exactly_one_class_generated_from_its_latest_version() -> None:
    assert set(AVRO_CONTRACTS) | set(PROTOBUF_CONTRACTS) == SCHEMA_TOPICS
    assert not set(AVRO_CONTRACTS) & set(PROTOBUF_CONTRACTS)
    for subject in load_subjects().subjects:
        contract = contract_for(subject.topic)
        coordinates = contract_schema(contract)
        assert (coordinates.topic, coordinates.subject) == (subject.topic, subject.subject)
        assert coordinates.text == subject.latest.text
        if subject.format is SchemaFormat.AVRO:
            assert subject.topic in AVRO_CONTRACTS
            assert subject.latest.number == contract.SCHEMA_VERSION  # type: ignore[union-attr]
            assert json.loads(contract.SCHEMA_TEXT) == subject.latest.avro_json()  # type: ignore[union-attr]
        else:
            assert subject.topic in PROTOBUF_CONTRACTS


def test_generated_modules_match_subjects() -> None:
    assert {s.module_name: s.topic for s in load_subjects().subjects} == TOPIC_OF_MODULE


def test_every_schema_file_belongs_to_a_subject() -> None:
    known = {v.path.resolve() for s in load_subjects().subjects for v in s.versions}
    files = {p.resolve() for p in schemas_dir().glob("avro/**/*.avsc")} | {
        p.resolve() for p in schemas_dir().glob("proto/**/*.proto")
    }
    assert files == known, f"schema files not listed in schemas/compatibility.yaml: {sorted(files - known)}"


def test_avro_namespaces_follow_the_topic_domain() -> None:
    for subject in load_subjects().subjects:
        if subject.format is SchemaFormat.AVRO:
            domain = load_catalogue().topic(subject.topic).domain
            for version in subject.versions:
                assert version.avro_json()["namespace"] == f"flux.{domain}", version.relative_path
