"""Reading topics for the command line: a throw-away consumer that never commits, with time limits.

The CLI only looks: every consumer here has its own random group id, assigns partitions itself
(no group membership) and commits nothing, so running ``flux topics tail`` or ``flux dlq show``
never moves a service's offsets. A broker that does not answer within ``timeout_s`` becomes a
:class:`~flux.cli.errors.CliError` with :attr:`~flux.cli.errors.ExitCode.UNAVAILABLE`.

Example:
    >>> with TopicReader(settings, "tail") as reader:  # doctest: +SKIP
    ...     records = reader.read_all(topic, limit=10)
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Final, Self

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Message, TopicPartition

from flux.cli.errors import CliError, ExitCode
from flux.kafka.config import consumer_config
from flux.settings import Settings

__all__ = ["KAFKA_TIMEOUT_S", "KafkaRecord", "TopicReader"]

KAFKA_TIMEOUT_S: Final = 10.0
"""How long a command waits for the broker before it gives up with exit code 4."""

POLL_S: Final = 0.5
"""One wait for records; also how quickly Ctrl-C is noticed."""

# librdkafka logs every failed connection attempt (many a second). The command reports the outcome
# in one line instead; the client's own log reaches Python logging, silent unless someone configures it.
LIBRDKAFKA_LOG: Final = logging.getLogger("flux.cli.librdkafka")
LIBRDKAFKA_LOG.addHandler(logging.NullHandler())


@dataclass(frozen=True, slots=True)
class KafkaRecord:
    """One consumed record, detached from librdkafka."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()

    @classmethod
    def from_message(cls, msg: Message) -> KafkaRecord:
        kind, stamp = msg.timestamp()
        raw = msg.headers() or []
        pairs = raw.items() if isinstance(raw, dict) else raw  # consumed records carry a list
        headers = tuple((str(k), _header_bytes(v)) for k, v in pairs)
        return cls(
            topic=msg.topic() or "",
            partition=int(msg.partition() or 0),
            offset=int(msg.offset() or 0),
            timestamp_ms=int(stamp) if kind != 0 and stamp >= 0 else None,  # 0 = TIMESTAMP_NOT_AVAILABLE
            key=msg.key(),
            value=msg.value(),
            headers=headers,
        )

    def header(self, name: str) -> str | None:
        """The last value of header ``name`` as text (None when absent)."""
        found = [v for k, v in self.headers if k == name]
        return found[-1].decode("utf-8", "replace") if found else None


def _header_bytes(value: str | bytes | None) -> bytes:
    if value is None:
        return b""
    return value.encode("utf-8") if isinstance(value, str) else value


