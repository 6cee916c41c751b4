"""Reading topics back from Kafka after a run: every record of a topic, from its start to its end.

The invariants are checked against Kafka itself (commands the BFF produced,
events the services produced, what landed in the dead-letter topics), so this
reads raw records (value bytes and headers untouched) with a throw-away
consumer that never joins a group.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from flux.kafka.config import consumer_config
from flux.settings import Settings

__all__ = ["RawRecord", "read_topics"]


@dataclass(frozen=True, slots=True)
class RawRecord:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]

    def header(self, *names: str) -> str | None:
        """The first of ``names`` present, decoded as UTF-8."""
        for name in names:
            if name in self.headers:
                return self.headers[name].decode("utf-8", "replace")
        return None


def read_topics(
    settings: Settings, topics: Iterable[str], timeout_s: float = 60.0
) -> dict[str, list[RawRecord]]:
    """Every record of ``topics`` (from the first offset to the end as of now), grouped by topic."""
    wanted = list(topics)
    out: dict[str, list[RawRecord]] = {t: [] for t in wanted}
    consumer = Consumer(consumer_config(settings, group_id="flux-chaos-audit", client_id="flux-chaos-audit"))
    try:
        metadata = consumer.list_topics(timeout=15)
        assignment: list[TopicPartition] = []
        ends: dict[tuple[str, int], int] = {}
        for topic in wanted:
            for partition in metadata.topics[topic].partitions:
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=15)
                if high > low:
                    ends[(topic, partition)] = high
                    assignment.append(TopicPartition(topic, partition, OFFSET_BEGINNING))
        if not assignment:
            return out
        consumer.assign(assignment)
        deadline = time.monotonic() + timeout_s
        while ends and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=2000, timeout=0.5):
                if msg.error():
                    continue
                topic, partition, offset = msg.topic() or "", msg.partition() or 0, msg.offset() or 0
                headers = {str(h[0]): h[1] for h in (msg.headers() or []) if isinstance(h[1], bytes)}
                out[topic].append(
                    RawRecord(
                        topic, partition, offset, msg.timestamp()[1], msg.key(), msg.value() or b"", headers
                    )
                )
                if offset + 1 >= ends.get((topic, partition), 0):
                    ends.pop((topic, partition), None)
        if ends:
            raise TimeoutError(f"could not read to the end of {sorted({t for t, _ in ends})}")
    finally:
        consumer.close()
    return out
