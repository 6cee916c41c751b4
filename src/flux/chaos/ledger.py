"""What Kafka says happened: the commands the BFF produced, the events the services answered with,
and what reached the dead-letter topics — decoded from the raw records read after a run.

An event a data-contract rule refused (its dead letter names the rule in Confluent's ``__rule.*``
headers) is decoded too, as a :class:`RefusedRecord`: the answer its command got instead of an event.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from flux.catalogue import load_catalogue
from flux.chaos.poison import POISON_HEADER, PoisonRecord, consumed_topics
from flux.chaos.raw_records import RawRecord, read_topics
from flux.contracts import (
    FetchWeather,
    NewsUpdated,
    RefreshNews,
    RefreshTopCoins,
    RefreshTopMovers,
    RefreshTopPerformers,
    TopCoinsUpdated,
    TopMoversUpdated,
    TopPerformersUpdated,
    WeatherUpdated,
)
from flux.contracts.keys import GLOBAL_KEY, city_key
from flux.serde import SerdeError
from flux.serde.sync_serde import Serde
from flux.settings import Settings

__all__ = ["ANSWERS", "RULE_NAME", "CommandRecord", "EventRecord", "Ledger", "RefusedRecord", "read_ledger"]

RULE_NAME: Final = "__rule.name"
"""The header naming the data-contract rule that refused a dead-lettered record."""

# Client stream → (command that asks for it, event that answers it).
ANSWERS: Final[dict[str, tuple[type, type]]] = {
    "weather": (FetchWeather, WeatherUpdated),
    "crypto:topcoins": (RefreshTopCoins, TopCoinsUpdated),
    "crypto:movers": (RefreshTopMovers, TopMoversUpdated),
    "news": (RefreshNews, NewsUpdated),
    "stocks": (RefreshTopPerformers, TopPerformersUpdated),
}


def _ms(moment: datetime) -> int:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class CommandRecord:
    stream: str
    user_id: str
    key: str
    issued_at: int
    command_id: str
    offset: int


@dataclass(frozen=True, slots=True)
class EventRecord:
    stream: str
    key: str
    produced_at: int
    snapshot_hash: str
    correlation_id: str | None


@dataclass(frozen=True, slots=True)
class RefusedRecord:
    """An event its data contract refused, parked in its topic's dead-letter topic."""

    event: EventRecord
    rule: str
    mode: str
    dead_letter_topic: str


@dataclass(slots=True)
class Ledger:
    """Decoded commands and events plus the dead-letter topics' raw records."""

    commands: list[CommandRecord] = field(default_factory=list)
    events_by_command: dict[str, list[EventRecord]] = field(default_factory=lambda: defaultdict(list))
    events: int = 0
    dead_letters: dict[str, list[RawRecord]] = field(default_factory=dict)
    undecodable: list[str] = field(default_factory=list)
    snapshot_hashes: set[str] = field(default_factory=set)
    refused: list[RefusedRecord] = field(default_factory=list)
    refused_by_command: dict[str, list[RefusedRecord]] = field(default_factory=lambda: defaultdict(list))


def _command(stream: str, record: RawRecord, command: Any) -> CommandRecord:
    if isinstance(command, FetchWeather):
        user, key = str(command.user_id), city_key(command.data.city)
    else:
        user, key = str(command.requested_by), GLOBAL_KEY
    return CommandRecord(stream, user, key, _ms(command.issued_at), str(command.command_id), record.offset)


def _event(stream: str, event: Any) -> EventRecord:
    key = event.city_key if isinstance(event, WeatherUpdated) else GLOBAL_KEY
    correlation = str(event.correlation_id) if event.correlation_id is not None else None
    return EventRecord(stream, key, _ms(event.produced_at), event.snapshot_hash, correlation)


def read_ledger(settings: Settings, poison: list[PoisonRecord]) -> Ledger:
    """Read and decode every command, event and dead letter of the run."""
    catalogue = load_catalogue()
    serde = Serde.from_settings(settings)
    roles: dict[str, tuple[str, type, bool]] = {}
    for stream, (command_class, event_class) in ANSWERS.items():
        roles[command_class.TOPIC] = (stream, command_class, True)  # type: ignore[attr-defined]
        roles[event_class.TOPIC] = (stream, event_class, False)  # type: ignore[attr-defined]
    dead_letter_topics = [catalogue.dead_letter_for(t) for t in consumed_topics()]
    raw = read_topics(settings, [*roles, *dead_letter_topics])
    poisoned = {(p.topic, p.partition, p.offset) for p in poison}
    ledger = Ledger(dead_letters={t: raw[t] for t in dead_letter_topics})
    for topic, (stream, contract, is_command) in roles.items():
        for record in raw[topic]:
            if (record.topic, record.partition, record.offset) in poisoned or POISON_HEADER in record.headers:
                continue
            try:
                decoded: Any = serde.decode(contract, record.value)
            except SerdeError as exc:
                ledger.undecodable.append(f"{topic}@{record.partition}:{record.offset}: {exc}")
                continue
            if is_command:
                ledger.commands.append(_command(stream, record, decoded))
            else:
                ledger.events += 1
                event = _event(stream, decoded)
                ledger.snapshot_hashes.add(event.snapshot_hash)
                if event.correlation_id is not None:
                    ledger.events_by_command[event.correlation_id].append(event)
    _read_refused(ledger, serde, roles)
    return ledger


def _read_refused(ledger: Ledger, serde: Serde, roles: dict[str, tuple[str, type, bool]]) -> None:
    """Decode the events a data-contract rule refused, from the dead letters that name a rule."""
    for dead_letter_topic, records in ledger.dead_letters.items():
        for record in records:
            rule = record.header(RULE_NAME)
            role = roles.get(record.header("flux.dlq.original.topic") or "")
            if rule is None or role is None or role[2]:
                continue
            stream, contract, _ = role
            try:
                event = _event(stream, serde.decode(contract, record.value))
            except SerdeError as exc:
                ledger.undecodable.append(f"{dead_letter_topic}@{record.partition}:{record.offset}: {exc}")
                continue
            refused = RefusedRecord(event, rule, record.header("__rule.mode") or "?", dead_letter_topic)
            ledger.refused.append(refused)
            if event.correlation_id is not None:
                ledger.refused_by_command[event.correlation_id].append(refused)
