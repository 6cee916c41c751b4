"""Leader election through Kafka's group protocol, and the record that names the leader.

Every eligible registry node joins one consumer group (``flux-registry-<topic>``) subscribed to
the registry topic, which has exactly one partition: the group coordinator assigns it to exactly
one live member, and that member may lead. A member that stops heartbeating for the session
timeout (killed, paused, partitioned) loses it and the partition goes to another member. The
member never reads through this consumer: the partition is paused as soon as it is assigned.

The group protocol says who holds the partition, but librdkafka cannot publish member metadata,
so the leader announces itself on the registry topic: a ``LEADER`` record
(``{"keytype":"LEADER","magic":0}`` → ``{"url","node","since"}``, ``url`` null when it resigns)
written in its first transaction. Followers learn the leader's URL from the log they replay
anyway. Holding the partition is not what makes writes safe — fencing is (ADR-021).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from confluent_kafka import Consumer, TopicPartition

from flux.kafka.config import election_config
from flux.kafka.consumer import AsyncConsumer
from flux.settings import Settings

__all__ = ["LEADER_KEY", "LeaderElection", "LeaderInfo", "decode_leader", "encode_leader"]

LOG = logging.getLogger(__name__)

LEADER_KEY: Final = b'{"keytype":"LEADER","magic":0}'
PARTITION: Final = 0
POLL_S: Final = 0.1


@dataclass(frozen=True, slots=True)
class LeaderInfo:
    """Who leads: the node's id (one per process), its advertised URL (None: it resigned)."""

    node: str
    url: str | None
    since_ms: int = 0


def encode_leader(info: LeaderInfo) -> tuple[bytes, bytes]:
    value = {"url": info.url, "node": info.node, "since": info.since_ms}
    return LEADER_KEY, json.dumps(value, separators=(",", ":")).encode()


def decode_leader(key: bytes | None, value: bytes | None) -> LeaderInfo | None:
    """The leader record's content; None when ``key`` is not the leader key or the value is unusable."""
    if key is None or b'"LEADER"' not in key:
        return None
    try:
        if json.loads(key).get("keytype") != "LEADER" or value is None:
            return None
        v = json.loads(value)
        url = v.get("url")
        return LeaderInfo(str(v["node"]), None if url is None else str(url), int(v.get("since") or 0))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


class LeaderElection:
    """Membership of the election group; :attr:`holds` says whether this node was assigned the partition.

    Args:
        settings: Kafka connection settings.
        topic: the registry topic (its one partition is what the group assigns).
        node: this node's id (client id of the member).
        session_timeout_ms: how long a silent member keeps the partition.
        on_change: called on the event loop whenever :attr:`holds` changes.
    """

    def __init__(
        self,
        settings: Settings,
        topic: str,
        node: str,
        *,
        session_timeout_ms: int,
        on_change: Callable[[], None],
    ) -> None:
        self.topic = topic
        self.group_id = f"flux-registry-{topic}"
        self._config = election_config(
            settings,
            group_id=self.group_id,
            client_id=f"flux-registry-{node[:8]}",
            session_timeout_ms=session_timeout_ms,
        )
        self._on_change = on_change
        self._holds = threading.Event()  # set and cleared on the consumer's thread
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._consumer: AsyncConsumer | None = None
        self.generation = 0  # incremented on every assignment of the partition

    @property
    def holds(self) -> bool:
        """True while the group has this member holding the partition (false at once on revocation)."""
        return self._holds.is_set()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run(), name="registry-election")

    async def _run(self) -> None:
        while True:  # the broker may not be up yet
            try:
                consumer = AsyncConsumer(self._config, workers=1)
                await consumer.subscribe(
                    [self.topic], on_assign=self._assigned, on_revoke=self._revoked, on_lost=self._lost
                )
                break
            except Exception as exc:
                LOG.warning("cannot join the registry election yet", extra={"error": str(exc)})
                await asyncio.sleep(1.0)
        self._consumer = consumer
        while True:
            await consumer.next_batch(16, wait_s=POLL_S)  # serves heartbeats' results and callbacks

    # ------------------------------------------------------ callbacks (consumer thread)
    def _mine(self, partitions: list[TopicPartition]) -> bool:
        return any(p.topic == self.topic and p.partition == PARTITION for p in partitions)

    def _assigned(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        consumer.incremental_assign(partitions)
        if partitions:
            consumer.pause(partitions)  # membership only: never fetch through this consumer
        if self._mine(partitions):
            self.generation += 1
            self._holds.set()
            LOG.info("registry election: assigned the leadership", extra={"group": self.group_id})
            self._notify()

    def _revoked(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._drop(partitions, "revoked")

    def _lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._drop(partitions, "lost")

    def _drop(self, partitions: list[TopicPartition], how: str) -> None:
        if self._mine(partitions) and self._holds.is_set():
            self._holds.clear()
            LOG.warning(f"registry election: leadership {how}", extra={"group": self.group_id})
            self._notify()

    def _notify(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is closing
                loop.call_soon_threadsafe(self._on_change)

    async def close(self) -> None:
        """Leave the group (the partition moves to another member at once)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._holds.clear()
        if self._consumer is not None:
            started = time.monotonic()
            await self._consumer.close()
            LOG.info("left the registry election", extra={"seconds": round(time.monotonic() - started, 3)})
