"""What a weather provider returns: a location and the current conditions there.

Example:
    >>> Location("Delhi", 28.61, 77.2).city
    'Delhi'
    >>> describe_weather_code(3)
    'Overcast'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

__all__ = ["WMO_WEATHER_CODES", "Location", "WeatherReading", "describe_weather_code"]

# WMO weather interpretation codes, as documented by Open-Meteo.
WMO_WEATHER_CODES: Final[dict[int, str]] = {
    0: "Clear sky",
    1: "Mainly clear",
    2: "Partly cloudy",
    3: "Overcast",
    45: "Fog",
    48: "Depositing rime fog",
    51: "Light drizzle",
    53: "Moderate drizzle",
    55: "Dense drizzle",
    56: "Light freezing drizzle",
    57: "Dense freezing drizzle",
    61: "Slight rain",
    63: "Moderate rain",
    65: "Heavy rain",
    66: "Light freezing rain",
    67: "Heavy freezing rain",
    71: "Slight snow fall",
    73: "Moderate snow fall",
    75: "Heavy snow fall",
    77: "Snow grains",
    80: "Slight rain showers",
    81: "Moderate rain showers",
    82: "Violent rain showers",
    85: "Slight snow showers",
    86: "Heavy snow showers",
    95: "Thunderstorm",
    96: "Thunderstorm with slight hail",
    99: "Thunderstorm with heavy hail",
}


def describe_weather_code(code: int) -> str:
    """Human text of a WMO weather code (``"Unknown"`` for codes outside the table)."""
    return WMO_WEATHER_CODES.get(code, "Unknown")


@dataclass(frozen=True, slots=True)
class Location:
    """A named place.

    Attributes:
        city: Display name, also the event key.
        latitude: Degrees north, in ``[-90, 90]``.
        longitude: Degrees east, in ``[-180, 180]``.
    """

    city: str
    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        if not self.city.strip() or len(self.city) > 120:
            raise ValueError("city must be 1..120 characters")
        if not -90.0 <= self.latitude <= 90.0 or not -180.0 <= self.longitude <= 180.0:
            raise ValueError("latitude must be in [-90, 90] and longitude in [-180, 180]")


@dataclass(frozen=True, slots=True)
class WeatherReading:
    """Current conditions at a location.

    Attributes:
        location: Where.
        observed_at: When the upstream says the values hold (UTC).
        temperature_c: Air temperature at 2 m, °C.
        apparent_temperature_c: Felt temperature, °C.
        relative_humidity_pct: Relative humidity at 2 m, 0-100 %.
        wind_speed_kmh: Wind speed at 10 m, km/h.
        weather_code: WMO weather code.
        description: Text of ``weather_code``.
        is_day: Daylight at the location.
        source: Which provider produced it (``"open-meteo"`` or ``"simulated"``).
    """

    location: Location
    observed_at: datetime
    temperature_c: float
    apparent_temperature_c: float
    relative_humidity_pct: int
    wind_speed_kmh: float
    weather_code: int
    description: str
    is_day: bool
    source: str
