"""Dead letters: each poison record in its topic's DLQ exactly once, naming its origin; nothing else there."""

from __future__ import annotations

from flux.catalogue import TopicKind, load_catalogue
from flux.chaos.dead_letters import check_dead_letters
from flux.chaos.invariants import evaluate
from flux.chaos.poison import POISON_HEADER, POISON_KINDS, PoisonRecord, dead_letter_readers
from flux.chaos.raw_records import RawRecord

from .synthetic_run import SyntheticRun, dead_letter, poison_record

NEWS_DLQ = "flux.news.refresh.dlq"


def written(tag: str = "run1-0") -> list[PoisonRecord]:
    return [poison_record(tag, kind, offset) for offset, kind in enumerate(POISON_KINDS, start=10)]


def dead_lettered(poison: list[PoisonRecord]) -> dict[str, list[RawRecord]]:
    return {NEWS_DLQ: [dead_letter(p, offset) for offset, p in enumerate(poison)]}


def test_every_poison_record_dead_lettered_once_with_its_origin_passes() -> None:
    poison = written()

    audit = check_dead_letters(poison, dead_lettered(poison))

    assert audit == {
        "written": 4,
        "dead_lettered": 4,
        "missing": [],
        "missing_markers": [],
        "duplicated": [],
        "bad_headers": [],
        "unexpected": [],
        "unexpected_total": 0,
        "by_error": {"SerdeError": 4},
    }


def test_a_poison_record_missing_from_its_dlq_is_reported_by_kind_and_place() -> None:
    poison = written()
    topics = dead_lettered(poison)
    del topics[NEWS_DLQ][1]

    audit = check_dead_letters(poison, topics)

    assert audit["dead_lettered"] == 3
    assert audit["missing"] == ["unknown-schema-id in flux.news.refresh@11"]
    assert audit["missing_markers"] == [poison[1].marker]


def test_a_poison_record_dead_lettered_twice_is_duplicated() -> None:
    poison = written()
    topics = dead_lettered(poison)
    topics[NEWS_DLQ].append(dead_letter(poison[2], 99))

    audit = check_dead_letters(poison, topics)

    assert audit["duplicated"] == ["truncated-body in flux.news.refresh@12 x2"]
    assert audit["dead_lettered"] == 4
    assert audit["by_error"] == {"SerdeError": 4}  # one per poison record, not per copy


def test_a_dead_letter_that_misnames_its_origin_or_error_or_changes_the_bytes_has_bad_headers() -> None:
    poison = written()
    topics = {
        NEWS_DLQ: [
            dead_letter(poison[0], 0, headers={"flux.dlq.original.offset": "999"}),
            dead_letter(poison[1], 1, headers={"flux.dlq.error.class": ""}),
            dead_letter(poison[2], 2, headers={"flux.dlq.error.message": None}),
            dead_letter(poison[3], 3, value=b"re-encoded"),
        ]
    }

    audit = check_dead_letters(poison, topics)

    assert audit["bad_headers"] == [f"{p.kind} in flux.news.refresh@{p.offset}" for p in poison]
    assert audit["missing"] == []


def test_an_empty_error_message_is_still_a_message() -> None:
    poison = written()[:1]
    audit = check_dead_letters(
        poison, {NEWS_DLQ: [dead_letter(poison[0], 0, headers={"flux.dlq.error.message": ""})]}
    )

    assert audit["bad_headers"] == []


def test_a_dead_letter_nobody_planted_is_unexpected() -> None:
    poison = written()
    topics = dead_lettered(poison)
    stranger = RawRecord(
        NEWS_DLQ,
        0,
        7,
        0,
        None,
        b"a real command",
        {
            "flux.dlq.original.topic": b"flux.news.refresh",
            "flux.dlq.original.offset": b"1234",
            "flux.dlq.error.class": b"ValidationError",
        },
    )
    topics[NEWS_DLQ].append(stranger)

    audit = check_dead_letters(poison, topics)

    assert audit["unexpected"] == [f"{NEWS_DLQ}@7: ValidationError from flux.news.refresh@1234"]
    assert audit["unexpected_total"] == 1
    assert audit["missing"] == []


def test_our_poison_in_another_topic_s_dlq_is_unexpected_there_and_missing_from_its_own() -> None:
    poison = written()
    topics = dead_lettered(poison)
    moved = topics[NEWS_DLQ].pop(0)
    topics["flux.weather.fetch.dlq"] = [dead_letter(poison[0], moved.offset, topic="flux.weather.fetch.dlq")]

    audit = check_dead_letters(poison, topics)

    assert audit["unexpected_total"] == 1
    assert audit["missing"] == ["bad-magic-byte in flux.news.refresh@10"]


