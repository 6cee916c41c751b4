"""What a domain service's code may use: settings, serde, publisher, dead letters, idempotency memory."""

from __future__ import annotations

from dataclasses import dataclass

from flux.kafka.dead_letter import DeadLetterPublisher
from flux.kafka.producer import AsyncProducer
from flux.kafka.recent_ids import RecentIds
from flux.serde import AsyncSerde
from flux.services.runtime.publisher import EventPublisher
from flux.settings import Settings

__all__ = ["ServiceContext"]


@dataclass(frozen=True, slots=True)
class ServiceContext:
    """The running service's shared parts (built once by :mod:`flux.services.runtime.process`)."""

    service: str
    settings: Settings
    serde: AsyncSerde
    producer: AsyncProducer
    publisher: EventPublisher
    dead_letters: DeadLetterPublisher
    recent_commands: RecentIds
