"""The weather service (ADR-006, request-driven): ``weather.service.command.fetch`` in, weather snapshot out.

Every fetch command yields one ``WeatherUpdated`` event keyed by the city:
``status=success`` with the observation, or ``status=error`` saying why (never
silence). Identical requests are coalesced and cached per city for a short
TTL, so a thousand users in one city cost one upstream call.
"""

from __future__ import annotations

import re
from typing import Final, TypeAlias

from flux.contracts import (
    FetchWeather,
    WeatherError,
    WeatherObservation,
    WeatherStatus,
    WeatherUpdated,
)
from flux.contracts.keys import city_display, city_key
from flux.resilience import UpstreamError
from flux.resilience.coalesce import CoalescingCache
from flux.services.runtime.context import ServiceContext
from flux.services.runtime.envelope import event_id_for, snapshot_hash, utc_now
from flux.services.runtime.failures import CommandRejected
from flux.services.runtime.metrics import UPSTREAM_ERRORS, UPSTREAM_LATENCY
from flux.services.runtime.process import ServiceDefinition
from flux.services.runtime.publisher import Outgoing
from flux.services.runtime.record_handling import CommandRoute
from flux.services.weather import Location, WeatherProvider, WeatherReading, make_weather_provider

__all__ = ["SERVICE_NAME", "WeatherService", "build"]

SERVICE_NAME: Final = "weather-service"
# Weather changes slowly; 30 s keeps it fresh while absorbing bursts of identical requests.
READING_TTL_S: Final = 30.0
KMH_PER_MPS: Final = 3.6
# Observations kept ready per display name, and places per spelling of a city and its coordinates
# (each cleared when full; rebuilt on the next command).
BUILT_CAPACITY: Final = 10_000
_ERROR_CODE: Final = re.compile(r"(?<!^)(?=[A-Z])")
# A command's place: city key, display name, location (None without coordinates), readings' key.
_Place: TypeAlias = tuple[str, str, Location | None, tuple[str, float, float] | None]


def _error_code(error: UpstreamError) -> str:
    name = type(error).__name__.removeprefix("Upstream") or "Error"
    return "provider_" + _ERROR_CODE.sub("_", name).lower()


