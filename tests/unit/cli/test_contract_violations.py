"""``flux contracts violations``: which dead letters are rule refusals, their order and the table."""

from __future__ import annotations

import argparse
import io
import json

import pytest

from flux.catalogue import TopicSpec
from flux.cli import contract_violations
from flux.cli.kafka_read import KafkaRecord


def _record(topic: str, rule: str | None, *, mode: str = "READ", ts: int, offset: int) -> KafkaRecord:
    headers: list[tuple[str, bytes]] = [
        ("flux.dlq.service", b"bff"),
        ("flux.dlq.original.topic", topic.encode()),
    ]
    if rule is not None:
        headers += [
            ("__rule.name", rule.encode()),
            ("__rule.mode", mode.encode()),
            ("__rule.subject", f"{topic}-value".encode()),
            ("__rule.topic", topic.encode()),
            ("flux.dlq.rule.action", b"ERROR"),
        ]
    return KafkaRecord(f"{topic}.dlq", 0, offset, ts, b"global", b"\x00", tuple(headers))


RECORDS = [
    _record("news.service.event.updated", "articleUrlsAbsoluteHttps", ts=1_000, offset=0),
    _record("news.service.event.updated", None, ts=2_000, offset=1),  # undecodable bytes: not a rule
    _record("news.service.event.updated", "articleTitlesNonEmpty", mode="WRITE", ts=3_000, offset=2),
]


@pytest.fixture
def parked(monkeypatch: pytest.MonkeyPatch) -> None:
    def collect(topics: list[TopicSpec]) -> tuple[list[contract_violations.Violation], list[str]]:
        del topics
        found = contract_violations.violations_of(RECORDS)
        found.sort(key=lambda v: v.record.timestamp_ms or 0, reverse=True)
        return found, []

    monkeypatch.setattr(contract_violations, "_collect", collect)


def test_only_records_naming_a_rule_are_violations() -> None:
    found = contract_violations.violations_of(RECORDS)
    assert [v.rule for v in found] == ["articleUrlsAbsoluteHttps", "articleTitlesNonEmpty"]
    assert found[1].mode == "WRITE" and found[0].action == "ERROR"
    assert found[0].topic == "news.service.event.updated"


def test_the_table_is_newest_first_and_counts_every_rule(parked: None) -> None:
    out = io.StringIO()
    assert contract_violations.run_violations(argparse.Namespace(topic=None, max=1, json=False), out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["PARKED", "TOPIC", "RULE", "MODE", "ACTION", "BY", "KEY"]
    assert "articleTitlesNonEmpty" in lines[1] and "WRITE" in lines[1]
    assert "2 refused record(s); newest 1 shown" in lines[2]
    assert any(line.endswith("news.service.event.updated-value articleUrlsAbsoluteHttps") for line in lines)


def test_json_is_one_object_per_shown_record(parked: None) -> None:
    out = io.StringIO()
    contract_violations.run_violations(argparse.Namespace(topic=None, max=5, json=True), out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [row["rule"] for row in rows] == ["articleTitlesNonEmpty", "articleUrlsAbsoluteHttps"]
    assert rows[0]["location"] == "news.service.event.updated.dlq/0/2"
