"""register_history against confluent-kafka's in-process mock registry: order, idempotency, table."""

from __future__ import annotations

from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient

from flux.cli.schemas import format_table
from flux.schema_tools.registration import RegistrationStatus, register_history
from flux.schema_tools.subjects import load_subjects


def _mock(name: str, levels: dict[str, str]) -> Any:
    """confluent-kafka's mock registry; it has no config endpoint, so levels are recorded here."""
    client = SchemaRegistryClient.new_client({"url": f"mock://{name}"})
    client.set_compatibility = levels.setdefault
    return client


def test_history_registers_in_order_then_reports_existing_versions() -> None:
    levels: dict[str, str] = {}
    client = _mock("registration", levels)
    history = load_subjects()
    lines: list[str] = []
    first = register_history(client, history, lines.append)
    assert [(r.subject, r.version) for r in first] == [
        (s.subject, v.number) for s in history.subjects for v in s.versions
    ]
    assert {r.status for r in first} == {RegistrationStatus.REGISTERED}
    weather = [r for r in first if r.subject.startswith("weather.service.event")]
    assert [r.registry_version for r in weather] == [1, 2]
    assert levels == {s.subject: s.level for s in history.subjects}
    assert any("compatibility FULL_TRANSITIVE" in line for line in lines)
    second = register_history(client, history, lines.append)
    assert {r.status for r in second} == {RegistrationStatus.EXISTS}
    assert [r.schema_id for r in second] == [r.schema_id for r in first]


def test_table_has_one_row_per_version() -> None:
    client = _mock("registration-table", {})
    rows = register_history(client, load_subjects(), lambda _line: None)
    table = format_table(rows).splitlines()
    assert table[0].split() == ["SUBJECT", "VERSION", "ID", "REGISTRY", "VERSION", "STATUS"]
    assert len(table) == 1 + len(rows)
    assert all(line.rstrip().endswith("registered") for line in table[1:])
