"""The field-wise writer: fastavro's bytes, field values remembered, rule outcomes recalled only when passed."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from fastavro import parse_schema, schemaless_writer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flux.contracts import FetchWeather, WeatherStatus, WeatherUpdated
from flux.contracts.types import AvroContract
from flux.serde import AvroCodec, RuleViolation, SchemaMismatch
from flux.serde.fieldwise import CAPACITY, FieldwiseWriter
from flux.serde.serde_core import SerdeCore

from .avro_strategies import datum_strategy
from .samples import ALL_AVRO, avro_sample


def fastavro_body(obj: Any) -> bytes:
    buffer = io.BytesIO()
    schemaless_writer(buffer, parse_schema(json.loads(obj.SCHEMA_TEXT)), obj.to_dict())
    return buffer.getvalue()


def writer(contract: type) -> FieldwiseWriter:
    found = FieldwiseWriter.for_contract(contract)
    assert found is not None, f"{contract.__name__} has no field-wise writer"
    return found


@pytest.mark.parametrize("contract", ALL_AVRO, ids=lambda c: c.__name__)
def test_every_contract_is_written_field_by_field_as_fastavro_writes_it(contract: type[AvroContract]) -> None:
    """Objects sharing field values (what the memo recalls) mixed with fresh ones, byte for byte."""
    write = writer(contract)
    schema = json.loads(contract.SCHEMA_TEXT)
    names = [f.name for f in dataclasses.fields(contract)]

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(datum_strategy(schema), min_size=2, max_size=4), st.randoms())
    def check(datums: list[dict[str, Any]], rng: Any) -> None:
        objects = [contract.from_dict(d) for d in datums]
        # hybrids: each field taken from one of the objects, so the same value objects recur
        objects += [
            dataclasses.replace(objects[0], **{n: getattr(rng.choice(objects), n) for n in names})
            for _ in range(4)
        ]
        for obj in objects + objects:
            assert write.encode(obj) == fastavro_body(obj)

    check()


def test_a_shared_observation_is_encoded_once_and_fresh_envelopes_every_time() -> None:
    event = avro_sample(WeatherUpdated)
    write = writer(WeatherUpdated)
    write.encode(event)
    data_field = next(f for f in write._fields if f.name == "data")
    assert len(data_field.memo) == 1
    for _ in range(5):
        again = dataclasses.replace(
            event, event_id=uuid4(), produced_at=datetime.now(UTC), correlation_id=uuid4()
        )
        assert write.encode(again) == fastavro_body(again)
    assert len(data_field.memo) == 1  # the same observation object: recalled, not re-encoded
    assert not next(f for f in write._fields if f.name == "event_id").memo  # UUIDs are never remembered


def test_memories_stay_bounded_under_distinct_values() -> None:
    event = avro_sample(WeatherUpdated)
    write = writer(WeatherUpdated)
    for n in range(CAPACITY * 3):
        write.encode(dataclasses.replace(event, city_key=f"city {n}"))
    assert len(next(f for f in write._fields if f.name == "city_key").memo) <= CAPACITY


def test_naive_datetimes_and_bad_values_behave_as_fastavro() -> None:
    event = avro_sample(WeatherUpdated)
    naive = dataclasses.replace(event, produced_at=datetime(2026, 12, 2, 10, 30))
    assert writer(WeatherUpdated).encode(naive) == fastavro_body(naive)
    broken = dataclasses.replace(event, snapshot_hash=42)
    with pytest.raises(SchemaMismatch, match="WeatherUpdated does not fit its schema"):
        AvroCodec(WeatherUpdated, 1).encode(broken)


def coarsening_check(calls: list[dict[str, Any]]) -> Any:
    def check(datum: dict[str, Any]) -> dict[str, Any]:
        calls.append(datum)
        if datum["data"] is not None and datum["data"]["temperature_c"] > 60:
            raise RuleViolation(
                subject="s",
                rule="temperatureInRange",
                kind="CONDITION",
                mode="WRITE",
                action="ERROR",
                reason="hot",
            )
        if datum["data"] is not None:
            datum["data"] = {**datum["data"], "lat": round(datum["data"]["lat"], 2)}
        return datum

    return check


def test_rule_outcomes_are_recalled_for_the_same_inputs_with_the_fields_as_the_rules_left_them() -> None:
    event = avro_sample(WeatherUpdated)
    event = dataclasses.replace(event, data=dataclasses.replace(event.data, lat=12.34567))
    write, calls = writer(WeatherUpdated), []
    check = coarsening_check(calls)
    reads = ("data", "error", "status")
    first = write.encode_checked(event, reads, check)
    again = dataclasses.replace(event, event_id=uuid4(), correlation_id=uuid4())
    second = write.encode_checked(again, reads, check)
    assert len(calls) == 1  # the second record's rule inputs are the first's: recalled
    coarsened = dataclasses.replace(again, data=dataclasses.replace(event.data, lat=12.35))
    assert second == fastavro_body(coarsened)
    assert first == fastavro_body(
        dataclasses.replace(coarsened, event_id=event.event_id, correlation_id=event.correlation_id)
    )
    other = dataclasses.replace(event, data=dataclasses.replace(event.data, lat=1.0))
    write.encode_checked(other, reads, check)
    assert len(calls) == 2  # new inputs: the rules run


def test_a_refused_record_runs_the_rules_every_time() -> None:
    event = avro_sample(WeatherUpdated)
    hot = dataclasses.replace(event, data=dataclasses.replace(event.data, temperature_c=70.0))
    write, calls = writer(WeatherUpdated), []
    for _ in range(3):
        with pytest.raises(RuleViolation):
            write.encode_checked(hot, ("data", "error", "status"), coarsening_check(calls))
    assert len(calls) == 3


def test_the_serde_applies_the_weather_contract_on_every_recalled_encode() -> None:
    """Through the serde with the real data contract: PII coordinates coarsened on a hit too,
    a status contradicting its payload refused every time."""
    core = SerdeCore(write_rules=True)
    codec = AvroCodec(WeatherUpdated, 1)
    sample = avro_sample(WeatherUpdated)
    observation = dataclasses.replace(
        sample.data, lat=48.137154, lon=11.576124, country="DE", temperature_c=20.0
    )
    event = dataclasses.replace(sample, status=WeatherStatus.SUCCESS, data=observation, error=None)
    for _ in range(3):
        fresh = dataclasses.replace(event, event_id=uuid4(), correlation_id=uuid4())
        decoded = codec.decode(core._encode(codec, fresh))
        assert (decoded.data.lat, decoded.data.lon) == (48.14, 11.58)
        assert decoded.event_id == fresh.event_id
    contradicting = dataclasses.replace(event, status=WeatherStatus.ERROR)
    for _ in range(2):
        with pytest.raises(RuleViolation):
            core._encode(codec, contradicting)


def test_commands_are_written_field_by_field_too() -> None:
    command = avro_sample(FetchWeather)
    assert AvroCodec(FetchWeather, 3).encode(command)[5:] == fastavro_body(command)


@dataclasses.dataclass(frozen=True)
class _Node:
    SCHEMA_TEXT = json.dumps(
        {
            "type": "record",
            "name": "Node",
            "namespace": "t",
            "fields": [{"name": "next", "type": ["null", "Node"]}],
        }
    )
    next: Any


def test_a_schema_that_cannot_be_split_gets_no_writer() -> None:
    assert FieldwiseWriter.for_contract(_Node) is None  # its field names the record itself
    assert FieldwiseWriter.for_contract(int) is None  # not a generated class at all


@dataclasses.dataclass(frozen=True, slots=True)
class _Nothing:
    """A contract-shaped class of a record without fields (a heartbeat, a marker)."""

    SCHEMA_TEXT = '{"type": "record", "name": "Nothing", "namespace": "test.fieldwise", "fields": []}'

    def to_dict(self) -> dict[str, Any]:
        return {}


def test_a_record_without_fields_is_written_as_no_bytes() -> None:
    write = writer(_Nothing)
    assert write.encode(_Nothing()) == b"" == fastavro_body(_Nothing())
    assert write.encode_checked(_Nothing(), (), lambda datum: datum) == b""


def test_the_rule_outcome_memory_is_bounded_over_every_set_of_rule_inputs() -> None:
    event = avro_sample(WeatherUpdated)
    write = writer(WeatherUpdated)
    for reads in (("data",), ("data", "status"), ("data", "error", "status")):
        for n in range(CAPACITY):
            varied = dataclasses.replace(event, data=dataclasses.replace(event.data, lat=n / 1000))
            write.encode_checked(varied, reads, lambda datum: datum)
    remembered = sum(len(plan.checked) for plan in write._plans.values())
    assert 0 < remembered <= CAPACITY
