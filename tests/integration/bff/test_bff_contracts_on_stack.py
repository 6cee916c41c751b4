"""On the real stack: the BFF enforces the data contracts on read.

A record that breaks its contract's READ rules — produced by a client that skipped the rules on write
(any producer can) — never reaches a browser: the BFF dead-letters it with Confluent's ``__rule.*``
headers naming the rule, counts it on its ``/metrics``, and the stream flows on.
"""

from __future__ import annotations

import dataclasses
import json
import re
import uuid

import aiohttp
import pytest

from flux.devstack.stack import RunningStack
from tests.integration.bff.bff_stack_harness import EventProducer, RunningBff, news_event
from tests.integration.bff.test_bff_on_stack import Connect, dead_letters_with

pytestmark = pytest.mark.integration

RULE = "articleUrlsAbsoluteHttps"
SUBJECT = "news.service.event.updated-value"
_METRIC = re.compile(
    rf'^flux_serde_contract_violations_total\{{action="ERROR",rule="{RULE}",subject="{SUBJECT}"\}} ([0-9.e+]+)$',
    re.MULTILINE,
)


async def _violations(bff: RunningBff) -> float:
    async with aiohttp.ClientSession() as http, http.get(f"{bff.url}/metrics") as response:
        match = _METRIC.search(await response.text())
    return float(match.group(1)) if match else 0.0


async def test_a_record_breaking_a_read_rule_is_dead_lettered_and_never_reaches_a_client(
    stack: RunningStack, bff: RunningBff, producer: EventProducer, connect: Connect
) -> None:
    client = await connect(bff)
    assert (await client.client.call("subscribe", {"channel": "news.global"}))["ok"]
    before = await _violations(bff)
    insecure = f"plain-http-{uuid.uuid4().hex[:8]}"
    event = news_event(insecure)
    article = dataclasses.replace(event.articles[0], url=f"http://example.org/{insecure}")
    await producer.send(dataclasses.replace(event, articles=[article]))  # the producer ran no rules
    after = f"after-{insecure}"
    await producer.send(news_event(after))
    await client.wait_for_title(after)  # the stream flowed on past the refused record

    [parked] = await dead_letters_with(stack, event.TOPIC, insecure.encode(), 1)
    assert parked["__rule.name"] == RULE.encode()
    assert parked["__rule.mode"] == b"READ"
    assert parked["__rule.subject"] == SUBJECT.encode()
    assert parked["__rule.topic"] == event.TOPIC.encode()
    assert parked["flux.dlq.rule.name"] == RULE.encode()
    assert parked["flux.dlq.error.class"] == b"RuleViolation"
    assert parked["flux.dlq.service"] == b"bff"
    assert int(parked["flux.dlq.original.offset"]) >= 0
    assert not any(f"http://example.org/{insecure}" in json.dumps(data) for _, data in client.received)
    assert await _violations(bff) == before + 1
