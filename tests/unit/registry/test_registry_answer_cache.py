"""The answer caches: lookups by exact request and ``/schemas/ids/{id}`` bodies encoded once.

A cached answer is only served for the state it was computed from (every applied record bumps
the state's generation and drops the lookup cache), memory stays bounded, and what the API
answers is the same with and without the caches.
"""

from __future__ import annotations

import json
import re

from aiohttp.test_utils import TestClient, TestServer

from flux.registry.api.app import AppOptions, build_app
from flux.registry.core.answers import AnswerCache
from flux.registry.core.records import ConfigRecord
from flux.registry.core.service import RegistryService
from flux.registry.core.state import RegistryState
from flux.registry.core.subject_config import SubjectConfig

from .test_registry_probes import FakeCluster, FakeLog
from .test_registry_service import MemoryLog

CT = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


def avro(name: str) -> str:
    return json.dumps({"type": "record", "name": name, "fields": [{"name": "a", "type": "int"}]})


# ---------------------------------------------------------------------- AnswerCache itself
class Generation:
    def __init__(self) -> None:
        self.value = 0

    def __call__(self) -> int:
        return self.value


def test_a_miss_then_a_hit_counted() -> None:
    cache: AnswerCache[bytes] = AnswerCache("lookup", Generation())
    assert cache.get("k") is None
    cache.put("k", b"answer", generation=cache.generation(), size=10)
    assert cache.get("k") == b"answer"
    assert (cache.hits, cache.misses, len(cache)) == (1, 1, 1)


def test_a_new_generation_drops_every_answer() -> None:
    generation = Generation()
    cache: AnswerCache[bytes] = AnswerCache("lookup", generation)
    cache.put("a", b"1", generation=0, size=1)
    cache.put("b", b"2", generation=0, size=1)
    generation.value = 1
    assert cache.get("a") is None and len(cache) == 0 and cache.bytes == 0
    assert cache.invalidations == 1


def test_an_answer_computed_before_the_state_changed_is_not_kept() -> None:
    generation = Generation()
    cache: AnswerCache[bytes] = AnswerCache("lookup", generation)
    computed_at = cache.generation()
    generation.value += 1  # a record was applied while the answer was computed
    cache.put("a", b"stale", generation=computed_at, size=1)
    assert cache.get("a") is None


def test_entries_are_bounded_least_recently_used_first_out() -> None:
    cache: AnswerCache[bytes] = AnswerCache("lookup", Generation(), max_entries=3)
    for key in "abc":
        cache.put(key, key.encode(), generation=0, size=1)
    assert cache.get("a") == b"a"  # a is now the most recently used
    cache.put("d", b"d", generation=0, size=1)
    assert len(cache) == 3
    assert cache.get("b") is None
    assert [cache.get(k) for k in "acd"] == [b"a", b"c", b"d"]


def test_bytes_are_bounded_and_a_huge_answer_is_not_kept() -> None:
    cache: AnswerCache[bytes] = AnswerCache("lookup", Generation(), max_entries=1000, max_bytes=1600)
    cache.put("huge", b"x", generation=0, size=101)  # over a sixteenth of the bound
    assert cache.get("huge") is None
    for n in range(100):
        cache.put(n, b"x", generation=0, size=100)
    assert cache.bytes <= 1600 and len(cache) == 16
    assert cache.get(99) == b"x" and cache.get(0) is None


def test_zero_entries_disables_it() -> None:
    cache: AnswerCache[bytes] = AnswerCache("lookup", Generation(), max_entries=0)
    cache.put("a", b"1", generation=0, size=1)
    assert cache.get("a") is None and len(cache) == 0


def test_without_a_generation_answers_never_go_stale() -> None:
    cache: AnswerCache[bytes] = AnswerCache("schema_by_id", None)
    cache.put(1, b"body", generation=cache.generation(), size=4)
    assert cache.get(1) == b"body"


def test_every_applied_record_bumps_the_state_s_generation() -> None:
    state = RegistryState()
    before = state.generation
    state.apply(ConfigRecord(None, SubjectConfig(compatibility="NONE")))
    assert state.generation == before + 1


# ---------------------------------------------------------------------- through the API
def client(state: RegistryState) -> TestClient:
    log = FakeLog()
    log.replayed()
    app = build_app(RegistryService(state, MemoryLog(state)), log, FakeCluster(leader=True), AppOptions())
    return TestClient(TestServer(app))


async def cache_counts(http: TestClient, cache: str) -> tuple[float, float]:
    text = await (await http.get("/metrics")).text()

    def value(kind: str) -> float:
        found = re.search(rf'^flux_registry_cache_{kind}_total{{cache="{cache}"}} (\S+)$', text, re.M)
        return float(found.group(1)) if found else 0.0

    return value("hits"), value("misses")


