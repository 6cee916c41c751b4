"""The contracts browser's JSON API against a fake registry and fake Kafka offsets.

``/api/contracts/topics``, ``/subjects/{s}``, ``/versions/{v}``, ``/diff``: what they answer, that
bad input is a 400 before anything is asked, that a registry that is down, slow or failing is a
503 (never a hang or a 500), and that the registry answers are cached, shared and bounded.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from flux.bff.contracts_api import ContractsApi, add_contract_routes
from flux.bff.registry_reader import RegistryReader
from flux.bff.topic_rates import TopicRates
from flux.catalogue import TopicKind, load_catalogue
from flux.kafka.offsets import OffsetsUnavailable, TopicOffsets
from flux.resilience import UpstreamBadPayload
from tests.unit.bff.bff_unit_harness import free_port
from tests.unit.bff.fake_registry import FETCH, NEWS, NEWS_V2, FakeRegistry, serve

NEWS_TOPIC = "news.service.event.updated"
NEWS_DLQ = "news.service.event.updated.dlq"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeOffsets:
    """Kafka's offsets as the test sets them."""

    ends: dict[str, int] = field(default_factory=dict)
    starts: dict[str, int] = field(default_factory=dict)
    down: bool = False
    asked: list[tuple[str, ...]] = field(default_factory=list)

    async def __call__(self, topics: Sequence[str]) -> Mapping[str, TopicOffsets]:
        self.asked.append(tuple(topics))
        if self.down:
            raise OffsetsUnavailable("broker transport failure")
        return {t: TopicOffsets(1, self.starts.get(t, 0), end) for t, end in self.ends.items() if t in topics}


@dataclass
class Browser:
    url: str
    registry: FakeRegistry
    offsets: FakeOffsets
    clock: Clock
    api: ContractsApi

    async def get(self, path: str) -> tuple[int, dict[str, Any], Mapping[str, str]]:
        async with aiohttp.ClientSession() as http, http.get(self.url + path) as response:
            return response.status, await response.json(), response.headers


async def _start(
    registry_url: str | None, registry: FakeRegistry, **reader: Any
) -> tuple[Browser, list[Any]]:
    cleanups: list[Any] = []
    if registry_url is None:
        runner = await serve(registry)
        cleanups.append(runner.cleanup)
        registry_url = registry.url
    clock, offsets = Clock(), FakeOffsets()
    reader_args = {"timeout_s": 1.0, "cache_seconds": 5.0, "clock": clock, **reader}
    api = ContractsApi(
        load_catalogue(),
        RegistryReader(registry_url, **reader_args),
        TopicRates(load_catalogue().names(), offsets, min_interval_s=1.0, clock=clock),
    )
    app = web.Application()
    add_contract_routes(app, api, rate=1000.0, burst=1000)  # the limit has its own test
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    cleanups.insert(0, runner.cleanup)
    return Browser(f"http://127.0.0.1:{port}", registry, offsets, clock, api), cleanups


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    running, cleanups = await _start(None, FakeRegistry.with_news())
    yield running
    for cleanup in cleanups:
        await cleanup()


