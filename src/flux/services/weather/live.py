"""Live weather from the Open-Meteo forecast API (``/v1/forecast?current=...``; no key needed).

Example:
    >>> provider = OpenMeteoWeatherProvider(base_url="https://api.open-meteo.com")
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Final

import httpx

from flux.resilience import RetryPolicy, UpstreamPolicy
from flux.services.upstream_http import fetch_bytes
from flux.services.validation import FieldReader, decode_json
from flux.services.weather.model import Location, WeatherReading, describe_weather_code

__all__ = ["CURRENT_VARIABLES", "OpenMeteoWeatherProvider", "parse_open_meteo_current"]

LOG = logging.getLogger(__name__)

UPSTREAM: Final = "open-meteo"
CURRENT_VARIABLES: Final = (
    "temperature_2m",
    "relative_humidity_2m",
    "apparent_temperature",
    "is_day",
    "weather_code",
    "wind_speed_10m",
)
EXPECTED_UNITS: Final = {
    "temperature_2m": "°C",
    "apparent_temperature": "°C",
    "relative_humidity_2m": "%",
    "wind_speed_10m": "km/h",
}
MAX_BODY_BYTES: Final = 64 * 1024
MAX_UTC_OFFSET_S: Final = 18 * 3600


def parse_open_meteo_current(body: bytes, location: Location) -> WeatherReading:
    """Parse an Open-Meteo forecast response carrying the ``current`` block.

    Raises:
        UpstreamBadPayload: Not JSON, a field missing, mistyped, out of range, or in unexpected units.
    """
    read = FieldReader(UPSTREAM)
    root = read.mapping(decode_json(UPSTREAM, body), "response")
    if root.get("error") is True:
        raise read.fail(f"error response: {str(root.get('reason'))[:200]}")
    offset_s = read.integer(root, "utc_offset_seconds", minimum=-MAX_UTC_OFFSET_S, maximum=MAX_UTC_OFFSET_S)
    units = read.mapping(read.present(root, "current_units"), "current_units")
    for variable, unit in EXPECTED_UNITS.items():
        if read.text(units, variable, max_length=16) != unit:
            raise read.fail(f"current_units.{variable}: expected {unit!r}")
    current = read.mapping(read.present(root, "current"), "current")
    local_time = read.timestamp(current, "time")
    observed_at = local_time - timedelta(seconds=offset_s)
    code = read.integer(current, "weather_code", minimum=0, maximum=99)
    return WeatherReading(
        location=location,
        observed_at=observed_at,
        temperature_c=read.number(current, "temperature_2m", minimum=-100.0, maximum=70.0),
        apparent_temperature_c=read.number(current, "apparent_temperature", minimum=-120.0, maximum=90.0),
        relative_humidity_pct=read.integer(current, "relative_humidity_2m", minimum=0, maximum=100),
        wind_speed_kmh=read.number(current, "wind_speed_10m", minimum=0.0, maximum=500.0),
        weather_code=code,
        description=describe_weather_code(code),
        is_day=read.integer(current, "is_day", minimum=0, maximum=1) == 1,
        source=UPSTREAM,
    )


class OpenMeteoWeatherProvider:
    """A :class:`~flux.services.weather.provider.WeatherProvider` over Open-Meteo.

    Args:
        base_url: Scheme and host of the API (``UpstreamConfig.weather_url``).
        client: Shared HTTP client; one is created (and closed by :meth:`aclose`) when omitted.
        policy: Resilience policy for this upstream; a default one when omitted.
        timeout_s: Per-request timeout of the client created here.
    """

    def __init__(
        self,
        *,
        base_url: str,
        client: httpx.AsyncClient | None = None,
        policy: UpstreamPolicy | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self._url = base_url.rstrip("/") + "/v1/forecast"
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout_s)
        self.policy = policy or UpstreamPolicy(UPSTREAM, retry=RetryPolicy(), timeout_s=timeout_s)

    async def current(self, location: Location) -> WeatherReading:
        """Current conditions at ``location`` (see :func:`parse_open_meteo_current`)."""
        params = {
            "latitude": f"{location.latitude:.4f}",
            "longitude": f"{location.longitude:.4f}",
            "current": ",".join(CURRENT_VARIABLES),
            "timezone": "GMT",
            "wind_speed_unit": "kmh",
            "temperature_unit": "celsius",
        }

        async def fetch() -> WeatherReading:
            body = await fetch_bytes(
                self._client, UPSTREAM, self._url, params=params, max_bytes=MAX_BODY_BYTES
            )
            return parse_open_meteo_current(body, location)

        return await self.policy.call(fetch)

    async def aclose(self) -> None:
        """Close the HTTP client if this provider created it."""
        if self._owns_client:
            await self._client.aclose()
