"""Offline weather: plausible conditions from latitude, season, local solar time and seeded noise.

The reading is a pure function of ``(seed, location, time)``: the same city at the same hour reads
the same, and temperature follows the sun (coolest near dawn, warmest mid-afternoon).

Example:
    >>> from datetime import datetime, UTC
    >>> from flux.services.weather.model import Location
    >>> at = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
    >>> a = simulate_weather(7, Location("Delhi", 28.61, 77.2), at)
    >>> a == simulate_weather(7, Location("Delhi", 28.61, 77.2), at)
    True
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from flux.services.simulation import Clock, stable_unit, utc_now
from flux.services.weather.model import Location, WeatherReading, describe_weather_code

__all__ = ["SimulatedWeatherProvider", "simulate_weather"]

DIURNAL_AMPLITUDE_C = 5.0
WARMEST_SOLAR_HOUR = 15.0


def _local_solar_hour(longitude: float, at: datetime) -> float:
    utc_hours = at.hour + at.minute / 60 + at.second / 3600
    return (utc_hours + longitude / 15.0) % 24.0


def _hourly_noise(seed: int, key: str, at: datetime) -> float:
    """Smooth noise in ``[-1, 1]``: seeded values each hour, interpolated in between."""
    hour_index = int(at.timestamp() // 3600)
    frac = (at.timestamp() % 3600) / 3600
    before = stable_unit(seed, key, hour_index) * 2 - 1
    after = stable_unit(seed, key, hour_index + 1) * 2 - 1
    return before + (after - before) * frac


def _weather_code(cloudiness: float, temperature_c: float, storm: float) -> int:
    if cloudiness < 0.3:
        return 0 if cloudiness < 0.15 else 1
    if cloudiness < 0.55:
        return 2
    if cloudiness < 0.75:
        return 3
    if cloudiness < 0.8:
        return 45
    if temperature_c < 0:
        return 71 if cloudiness < 0.92 else 73
    if storm > 0.85 and temperature_c > 18:
        return 95
    return 61 if cloudiness < 0.92 else 63


def simulate_weather(seed: int, location: Location, at: datetime) -> WeatherReading:
    """The simulated conditions at ``location`` at time ``at``.

    Args:
        seed: Simulation seed.
        location: Where.
        at: When (aware datetime; converted to UTC).
    """
    at = at.astimezone(UTC)
    place = f"{location.latitude:.2f},{location.longitude:.2f}"
    abs_lat = abs(location.latitude)
    annual_mean = 28.0 - 0.5 * max(0.0, abs_lat - 15.0)
    day_of_year = at.timetuple().tm_yday
    hemisphere = 1.0 if location.latitude >= 0 else -1.0
    seasonal = 0.22 * abs_lat * math.cos(2 * math.pi * (day_of_year - 200) / 365.25) * hemisphere
    solar_hour = _local_solar_hour(location.longitude, at)
    diurnal = DIURNAL_AMPLITUDE_C * math.cos(2 * math.pi * (solar_hour - WARMEST_SOLAR_HOUR) / 24)
    city_offset = (stable_unit(seed, "offset", place) * 2 - 1) * 2.0
    temperature = annual_mean + seasonal + diurnal + city_offset + 1.5 * _hourly_noise(seed, place, at)

    humidity_base = 40 + 45 * stable_unit(seed, "humidity", place)
    humidity = humidity_base - 2.5 * diurnal + 8 * _hourly_noise(seed, place + "h", at)
    humidity_pct = round(min(100.0, max(5.0, humidity)))

    wind = max(0.0, 6 + 10 * stable_unit(seed, "wind", place) + 6 * _hourly_noise(seed, place + "w", at))
    cloudiness = (_hourly_noise(seed, place + "c", at) + 1) / 2
    storm = stable_unit(seed, "storm", place, int(at.timestamp() // 3600))
    code = _weather_code(cloudiness, temperature, storm)
    apparent = temperature + 0.033 * humidity_pct * max(0.0, temperature - 20) / 10 - 0.1 * wind
    return WeatherReading(
        location=location,
        observed_at=at.replace(second=0, microsecond=0),
        temperature_c=round(temperature, 1),
        apparent_temperature_c=round(apparent, 1),
        relative_humidity_pct=humidity_pct,
        wind_speed_kmh=round(wind, 1),
        weather_code=code,
        description=describe_weather_code(code),
        is_day=6.0 <= solar_hour < 18.0,
        source="simulated",
    )


class SimulatedWeatherProvider:
    """A :class:`~flux.services.weather.provider.WeatherProvider` that needs no network.

    Args:
        seed: Simulation seed (``Settings.sim_seed``).
        clock: Source of "now" (inject a fixed clock for repeatable readings).
    """

    def __init__(self, seed: int, *, clock: Clock = utc_now) -> None:
        self.seed = seed
        self._clock = clock

    async def current(self, location: Location) -> WeatherReading:
        """Simulated current conditions at ``location``."""
        return simulate_weather(self.seed, location, self._clock())

    async def aclose(self) -> None:
        """Nothing to release."""