# ---------------------------------------------------------------------- topics
async def test_topics_list_the_catalogue_with_subjects_offsets_rates_and_dead_letters(
    browser: Browser,
) -> None:
    browser.offsets.ends = {NEWS_TOPIC: 100, NEWS_DLQ: 3}
    status, body, headers = await browser.get("/api/contracts/topics")
    assert status == 200 and headers["Cache-Control"] == "no-store"
    catalogue = load_catalogue()
    assert [t["name"] for t in body["topics"]] == [
        t.name for t in catalogue.topics if t.kind is not TopicKind.DEAD_LETTER
    ]
    news = next(t for t in body["topics"] if t["name"] == NEWS_TOPIC)
    assert news["kind"] == "event" and news["producer"] == "news-service" and news["consumers"] == ["bff"]
    assert news["value"] == {"subject": NEWS, "registered": True}
    assert news["key"]["subject"] == f"{NEWS_TOPIC}-key" and news["key"]["registered"] is False
    assert news["key"]["description"] == '"global"'
    assert news["endOffset"] == 100 and news["messagesPerSecond"] is None  # one sample: no rate yet
    assert news["deadLetter"]["name"] == NEWS_DLQ and news["deadLetter"]["records"] == 3
    stocks = next(t for t in body["topics"] if t["name"] == "stock.service.event.updated")
    assert stocks["value"]["registered"] is False  # not in the fake registry
    assert stocks["endOffset"] is None
    internal = next(t for t in body["topics"] if t["name"] == "_schemas")
    assert internal["value"]["subject"] is None and internal["deadLetter"] is None
    assert body["kafka"] == {"available": True, "error": None} and body["registry"]["available"] is True

    # Rates: the growth of the end offset over the time between two samples.
    browser.clock.now += 4.0
    browser.offsets.ends = {NEWS_TOPIC: 120, NEWS_DLQ: 3}
    _, body, _ = await browser.get("/api/contracts/topics")
    news = next(t for t in body["topics"] if t["name"] == NEWS_TOPIC)
    assert news["messagesPerSecond"] == pytest.approx(5.0)
    assert news["deadLetter"]["messagesPerSecond"] == pytest.approx(0.0)
    assert body["windowSeconds"] == pytest.approx(4.0)


async def test_offsets_are_read_at_most_once_per_interval_and_only_for_catalogue_topics(
    browser: Browser,
) -> None:
    browser.offsets.ends = {NEWS_TOPIC: 1}
    await asyncio.gather(*(browser.get("/api/contracts/topics") for _ in range(5)))
    assert len(browser.offsets.asked) == 1
    assert set(browser.offsets.asked[0]) == set(load_catalogue().names())
    browser.clock.now += 1.5
    await browser.get("/api/contracts/topics")
    assert len(browser.offsets.asked) == 2


async def test_kafka_down_still_lists_the_topics_and_says_so(browser: Browser) -> None:
    browser.offsets.down = True
    status, body, _ = await browser.get("/api/contracts/topics")
    assert status == 200
    assert body["kafka"]["available"] is False and body["kafka"]["error"]
    assert all(t["endOffset"] is None and t["messagesPerSecond"] is None for t in body["topics"])


# -------------------------------------------------------------------- subjects
async def test_subject_shows_versions_level_metadata_and_rules(browser: Browser) -> None:
    status, body, _ = await browser.get(f"/api/contracts/subjects/{NEWS}")
    assert status == 200
    assert body["topic"] == NEWS_TOPIC and body["role"] == "value"
    assert body["versions"] == [1, 2]
    assert body["latest"] == {"version": 2, "id": 12, "schemaType": "AVRO"}
    assert body["compatibility"] == {"level": "FULL", "source": "subject"}
    assert body["metadata"]["properties"]["owner"] == "news-service"
    assert body["metadata"]["properties"]["feed.token"] == "(sensitive: not shown)"  # Confluent's marker
    assert "s3cret" not in json.dumps(body)
    assert [
        (r["group"], r["name"], r["kind"], r["mode"], r["type"], r["onFailure"]) for r in body["rules"]
    ] == [
        ("domain", "titlesNonEmpty", "CONDITION", "WRITEREAD", "CEL", "DLQ,ERROR"),
        ("migration", "addSummary", "TRANSFORM", "UPGRADE", "JSONATA", None),
    ]
    assert body["rules"][0]["expr"] == "size(message.title) > 0"
    _, fetch, _ = await browser.get(f"/api/contracts/subjects/{FETCH}")
    assert fetch["compatibility"] == {"level": "BACKWARD", "source": "global"}  # no level of its own
    assert fetch["rules"] == [] and fetch["ruleSet"] is None