def test_unexpected_dead_letters_are_all_counted_but_only_forty_listed() -> None:
    strangers = [
        dead_letter(None, offset, headers={POISON_HEADER: f"other:{offset}"}) for offset in range(45)
    ]

    audit = check_dead_letters([], {NEWS_DLQ: strangers})

    assert audit["unexpected_total"] == 45
    assert len(audit["unexpected"]) == 40


def test_the_verdict_counts_each_kind_of_failure() -> None:
    run = SyntheticRun()
    run.poison = written()
    topics = dead_lettered(run.poison)
    del topics[NEWS_DLQ][0]
    topics[NEWS_DLQ].append(dead_letter(run.poison[1], 50))
    topics[NEWS_DLQ].append(dead_letter(None, 51))
    run.ledger.dead_letters = topics

    verdict = evaluate(run.build()).invariants[4]

    assert (verdict.name, verdict.passed) == ("every poison record in its DLQ, nothing else", False)
    assert verdict.detail == "3/4 dead-lettered, 1 duplicated, 0 with bad headers, 1 unexpected"


def test_the_verdict_passes_when_every_poison_record_is_in_its_dlq() -> None:
    run = SyntheticRun()
    run.poison = written()
    run.ledger.dead_letters = dead_lettered(run.poison)

    verdict = evaluate(run.build()).invariants[4]

    assert verdict.passed is True
    assert verdict.detail == "4/4 dead-lettered, 0 duplicated, 0 with bad headers, 0 unexpected"


def test_without_poison_the_verdict_is_not_judged() -> None:
    run = SyntheticRun()
    run.ledger.dead_letters = {NEWS_DLQ: []}

    assert evaluate(run.build()).invariants[4].passed is None


def test_without_poison_an_unexpected_dead_letter_still_fails() -> None:
    """The second bug found: with nothing planted, anything in a DLQ was reported n/a instead of failed."""
    run = SyntheticRun()
    run.ledger.dead_letters = {
        NEWS_DLQ: [dead_letter(None, 3, headers={"flux.dlq.error.class": "SerdeError"})]
    }

    verdict = evaluate(run.build()).invariants[4]

    assert verdict.passed is False
    assert verdict.detail == "0/0 dead-lettered, 0 duplicated, 0 with bad headers, 1 unexpected"


def test_a_poison_fault_row_shows_how_many_of_its_own_records_were_dead_lettered() -> None:
    run = SyntheticRun()
    run.window("poison", "poison", 10, lifted=11, end=30, tag="run1-4")
    run.window("poison #2", "poison", 30, lifted=31, end=50, tag="run1-44")
    first, second = written("run1-4"), written("run1-44")  # one tag a prefix of the other
    run.poison = first + second
    run.ledger.dead_letters = dead_lettered(first + second[:1])

    rows = evaluate(run.build()).rows

    assert [r.dead_lettered for r in rows] == ["4/4", "1/4"]


def by_instance(p: PoisonRecord, offset: int, instance: str) -> RawRecord:
    return dead_letter(
        p, offset, headers={"flux.dlq.service": "bff", "flux.dlq.consumer.group": f"flux-bff-{instance}"}
    )


def test_a_topic_with_two_readers_wants_one_dead_letter_from_each() -> None:
    poison = written()
    readers = {p.topic: 2 for p in poison}
    both = {NEWS_DLQ: [by_instance(p, n * 2 + i, f"bff-{i}") for n, p in enumerate(poison) for i in (1, 2)]}

    audit = check_dead_letters(poison, both, readers)
    assert (audit["missing"], audit["duplicated"], audit["dead_lettered"]) == ([], [], 4)

    one_short = {NEWS_DLQ: both[NEWS_DLQ][1:]}  # bff-1 never parked the first record
    assert check_dead_letters(poison, one_short, readers)["missing"] == [
        "bad-magic-byte in flux.news.refresh@10 (by 1 of 2 consumers)"
    ]
    twice = {NEWS_DLQ: [*both[NEWS_DLQ], by_instance(poison[0], 50, "bff-2")]}  # bff-2 parked it twice
    assert check_dead_letters(poison, twice, readers)["duplicated"] == [
        "bad-magic-byte in flux.news.refresh@10 x3 by 2 consumers for 2"
    ]
    # Read by one consumer, the two instances' copies are one too many.
    assert check_dead_letters(poison, both)["duplicated"][0] == "bad-magic-byte in flux.news.refresh@10 x2"


def test_every_bff_instance_reads_the_events_and_one_group_per_service_the_commands() -> None:
    catalogue = load_catalogue()
    readers = dead_letter_readers(bff_instances=2)
    for topic in catalogue.of_kind(TopicKind.EVENT):
        if topic.name in readers and topic.consumers == ("bff",):
            assert readers[topic.name] == 2, topic.name
    for topic in catalogue.of_kind(TopicKind.COMMAND):
        assert readers[topic.name] == len(topic.consumers) == 1, topic.name
    assert dead_letter_readers(bff_instances=1) == {name: 1 for name in readers}