async def test_a_repeated_lookup_is_answered_from_the_cache() -> None:
    async with client(RegistryState()) as http:
        registered = await http.post("/subjects/s/versions", json={"schema": avro("A")}, headers=CT)
        assert registered.status == 200
        first = await http.post("/subjects/s", json={"schema": avro("A")}, headers=CT)
        second = await http.post("/subjects/s", json={"schema": avro("A")}, headers=CT)
        assert first.status == second.status == 200
        assert await first.read() == await second.read()
        assert (await second.json())["version"] == 1
        hits, misses = await cache_counts(http, "lookup")
        assert (hits, misses) == (1, 1)
        # the same schema sent differently is another request: a miss, the same answer
        spaced = await http.post("/subjects/s", data=json.dumps({"schema": avro("A")}, indent=2), headers=CT)
        assert await spaced.json() == await first.json()
        assert (await cache_counts(http, "lookup"))[1] == 2
        # deleted=true is part of the request
        assert (
            await http.post("/subjects/s?deleted=true", json={"schema": avro("A")}, headers=CT)
        ).status == 200
        assert (await cache_counts(http, "lookup"))[1] == 3


async def test_a_cached_not_found_ends_with_the_registration_that_adds_the_schema() -> None:
    async with client(RegistryState()) as http:
        await http.post("/subjects/s/versions", json={"schema": avro("A")}, headers=CT)
        for _ in range(2):
            missing = await http.post("/subjects/s", json={"schema": avro("B")}, headers=CT)
            assert missing.status == 404 and (await missing.json())["error_code"] == 40403
        assert (await cache_counts(http, "lookup")) == (1, 1), "the error is an answer too"
        await http.put("/config/s", json={"compatibility": "NONE"}, headers=CT)
        assert (await http.post("/subjects/s/versions", json={"schema": avro("B")}, headers=CT)).status == 200
        found = await http.post("/subjects/s", json={"schema": avro("B")}, headers=CT)
        assert found.status == 200 and (await found.json())["version"] == 2


async def test_a_deletion_ends_a_cached_answer() -> None:
    async with client(RegistryState()) as http:
        await http.post("/subjects/s/versions", json={"schema": avro("A")}, headers=CT)
        assert (await http.post("/subjects/s", json={"schema": avro("A")}, headers=CT)).status == 200
        assert (await http.delete("/subjects/s")).status == 200
        gone = await http.post("/subjects/s", json={"schema": avro("A")}, headers=CT)
        assert gone.status == 404 and (await gone.json())["error_code"] == 40401
        kept = await http.post("/subjects/s?deleted=true", json={"schema": avro("A")}, headers=CT)
        assert kept.status == 200


async def test_a_config_change_ends_a_cached_answer() -> None:
    async with client(RegistryState()) as http:
        await http.post("/subjects/s/versions", json={"schema": avro("A")}, headers=CT)
        before = await http.post("/subjects/alias-of-s", json={"schema": avro("A")}, headers=CT)
        assert before.status == 404
        assert (await http.put("/config/alias-of-s", json={"alias": "s"}, headers=CT)).status == 200
        after = await http.post("/subjects/alias-of-s", json={"schema": avro("A")}, headers=CT)
        assert after.status == 200 and (await after.json())["subject"] == "s"


async def test_schema_bodies_by_id_are_encoded_once_and_stay_right() -> None:
    async with client(RegistryState()) as http:
        await http.put("/config", json={"compatibility": "NONE"}, headers=CT)
        await http.post("/subjects/s/versions", json={"schema": avro("A")}, headers=CT)
        first = await (await http.get("/schemas/ids/1")).read()
        assert await (await http.get("/schemas/ids/1")).read() == first
        assert json.loads(first)["schema"] == avro("A")
        assert await cache_counts(http, "schema_by_id") == (1, 1)
        assert (await (await http.get("/schemas/ids/1?fetchMaxId=true")).json())["maxId"] == 1
        await http.post("/subjects/s/versions", json={"schema": avro("B")}, headers=CT)
        assert (await (await http.get("/schemas/ids/1?fetchMaxId=true")).json())["maxId"] == 2
        assert await (await http.get("/schemas/ids/1")).read() == first
        # a permanently deleted schema is not found any more, cached body or not
        await http.delete("/subjects/s/versions/1")
        await http.delete("/subjects/s/versions/1?permanent=true")
        assert (await http.get("/schemas/ids/1")).status == 404
        assert (await http.get("/schemas/ids/2")).status == 200