async def test_a_catalogue_subject_the_registry_lacks_is_404(browser: Browser) -> None:
    status, body, _ = await browser.get("/api/contracts/subjects/stock.service.event.updated-value")
    assert status == 404 and body["error"]["code"] == "not_found"
    assert "not registered" in body["error"]["message"]


async def test_version_shows_schema_text_type_references_and_rules(browser: Browser) -> None:
    status, body, _ = await browser.get(f"/api/contracts/subjects/{NEWS}/versions/2")
    assert status == 200
    assert body["version"] == 2 and body["id"] == 12 and body["schemaType"] == "AVRO"
    assert json.loads(body["schema"]) == NEWS_V2
    assert body["pretty"] == json.dumps(NEWS_V2, indent=2)
    assert body["references"] == [] and [r["name"] for r in body["rules"]] == ["titlesNonEmpty", "addSummary"]
    _, latest, _ = await browser.get(f"/api/contracts/subjects/{NEWS}/versions/latest")
    assert latest["version"] == 2
    _, first, _ = await browser.get(f"/api/contracts/subjects/{NEWS}/versions/1")
    assert first["version"] == 1 and first["rules"] == []


async def test_a_version_the_subject_lacks_is_404_without_asking_for_it(browser: Browser) -> None:
    status, body, _ = await browser.get(f"/api/contracts/subjects/{NEWS}/versions/7")
    assert status == 404 and "versions: 1, 2" in body["error"]["message"]
    assert browser.registry.asked("/versions/7") == 0


# ------------------------------------------------------------------------ diff
async def test_diff_is_a_line_diff_with_the_registry_verdict(browser: Browser) -> None:
    status, body, _ = await browser.get(f"/api/contracts/subjects/{NEWS}/diff?from=1&to=latest")
    assert status == 200
    assert body["from"] == {"version": 1, "id": 11} and body["to"] == {"version": 2, "id": 12}
    assert body["compatibility"] == {"level": "FULL", "source": "subject", "compatible": True, "messages": []}
    assert body["identical"] is False
    assert body["unified"].startswith(f"--- {NEWS} v1 (id 11)\n+++ {NEWS} v2 (id 12)\n@@ ")
    added = [line["text"] for line in body["lines"] if line["op"] == "+"]
    assert '      "name": "summary",' in added
    assert body["lines"][0]["op"] == "@"
    assert not [line for line in body["lines"] if line["op"] == "-" and "title" in line["text"]]
    # The registry was asked about v2's schema against v1.
    assert browser.registry.asked(f"POST /compatibility/subjects/{NEWS}/versions/1?verbose=true") == 1
    assert json.loads(browser.registry.posted[-1]["schema"]) == NEWS_V2


async def test_diff_says_incompatible_with_the_registry_messages(browser: Browser) -> None:
    browser.registry.incompatible.add((NEWS, 2))
    status, body, _ = await browser.get(f"/api/contracts/subjects/{NEWS}/diff?from=2&to=1")
    assert status == 200
    assert body["compatibility"]["compatible"] is False
    assert body["compatibility"]["messages"] == ["READER_FIELD_MISSING_DEFAULT_VALUE"]
    removed = [line["text"] for line in body["lines"] if line["op"] == "-"]
    assert removed and removed[0].strip().startswith("},")


async def test_a_version_diffed_with_itself_is_identical(browser: Browser) -> None:
    _, body, _ = await browser.get(f"/api/contracts/subjects/{NEWS}/diff?from=2&to=2")
    assert body["identical"] is True and body["lines"] == [] and body["unified"] == ""


