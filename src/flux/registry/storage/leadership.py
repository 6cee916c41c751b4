"""Leading the registry cluster: the election's partition turned into a fenced, writable log.

All leaders of one registry cluster (one topic) share one ``transactional.id``
(``flux-registry-<topic>``). When the election (:mod:`flux.registry.storage.election`) assigns
this node the partition, it

1. creates a transactional producer and calls ``init_transactions``: Kafka fences every earlier
   producer of the id (a paused or partitioned ex-leader can never commit again) and aborts
   its open transaction;
2. commits a ``LEADER`` record naming its URL, and waits until its own reader has applied it:
   everything any earlier leader committed lies before that record, so the state is complete;
3. only then accepts writes: each ``append`` is one transaction, acknowledged once applied.

Ids are allocated from the state under the write lock, so two committed writes can never get the
same id: a writer either holds the newest epoch and has read everything before its marker, or
its commit fails. Revocation or loss of the partition stops writes at once (the flag is cleared on
the consumer's thread). A failed write demotes the node; it takes the lead again after a back-off
if the group still has it hold the partition. On shutdown the leader commits a resignation
(``url`` null) and leaves the group, so another node takes over without waiting for the session
timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from confluent_kafka import KafkaException

from flux.kafka.config import transactional_producer_config
from flux.kafka.producer import DeliveryError
from flux.kafka.transactional import OutgoingRecord, ProducerFenced, TransactionalProducer
from flux.registry.core.errors import ErrorCode, NotLeaderError, RegistryError
from flux.registry.core.records import LogRecord, encode_record
from flux.registry.storage.election import LeaderElection, LeaderInfo, encode_leader
from flux.registry.storage.kafka_log import PARTITION, KafkaRecordLog
from flux.settings import Settings

__all__ = ["Leadership", "NodeIdentity", "Role"]

LOG = logging.getLogger(__name__)

NODE_HEADER: Final = "flux-registry-node"
RESIGN_TIMEOUT_S: Final = 5.0


class Role(StrEnum):
    LEADER = "leader"
    ESTABLISHING = "establishing"  # assigned the partition, fencing and replaying
    FOLLOWER = "follower"


@dataclass(frozen=True, slots=True)
class NodeIdentity:
    """This process: a fresh id per start, and the URL other nodes forward writes to."""

    node: str
    url: str


class Leadership:
    """This node's part in the registry cluster (leader, or follower of the leader in the log).

    Args:
        settings: Kafka connection settings.
        log: the node's replayed log (``log.writer`` is set while this node leads).
        identity: this node's id and advertised URL.
        eligible: join the election (False: always a follower, like Confluent's
            ``leader.eligibility=false``).
        session_timeout_ms: how long a silent leader keeps the lead.
        fallback_url: where to forward writes while no leader record has been read yet.
    """

    def __init__(
        self,
        settings: Settings,
        log: KafkaRecordLog,
        identity: NodeIdentity,
        *,
        eligible: bool = True,
        session_timeout_ms: int = 10_000,
        fallback_url: str | None = None,
    ) -> None:
        self.settings = settings
        self.log = log
        self.identity = identity
        self.transactional_id = f"flux-registry-{log.topic}"
        self.fallback_url = fallback_url.rstrip("/") if fallback_url else None
        self._election = (
            LeaderElection(
                settings,
                log.topic,
                identity.node,
                session_timeout_ms=session_timeout_ms,
                on_change=self._wake_up,
            )
            if eligible
            else None
        )
        self._retry_s = max(1.0, session_timeout_ms / 5000)
        self._role = Role.FOLLOWER
        self._producer: TransactionalProducer | None = None
        self._wake = asyncio.Event()
        self._role_changed = asyncio.Event()
        self._retry_at = 0.0
        self._task: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self._txn_lock = asyncio.Lock()
        self.leader_since: float | None = None
        self.terms = 0  # times this node took the lead
        self.fenced = 0  # writes refused because another node took the lead

    # --------------------------------------------------------------------- view
    @property
    def role(self) -> Role:
        return self._role

    @property
    def holds(self) -> bool:
        return self._election is not None and self._election.holds

    @property
    def is_leader(self) -> bool:
        """True while this node may write (established and still holding the partition)."""
        return self._role is Role.LEADER and self.holds

    @property
    def establishing(self) -> bool:
        return self.holds and not self.is_leader

    @property
    def position(self) -> int:
        return self.log.position

    def leader_url(self) -> str | None:
        """The current leader's URL when it is another node; None when unknown (or resigned)."""
        info = self.log.leader
        if info is None:
            return self.fallback_url
        if info.node == self.identity.node or info.url is None:
            return None
        if info.url.rstrip("/") == self.identity.url.rstrip("/"):
            return None  # a previous process at this address: it is gone
        return info.url.rstrip("/")

    def describe(self) -> dict[str, object]:
        """For ``/health`` and ``/ready``: role (leader or follower), this node's id, the leader's URL."""
        leading = self.is_leader
        return {
            "role": str(Role.LEADER if leading else Role.FOLLOWER),
            "node": self.identity.node,
            "leader": self.identity.url if leading else self.leader_url(),
            "eligible": self._election is not None,
            "terms": self.terms,
            "fenced": self.fenced,
        }

    async def wait_change(self, limit_s: float) -> None:
        """Wait (at most ``limit_s``) until this node's role or the known leader changes."""
        role = asyncio.ensure_future(self._role_changed.wait())
        leader = asyncio.ensure_future(self.log.wait_leader_change(limit_s))
        try:
            await asyncio.wait({role, leader}, timeout=limit_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            role.cancel()
            leader.cancel()

    async def wait_position(self, position: int, limit_s: float) -> None:
        """Wait until every record before ``position`` is applied here (read-your-writes)."""
        if position > 0:
            await self.log.wait_applied(position - 1, limit_s)

    # ---------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        if self._election is not None:
            await self._election.start()
            self._task = asyncio.create_task(self._supervise(), name="registry-leadership")

    def _wake_up(self) -> None:
        self._wake.set()

    def _set_role(self, role: Role) -> None:
        if role is not self._role:
            self._role = role
            self._role_changed.set()
            self._role_changed = asyncio.Event()

    async def _supervise(self) -> None:
        try:
            await self._keep_leading()
        except asyncio.CancelledError:
            raise
        except Exception:  # never leave the node silently unable to lead
            LOG.exception("the registry leadership task failed")
            self._demote("the leadership task failed", backoff=False)
            raise

    async def _keep_leading(self) -> None:
        await self.log.wait_ready()
        while True:
            self._wake.clear()
            if self.holds and self._role is Role.FOLLOWER and time.monotonic() >= self._retry_at:
                await self._establish()
            elif not self.holds and self._role is not Role.FOLLOWER:
                self._demote("the election revoked the partition", backoff=False)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.25)

    async def _establish(self) -> None:
        self._set_role(Role.ESTABLISHING)
        started = time.monotonic()
        config = transactional_producer_config(
            self.settings,
            client_id=f"flux-registry-{self.identity.node[:8]}",
            transactional_id=self.transactional_id,
        )
        try:
            producer = TransactionalProducer(config)
        except KafkaException as exc:  # a configuration error: retrying will not help quickly
            LOG.error("cannot create the registry's transactional producer", extra={"error": str(exc)})
            self._retry_at = time.monotonic() + 10 * self._retry_s
            self._set_role(Role.FOLLOWER)
            return
        try:
            await producer.init()  # fences every earlier leader
            marker = LeaderInfo(self.identity.node, self.identity.url, int(time.time() * 1000))
            offsets = await producer.send([self._outgoing(*encode_leader(marker))])
            await self.log.wait_applied(offsets[-1])  # the whole log before the marker is applied
        except (DeliveryError, RegistryError) as exc:
            LOG.warning("could not take the registry lead", extra={"error": str(exc)})
            self._close_later(producer)
            self._retry_at = time.monotonic() + self._retry_s
            self._set_role(Role.FOLLOWER)
            return
        if not self.holds:
            self._close_later(producer)
            self._set_role(Role.FOLLOWER)
            return
        self._producer = producer
        self.terms += 1
        self.leader_since = time.monotonic()
        self.log.writer = self
        self._set_role(Role.LEADER)
        LOG.info(
            "registry leader: writes accepted",
            extra={
                "url": self.identity.url,
                "seconds": round(time.monotonic() - started, 3),
                "position": self.log.position,
            },
        )

    def _demote(self, reason: str, *, backoff: bool) -> None:
        """Stop writing now; the producer closes after its running transaction."""
        self.log.writer = None
        producer, self._producer = self._producer, None
        if producer is not None:
            self._close_later(producer)
        if backoff:
            self._retry_at = time.monotonic() + self._retry_s
        if self._role is not Role.FOLLOWER:
            LOG.warning("registry node steps down", extra={"reason": reason})
        self.leader_since = None
        self._set_role(Role.FOLLOWER)

    def _close_later(self, producer: TransactionalProducer) -> None:
        task = asyncio.create_task(producer.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _outgoing(self, key: bytes, value: bytes | None) -> OutgoingRecord:
        return OutgoingRecord(
            self.log.topic,
            value,
            key=key,
            headers=[(NODE_HEADER, self.identity.node.encode())],
            partition=PARTITION,
        )

    # ------------------------------------------------------------------ writing
    async def write(self, records: Sequence[LogRecord]) -> None:
        """One transaction for ``records``; returns once they are applied to the state.

        Raises:
            RegistryError: 50004 when this node does not lead (or was fenced), 50001 when the
                transaction failed, 50002 when it was not applied in time.
        """
        async with self._txn_lock:
            producer = self._producer
            if producer is None or not self.is_leader:
                raise NotLeaderError()
            try:
                offsets = await producer.send([self._outgoing(*encode_record(r)) for r in records])
            except ProducerFenced as exc:
                self.fenced += 1
                self._demote(f"fenced: {exc}", backoff=True)
                raise NotLeaderError("This registry node was fenced: another node leads now; retry") from None
            except DeliveryError as exc:
                self._demote(f"write failed: {exc}", backoff=True)
                raise RegistryError(
                    500, ErrorCode.STORE_ERROR, f"Error while writing to the registry log: {exc}"
                ) from None
            # Wait for the reader rather than apply the commit here: once the reader has it, the
            # coordinator has written the transaction's markers, so the next write's transaction
            # does not meet this one still completing (CONCURRENT_TRANSACTIONS, then librdkafka's
            # retry back-off: measured, acknowledging at once moved register p99 from ~20 to ~35 ms).
            try:
                await self.log.wait_applied(max(offsets))
            except RegistryError:
                self._demote("a committed write was not applied in time", backoff=True)
                raise

    async def close(self) -> None:
        """Resign (when leading), leave the election and release the producer."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        producer = self._producer
        if producer is not None and self.is_leader:
            resign = LeaderInfo(self.identity.node, None, int(time.time() * 1000))
            try:
                async with self._txn_lock:
                    await asyncio.wait_for(
                        producer.send([self._outgoing(*encode_leader(resign))]), RESIGN_TIMEOUT_S
                    )
                LOG.info("registry leader resigned")
            except (DeliveryError, TimeoutError) as exc:
                LOG.warning("could not resign the registry lead", extra={"error": str(exc)})
        self._demote("shutting down", backoff=False)
        if self._election is not None:
            await self._election.close()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
