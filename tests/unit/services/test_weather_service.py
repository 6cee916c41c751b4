"""Weather handler: command → WeatherUpdated mapping, error status, rejection, coalescing (fake provider)."""

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from flux.contracts import FetchTrigger, FetchWeather, Location, WeatherStatus, WeatherUpdated
from flux.resilience import UpstreamServerError, UpstreamTimeout
from flux.services.runtime.envelope import event_id_for
from flux.services.runtime.failures import CommandRejected
from flux.services.weather import Location as PlaceLocation
from flux.services.weather import WeatherReading
from flux.services.weather.service import SERVICE_NAME, WeatherService

OBSERVED = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


class FakeProvider:
    def __init__(self, error: Exception | None = None, delay_s: float = 0.0) -> None:
        self.error = error
        self.delay_s = delay_s
        self.calls: list[PlaceLocation] = []

    async def current(self, location: PlaceLocation) -> WeatherReading:
        self.calls.append(location)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.error is not None:
            raise self.error
        return WeatherReading(
            location=location,
            observed_at=OBSERVED,
            temperature_c=21.456,
            apparent_temperature_c=20.111,
            relative_humidity_pct=55,
            wind_speed_kmh=18.0,
            weather_code=3,
            description="Overcast",
            is_day=True,
            source="fake",
        )

    async def aclose(self) -> None:
        return None


def fetch(city: str = "  New   Delhi ", lat: float | None = 28.61, lon: float | None = 77.2) -> FetchWeather:
    return FetchWeather(
        command_id=uuid.uuid4(),
        issued_at=OBSERVED,
        event=FetchTrigger.LOCATION_UPDATE,
        user_id=uuid.uuid4(),
        data=Location(city=city, lat=lat, lon=lon),
        timestamp=OBSERVED,
    )


async def test_success_maps_the_reading_into_the_event() -> None:
    provider = FakeProvider()
    command = fetch()
    [out] = await WeatherService(provider).handle_fetch(command)
    event = out.event
    assert isinstance(event, WeatherUpdated)
    assert out.key == "new delhi"
    assert out.topic == WeatherUpdated.TOPIC
    assert event.city_key == "new delhi"
    assert event.status is WeatherStatus.SUCCESS
    assert event.error is None
    assert event.correlation_id == command.command_id
    assert event.event_id == event_id_for(command.command_id, WeatherUpdated.TOPIC)
    assert event.source == SERVICE_NAME
    data = event.data
    assert data is not None
    assert data.city == "New Delhi"
    assert (data.lat, data.lon) == (28.61, 77.2)
    assert data.temperature_c == 21.46
    assert data.feels_like_c == 20.11
    assert data.humidity_pct == 55
    assert data.wind_speed_mps == 5.0  # 18 km/h
    assert data.condition == "Overcast"
    assert data.observed_at == OBSERVED
    assert provider.calls == [PlaceLocation("New Delhi", 28.61, 77.2)]


async def test_same_content_gives_same_hash_and_redelivery_same_event_id() -> None:
    service = WeatherService(FakeProvider())
    command = fetch()
    [first] = await service.handle_fetch(command)
    [again] = await service.handle_fetch(command)
    [other] = await service.handle_fetch(fetch())
    assert first.event.event_id == again.event.event_id  # type: ignore[attr-defined]
    assert first.event.snapshot_hash == other.event.snapshot_hash  # type: ignore[attr-defined]
    assert first.event.event_id != other.event.event_id  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("error", "code", "retryable"),
    [
        (UpstreamServerError("open-meteo", "HTTP 503", status=503), "provider_server_error", True),
        (UpstreamTimeout("open-meteo", "no answer in 10s"), "provider_timeout", True),
    ],
)
async def test_upstream_failure_publishes_error_status(error: Exception, code: str, retryable: bool) -> None:
    command = fetch()
    [out] = await WeatherService(FakeProvider(error=error)).handle_fetch(command)
    event = out.event
    assert isinstance(event, WeatherUpdated)
    assert event.status is WeatherStatus.ERROR
    assert event.data is None
    assert event.error is not None
    assert event.error.code == code
    assert event.error.retryable is retryable
    assert "open-meteo" in event.error.message
    assert event.correlation_id == command.command_id
    assert out.key == "new delhi"


async def test_failure_is_not_cached() -> None:
    provider = FakeProvider(error=UpstreamTimeout("open-meteo", "slow"))
    service = WeatherService(provider)
    [failed] = await service.handle_fetch(fetch())
    provider.error = None
    [ok] = await service.handle_fetch(fetch())
    assert failed.event.status is WeatherStatus.ERROR  # type: ignore[attr-defined]
    assert ok.event.status is WeatherStatus.SUCCESS  # type: ignore[attr-defined]
    assert len(provider.calls) == 2


async def test_missing_coordinates_is_an_error_event_not_a_call() -> None:
    provider = FakeProvider()
    [out] = await WeatherService(provider).handle_fetch(fetch(lat=None))
    event = out.event
    assert event.status is WeatherStatus.ERROR  # type: ignore[attr-defined]
    assert event.error.code == "coordinates_required"  # type: ignore[attr-defined]
    assert event.error.retryable is False  # type: ignore[attr-defined]
    assert provider.calls == []


@pytest.mark.parametrize(("lat", "lon"), [(91.0, 0.0), (-90.5, 10.0), (10.0, 180.5), (0.0, -181.0)])
async def test_bad_coordinates_are_rejected(lat: float, lon: float) -> None:
    provider = FakeProvider()
    with pytest.raises(CommandRejected):
        await WeatherService(provider).handle_fetch(fetch(lat=lat, lon=lon))
    assert provider.calls == []


async def test_empty_city_is_rejected() -> None:
    with pytest.raises(CommandRejected):
        await WeatherService(FakeProvider()).handle_fetch(fetch(city="   "))


async def test_concurrent_fetches_for_one_city_cost_one_call() -> None:
    provider = FakeProvider(delay_s=0.05)
    service = WeatherService(provider)
    commands = [fetch(city="Delhi", lat=28.6101, lon=77.2049) for _ in range(500)]
    results = await asyncio.gather(*(service.handle_fetch(c) for c in commands))
    assert len(provider.calls) == 1
    correlation = {r[0].event.correlation_id for r in results}  # type: ignore[attr-defined]
    assert correlation == {c.command_id for c in commands}
    assert {r[0].event.status for r in results} == {WeatherStatus.SUCCESS}  # type: ignore[attr-defined]


async def test_places_are_remembered_within_a_bound_and_bad_ones_are_rejected_every_time() -> None:
    from flux.services.weather.service import BUILT_CAPACITY

    service = WeatherService(FakeProvider())
    for n in range(BUILT_CAPACITY + 50):  # a stream of distinct spellings: the memory stays bounded
        service.answer_now(fetch(city=f"Town {n}", lat=10.0, lon=20.0))
    assert 0 < len(service._places) <= BUILT_CAPACITY
    for _ in range(2):  # a rejected place is not remembered as a good one
        with pytest.raises(CommandRejected):
            service.answer_now(fetch(city="Atlantis", lat=95.0, lon=0.0))
        with pytest.raises(CommandRejected):
            service.answer_now(fetch(city="   ", lat=1.0, lon=1.0))
    [out] = service.answer_now(fetch(city="Atlantis", lat=None, lon=None)) or []
    assert out.event.error is not None and out.event.error.code == "coordinates_required"