# ----------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    "path",
    [
        "/api/contracts/subjects/nope-value",  # a valid name, not a catalogue subject
        "/api/contracts/subjects/news.service.event.updated",  # a topic, not a subject
        "/api/contracts/subjects/" + "a" * 300,
        "/api/contracts/subjects/bad%20name",
        "/api/contracts/subjects/.hidden-value",
        f"/api/contracts/subjects/{NEWS}/versions/0",
        f"/api/contracts/subjects/{NEWS}/versions/-1",
        f"/api/contracts/subjects/{NEWS}/versions/abc",
        f"/api/contracts/subjects/{NEWS}/versions/99999999999",
        f"/api/contracts/subjects/{NEWS}/versions/1.5",
        f"/api/contracts/subjects/{NEWS}/diff?from=1",
        f"/api/contracts/subjects/{NEWS}/diff?to=2",
        f"/api/contracts/subjects/{NEWS}/diff?from=one&to=2",
        "/api/contracts/subjects/nope-value/diff?from=1&to=2",
    ],
)
async def test_bad_subjects_and_versions_are_400_before_asking_the_registry(
    browser: Browser, path: str
) -> None:
    status, body, _ = await browser.get(path)
    assert status == 400, body
    assert body["error"]["code"] == "invalid_request" and body["error"]["message"]
    assert browser.registry.requests == []


async def test_no_request_grows_the_cache_or_the_rate_state(browser: Browser) -> None:
    browser.offsets.ends = {NEWS_TOPIC: 1}
    await browser.get("/api/contracts/topics")
    await browser.get(f"/api/contracts/subjects/{NEWS}/versions/1")
    kept = len(browser.api.registry.cache)
    for i in range(60):
        await browser.get(f"/api/contracts/subjects/made-up-{i}-value")
        await browser.get(f"/api/contracts/subjects/{NEWS}/versions/{1000 + i}")
    assert len(browser.api.registry.cache) == kept
    view = await browser.api.rates.sample()
    assert set(view.topics) <= set(load_catalogue().names())


# ------------------------------------------------------- registry down or slow
async def test_a_registry_that_is_down_is_503_and_the_topics_still_list() -> None:
    with_nothing = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    running, cleanups = await _start(with_nothing, FakeRegistry())
    try:
        status, body, _ = await running.get(f"/api/contracts/subjects/{NEWS}")
        assert status == 503 and body["error"]["code"] == "registry_unavailable"
        assert body["error"]["message"] == "the schema registry cannot be reached"
        assert "127.0.0.1" not in json.dumps(body)  # the address stays in the log
        status, body, _ = await running.get("/api/contracts/topics")
        assert status == 200 and body["registry"]["available"] is False
        assert all(t["value"]["registered"] is None for t in body["topics"])
    finally:
        for cleanup in cleanups:
            await cleanup()


async def test_a_slow_registry_is_503_within_the_budget() -> None:
    slow = FakeRegistry.with_news()
    slow.delay_s = 5.0
    running, cleanups = await _start(None, slow, timeout_s=0.3)
    try:
        started = time.monotonic()
        status, body, _ = await running.get(f"/api/contracts/subjects/{NEWS}/versions/1")
        assert status == 503 and "did not answer within 0.3s" in body["error"]["message"]
        assert time.monotonic() - started < 2.0
    finally:
        for cleanup in cleanups:
            await cleanup()


async def test_a_failing_registry_is_503_then_its_breaker_stops_the_calls(browser: Browser) -> None:
    browser.registry.fail_status = 500
    for _ in range(3):
        status, body, _ = await browser.get(f"/api/contracts/subjects/{NEWS}")
        assert status == 503 and body["error"]["message"] == "the schema registry answered HTTP 500"
    asked = len(browser.registry.requests)
    status, body, headers = await browser.get(f"/api/contracts/subjects/{NEWS}")
    assert status == 503 and "Retry-After" in headers
    assert len(browser.registry.requests) == asked  # the breaker is open: not asked
    browser.registry.fail_status = None
    browser.clock.now += 6.0  # past the breaker's reset and the cache
    status, _, _ = await browser.get(f"/api/contracts/subjects/{NEWS}")
    assert status == 200


