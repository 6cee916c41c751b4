"""Dead letters: each poison record is in its topic's dead-letter topic once per consumer, and nothing else is.

A topic read by several independent consumers has a poison record parked by each (every BFF
instance reads every event in a group of its own): one dead letter per consumer identity
(``flux.dlq.service`` and ``flux.dlq.consumer.group``), as many as the topic has readers.

Records a data-contract rule refused (their dead letters name the rule) are not poison; they are
judged by :mod:`flux.chaos.contract_violations`.

A poison record is found by the ``flux.chaos.poison`` marker its consumer
copied into the dead letter; that dead letter must carry the record's original
bytes and the headers of :mod:`flux.kafka.dead_letter` naming the origin
(topic and offset) and the error. Any other record in a dead-letter topic (or
ours in another topic's) is unexpected.

Example:
    >>> audit = check_dead_letters(run.poison, run.ledger.dead_letters)  # doctest: +SKIP
    >>> audit["dead_lettered"], audit["written"], audit["unexpected_total"]  # doctest: +SKIP
    (44, 44, 0)
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from flux.chaos.evaluation import MAX_DETAILS
from flux.chaos.ledger import RULE_NAME
from flux.chaos.poison import POISON_HEADER, PoisonRecord
from flux.chaos.raw_records import RawRecord
from flux.kafka.dead_letter import GROUP_HEADER

__all__ = ["check_dead_letters"]

# Every Flux consumer dead-letters through flux.kafka.dead_letter, with these headers.
_ORIGIN_TOPIC: Final = ("flux.dlq.original.topic",)
_ORIGIN_OFFSET: Final = ("flux.dlq.original.offset",)
_ERROR_CLASS: Final = ("flux.dlq.error.class",)
_ERROR_MESSAGE: Final = ("flux.dlq.error.message",)
_SERVICE: Final = ("flux.dlq.service",)
_GROUP: Final = (GROUP_HEADER,)


def _sort_by_marker(
    poison: Sequence[PoisonRecord], dead_letters: dict[str, list[RawRecord]]
) -> tuple[dict[str, list[RawRecord]], list[str]]:
    """Our dead letters grouped by poison marker, and a description of every other one."""
    by_marker: dict[str, list[RawRecord]] = defaultdict(list)
    unexpected: list[str] = []
    expected_markers = {p.marker: p for p in poison}
    for topic, records in dead_letters.items():
        for record in records:
            if record.header(RULE_NAME) is not None:
                continue
            marker = record.header(POISON_HEADER)
            origin = expected_markers.get(marker or "")
            if origin is None or origin.dead_letter_topic != topic:
                unexpected.append(
                    f"{topic}@{record.offset}: {record.header(*_ERROR_CLASS)} from "
                    f"{record.header(*_ORIGIN_TOPIC)}@{record.header(*_ORIGIN_OFFSET)}"
                )
                continue
            by_marker[marker or ""].append(record)
    return by_marker, unexpected


def _names_its_origin(record: RawRecord, poison: PoisonRecord) -> bool:
    return not (
        record.header(*_ORIGIN_TOPIC) != poison.topic
        or record.header(*_ORIGIN_OFFSET) != str(poison.offset)
        or not record.header(*_ERROR_CLASS)
        or record.header(*_ERROR_MESSAGE) is None
        or record.value != poison.value
    )


def _consumer(record: RawRecord) -> tuple[str | None, str | None]:
    return record.header(*_SERVICE), record.header(*_GROUP)


def check_dead_letters(
    poison: Sequence[PoisonRecord],
    dead_letters: dict[str, list[RawRecord]],
    readers: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Audit the dead-letter topics (records by topic) against the poison records written;
    ``readers``: how many consumers park a record of each topic (1 when not given)."""
    by_marker, unexpected = _sort_by_marker(poison, dead_letters)
    missing, duplicated, bad_headers = [], [], []
    missing_markers: set[str] = set()
    for p in poison:
        found = by_marker.get(p.marker, [])
        wanted = (readers or {}).get(p.topic, 1)
        consumers = Counter(_consumer(r) for r in found)
        if len(consumers) < wanted:
            partly = f" (by {len(consumers)} of {wanted} consumers)" if found else ""
            missing.append(f"{p.kind} in {p.topic}@{p.offset}{partly}")
            missing_markers.add(p.marker)
            if not found:
                continue
        twice = {c: n for c, n in consumers.items() if n > 1}
        if twice or len(consumers) > wanted:
            by = f" by {len(consumers)} consumers for {wanted}" if wanted > 1 else ""
            duplicated.append(f"{p.kind} in {p.topic}@{p.offset} x{len(found)}{by}")
        if not all(_names_its_origin(r, p) for r in found):
            bad_headers.append(f"{p.kind} in {p.topic}@{p.offset}")
    return {
        "written": len(poison),
        "dead_lettered": len(poison) - len(missing),
        "missing": missing,
        "missing_markers": sorted(missing_markers),
        "duplicated": duplicated,
        "bad_headers": bad_headers,
        "unexpected": unexpected[:MAX_DETAILS],
        "unexpected_total": len(unexpected),
        "by_error": _error_classes(by_marker.values()),
    }


def _error_classes(groups: Iterable[list[RawRecord]]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for group in groups:
        for record in group[:1]:
            counts[record.header(*_ERROR_CLASS) or "?"] += 1
    return dict(counts)
