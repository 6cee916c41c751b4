"""Example contract objects for the serde tests, built from the schemas' example datums."""

from __future__ import annotations

import json
from typing import Any

from flux.contracts import AVRO_CONTRACTS, Tick, TickerBatch
from flux.contracts.types import AvroContract
from flux.schema_tools.examples import example_datum


def avro_sample(contract: type[AvroContract]) -> Any:
    """A valid instance of ``contract`` with every field set."""
    return contract.from_dict(example_datum(json.loads(contract.SCHEMA_TEXT)))


def ticker_sample(ticks: int = 3) -> TickerBatch:
    """A ticker batch with ``ticks`` ticks."""
    return TickerBatch(
        batch_sequence=7,
        produced_at_ms=1_769_853_600_000,
        source="crypto-service",
        ticks=[
            Tick(
                product_id=f"C{i}-USD",
                price="64123.45",
                best_bid="64123.40",
                best_ask="64123.50",
                volume_24h="12345.678",
                time_ms=1_769_853_600_000 + i,
                trade_id=1000 + i,
                last_size="0.01",
            )
            for i in range(ticks)
        ],
    )


ALL_AVRO = sorted(AVRO_CONTRACTS.values(), key=lambda c: c.TOPIC)