class WeatherService:
    """Handles fetch commands with one shared, coalescing cache of readings per city.

    A command whose reading is cached is answered at once (:meth:`answer_now`, no task or await
    in the command loop); the observation and its hash are built once per cached reading and
    the place (key, display name, location) once per spelling and coordinates, so such a command
    costs its envelope only.
    """

    def __init__(self, provider: WeatherProvider, *, ttl_s: float = READING_TTL_S) -> None:
        self.provider = provider
        self.readings: CoalescingCache[tuple[str, float, float], WeatherReading] = CoalescingCache(ttl_s)
        self._built: dict[str, tuple[WeatherReading, WeatherObservation, str]] = {}
        self._places: dict[tuple[str, float | None, float | None], _Place] = {}

    def answer_now(self, command: FetchWeather) -> list[Outgoing] | None:
        """The command's event when no upstream call is needed (cached reading, no coordinates)."""
        key, display, _, cache_key = self._place(command)
        if cache_key is None:  # no coordinates
            return [self._missing_coordinates(command, key)]
        reading = self.readings.cached(cache_key)
        if reading is None:
            return None
        observation, content_hash = self._success(display, reading)
        return [
            self._event(
                command, key, status=WeatherStatus.SUCCESS, content_hash=content_hash, observation=observation
            )
        ]

    async def handle_fetch(self, command: FetchWeather) -> list[Outgoing]:
        key, display, location, _ = self._place(command)
        if location is None:
            return [self._missing_coordinates(command, key)]
        try:
            reading = await self._reading(key, location)
        except UpstreamError as exc:
            UPSTREAM_ERRORS.labels(SERVICE_NAME, "weather.current", type(exc).__name__).inc()
            error = WeatherError(code=_error_code(exc), message=str(exc)[:500], retryable=exc.retryable)
            return [self._error(command, key, error)]
        observation, content_hash = self._success(display, reading)
        return [
            self._event(
                command, key, status=WeatherStatus.SUCCESS, content_hash=content_hash, observation=observation
            )
        ]

    def _place(self, command: FetchWeather) -> _Place:
        """The command's place, worked out once per spelling and coordinates (users repeat theirs).

        Raises:
            CommandRejected: the city is empty or the coordinates are out of range.
        """
        data = command.data
        spelled = (data.city, data.lat, data.lon)
        place = self._places.get(spelled)
        if place is None:
            key, display, location = _parse(data.city, data.lat, data.lon)
            place = (key, display, location, None if location is None else _cache_key(key, location))
            if len(self._places) >= BUILT_CAPACITY:
                self._places.clear()
            self._places[spelled] = place
        return place

    def _missing_coordinates(self, command: FetchWeather, key: str) -> Outgoing:
        error = WeatherError(code="coordinates_required", message="lat and lon are required", retryable=False)
        return self._error(command, key, error)

    def _error(self, command: FetchWeather, key: str, error: WeatherError) -> Outgoing:
        content_hash = snapshot_hash({"status": WeatherStatus.ERROR.value, "content": error.to_dict()})
        return self._event(command, key, status=WeatherStatus.ERROR, content_hash=content_hash, error=error)

    @staticmethod
    def _event(
        command: FetchWeather,
        key: str,
        *,
        status: WeatherStatus,
        content_hash: str,
        observation: WeatherObservation | None = None,
        error: WeatherError | None = None,
    ) -> Outgoing:
        event = WeatherUpdated(
            event_id=event_id_for(command.command_id, WeatherUpdated.TOPIC),
            produced_at=utc_now(),
            source=SERVICE_NAME,
            correlation_id=command.command_id,
            snapshot_hash=content_hash,
            city_key=key,
            status=status,
            data=observation,
            error=error,
        )
        return Outgoing(event, key)

    def _success(self, display: str, reading: WeatherReading) -> tuple[WeatherObservation, str]:
        """The observation and its hash, built once per cached reading (every request in the TTL shares it)."""
        built = self._built.get(display)
        if built is not None and built[0] is reading:
            return built[1], built[2]
        observation = _observation(display, reading)
        digest = snapshot_hash({"status": WeatherStatus.SUCCESS.value, "content": observation.to_dict()})
        if len(self._built) >= BUILT_CAPACITY:
            self._built.clear()
        self._built[display] = (reading, observation, digest)
        return observation, digest

    async def _reading(self, key: str, location: Location) -> WeatherReading:
        async def fetch() -> WeatherReading:
            with UPSTREAM_LATENCY.labels(SERVICE_NAME, "weather.current").time():
                return await self.provider.current(location)

        return await self.readings.get(_cache_key(key, location), fetch)


def _parse(raw: str, lat: float | None, lon: float | None) -> tuple[str, str, Location | None]:
    """(key, display name, location; None without coordinates); rejects what cannot be answered."""
    key, display = city_key(raw), city_display(raw)
    if not key:
        raise CommandRejected("city is empty")
    if lat is None or lon is None:
        return key, display, None
    try:
        return key, display, Location(city=display, latitude=lat, longitude=lon)
    except ValueError as exc:
        raise CommandRejected(str(exc)) from exc


def _cache_key(key: str, location: Location) -> tuple[str, float, float]:
    # Coordinates are rounded so clients a few metres apart share the cached reading.
    return (key, round(location.latitude, 2), round(location.longitude, 2))


def _observation(display: str, reading: WeatherReading) -> WeatherObservation:
    return WeatherObservation(
        city=display,
        lat=reading.location.latitude,
        lon=reading.location.longitude,
        temperature_c=round(reading.temperature_c, 2),
        humidity_pct=int(reading.relative_humidity_pct),
        wind_speed_mps=round(reading.wind_speed_kmh / KMH_PER_MPS, 2),
        condition=reading.description,
        observed_at=reading.observed_at,
        feels_like_c=round(reading.apparent_temperature_c, 2),
    )


async def build(ctx: ServiceContext) -> ServiceDefinition:
    """The weather service's routes for the shared runtime."""
    service = WeatherService(make_weather_provider(ctx.settings))
    return ServiceDefinition(
        routes=[CommandRoute(FetchWeather, service.handle_fetch, answer_now=service.answer_now)],
        produces=[WeatherUpdated],
        aclose=service.provider.aclose,
    )
