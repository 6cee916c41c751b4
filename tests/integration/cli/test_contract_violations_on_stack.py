"""``flux contracts violations`` on the real stack, with records refused by a rule and parked by the
real :class:`~flux.kafka.dead_letter.DeadLetterPublisher` (as the BFF does on read).

Each test refuses its records under a rule name of its own, so what other tests park never changes
what it checks.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest

from flux.devstack.stack import RunningStack
from flux.serde import RuleViolation

from .conftest import CliRun
from .test_dlq_on_stack import DLQ, SOURCE, error_class, park

pytestmark = pytest.mark.integration


def violation(rule: str) -> RuleViolation:
    return RuleViolation(
        subject=f"{SOURCE}-value", rule=rule, kind="CONDITION", mode="READ", action="ERROR", reason="doc"
    )


def test_violations_lists_records_refused_by_rules_newest_first_and_counts_them(
    stack: RunningStack, cli: Callable[..., CliRun]
) -> None:
    rule = f"probeRule{uuid.uuid4().hex[:8]}"
    park(stack, violation(rule), [b"first", b"second"], key=b"k-" + rule.encode())
    park(stack, error_class()("not a rule"), [b"garbage"], key=b"garbage")  # parked, not a violation

    run = cli("contracts", "violations", "--topic", SOURCE, "--max", "1000", "--json")
    assert run.code == 0, run.err
    rows = [row for row in map(json.loads, run.out.splitlines()) if row["rule"] == rule]
    assert len(rows) == 2
    assert all(row["topic"] == SOURCE and row["mode"] == "READ" and row["action"] == "ERROR" for row in rows)
    assert all(row["location"].startswith(f"{DLQ}/") for row in rows)
    assert rows[0]["parkedAt"] >= rows[1]["parkedAt"]
    assert not any(row["key"] == "garbage" for row in map(json.loads, run.out.splitlines()))

    table = cli("contracts", "violations", "--max", "1000")
    assert table.code == 0, table.err
    assert f"     2  {SOURCE}-value {rule}" in table.out
    assert "refused record(s)" in table.out


def test_violations_of_an_unknown_topic_is_a_clear_error(cli: Callable[..., CliRun]) -> None:
    run = cli("contracts", "violations", "--topic", "no.such.topic")
    assert run.code != 0
    assert "no.such.topic" in run.err
