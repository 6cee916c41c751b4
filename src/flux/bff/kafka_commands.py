"""Kafka command sink: gateway :class:`~flux.bff.commands.Command` → generated command class → Kafka.

Topics come from the generated contracts (which mirror ``schemas/topics.yaml``);
values are serialised by the registry serde; the key follows the catalogue
(normalised city for weather, ``global`` otherwise); production waits for
acks from all in-sync replicas.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flux.bff.commands import Command, CommandKind, CommandUnavailable
from flux.bff.metrics import BffMetrics
from flux.bff.topic_serde import RegistryTopicSerde, TopicSerde
from flux.contracts import (
    FetchTrigger,
    FetchWeather,
    Location,
    RefreshNews,
    RefreshTopCoins,
    RefreshTopMovers,
    RefreshTopPerformers,
)
from flux.contracts.snapshot_sizes import MOVERS_SIZE, NEWS_SIZE, STOCKS_SIZE, TOP_COINS_SIZE
from flux.kafka.config import producer_config
from flux.kafka.producer import AsyncProducer, DeliveryError
from flux.settings import Settings

__all__ = ["KafkaCommandSink", "to_contract"]

LOG = logging.getLogger(__name__)

# Each refresh asks for the size the service publishes on its schedule, so snapshots keep one shape.
_REFRESH_CLASSES: dict[CommandKind, tuple[Any, int]] = {
    CommandKind.TOPCOINS_REFRESH: (RefreshTopCoins, TOP_COINS_SIZE),
    CommandKind.MOVERS_REFRESH: (RefreshTopMovers, MOVERS_SIZE),
    CommandKind.NEWS_REFRESH: (RefreshNews, NEWS_SIZE),
    CommandKind.STOCKS_REFRESH: (RefreshTopPerformers, STOCKS_SIZE),
}


def to_contract(command: Command) -> Any:
    """Build the generated command instance for ``command`` (it knows its ``TOPIC``)."""
    if command.kind is CommandKind.WEATHER_FETCH:
        location = command.location
        if location is None:
            raise ValueError("a weather fetch needs a location")
        return FetchWeather(
            command_id=uuid.uuid4(),
            issued_at=command.issued_at,
            event=FetchTrigger.LOCATION_UPDATE,
            user_id=uuid.UUID(command.user_id),
            data=Location(city=location.city, lat=location.lat, lon=location.lon),
            timestamp=command.issued_at,
        )
    cls, size = _REFRESH_CLASSES[command.kind]
    return cls(
        command_id=uuid.uuid4(),
        issued_at=command.issued_at,
        requested_by=uuid.UUID(command.user_id),
        limit=size,
    )


def _key_bytes(key: str | bytes | None) -> bytes | None:
    return key.encode() if isinstance(key, str) else key


class KafkaCommandSink:
    """Produces commands to Kafka (see module docs)."""

    def __init__(self, settings: Settings, metrics: BffMetrics, serde: TopicSerde | None = None) -> None:
        self._settings = settings
        self._metrics = metrics
        self._serde = serde
        self._sender: AsyncProducer | None = None

    async def start(self) -> None:
        if self._serde is None:
            self._serde = RegistryTopicSerde(self._settings)
        self._sender = AsyncProducer(
            producer_config(self._settings, client_id="flux-bff-commands", linger_ms=1)
        )

    async def send(self, command: Command) -> None:
        if self._sender is None or self._serde is None:
            raise CommandUnavailable("command producer is not running")
        contract = to_contract(command)
        topic: str = contract.TOPIC
        try:
            value = await self._serde.encode(topic, contract)
            await self._sender.send(topic, value=value, key=_key_bytes(command.key))
        except DeliveryError as exc:
            LOG.warning("command not delivered", extra={"topic": topic, "error": str(exc)})
            raise CommandUnavailable("request could not be queued; try again") from exc
        except Exception as exc:
            LOG.exception("command could not be serialised", extra={"topic": topic})
            raise CommandUnavailable("request could not be queued; try again") from exc

    async def stop(self) -> None:
        if self._sender is not None:
            await self._sender.aclose(wait_s=5.0)
            self._sender = None
        if self._serde is not None:
            await self._serde.close()
