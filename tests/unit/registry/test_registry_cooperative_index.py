"""After a replay, schema identities are indexed a step at a time: a registration or lookup that
needs the index helps complete it, yielding to the event loop between steps instead of blocking it."""

from __future__ import annotations

import asyncio
import json

from flux.registry.core.context import INDEX_STEP
from flux.registry.core.requests import SchemaRequest
from flux.registry.core.service import RegistryService
from flux.registry.core.state import RegistryState
from flux.schemas.types import SchemaType

from .test_registry_service import MemoryLog

SCHEMAS = 120


def _schema(n: int, *, spaced: bool = False) -> SchemaRequest:
    text = json.dumps(
        {"type": "record", "name": f"R{n}", "fields": [{"name": "x", "type": "int"}]},
        indent=2 if spaced else None,
    )
    return SchemaRequest(text, SchemaType.AVRO)


async def _replayed() -> RegistryService:
    state = RegistryState()
    log = MemoryLog(state)
    writer = RegistryService(state, log)
    for n in range(SCHEMAS):
        await writer.registration.register(f"s{n}", _schema(n))
    fresh = log.replay()  # as a restarted node: every schema still to be indexed
    return RegistryService(fresh, MemoryLog(fresh))


async def _turns_during(work: asyncio.Future[object]) -> int:
    turns = 0
    while not work.done():
        turns += 1
        await asyncio.sleep(0)
    return turns


async def test_a_registration_on_an_unindexed_state_yields_while_it_indexes() -> None:
    service = await _replayed()
    # The same schema as s7's, spelt differently: found by identity, which needs the index.
    work = asyncio.ensure_future(service.registration.register("other", _schema(7, spaced=True)))
    turns = await _turns_during(work)
    assert work.result()["id"] == 8
    assert turns >= SCHEMAS // INDEX_STEP - 1
    assert not service.registration._state.index_pending(1)  # type: ignore[attr-defined]


async def test_a_lookup_waits_for_the_index_cooperatively_and_finds_the_version() -> None:
    service = await _replayed()
    work = asyncio.ensure_future(service.reads.indexed())
    turns = await _turns_during(work)
    assert turns >= SCHEMAS // INDEX_STEP - 1
    found = service.reads.lookup("s3", _schema(3, spaced=True), deleted=False)
    assert found["id"] == 4 and found["version"] == 1
