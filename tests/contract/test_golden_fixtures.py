"""(b) A serialized sample of every schema version, committed once, still decodes with today's classes."""

from __future__ import annotations

import pytest

from flux.contracts import TickerBatch, contract_for
from flux.schema_tools.examples import example_datum
from flux.schema_tools.subjects import SchemaFormat, SchemaVersion, SubjectHistory, load_subjects
from flux.serde import AvroCodec, ProtobufCodec
from flux.serde.contract_schema import contract_schema

from .golden import GOLDEN_ID_BASE, fixture_path, golden_bytes, golden_ticker_batch

CASES = [(s, v) for s in load_subjects().subjects for v in s.versions]
IDS = [f"{s.subject}.v{v.number}" for s, v in CASES]
HOW = "add it with `python tests/contract/golden.py` (only for a NEW version; never rewrite one)"


@pytest.mark.parametrize(("subject", "version"), CASES, ids=IDS)
def test_fixture_exists_and_history_file_is_unchanged(
    subject: SubjectHistory, version: SchemaVersion
) -> None:
    path = fixture_path(subject, version)
    assert path.exists(), f"no golden fixture for {subject.subject} v{version.number}: {HOW}"
    assert path.read_bytes() == golden_bytes(subject, version), (
        f"{version.relative_path} no longer writes the bytes it wrote when committed: "
        "a published schema version was edited (add a new version instead)"
    )


def _common(expected: object, actual: object) -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict)
        for key, value in expected.items():
            _common(value, actual[key])
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected)
        for left, right in zip(expected, actual, strict=True):
            _common(left, right)
    else:
        assert actual == expected


@pytest.mark.parametrize(("subject", "version"), CASES, ids=IDS)
def test_fixture_decodes_with_todays_class(subject: SubjectHistory, version: SchemaVersion) -> None:
    data = fixture_path(subject, version).read_bytes()
    writer_id = GOLDEN_ID_BASE + version.number
    contract = contract_for(subject.topic)
    if subject.format is SchemaFormat.PROTOBUF:
        codec = ProtobufCodec(TickerBatch, 0, contract_schema(TickerBatch).text)
        codec.learn_writer(writer_id, "PROTOBUF", version.text)
        assert codec.decode(data) == golden_ticker_batch()
        return
    avro = AvroCodec(contract, 0)  # type: ignore[type-var]
    avro.learn_writer(writer_id, "AVRO", version.text)
    decoded = avro.decode(data)
    assert type(decoded) is contract
    # Every field the old version wrote arrives with its value; newer fields take their defaults.
    _common(example_datum(version.avro_json()), decoded.to_dict())
