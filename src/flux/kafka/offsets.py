"""How far topics have grown: their start and end offsets summed over partitions, in two batched calls.

:func:`read_topic_offsets` asks the broker through an ``AdminClient`` (one metadata request, then
one ``ListOffsets`` for the earliest and one for the latest offset of every partition), so reading
a few dozen partitions costs three round trips, not one per partition. It blocks: asyncio callers
run it with ``asyncio.to_thread``. confluent-kafka is imported on the first read, so importing this
module costs nothing. ``end`` is the offset the next record will get (the high
watermark), so the growth of ``end`` between two reads is the number of records written in
between, compacted topics included; ``records`` (``end - start``) is what the log holds now.

Example:
    >>> admin = AdminClient(admin_config(settings))  # doctest: +SKIP
    >>> read_topic_offsets(admin, ["news.service.event.updated"], timeout_s=3.0)  # doctest: +SKIP
    {'news.service.event.updated': TopicOffsets(partitions=1, start=0, end=42)}
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["OffsetsUnavailable", "TopicOffsets", "read_topic_offsets"]


class OffsetsUnavailable(RuntimeError):
    """The broker did not tell the offsets in time (or at all)."""


@dataclass(frozen=True, slots=True)
class TopicOffsets:
    """One topic's offsets, summed over its partitions."""

    partitions: int
    start: int
    end: int

    @property
    def records(self) -> int:
        """Records the log holds now (for a compacted topic, an upper bound)."""
        return max(0, self.end - self.start)


def _describe(exc: BaseException) -> str:
    first = exc.args[0] if exc.args else None
    if first is not None and callable(getattr(first, "str", None)):  # a KafkaError
        return str(first.str())
    return str(exc) or type(exc).__name__


def _ask(admin: Any, spec: Any, partitions: list[Any], timeout_s: float) -> dict[Any, Any]:
    """Futures of one ``ListOffsets`` request, keyed by partition."""
    futures: dict[Any, Any] = admin.list_offsets({tp: spec for tp in partitions}, request_timeout=timeout_s)
    return futures


def _wait(futures: dict[Any, Any], timeout_s: float) -> dict[tuple[str, int], int]:
    return {(tp.topic, tp.partition): int(f.result(timeout=timeout_s).offset) for tp, f in futures.items()}


def read_topic_offsets(admin: Any, topics: Iterable[str], *, timeout_s: float) -> dict[str, TopicOffsets]:
    """Offsets of each of ``topics`` that exists on the broker (a missing topic is left out).

    Args:
        admin: A ``confluent_kafka.admin.AdminClient``.
        topics: Topic names.
        timeout_s: Budget of each of the three broker requests.

    Raises:
        OffsetsUnavailable: the broker did not answer within ``timeout_s`` per call, or refused.
    """
    from confluent_kafka import KafkaException, TopicPartition  # noqa: PLC0415 - librdkafka on first use
    from confluent_kafka.admin import OffsetSpec  # type: ignore[attr-defined]  # noqa: PLC0415

    wanted = list(dict.fromkeys(topics))
    try:
        metadata = admin.list_topics(timeout=timeout_s)
        partitions = [
            TopicPartition(name, partition)
            for name in wanted
            if (meta := metadata.topics.get(name)) is not None and meta.error is None
            for partition in sorted(meta.partitions)
        ]
        if not partitions:
            return {}
        earliest, latest = OffsetSpec.earliest(), OffsetSpec.latest()  # type: ignore[no-untyped-call]
        asked_starts = _ask(admin, earliest, partitions, timeout_s)
        asked_ends = _ask(admin, latest, partitions, timeout_s)  # both requests in flight
        starts, ends = _wait(asked_starts, timeout_s), _wait(asked_ends, timeout_s)
    except (KafkaException, TimeoutError) as exc:  # concurrent.futures.TimeoutError is TimeoutError
        raise OffsetsUnavailable(_describe(exc)) from exc
    found: dict[str, TopicOffsets] = {}
    for tp in partitions:
        key = (tp.topic, tp.partition)
        so_far = found.get(tp.topic, TopicOffsets(0, 0, 0))
        found[tp.topic] = TopicOffsets(
            so_far.partitions + 1, so_far.start + max(0, starts[key]), so_far.end + max(0, ends[key])
        )
    return found
