"""Commands the BFF asks domain services to run (ADR-003), independent of Kafka.

The gateway builds a :class:`Command`; a :class:`CommandSink` delivers it
(the Kafka one serialises it through the registry serde into the generated
command classes, see :mod:`flux.bff.kafka_commands`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from flux.bff.protocol import LocationRequest, RefreshTarget

__all__ = ["Command", "CommandKind", "CommandSink", "CommandUnavailable", "refresh_command_kind"]


class CommandKind(StrEnum):
    WEATHER_FETCH = "weather.fetch"
    TOPCOINS_REFRESH = "crypto.topcoins.refresh"
    MOVERS_REFRESH = "crypto.movers.refresh"
    NEWS_REFRESH = "news.refresh"
    STOCKS_REFRESH = "stocks.refresh"


_REFRESH_KINDS = {
    RefreshTarget.NEWS: CommandKind.NEWS_REFRESH,
    RefreshTarget.STOCKS: CommandKind.STOCKS_REFRESH,
    RefreshTarget.TOPCOINS: CommandKind.TOPCOINS_REFRESH,
    RefreshTarget.MOVERS: CommandKind.MOVERS_REFRESH,
}


def refresh_command_kind(target: RefreshTarget) -> CommandKind:
    return _REFRESH_KINDS[target]


@dataclass(frozen=True, slots=True)
class Command:
    """One command: what, for whom, when, and (for weather) where."""

    kind: CommandKind
    user_id: str
    issued_at: datetime
    location: LocationRequest | None = None

    @property
    def key(self) -> str:
        """Kafka key: the normalised city for weather, ``global`` otherwise (see the catalogue)."""
        return self.location.city_key if self.location is not None else "global"


class CommandUnavailable(Exception):
    """The command could not be handed to Kafka (the client gets an ``unavailable`` error)."""


class CommandSink(Protocol):
    """Where the gateway sends commands."""

    async def send(self, command: Command) -> None:
        """Deliver ``command`` or raise :class:`CommandUnavailable`."""
        ...
