"""``flux dlq replay``: which parked records are chosen, and the confirmation rules."""

from __future__ import annotations

import io

import pytest

from flux.catalogue import TopicKind, load_catalogue
from flux.cli.errors import CliError, ExitCode
from flux.cli.kafka_read import KafkaRecord
from flux.cli.parked import ParkedRecord
from flux.cli.replay import confirm, plan_replay
from flux.cli.topic_lookup import dead_letter_pair

SOURCE = load_catalogue().of_kind(TopicKind.COMMAND)[0]
PAIR = dead_letter_pair(SOURCE.name)


class Terminal(io.StringIO):
    """Standard input as a terminal: what a person types."""

    def isatty(self) -> bool:
        return True


def parked(
    offset: int,
    error_class: str,
    *,
    topic: str | None = SOURCE.name,
    value: bytes | None = b"\x07",
    origin: tuple[int, int] | None = None,
) -> ParkedRecord:
    headers = [("flux.dlq.error.class", error_class.encode())]
    if topic is not None:
        headers.append(("flux.dlq.original.topic", topic.encode()))
    if origin is not None:
        headers.append(("flux.dlq.original.partition", str(origin[0]).encode()))
        headers.append(("flux.dlq.original.offset", str(origin[1]).encode()))
    return ParkedRecord(KafkaRecord(PAIR.dead_letter.name, 0, offset, 1, b"k", value, tuple(headers)))


def test_dead_letter_pair_resolves_either_name() -> None:
    assert dead_letter_pair(SOURCE.name) == dead_letter_pair(PAIR.dead_letter.name)
    assert PAIR.source.name == SOURCE.name and PAIR.dead_letter.name == SOURCE.dead_letter


def test_plan_takes_every_record_of_the_source_in_order() -> None:
    records = [parked(0, "BadMagicByte"), parked(1, "SchemaMismatch"), parked(2, "BadMagicByte")]
    plan = plan_replay(records, PAIR)
    assert [p.record.offset for p in plan.records] == [0, 1, 2]
    assert plan.skipped == () and plan.target == SOURCE.name


def test_plan_filters_by_error_class_ignoring_case_and_limits() -> None:
    records = [
        parked(0, "BadMagicByte"),
        parked(1, "SchemaMismatch"),
        parked(2, "BadMagicByte"),
        parked(3, "BadMagicByte"),
    ]
    plan = plan_replay(records, PAIR, error_class="badmagicbyte", limit=2)
    assert [p.record.offset for p in plan.records] == [0, 2]
    assert plan_replay(records, PAIR, error_class="Nope").records == ()


def test_plan_skips_records_it_cannot_send_back_and_says_why() -> None:
    other = load_catalogue().of_kind(TopicKind.EVENT)[0].name
    records = [
        parked(0, "X", topic=None),
        parked(1, "X", topic=other),
        parked(2, "X", value=None),
        parked(3, "X"),
    ]
    plan = plan_replay(records, PAIR)
    assert [p.record.offset for p in plan.records] == [3]
    assert [(p.record.offset, why) for p, why in plan.skipped] == [
        (0, "no flux.dlq.original.topic header"),
        (1, f"parked from {other!r}, not {SOURCE.name!r}"),
        (2, "no value (tombstone)"),
    ]


def test_a_record_parked_by_several_consumers_is_replayed_once() -> None:
    records = [
        parked(0, "X", origin=(0, 41)),  # parked by bff-1
        parked(1, "X", origin=(0, 41)),  # the same original record, parked by bff-2
        parked(2, "X", origin=(1, 41)),  # another partition: another record
        parked(3, "X"),  # no origin headers: cannot tell, kept
        parked(4, "X"),
    ]
    plan = plan_replay(records, PAIR)
    assert [p.record.offset for p in plan.records] == [0, 2, 3, 4]
    assert [(p.record.offset, why) for p, why in plan.skipped] == [
        (1, "the same original record is already replayed (parked by another consumer)")
    ]


def test_question_names_count_source_and_that_nothing_is_deleted() -> None:
    plan = plan_replay([parked(0, "X"), parked(1, "X")], PAIR)
    assert plan.question() == (
        f"Replay 2 records from {PAIR.dead_letter.name} to {SOURCE.name}? They stay in the dead-letter topic."
    )


def test_yes_skips_the_question() -> None:
    prompt = io.StringIO()
    confirm("Replay?", yes=True, stdin=io.StringIO(""), prompt_to=prompt)
    assert prompt.getvalue() == ""


def test_without_a_terminal_it_refuses_with_a_usage_error() -> None:
    prompt = io.StringIO()
    with pytest.raises(CliError) as exc:
        confirm("Replay?", yes=False, stdin=io.StringIO("y\n"), prompt_to=prompt)
    assert exc.value.code is ExitCode.USAGE
    assert "--yes" in str(exc.value)
    assert prompt.getvalue() == ""


@pytest.mark.parametrize("answer", ["y\n", "YES\n", " yes \n"])
def test_a_yes_on_the_terminal_goes_ahead(answer: str) -> None:
    prompt = io.StringIO()
    confirm("Replay 2 records?", yes=False, stdin=Terminal(answer), prompt_to=prompt)
    assert prompt.getvalue() == "Replay 2 records? [y/N] "


@pytest.mark.parametrize("answer", ["n\n", "\n", "", "yep\n"])
def test_anything_else_aborts(answer: str) -> None:
    with pytest.raises(CliError) as exc:
        confirm("Replay?", yes=False, stdin=Terminal(answer), prompt_to=io.StringIO())
    assert exc.value.code is ExitCode.FAILED
    assert str(exc.value) == "aborted: nothing was replayed"
