"""A refused record's dead-letter headers: Confluent's ``__rule.*`` and Flux's, wherever it is refused."""

from __future__ import annotations

from confluent_kafka.schema_registry import serde as confluent_serde

from flux.kafka.dead_letter import dead_letter_headers
from flux.serde import RuleViolation
from flux.serde.errors import RULE_HEADERS
from flux.services.runtime.contract_violations import violation_headers

TOPIC = "news.service.event.updated"


def _violation(reason: str = "Every article links to an absolute https URL.") -> RuleViolation:
    return RuleViolation(
        subject=f"{TOPIC}-value",
        rule="articleUrlsAbsoluteHttps",
        kind="CONDITION",
        mode="READ",
        action="ERROR",
        reason=reason,
    )


class Message:
    """The parts of confluent-kafka's ``Message`` that dead-lettering reads."""

    def __init__(self, headers: list[tuple[str, bytes]] | None = None) -> None:
        self._headers = headers

    def topic(self) -> str:
        return TOPIC

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return 41

    def timestamp(self) -> tuple[int, int]:
        return (1, 1_700_000_000_000)

    def headers(self) -> list[tuple[str, bytes]] | None:
        return self._headers


def test_the_header_names_are_confluent_kafkas_own() -> None:
    assert RULE_HEADERS == (
        confluent_serde.DLQ_RULE_NAME_HEADER,
        confluent_serde.DLQ_RULE_MODE_HEADER,
        confluent_serde.DLQ_RULE_SUBJECT_HEADER,
        confluent_serde.DLQ_RULE_TOPIC_HEADER,
        confluent_serde.DLQ_RULE_EXCEPTION_HEADER,
    )


def test_a_record_refused_on_read_names_its_rule_beside_its_origin() -> None:
    headers = dict(dead_letter_headers(Message(), _violation(), "bff"))  # type: ignore[arg-type]
    assert headers["__rule.name"] == b"articleUrlsAbsoluteHttps"
    assert headers["__rule.mode"] == b"READ"
    assert headers["__rule.subject"] == f"{TOPIC}-value".encode()
    assert headers["__rule.topic"] == TOPIC.encode()
    assert headers["__rule.exception"] == b"Every article links to an absolute https URL."
    assert headers["flux.dlq.rule.name"] == b"articleUrlsAbsoluteHttps"
    assert headers["flux.dlq.rule.action"] == b"ERROR"
    assert headers["flux.dlq.error.class"] == b"RuleViolation"
    assert headers["flux.dlq.original.offset"] == b"41"
    assert headers["flux.dlq.service"] == b"bff"


def test_the_rule_headers_replace_those_a_replayed_record_carried() -> None:
    replayed = Message([("__rule.name", b"someOldRule"), ("trace-id", b"abc")])
    headers = dead_letter_headers(replayed, _violation(), "bff")  # type: ignore[arg-type]
    assert [v for k, v in headers if k == "__rule.name"] == [b"articleUrlsAbsoluteHttps"]
    assert ("trace-id", b"abc") in headers


def test_other_errors_add_no_rule_headers() -> None:
    headers = dead_letter_headers(Message(), ValueError("bad bytes"), "bff")  # type: ignore[arg-type]
    assert not any(k.startswith("__rule.") or k.startswith("flux.dlq.rule.") for k, _ in headers)


def test_a_long_reason_is_bounded() -> None:
    headers = dict(_violation("x" * 5000).dead_letter_headers(TOPIC))
    assert len(headers["__rule.exception"]) == 1000


def test_write_side_headers_carry_the_same_rule_headers_once() -> None:
    headers = violation_headers(_violation(), TOPIC, "news-service")
    names = [k for k, _ in headers]
    assert len(names) == len(set(names))
    assert dict(headers)["flux.dlq.original.offset"] == b"-1"
    assert dict(headers)["flux.dlq.rule.action"] == b"ERROR"


def test_a_consumer_that_is_one_of_several_readers_names_its_group() -> None:
    headers = dict(dead_letter_headers(Message(), ValueError("x"), "bff", group="flux-bff-bff-2"))  # type: ignore[arg-type]
    assert headers["flux.dlq.consumer.group"] == b"flux-bff-bff-2"
    alone = dict(dead_letter_headers(Message(), ValueError("x"), "weather-service"))  # type: ignore[arg-type]
    assert "flux.dlq.consumer.group" not in alone
