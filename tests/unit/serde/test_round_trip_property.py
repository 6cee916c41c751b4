"""Property: any valid value of any contract survives encode → decode, byte-identical to fastavro."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_writer
from hypothesis import HealthCheck, given, settings

from flux.contracts.types import AvroContract
from flux.serde import AvroCodec

from .avro_strategies import datum_strategy
from .samples import ALL_AVRO


@pytest.mark.parametrize("contract", ALL_AVRO, ids=lambda c: c.__name__)
def test_random_values_round_trip(contract: type[AvroContract]) -> None:
    schema = json.loads(contract.SCHEMA_TEXT)
    parsed = parse_schema(schema)
    codec = AvroCodec(contract, 1)

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(datum_strategy(schema))
    def check(datum: dict[str, Any]) -> None:
        obj = contract.from_dict(datum)
        data = codec.encode(obj)
        body = io.BytesIO()
        schemaless_writer(body, parsed, datum)
        assert data[5:] == body.getvalue()
        assert codec.decode(data) == obj

    check()
