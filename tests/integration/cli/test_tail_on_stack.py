"""``flux topics tail`` on the real stack: records produced with the serde come back decoded, an older
writer version is read into today's class, a poison record is shown as undecodable, ``--json`` parses
back, reading from the end shows only new records, and Ctrl-C ends the tail with exit code 0."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from io import BytesIO
from typing import IO

import httpx
import pytest
from fastavro import parse_schema, schemaless_writer

from flux.cli.record_format import jsonable
from flux.contracts import WeatherUpdated
from flux.devstack.stack import RunningStack
from flux.schema_tools.examples import example_datum
from flux.schema_tools.subjects import load_subjects
from flux.serde import Serde
from flux.serde.wire import pack_header

from .conftest import CliRun, produce, record_count

pytestmark = pytest.mark.integration

TOPIC = WeatherUpdated.TOPIC


def registry_id(stack: RunningStack, subject: str, version: int) -> int:
    answer = httpx.get(f"{stack.registry_url}/subjects/{subject}/versions/{version}", timeout=10)
    answer.raise_for_status()
    return int(answer.json()["id"])


def weather_records(stack: RunningStack) -> dict[str, bytes]:
    """Today's WeatherUpdated through the serde, the same event written with schema v1, and poison."""
    serde = Serde.from_settings(stack.settings)
    event = WeatherUpdated.from_dict(example_datum(json.loads(WeatherUpdated.SCHEMA_TEXT)))
    current = serde.encode(event)
    v1 = load_subjects().for_topic(TOPIC).versions[0]
    old = BytesIO()
    old.write(pack_header(registry_id(stack, WeatherUpdated.SUBJECT, 1)))
    schemaless_writer(old, parse_schema(v1.avro_json()), example_datum(v1.avro_json()))
    return {"current": current, "v1": old.getvalue(), "poison": b"\x07" + current[1:]}


def test_tail_from_the_beginning_decodes_every_version_and_shows_poison(
    stack: RunningStack, cli: Callable[..., CliRun]
) -> None:
    key = f"cli-tail-{uuid.uuid4().hex[:10]}"
    records = weather_records(stack)
    before = record_count(stack.settings, TOPIC)
    sent = produce(stack.settings, TOPIC, [(key.encode(), v, []) for v in records.values()])
    total = before + len(records)

    run = cli("topics", "tail", TOPIC, "--from-beginning", "--json", "--max", str(total), "--timeout", "20")

    assert run.code == 0, run.err
    assert run.err.startswith(f"# tailing {TOPIC} (")
    lines = [json.loads(line) for line in run.out.splitlines()]
    assert len(lines) == total
    mine = [line for line in lines if line["key"] == key]
    assert [(m["partition"], m["offset"]) for m in mine] == [(s.partition(), s.offset()) for s in sent]
    current, v1, poison = mine
    assert current["topic"] == TOPIC
    assert current["timestamp"] == sent[0].timestamp()[1]
    assert current["schemaId"] == registry_id(stack, WeatherUpdated.SUBJECT, 2)
    assert current["decodedAs"] == "WeatherUpdated" and current["error"] is None
    expected = WeatherUpdated.from_dict(example_datum(json.loads(WeatherUpdated.SCHEMA_TEXT)))
    assert current["value"] == jsonable(expected.to_dict())
    assert v1["schemaId"] == registry_id(stack, WeatherUpdated.SUBJECT, 1)
    assert v1["decodedAs"] == "WeatherUpdated" and v1["error"] is None
    assert v1["value"]["data"]["feels_like_c"] is None  # added in v2, defaulted for the v1 writer
    assert poison["value"] is None and poison["decodedAs"] is None
    assert poison["error"] == "bad magic byte 0x07: not Confluent wire format"

    human = cli("topics", "tail", TOPIC, "--from-beginning", "--max", str(total), "--timeout", "20")
    assert human.code == 0, human.err
    shown = [line for line in human.out.splitlines() if f"  key={key}  " in line]
    assert len(shown) == 3
    assert f"p{sent[0].partition()}/{sent[0].offset()}  key={key}  WeatherUpdated  source=" in shown[0]
    assert "  WeatherUpdated  " in shown[1]
    assert shown[2].endswith(f"key={key}  UNDECODABLE  bad magic byte 0x07: not Confluent wire format")


def _lines(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


def _next_line(lines: queue.Queue[str], timeout_s: float) -> str:
    try:
        return lines.get(timeout=timeout_s)
    except queue.Empty:
        raise AssertionError(f"no output within {timeout_s}s") from None


def test_tail_from_the_end_shows_new_records_until_ctrl_c(
    stack: RunningStack, cli_env: dict[str, str]
) -> None:
    key = f"cli-follow-{uuid.uuid4().hex[:10]}"
    process = subprocess.Popen(
        [sys.executable, "-m", "flux", "topics", "tail", TOPIC, "--json"],
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out: queue.Queue[str] = queue.Queue()
    err: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None and process.stderr is not None
    threading.Thread(target=_lines, args=(process.stdout, out), daemon=True).start()
    threading.Thread(target=_lines, args=(process.stderr, err), daemon=True).start()
    try:
        note = _next_line(err, 60)
        assert note.startswith(f"# tailing {TOPIC} (6 partitions) from the end"), note
        assert out.empty()  # the records already in the topic are not shown
        records = weather_records(stack)
        sent = produce(stack.settings, TOPIC, [(key.encode(), records["current"], [])])
        line = json.loads(_next_line(out, 30))
        assert (line["key"], line["partition"], line["offset"]) == (
            key,
            sent[0].partition(),
            sent[0].offset(),
        )
        assert line["decodedAs"] == "WeatherUpdated"
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert out.empty()
