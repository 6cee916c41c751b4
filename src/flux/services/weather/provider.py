"""The interface every weather provider implements (live Open-Meteo adapter or simulation)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from flux.services.weather.model import Location, WeatherReading

__all__ = ["WeatherProvider"]


@runtime_checkable
class WeatherProvider(Protocol):
    """Current weather for a location."""

    async def current(self, location: Location) -> WeatherReading:
        """Current conditions at ``location``.

        Raises:
            flux.resilience.UpstreamError: The upstream failed (after the resilience policy).
        """
        ...

    async def aclose(self) -> None:
        """Release connections; the provider is unusable afterwards."""
        ...
