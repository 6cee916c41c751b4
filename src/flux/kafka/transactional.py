"""A transactional producer for asyncio code: each :meth:`send` is one committed transaction.

Kafka fences producers by ``transactional.id``: when a new producer calls ``init_transactions``
with an id, the coordinator bumps the id's epoch, aborts the old producer's open transaction and
refuses every later write of the old producer (a fatal error, reported here as
:class:`ProducerFenced`). Consumers with ``isolation.level=read_committed`` never see the records
of an aborted transaction. The registry builds its single-writer guarantee on this (ADR-021).

Every call to librdkafka's transactional API blocks, so all of them run on one private thread, in
order; delivery reports are served on that thread too (by ``commit_transaction``'s flush and a
final ``poll``), never on the event loop. One transaction at a time: callers serialise sends.

Example:
    >>> producer = TransactionalProducer(transactional_producer_config(settings, client_id="r",
    ...     transactional_id="flux-registry-_schemas"))  # doctest: +SKIP
    >>> await producer.init()  # doctest: +SKIP
    >>> offsets = await producer.send([OutgoingRecord("_schemas", b"v", key=b"k", partition=0)])  # doctest: +SKIP
    >>> await producer.close()  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from flux.kafka.config import ClientConfig
from flux.kafka.producer import DeliveryError, Headers

__all__ = ["OutgoingRecord", "ProducerFenced", "TransactionFailed", "TransactionalProducer"]

T = TypeVar("T")
DEFAULT_TIMEOUT_S: Final = 20.0


class ProducerFenced(DeliveryError):
    """A newer producer initialised the same ``transactional.id``: this one can never write again."""


class TransactionFailed(DeliveryError):
    """The transaction did not commit. ``aborted``: it was rolled back (nothing of it will ever be
    read committed); otherwise its outcome is unknown until a successor initialises the id."""

    def __init__(self, message: str, *, aborted: bool) -> None:
        super().__init__(message)
        self.aborted = aborted


@dataclass(frozen=True, slots=True)
class OutgoingRecord:
    topic: str
    value: bytes | None
    key: bytes | None = None
    headers: Headers = ()
    partition: int | None = None


def _is_fatal(error: KafkaError) -> bool:
    return bool(error.fatal()) or error.code() in (
        KafkaError._FENCED,
        KafkaError.PRODUCER_FENCED,
        KafkaError.INVALID_PRODUCER_EPOCH,
        KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    )


class TransactionalProducer:
    """One transactional producer (config from :func:`flux.kafka.config.transactional_producer_config`)."""

    __slots__ = ("_closed", "_executor", "_fenced", "_producer")

    def __init__(self, config: ClientConfig) -> None:
        self._producer = Producer(dict(config))
        name = str(config.get("client.id", "producer"))
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"kafka-txn-{name}")
        self._closed = False
        self._fenced = False

    @property
    def fenced(self) -> bool:
        """True once a write failed because a newer producer took the transactional id."""
        return self._fenced

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))

    async def init(self, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        """Take the transactional id: fences every earlier producer of it and waits until their
        open transactions are aborted.

        Raises:
            ProducerFenced: a fatal error (e.g. not authorised for the id).
            TransactionFailed: the coordinator did not answer in time (retry with a new producer).
        """
        await self._call(self._init, timeout_s)

    def _init(self, timeout_s: float) -> None:
        try:
            self._producer.init_transactions(timeout_s)
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            if error.fatal():
                self._fenced = True
                raise ProducerFenced(f"init_transactions: {error}") from exc
            raise TransactionFailed(f"init_transactions: {error}", aborted=True) from exc

    async def send(
        self, records: Sequence[OutgoingRecord], timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> list[int]:
        """Write ``records`` in one transaction and commit it; return their offsets (in order).

        Raises:
            ProducerFenced: this producer is fenced (nothing of the transaction is committed).
            TransactionFailed: not committed (``aborted`` tells whether it is certainly rolled back).
        """
        if self._closed:
            raise TransactionFailed("the producer is closed", aborted=True)
        return await self._call(self._send, list(records), timeout_s)

    def _send(self, records: list[OutgoingRecord], timeout_s: float) -> list[int]:
        producer = self._producer
        reports: list[tuple[KafkaError | None, int]] = [(None, -1)] * len(records)
        done = [0]

        def report(index: int, error: KafkaError | None, message: Message) -> None:
            offset = message.offset() if error is None else None
            reports[index] = (error, -1 if offset is None else int(offset))
            done[0] += 1

        try:
            producer.begin_transaction()
            for index, record in enumerate(records):
                kwargs: dict[str, Any] = {
                    "value": record.value,
                    "key": record.key,
                    "on_delivery": functools.partial(report, index),
                }
                if record.headers:
                    kwargs["headers"] = list(record.headers)
                if record.partition is not None:
                    kwargs["partition"] = record.partition
                producer.produce(record.topic, **kwargs)
            producer.commit_transaction(timeout_s)
        except KafkaException as exc:
            raise self._failed(exc.args[0], timeout_s) from exc
        except BufferError as exc:
            self._abort(timeout_s)
            raise TransactionFailed(f"local queue full: {exc}", aborted=True) from exc
        deadline = time.monotonic() + timeout_s
        while done[0] < len(records) and time.monotonic() < deadline:
            producer.poll(0.05)  # reports normally arrive during the commit's flush
        failed = [str(error) for error, _ in reports if error is not None]
        if failed or done[0] < len(records):
            raise TransactionFailed(f"committed without delivery reports: {failed}", aborted=False)
        return [offset for _, offset in reports]

    def _failed(self, error: KafkaError, timeout_s: float) -> DeliveryError:
        if _is_fatal(error):
            self._fenced = True
            return ProducerFenced(f"fenced: {error}")
        if error.txn_requires_abort():
            return TransactionFailed(f"aborted: {error}", aborted=self._abort(timeout_s))
        return TransactionFailed(f"outcome unknown: {error}", aborted=False)

    def _abort(self, timeout_s: float) -> bool:
        try:
            self._producer.abort_transaction(timeout_s)
        except KafkaException as exc:
            if _is_fatal(exc.args[0]):
                self._fenced = True
            return False
        return True

    async def close(self) -> None:
        """Release the thread (an open transaction, if any, is aborted by the coordinator); idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            await self._call(self._producer.flush, 1.0)
        finally:
            self._executor.shutdown(wait=False)
