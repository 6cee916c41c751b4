"""Golden binary fixtures: one Confluent wire-format sample of every schema version.

Each fixture is written ONCE, when its schema version is added, and committed under
``tests/contract/data/``; the contract tests then prove that today's classes still decode it. Run
``python tests/contract/golden.py`` after adding a version: it writes only missing fixtures and never
rewrites an existing one (a fixture that no longer decodes means the change breaks old data).

The schema id inside a fixture is nominal: ``GOLDEN_ID_BASE + version``.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Final

from fastavro import parse_schema, schemaless_writer

from flux.contracts import Tick, TickerBatch
from flux.schema_tools.examples import example_datum
from flux.schema_tools.subjects import SchemaFormat, SchemaVersion, SubjectHistory, load_subjects
from flux.serde.wire import encode_message_indexes, pack_header

DATA_DIR: Final = Path(__file__).resolve().parent / "data"
GOLDEN_ID_BASE: Final = 9000


def fixture_path(subject: SubjectHistory, version: SchemaVersion) -> Path:
    """Where the fixture of ``subject`` at ``version`` lives."""
    return DATA_DIR / f"{subject.subject}.v{version.number}.bin"


def golden_ticker_batch() -> TickerBatch:
    """The Protobuf sample (v1 fields only, so it stays valid for every later version)."""
    return TickerBatch(
        batch_sequence=12,
        produced_at_ms=1_769_853_600_000,
        source="crypto-service",
        ticks=[
            Tick(
                product_id="BTC-USD",
                price="64123.45",
                best_bid="64123.40",
                best_ask="64123.50",
                volume_24h="12345.678",
                time_ms=1_769_853_599_990,
                trade_id=987654,
                last_size="0.015",
            )
        ],
    )


def golden_bytes(subject: SubjectHistory, version: SchemaVersion) -> bytes:
    """Serialize the deterministic sample of ``version`` in the Confluent wire format."""
    header = pack_header(GOLDEN_ID_BASE + version.number)
    if subject.format is SchemaFormat.PROTOBUF:
        return header + encode_message_indexes([0]) + golden_ticker_batch().SerializeToString()
    body = io.BytesIO()
    schemaless_writer(body, parse_schema(version.avro_json()), example_datum(version.avro_json()))
    return header + body.getvalue()


def write_missing() -> list[Path]:
    """Write the fixtures that do not exist yet; return their paths."""
    DATA_DIR.mkdir(exist_ok=True)
    written = []
    for subject in load_subjects().subjects:
        for version in subject.versions:
            path = fixture_path(subject, version)
            if not path.exists():
                path.write_bytes(golden_bytes(subject, version))
                written.append(path)
    return written


if __name__ == "__main__":
    for created in write_missing():
        print(f"wrote {created}")
    sys.exit(0)
