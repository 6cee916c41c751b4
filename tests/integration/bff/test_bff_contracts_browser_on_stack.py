"""On the real stack: the contracts browser's API reads the real registry and Kafka's real offsets.

The catalogue's topics with their registered subjects, a subject with two versions (levels and
rules as ``schemas/`` registers them), the diff between them with the registry's verdict, and the
end offsets, messages per second and dead-letter counts rising as records are produced.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp
import pytest

from flux.catalogue import TopicKind, load_catalogue
from flux.schema_tools.subjects import load_subjects
from tests.integration.bff.bff_stack_harness import EventProducer, RunningBff, news_event

pytestmark = pytest.mark.integration

WEATHER = "weather.service.event.updated-value"  # two versions in schemas/
NEWS_TOPIC = "news.service.event.updated"


async def _get(bff: RunningBff, path: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(bff.url + path) as response:
        return response.status, await response.json()


async def _topic(bff: RunningBff, name: str) -> dict[str, Any]:
    status, body = await _get(bff, "/api/contracts/topics")
    assert status == 200, body
    assert body["kafka"]["available"], body["kafka"]
    return dict(next(t for t in body["topics"] if t["name"] == name))


async def test_topics_show_the_catalogue_with_registered_subjects_and_offsets(bff: RunningBff) -> None:
    status, body = await _get(bff, "/api/contracts/topics")
    assert status == 200
    assert body["kafka"] == {"available": True, "error": None}
    assert body["registry"]["available"] is True
    carrying = {
        t.name for t in load_catalogue().of_kind(TopicKind.COMMAND, TopicKind.EVENT, TopicKind.STREAM)
    }
    listed = {t["name"]: t for t in body["topics"]}
    assert carrying <= set(listed)
    for name in carrying:
        assert listed[name]["value"] == {"subject": f"{name}-value", "registered": True}, name
        assert listed[name]["key"]["registered"] is False  # keys are plain strings
        assert isinstance(listed[name]["endOffset"], int), name
        assert isinstance(listed[name]["deadLetter"]["records"], int), name


async def test_a_real_subject_its_versions_level_rules_and_diff(bff: RunningBff) -> None:
    history = load_subjects().subject(WEATHER)
    status, subject = await _get(bff, f"/api/contracts/subjects/{WEATHER}")
    assert status == 200, subject
    assert subject["versions"] == [v.number for v in history.versions]
    assert subject["compatibility"]["level"] == history.level
    expected_rules = [
        r["name"]
        for key in ("domainRules", "migrationRules")
        for r in (history.latest.rule_set or {}).get(key, [])
    ]
    assert [r["name"] for r in subject["rules"]] == expected_rules
    assert subject["metadata"] == history.latest.metadata

    status, version = await _get(bff, f"/api/contracts/subjects/{WEATHER}/versions/1")
    assert status == 200 and version["schemaType"] == "AVRO" and version["pretty"].startswith("{\n")

    status, diff = await _get(bff, f"/api/contracts/subjects/{WEATHER}/diff?from=1&to=2")
    assert status == 200, diff
    assert diff["compatibility"]["compatible"] is True  # the history passes the gate
    assert diff["compatibility"]["level"] == history.level
    assert any(line["op"] == "+" for line in diff["lines"])

    status, missing = await _get(bff, f"/api/contracts/subjects/{WEATHER}/versions/99")
    assert status == 404 and missing["error"]["code"] == "not_found"


async def test_offsets_rates_and_dead_letters_rise_as_records_are_produced(
    bff: RunningBff, producer: EventProducer
) -> None:
    before = await _topic(bff, NEWS_TOPIC)
    await asyncio.sleep(1.2)  # past the sampling interval
    for i in range(20):
        await producer.send(news_event(f"rate-{uuid.uuid4().hex[:6]}-{i}"))
    marker = f"garbage-{uuid.uuid4().hex[:8]}".encode()
    await producer.send_raw(NEWS_TOPIC, b"not confluent wire format " + marker)  # the BFF dead-letters it

    after = await _topic(bff, NEWS_TOPIC)
    assert after["endOffset"] >= before["endOffset"] + 21
    assert after["messagesPerSecond"] is not None and after["messagesPerSecond"] > 0

    async with asyncio.timeout(30):
        while True:
            await asyncio.sleep(1.2)
            latest = await _topic(bff, NEWS_TOPIC)
            if latest["deadLetter"]["records"] >= before["deadLetter"]["records"] + 1:
                break