class TopicReader:
    """A consumer for one command run (see the module docs); use it as a context manager.

    Args:
        settings: Where Kafka is (``FLUX_KAFKA_BOOTSTRAP``, ``FLUX_KAFKA_OPT_*``).
        purpose: Names the client (``flux-cli-<purpose>``) in broker logs.
        timeout_s: How long to wait for the broker (default :data:`KAFKA_TIMEOUT_S`).
    """

    __slots__ = ("_consumer", "_settings", "timeout_s")

    def __init__(self, settings: Settings, purpose: str, *, timeout_s: float | None = None) -> None:
        config = consumer_config(
            settings, group_id=f"flux-cli-{purpose}-{uuid.uuid4().hex[:12]}", client_id=f"flux-cli-{purpose}"
        )
        config["enable.partition.eof"] = True  # how a range read knows a partition is done
        self._consumer = Consumer({**config, "logger": LIBRDKAFKA_LOG})
        self._settings = settings
        self.timeout_s = KAFKA_TIMEOUT_S if timeout_s is None else timeout_s

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the consumer (it holds no group membership, so this is quick)."""
        self._consumer.close()

    def _unavailable(self, what: str, exc: BaseException) -> CliError:
        detail = exc.args[0].str() if exc.args and isinstance(exc.args[0], KafkaError) else str(exc)
        return CliError(
            f"cannot {what} on Kafka at {self._settings.kafka_bootstrap} within {self.timeout_s:g}s: {detail} "
            "(is the broker running? check FLUX_KAFKA_BOOTSTRAP)",
            ExitCode.UNAVAILABLE,
        )

    def partitions(self, topic: str) -> list[int]:
        """The partition numbers of ``topic`` on the broker.

        Raises:
            CliError: the broker does not answer (unavailable), or the topic is in the catalogue
                but not on the broker (not found).
        """
        try:
            metadata = self._consumer.list_topics(timeout=self.timeout_s)
        except KafkaException as exc:
            raise self._unavailable("read metadata", exc) from None
        meta = metadata.topics.get(topic)
        if meta is None or meta.error is not None or not meta.partitions:
            raise CliError(
                f"topic {topic!r} is in the catalogue but not on the broker (run `flux topics create`)",
                ExitCode.NOT_FOUND,
            )
        return sorted(meta.partitions)

    def watermarks(self, topic: str, partition: int) -> tuple[int, int]:
        """(low, high) offsets of one partition: high is the offset the next record will get."""
        try:
            low, high = self._consumer.get_watermark_offsets(
                TopicPartition(topic, partition), timeout=self.timeout_s
            )
        except KafkaException as exc:
            raise self._unavailable(f"read the offsets of {topic}[{partition}]", exc) from None
        return int(low), int(high)

    def read_all(self, topic: str, *, limit: int | None = None) -> list[KafkaRecord]:
        """Every record of ``topic`` present now (oldest first per partition), or the first ``limit``.

        Records appended while reading are left out, so the read always ends.

        Raises:
            CliError: the broker stops answering (unavailable).
        """
        ends: dict[int, int] = {}
        start = []
        for partition in self.partitions(topic):
            low, high = self.watermarks(topic, partition)
            if high > low:
                ends[partition] = high
                start.append(TopicPartition(topic, partition, OFFSET_BEGINNING))
        records: list[KafkaRecord] = []
        if not ends or limit == 0:
            return records
        self._consumer.assign(start)
        last_progress = time.monotonic()
        while ends and (limit is None or len(records) < limit):
            messages = self._consumer.consume(num_messages=500, timeout=POLL_S)
            for msg in messages:
                err = msg.error()
                partition = int(msg.partition() or 0)
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        ends.pop(partition, None)
                        continue
                    if err.fatal() or not err.retriable():
                        raise self._unavailable(f"read {topic}", KafkaException(err))
                    continue
                last_progress = time.monotonic()
                end = ends.get(partition)
                if end is None or int(msg.offset() or 0) >= end:
                    ends.pop(partition, None)
                    continue
                records.append(KafkaRecord.from_message(msg))
                if int(msg.offset() or 0) + 1 >= end:
                    ends.pop(partition, None)
            if ends and time.monotonic() - last_progress > self.timeout_s:
                raise self._unavailable(f"read {topic}", TimeoutError("no records arrived"))
        records.sort(key=lambda r: (r.partition, r.offset))
        return records[:limit] if limit is not None else records

    def follow(self, topic: str, *, from_beginning: bool) -> Iterator[KafkaRecord | None]:
        """Yield records of ``topic`` as they arrive, and None after each wait that brought none.

        Args:
            topic: A topic that exists on the broker (see :meth:`partitions`).
            from_beginning: Start at each partition's oldest record; otherwise at its end now, so
                exactly the records produced from this call on are yielded.
        """
        assignment = []
        for partition in self.partitions(topic):
            if from_beginning:
                assignment.append(TopicPartition(topic, partition, OFFSET_BEGINNING))
            else:
                assignment.append(TopicPartition(topic, partition, self.watermarks(topic, partition)[1]))
        self._consumer.assign(assignment)
        while True:
            messages = self._consumer.consume(num_messages=500, timeout=POLL_S)
            got = False
            for msg in messages:
                err = msg.error()
                if err is not None:
                    if err.fatal():
                        raise self._unavailable(f"read {topic}", KafkaException(err))
                    continue
                got = True
                yield KafkaRecord.from_message(msg)
            if not got:
                yield None
