"""``flux dlq list|show|replay`` on the real stack, with records parked by the real
:class:`~flux.kafka.dead_letter.DeadLetterPublisher`.

Each test parks records under an error class of its own (a fresh exception class name), so records
other tests park in the same dead-letter topic never change what it checks.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import io
import json
import sys
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import Message

from flux.catalogue import load_catalogue
from flux.contracts import TopPerformersUpdated
from flux.devstack.stack import RunningStack
from flux.kafka.config import producer_config
from flux.kafka.dead_letter import DeadLetterPublisher
from flux.kafka.producer import AsyncProducer

from .conftest import CliRun, produce, read_after, read_at, watermarks

pytestmark = pytest.mark.integration

# An event topic: only BFFs consume it, from its end, so records parked or replayed here reach no
# other test.
SOURCE = TopPerformersUpdated.TOPIC
DLQ = load_catalogue().dead_letter_for(SOURCE)
SERVICE = "cli-test-service"


def error_class() -> type[Exception]:
    return type(f"CliProbe{uuid.uuid4().hex[:10]}", (ValueError,), {})


def park(stack: RunningStack, error: Exception, values: list[bytes], key: bytes) -> list[Message]:
    """Produce ``values`` to the source topic, consume each back and dead-letter it with ``error``."""
    headers = [("x-trace", b"trace-" + key)]
    sent = produce(stack.settings, SOURCE, [(key, v, headers) for v in values])
    consumed = [read_at(stack.settings, m) for m in sent]

    async def publish() -> None:
        producer = AsyncProducer(producer_config(stack.settings, client_id="cli-test-dlq"))
        try:
            dlq = DeadLetterPublisher(producer, service=SERVICE)
            for msg in consumed:
                assert await dlq.publish(msg, error) == DLQ
        finally:
            await producer.aclose()

    asyncio.run(publish())
    gc.collect()  # free the closed producer (a reference cycle) while the broker is still up
    return consumed


def listing(cli: Callable[..., CliRun]) -> dict[str, dict[str, Any]]:
    run = cli("dlq", "list", "--json")
    assert run.code == 0, run.err
    return {row["topic"]: row for row in map(json.loads, run.out.splitlines())}


def shown(cli: Callable[..., CliRun], topic: str, cls: str) -> list[dict[str, Any]]:
    run = cli("dlq", "show", topic, "--json")
    assert run.code == 0, run.err
    return [row for row in map(json.loads, run.out.splitlines()) if row["errorClass"] == cls]


def test_list_counts_every_dead_letter_topic_and_each_error_class(
    stack: RunningStack, cli: Callable[..., CliRun]
) -> None:
    first, second = error_class(), error_class()
    before = listing(cli)
    assert set(before) == {t.name for t in load_catalogue().topics if t.kind.value == "dead-letter"}
    key = uuid.uuid4().hex.encode()
    park(stack, first("poison one"), [b"\x07one", b"\x07two"], key)
    park(stack, second("poison two"), [b"\x07three"], key)

    after = listing(cli)
    assert after[DLQ]["records"] == before[DLQ]["records"] + 3
    assert after[DLQ]["source"] == SOURCE
    assert after[DLQ]["byErrorClass"][first.__name__] == 2
    assert after[DLQ]["byErrorClass"][second.__name__] == 1
    for topic, row in before.items():
        if topic != DLQ:
            assert after[topic]["records"] == row["records"], topic

    table = cli("dlq", "list")
    assert table.code == 0
    lines = table.out.splitlines()
    assert lines[0].split() == ["DEAD-LETTER", "TOPIC", "RECORDS", "BY", "ERROR", "CLASS"]
    line = next(line for line in lines if line.startswith(DLQ + " "))
    assert line.split()[1] == str(after[DLQ]["records"])
    assert f"{first.__name__}=2" in line and f"{second.__name__}=1" in line
    total = sum(r["records"] for r in after.values())
    assert lines[-1] == f"{total} parked record(s) in {len(after)} dead-letter topics"


def test_show_prints_the_dead_letter_headers_from_the_source_or_the_dlq_name(
    stack: RunningStack, cli: Callable[..., CliRun]
) -> None:
    cls = error_class()
    key = uuid.uuid4().hex.encode()
    poison = b"\x00\x00\x0f\x00\x00truncated"
    (original,) = park(stack, cls("body ends early"), [poison], key)

    for name in (SOURCE, DLQ):
        (row,) = shown(cli, name, cls.__name__)
        assert row["topic"] == DLQ
        assert row["key"] == key.decode()
        assert base64.b64decode(row["value"]) == poison and row["valueBytes"] == len(poison)
        assert row["errorMessage"] == "body ends early"
        assert row["originalTopic"] == SOURCE
        assert (row["originalPartition"], row["originalOffset"]) == (original.partition(), original.offset())
        assert row["originalTimestamp"] == original.timestamp()[1]
        assert row["service"] == SERVICE
        assert row["headers"] == {"x-trace": "trace-" + key.decode()}

    human = cli("dlq", "show", DLQ)
    assert human.code == 0
    assert f"  error     {cls.__name__}: body ends early" in human.out
    assert f"  original  {SOURCE} partition {original.partition()} offset {original.offset()}, " in human.out
    assert f"  service   {SERVICE}" in human.out
    assert human.out.splitlines()[-1].startswith(f"{DLQ}: ")

    one = cli("dlq", "show", SOURCE, "--json", "--max", "1")
    assert one.code == 0 and len(one.out.splitlines()) == 1


def test_replay_dry_run_confirmation_and_replay_of_the_original_bytes(
    stack: RunningStack, cli: Callable[..., CliRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    cls = error_class()
    key = uuid.uuid4().hex.encode()
    values = [b"\x07first-" + key, b"\x07second-" + key]
    park(stack, cls("fixed since"), values, key)
    parked = shown(cli, DLQ, cls.__name__)
    assert len(parked) == 2

    start = watermarks(stack.settings, SOURCE)
    dry = cli("dlq", "replay", SOURCE, "--dry-run", "--error-class", cls.__name__)
    assert dry.code == 0, dry.err
    would = [line for line in dry.out.splitlines() if line.startswith("would replay ")]
    assert would == [
        f"would replay {DLQ}/{p['partition']}/{p['offset']} -> {SOURCE}  {cls.__name__}  "
        f"(original partition {p['originalPartition']}, offset {p['originalOffset']})"
        for p in parked
    ]
    assert dry.out.splitlines()[-1].endswith("nothing was produced")

    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))  # not a terminal: nobody to ask
    refused = cli("dlq", "replay", DLQ, "--error-class", cls.__name__)
    assert refused.code == 2
    assert refused.err == (
        "flux: error: refusing to replay without --yes: there is no terminal to ask for confirmation "
        "(try --dry-run first)\n"
    )
    assert watermarks(stack.settings, SOURCE) == start  # neither produced anything

    once = cli("dlq", "replay", DLQ, "--yes", "--max", "1", "--error-class", cls.__name__)
    assert once.code == 0, once.err
    assert once.out.splitlines()[-1] == (
        f"replayed 1 of 1 record(s) to {SOURCE}; {DLQ} still holds them (replay never deletes)"
    )
    (replayed,) = read_after(stack.settings, SOURCE, start, 1)
    assert replayed.value() == values[0] and replayed.key() == key
    assert dict(replayed.headers() or []) == {
        "x-trace": b"trace-" + key,
        "flux.replay.source": f"{DLQ}/{parked[0]['partition']}/{parked[0]['offset']}".encode(),
    }

    again = cli("dlq", "replay", SOURCE, "--yes", "--error-class", cls.__name__.lower())
    assert again.code == 0, again.err
    all_three = read_after(stack.settings, SOURCE, start, 3)
    assert [m.value() for m in all_three] == [values[0], values[0], values[1]]
    assert len(shown(cli, DLQ, cls.__name__)) == 2  # replay never deletes

    nothing = cli("dlq", "replay", SOURCE, "--yes", "--error-class", "NoSuchErrorClass")
    assert nothing.code == 0
    assert nothing.out == f"nothing to replay: no parked records of error class NoSuchErrorClass in {DLQ}\n"
