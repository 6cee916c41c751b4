"""The BFF's per-event cost from Kafka bytes to the client-facing dict, two ways in one run.

* **typed** (the path before 2026-12-02): decode to the generated class, take it apart again with
  ``to_dict``, then reshape (``to_snapshot``);
* **datum** (today's path): decode to fastavro's datum and reshape it once.

Both produce the same snapshot (checked); the ratio is what the one-reshape path saves per event.
Run alone: ``python benchmarks/bff_event_path.py``; ``bench_bff.py`` prints it before its load run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from flux.bff.convert import to_snapshot
from flux.contracts import (
    NewsUpdated,
    TopCoinsUpdated,
    TopMoversUpdated,
    TopPerformersUpdated,
    WeatherUpdated,
)
from flux.schema_tools.examples import example_datum
from flux.serde import AvroCodec

__all__ = ["event_path_report"]


def _events() -> list[Any]:
    """One example of every Avro event the BFF relays, every field set (from the schemas' examples)."""
    return [
        contract.from_dict(example_datum(json.loads(contract.SCHEMA_TEXT)))
        for contract in (NewsUpdated, TopCoinsUpdated, TopMoversUpdated, TopPerformersUpdated, WeatherUpdated)
    ]


def _per_event_us(step: Callable[[], Any], seconds: float = 0.5) -> float:
    done, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(100):
            step()
        done += 100
    return elapsed / done * 1e6


def event_path_report(seconds: float = 0.5) -> list[str]:
    """One line per event type: µs per event on both paths and their ratio."""
    lines = []
    for event in _events():
        contract = type(event)
        codec = AvroCodec(contract, schema_id=1)
        data = codec.encode(event)
        typed = to_snapshot(contract, codec.decode(data).to_dict())
        datum = to_snapshot(contract, codec.decode_datum(data))
        assert typed == datum, f"the two paths disagree for {contract.__name__}"
        old = _per_event_us(
            lambda c=codec, d=data, k=contract: to_snapshot(k, c.decode(d).to_dict()), seconds
        )
        new = _per_event_us(lambda c=codec, d=data, k=contract: to_snapshot(k, c.decode_datum(d)), seconds)
        lines.append(
            f"  {contract.__name__:<21} typed {old:7.1f} µs  datum {new:7.1f} µs  ({new / old:.2f}x the typed path)"
        )
    return lines


if __name__ == "__main__":
    print("BFF event path, per event (decode + reshape):")
    print("\n".join(event_path_report()))
