"""What the gazetteer is made of: :class:`City`, its search results, and the folding of names.

Pure data and string handling, shared by :mod:`flux.geo.gazetteer` and its users.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "EARTH_RADIUS_KM",
    "City",
    "GazetteerQueryError",
    "Match",
    "Nearest",
    "distance_km",
    "fold",
    "place",
]

EARTH_RADIUS_KM: Final = 6371.0088

# Letters that Unicode does not decompose into a base letter and a mark.
_LETTERS: Final = str.maketrans(
    {
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "æ": "ae",
        "œ": "oe",
        "\u0131": "i",
        "þ": "th",
        "ħ": "h",
        "ŧ": "t",
    }
)
_QUOTES: Final = re.compile("['\u2019\u02bb\u02bc`\u00b4]")
_SEPARATORS: Final = re.compile(r"[\W_]+", re.UNICODE)
# What flux.bff.protocol.normalise_city refuses in a city name.
_NOT_IN_PLACE: Final = re.compile("[^\\w\\s'\u2019.\\-()]|[\\d_]", re.UNICODE)


class GazetteerQueryError(ValueError):
    """A query or position the gazetteer refuses; the message is safe to show to a user."""


def fold(text: str) -> str:
    """The searchable form of a name: case-folded, without accents, apostrophes or punctuation.

    >>> fold("  São-Paulo "), fold("Xi'an"), fold("Łódź"), fold("Straße")
    ('sao paulo', 'xian', 'lodz', 'strasse')
    """
    if text.isascii():  # most names: nothing to decompose
        return _SEPARATORS.sub(" ", _QUOTES.sub("", text.lower())).strip()
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", _QUOTES.sub("", bare)).strip()


@dataclass(frozen=True, slots=True)
class City:
    """One place of the gazetteer.

    Attributes:
        geoname_id: GeoNames id (stable; identifies the place).
        name: The place's name as GeoNames spells it.
        country_code: ISO 3166-1 alpha-2 code.
        country: The country's English name.
        lat: Latitude in degrees.
        lon: Longitude in degrees.
        population: Inhabitants (ranks the matches).
        admin1: First-level division code (state, province), as GeoNames gives it.
        timezone: IANA time zone.
    """

    geoname_id: int
    name: str
    country_code: str
    country: str
    lat: float
    lon: float
    population: int
    admin1: str = ""
    timezone: str = ""

    @property
    def label(self) -> str:
        """``"Name, Country"`` (``"Name, MO, United States"`` where the division code is letters)."""
        region = f"{self.admin1}, " if self.admin1.isalpha() else ""
        return f"{self.name}, {region}{self.country}" if self.country else self.name

    def to_json(self) -> dict[str, Any]:
        """The client-facing JSON object (camelCase)."""
        return {
            "id": self.geoname_id,
            "name": self.name,
            "country": self.country,
            "countryCode": self.country_code,
            "admin1": self.admin1,
            "lat": self.lat,
            "lon": self.lon,
            "population": self.population,
            "timezone": self.timezone,
            "label": self.label,
        }


@dataclass(frozen=True, slots=True)
class Match:
    """A search result: the city, the name it matched by (its own, or an alternate one) and its place.

    ``place`` is the name to ask for its weather with (see :meth:`Gazetteer.place_name`).
    """

    city: City
    matched: str
    place: str

    def to_json(self) -> dict[str, Any]:
        return {**self.city.to_json(), "matched": self.matched, "place": self.place}


@dataclass(frozen=True, slots=True)
class Nearest:
    """The city nearest to a position, how far it is (great-circle, km), and its place name."""

    city: City
    distance_km: float
    place: str

    def to_json(self) -> dict[str, Any]:
        return {
            "city": {**self.city.to_json(), "place": self.place},
            "distanceKm": round(self.distance_km, 1),
        }


def place(name: str, country_code: str) -> str:
    """``name`` without what a ``locationUpdate`` refuses, with ``(country_code)`` when given."""
    clean = " ".join(_NOT_IN_PLACE.sub(" ", name).split())[:56] or country_code or "?"
    return f"{clean} ({country_code})" if country_code else clean


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
