"""Fencing on a real broker, in process: whoever initialises the registry's transactional id last
is the only one that can commit, and a leader that was fenced commits nothing.

The usurper here is a bare transactional producer, so the fenced node still holds the election's
partition: it must refuse the write, step down, and take the lead back (fencing the usurper) only
after replaying the log past its new marker.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest

from flux.kafka.config import transactional_producer_config
from flux.kafka.transactional import OutgoingRecord, ProducerFenced, TransactionalProducer
from flux.registry.core.errors import RegistryError
from flux.registry.core.records import ModeRecord, encode_record
from flux.registry.core.state import RegistryState
from flux.registry.storage.kafka_log import KafkaRecordLog
from flux.registry.storage.leadership import Leadership, NodeIdentity
from flux.registry.storage.topic import registry_topic_spec

pytestmark = pytest.mark.integration


async def until(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_a_fenced_leader_commits_nothing_and_leads_again_only_after_replaying(stack: Any) -> None:
    topic = f"_schemas-fence-{uuid.uuid4().hex[:8]}"
    state = RegistryState()
    log = KafkaRecordLog(stack.settings, topic, state.apply, create_topic=registry_topic_spec(topic))
    node = Leadership(
        stack.settings, log, NodeIdentity(uuid.uuid4().hex, "http://node-a"), session_timeout_ms=6000
    )
    await log.start()
    await node.start()
    try:
        assert await until(lambda: node.is_leader, 30), "the only node did not take the lead"
        await log.append([ModeRecord("first", "READONLY")])
        assert state.modes["first"] == "READONLY"

        usurper = TransactionalProducer(
            transactional_producer_config(
                stack.settings, client_id="usurper", transactional_id=node.transactional_id
            )
        )
        await usurper.init()  # a newer producer of the id: the node's producer is fenced now
        with pytest.raises(RegistryError) as refused:
            await log.append([ModeRecord("fenced", "READONLY")])
        assert refused.value.error_code == 50004
        assert node.fenced == 1 and not node.is_leader
        # the usurper can write (it holds the newest epoch) ...
        key, value = encode_record(ModeRecord("usurped", "READONLY"))
        await usurper.send([OutgoingRecord(topic, value, key=key, partition=0)])

        # ... until the node, still holding the partition, takes the lead back and fences it
        assert await until(lambda: node.is_leader, 20), "the node did not take the lead back"
        assert state.modes.get("usurped") == "READONLY", "it leads only after replaying the usurper's write"
        await log.append([ModeRecord("second", "READONLY")])
        with pytest.raises(ProducerFenced):
            await usurper.send([OutgoingRecord(topic, value, key=key, partition=0)])
        await usurper.close()
        await log.sync()
        assert "fenced" not in state.modes, "the refused write must never become visible"
        assert node.terms == 2
    finally:
        await node.close()
        await log.close()


async def test_every_commit_is_in_the_state_when_its_append_returns_applied_once_and_replayable(
    stack: Any,
) -> None:
    topic = f"_schemas-own-{uuid.uuid4().hex[:8]}"
    state = RegistryState()
    applied: list[Any] = []

    def apply(record: Any) -> None:
        applied.append(record)
        state.apply(record)

    log = KafkaRecordLog(stack.settings, topic, apply, create_topic=registry_topic_spec(topic))
    node = Leadership(
        stack.settings, log, NodeIdentity(uuid.uuid4().hex, "http://node-a"), session_timeout_ms=6000
    )
    await log.start()
    await node.start()
    replica_state = RegistryState()
    replica = KafkaRecordLog(stack.settings, topic, replica_state.apply)
    try:
        assert await until(lambda: node.is_leader, 30), "the only node did not take the lead"
        for n in range(20):
            before = log.position
            await log.append([ModeRecord(f"s{n}", "READONLY"), ModeRecord(f"t{n}", "READWRITE")])
            assert state.modes[f"s{n}"] == "READONLY" and state.modes[f"t{n}"] == "READWRITE"
            assert log.position >= before + 2
        await log.sync()  # the reader has now read past every one of those commits
        subjects = [r.subject for r in applied if isinstance(r, ModeRecord)]
        assert subjects == [s for n in range(20) for s in (f"s{n}", f"t{n}")], "each applied once, in order"
        await replica.start()
        await replica.wait_ready()
        assert replica_state.modes == state.modes, "a replay of the log builds the same state"
    finally:
        await replica.close()
        await node.close()
        await log.close()
