"""Weather: Open-Meteo parsing and the simulated provider (determinism, diurnal cycle, ranges)."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from flux.resilience import UpstreamBadPayload
from flux.services.weather import Location, SimulatedWeatherProvider
from flux.services.weather.live import parse_open_meteo_current
from flux.services.weather.simulated import simulate_weather

DELHI = Location("Delhi", 28.61, 77.2)


def open_meteo(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "latitude": 28.625,
        "longitude": 77.25,
        "generationtime_ms": 0.05,
        "utc_offset_seconds": 19800,
        "timezone": "Asia/Kolkata",
        "timezone_abbreviation": "IST",
        "elevation": 220.0,
        "current_units": {
            "time": "iso8601",
            "interval": "seconds",
            "temperature_2m": "°C",
            "relative_humidity_2m": "%",
            "apparent_temperature": "°C",
            "is_day": "",
            "weather_code": "wmo code",
            "wind_speed_10m": "km/h",
        },
        "current": {
            "time": "2026-11-22T15:30",
            "interval": 900,
            "temperature_2m": 27.4,
            "relative_humidity_2m": 38,
            "apparent_temperature": 26.9,
            "is_day": 1,
            "weather_code": 2,
            "wind_speed_10m": 7.9,
        },
    }
    for path, value in overrides.items():
        section, _, key = path.partition("__")
        if key:
            if value is None:
                del body[section][key]
            else:
                body[section][key] = value
        else:
            body[section] = value
    return body


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def test_parses_documented_current_block_and_converts_local_time_to_utc() -> None:
    reading = parse_open_meteo_current(encode(open_meteo()), DELHI)
    assert reading.temperature_c == 27.4
    assert reading.relative_humidity_pct == 38
    assert reading.wind_speed_kmh == 7.9
    assert reading.weather_code == 2
    assert reading.description == "Partly cloudy"
    assert reading.is_day is True
    assert reading.observed_at == datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    assert reading.location is DELHI
    assert reading.source == "open-meteo"


@pytest.mark.parametrize(
    "override",
    [
        {"current__temperature_2m": 95.0},
        {"current__temperature_2m": "27.4x"},
        {"current__relative_humidity_2m": 140},
        {"current__weather_code": 250},
        {"current__wind_speed_10m": -3},
        {"current__time": "not a time"},
        {"current__is_day": 2},
        {"current__temperature_2m": None},
        {"current_units__temperature_2m": "°F"},
        {"current_units__wind_speed_10m": "mph"},
        {"current": []},
        {"utc_offset_seconds": 10**7},
    ],
)
def test_rejects_invalid_fields(override: dict[str, Any]) -> None:
    with pytest.raises(UpstreamBadPayload):
        parse_open_meteo_current(encode(open_meteo(**override)), DELHI)


def test_rejects_error_body_truncated_and_non_object() -> None:
    with pytest.raises(UpstreamBadPayload, match="error response"):
        parse_open_meteo_current(b'{"error": true, "reason": "Latitude must be in range"}', DELHI)
    full = encode(open_meteo())
    with pytest.raises(UpstreamBadPayload):
        parse_open_meteo_current(full[: len(full) // 2], DELHI)
    with pytest.raises(UpstreamBadPayload):
        parse_open_meteo_current(b"[1, 2]", DELHI)


def test_simulation_is_deterministic_for_a_seed() -> None:
    at = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert simulate_weather(5, DELHI, at) == simulate_weather(5, DELHI, at)
    assert simulate_weather(5, DELHI, at) != simulate_weather(6, DELHI, at)


def test_simulation_follows_the_sun() -> None:
    # Delhi is UTC+5:08 in solar time: 10:00 UTC is mid-afternoon, 00:00 UTC is before dawn.
    for day in range(1, 29):
        afternoon = simulate_weather(1, DELHI, datetime(2026, 3, day, 10, 0, tzinfo=UTC))
        night = simulate_weather(1, DELHI, datetime(2026, 3, day, 0, 0, tzinfo=UTC))
        assert afternoon.temperature_c > night.temperature_c
        assert afternoon.is_day and not night.is_day


def test_simulation_has_seasons_by_hemisphere() -> None:
    oslo = Location("Oslo", 59.9, 10.7)
    sydney = Location("Sydney", -33.9, 151.2)
    january = datetime(2026, 1, 15, 12, tzinfo=UTC)
    july = datetime(2026, 7, 15, 12, tzinfo=UTC)
    assert (
        simulate_weather(1, oslo, july).temperature_c > simulate_weather(1, oslo, january).temperature_c + 10
    )
    assert (
        simulate_weather(1, sydney, january).temperature_c > simulate_weather(1, sydney, july).temperature_c
    )


def test_simulated_values_stay_in_physical_ranges() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for lat in range(-80, 81, 20):
        for lon in range(-180, 180, 45):
            place = Location(f"{lat},{lon}", float(lat), float(lon))
            for hours in range(0, 24 * 365, 97):
                reading = simulate_weather(3, place, start + timedelta(hours=hours))
                assert -60 < reading.temperature_c < 55
                assert 0 <= reading.relative_humidity_pct <= 100
                assert 0 <= reading.wind_speed_kmh < 60
                assert reading.description != "Unknown"


async def test_simulated_provider_reads_its_clock() -> None:
    at = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    provider = SimulatedWeatherProvider(9, clock=lambda: at)
    assert await provider.current(DELHI) == simulate_weather(9, DELHI, at)
    await provider.aclose()


def test_location_is_validated() -> None:
    with pytest.raises(ValueError, match="latitude"):
        Location("Nowhere", 91.0, 0.0)
    with pytest.raises(ValueError, match="city"):
        Location(" ", 0.0, 0.0)