# ----------------------------------------------------------------------- cache
async def test_registry_answers_are_cached_for_a_few_seconds(browser: Browser) -> None:
    for _ in range(3):
        status, _, _ = await browser.get(f"/api/contracts/subjects/{NEWS}")
        assert status == 200
    assert browser.registry.asked(f"GET /subjects/{NEWS}/versions/2") == 1
    assert browser.registry.asked(f"GET /subjects/{NEWS}/versions") == 2  # the list and version 2
    browser.clock.now += 6.0
    await browser.get(f"/api/contracts/subjects/{NEWS}")
    assert browser.registry.asked(f"GET /subjects/{NEWS}/versions/2") == 2


async def test_concurrent_identical_requests_share_one_registry_call(browser: Browser) -> None:
    browser.registry.delay_s = 0.2
    answers = await asyncio.gather(
        *(browser.get(f"/api/contracts/subjects/{NEWS}/versions/1") for _ in range(6))
    )
    assert {status for status, _, _ in answers} == {200}
    assert browser.registry.asked(f"GET /subjects/{NEWS}/versions/1") == 1


async def test_the_cache_is_bounded() -> None:
    many = FakeRegistry.with_news()
    template = many.versions[NEWS][0]
    many.versions[NEWS] = [{**template, "version": v, "id": 100 + v} for v in range(1, 41)]
    running, cleanups = await _start(None, many, cache_entries=8)
    try:
        for v in range(1, 41):
            status, _, _ = await running.get(f"/api/contracts/subjects/{NEWS}/versions/{v}")
            assert status == 200
        assert len(running.api.registry.cache) == 8
    finally:
        for cleanup in cleanups:
            await cleanup()


async def test_an_answer_that_arrives_in_pieces_is_read_whole_and_a_huge_one_refused() -> None:
    from aiohttp.test_utils import TestServer

    from flux.bff import registry_reader

    big = json.dumps([f"subject-{n}-value" for n in range(3000)]).encode()  # ~60 KB

    async def slow_subjects(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        await response.write(big[:1000])
        await asyncio.sleep(0.05)  # the rest comes in a later read
        await response.write(big[1000:])
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/subjects", slow_subjects)
    server = TestServer(app)
    await server.start_server()
    reader = RegistryReader(str(server.make_url("")).rstrip("/"))
    try:
        assert len(await reader.subjects()) == 3000
        small = RegistryReader(str(server.make_url("")).rstrip("/"))
        original = registry_reader.MAX_ANSWER_BYTES
        registry_reader.MAX_ANSWER_BYTES = 10_000
        try:
            with pytest.raises(UpstreamBadPayload, match="larger than"):
                await small.subjects()
        finally:
            registry_reader.MAX_ANSWER_BYTES = original
            await small.close()
    finally:
        await reader.close()
        await server.close()


async def test_with_a_bff_token_the_api_wants_it_and_every_address_is_rate_limited() -> None:
    from pydantic import SecretStr

    fake = FakeRegistry.with_news()
    registry_runner = await serve(fake)
    api = ContractsApi(
        load_catalogue(),
        RegistryReader(fake.url),
        TopicRates(load_catalogue().names(), FakeOffsets(), min_interval_s=1.0),
    )
    app = web.Application()
    add_contract_routes(app, api, token=SecretStr("letmein"), rate=1.0, burst=3)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    url = f"http://127.0.0.1:{port}/api/contracts/subjects/{NEWS}"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as refused:
                assert refused.status == 401
                assert (await refused.json())["error"]["code"] == "unauthorized"
            async with http.get(url, headers={"Authorization": "Bearer wrong"}) as wrong:
                assert wrong.status == 401
            statuses = []
            for _ in range(5):
                async with http.get(url, headers={"Authorization": "Bearer letmein"}) as answer:
                    statuses.append(answer.status)
            assert statuses[:3] == [200, 200, 200] and 429 in statuses[3:]
    finally:
        await runner.cleanup()
        await registry_runner.cleanup()
