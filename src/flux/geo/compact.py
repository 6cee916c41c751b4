"""The gazetteer's data in a few flat columns: byte blobs and :mod:`array` arrays, no per-name objects.

A :class:`CompactIndex` holds the ~322,000 searchable names of GeoNames' ``cities15000`` as one
UTF-8 blob plus offsets, and each column of the ~34,000 cities (id, coordinates, population,
names) as an array or a :class:`Strings` column, so it costs ~15 MB instead of the ~130 MB that
Python objects per name cost (ADR-019). :func:`build_index` makes one from :class:`City` values;
:mod:`flux.geo.index_file` writes it to disk and reads it back.

Entries (one per distinct folded name of a city) are sorted by ``(name as UTF-8, city, own)``.
UTF-8 keeps code-point order, so this is the order the names have as Python strings, and a prefix
of a name's bytes is a prefix of the name.

Example:
    >>> column = Strings.of(["Paris", "São Paulo"])
    >>> len(column), column[1], column.raw(1)
    (2, 'São Paulo', b'S\\xc3\\xa3o Paulo')
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Final

from flux.geo.places import City, fold, place

__all__ = ["OWN_BONUS", "TYPECODES", "CompactIndex", "RawView", "Strings", "build_index", "place_names"]

# Ranking: ln(population), plus a bonus for the place's own name (x20 people); the bonus for a
# name typed in full is added at search time (flux.geo.gazetteer).
OWN_BONUS: Final = 3.0


class Strings:
    """A column of strings: their UTF-8 bytes joined in one blob, and ``len + 1`` offsets into it."""

    __slots__ = ("blob", "offsets")

    def __init__(self, blob: bytes, offsets: array[int]) -> None:
        if offsets.typecode != "I" or not offsets or offsets[0] != 0 or offsets[-1] != len(blob):
            raise ValueError("the offsets do not describe the blob")
        self.blob = blob
        self.offsets = offsets

    @classmethod
    def of(cls, values: Iterable[str | bytes]) -> Strings:
        """A column of ``values`` (text, or UTF-8 bytes already encoded)."""
        encoded = [v.encode("utf-8") if isinstance(v, str) else v for v in values]
        offsets = array("I", [0])
        total = 0
        for value in encoded:
            total += len(value)
            offsets.append(total)
        return cls(b"".join(encoded), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, index: int) -> str:
        return self.raw(index).decode("utf-8")

    def raw(self, index: int) -> bytes:
        """The UTF-8 bytes of item ``index``."""
        if index < 0:
            index += len(self)
        return self.blob[self.offsets[index] : self.offsets[index + 1]]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Strings):
            return NotImplemented
        return self.blob == other.blob and self.offsets == other.offsets

    __hash__ = None  # type: ignore[assignment]


class RawView:
    """``column.raw`` as a sequence, for :mod:`bisect` over a sorted :class:`Strings` column."""

    __slots__ = ("_column",)

    def __init__(self, column: Strings) -> None:
        self._column = column

    def __len__(self) -> int:
        return len(self._column)

    def __getitem__(self, index: int) -> bytes:
        return self._column.raw(index)


@dataclass(frozen=True, slots=True, eq=True)
class CompactIndex:
    """Everything a :class:`~flux.geo.gazetteer.Gazetteer` answers from.

    Cities are numbered in population order (largest first, then by id): that number is also their
    rank. Countries are numbered too (distinct ``(code, name)`` pairs, in order of first use).
    """

    # The searchable names, sorted (see the module's docstring), and per name its city and score.
    keys: Strings
    city_of: array[int]  # "i"
    score: array[float]  # "d": ln(1 + population), plus OWN_BONUS for the city's own name
    # The cities, one item per city.
    geoname_id: array[int]  # "q"
    lat: array[float]  # "d"
    lon: array[float]  # "d"
    population: array[int]  # "q"
    country_of: array[int]  # "I": the city's country number
    name: Strings
    admin1: Strings
    timezone: Strings
    place: Strings  # the name to ask for its weather with (see Gazetteer.place_name)
    # The countries.
    country_code: Strings
    country_name: Strings
    # Cities ordered by (latitude, number), and by (geoname id, number).
    by_lat: array[int]  # "i"
    lat_sorted: array[float]  # "d"
    by_id: array[int]  # "i"
    id_sorted: array[int]  # "q"

    def __len__(self) -> int:
        return len(self.geoname_id)

    def city(self, index: int) -> City:
        """City number ``index``."""
        country = self.country_of[index]
        return City(
            geoname_id=self.geoname_id[index],
            name=self.name[index],
            country_code=self.country_code[country],
            country=self.country_name[country],
            lat=self.lat[index],
            lon=self.lon[index],
            population=self.population[index],
            admin1=self.admin1[index],
            timezone=self.timezone[index],
        )

    def check(self) -> None:
        """Raise :class:`ValueError` unless the columns agree in length and typecode (cheap)."""
        cities, entries = len(self.geoname_id), len(self.keys)
        for item in fields(self):
            value = getattr(self, item.name)
            expected = TYPECODES.get(item.name)
            if expected is not None and value.typecode != expected:
                raise ValueError(f"column {item.name} has typecode {value.typecode}, not {expected}")
        lengths = {
            "city_of": entries,
            "score": entries,
            **dict.fromkeys(
                ("lat", "lon", "population", "country_of", "name", "admin1", "timezone", "place"), cities
            ),
            **dict.fromkeys(("by_lat", "lat_sorted", "by_id", "id_sorted"), cities),
            "country_name": len(self.country_code),
        }
        for name, length in lengths.items():
            if len(getattr(self, name)) != length:
                raise ValueError(f"column {name} has {len(getattr(self, name))} items, not {length}")
        if entries and not (min(self.city_of) >= 0 and max(self.city_of) < cities):
            raise ValueError("a name points to no city")
        if cities and not (min(self.country_of) >= 0 and max(self.country_of) < len(self.country_code)):
            raise ValueError("a city points to no country")
        for name in ("by_lat", "by_id"):
            order = getattr(self, name)
            if cities and not (min(order) >= 0 and max(order) < cities):
                raise ValueError(f"{name} points to no city")


TYPECODES: Final = {
    "city_of": "i",
    "score": "d",
    "geoname_id": "q",
    "lat": "d",
    "lon": "d",
    "population": "q",
    "country_of": "I",
    "by_lat": "i",
    "lat_sorted": "d",
    "by_id": "i",
    "id_sorted": "q",
}
"""The typecode of every array column (the others are :class:`Strings`)."""


def place_names(cities: list[City]) -> list[str]:
    """Distinct names to subscribe to weather with: the largest namesake first gets the bare name."""
    taken: set[str] = set()
    names: list[str] = []
    for city in cities:  # largest first
        name = place(city.name, "")
        if name.casefold() in taken:
            name = place(city.name, city.country_code)
        if name.casefold() in taken and city.admin1.isalpha():
            name = place(city.name, f"{city.country_code} {city.admin1}")
        taken.add(name.casefold())
        names.append(name)
    return names


def build_index(
    cities: Iterable[City], alternate_names: Mapping[int, Iterable[str]] | None = None
) -> CompactIndex:
    """The index of ``cities``, searchable by their own names and ``alternate_names`` (per geoname id)."""
    ordered = sorted(cities, key=lambda c: (-c.population, c.geoname_id))
    others = alternate_names or {}
    entries: list[tuple[bytes, int, bool]] = []
    for index, city in enumerate(ordered):
        own = fold(city.name)
        if own:
            entries.append((own.encode("utf-8"), index, True))
        for name in {fold(n) for n in others.get(city.geoname_id, ())} - {own, ""}:
            entries.append((name.encode("utf-8"), index, False))
    entries.sort()
    countries: dict[tuple[str, str], int] = {}
    for city in ordered:
        countries.setdefault((city.country_code, city.country), len(countries))
    by_lat = sorted(range(len(ordered)), key=lambda i: (ordered[i].lat, i))
    by_id = sorted(range(len(ordered)), key=lambda i: (ordered[i].geoname_id, i))
    return CompactIndex(
        keys=Strings.of(key for key, _, _ in entries),
        city_of=array("i", [index for _, index, _ in entries]),
        score=array(
            "d",
            [
                math.log1p(ordered[index].population) + (OWN_BONUS if own else 0.0)
                for _, index, own in entries
            ],
        ),
        geoname_id=array("q", [c.geoname_id for c in ordered]),
        lat=array("d", [c.lat for c in ordered]),
        lon=array("d", [c.lon for c in ordered]),
        population=array("q", [c.population for c in ordered]),
        country_of=array("I", [countries[c.country_code, c.country] for c in ordered]),
        name=Strings.of(c.name for c in ordered),
        admin1=Strings.of(c.admin1 for c in ordered),
        timezone=Strings.of(c.timezone for c in ordered),
        place=Strings.of(place_names(ordered)),
        country_code=Strings.of(code for code, _ in countries),
        country_name=Strings.of(name for _, name in countries),
        by_lat=array("i", by_lat),
        lat_sorted=array("d", [ordered[i].lat for i in by_lat]),
        by_id=array("i", by_id),
        id_sorted=array("q", [ordered[i].geoname_id for i in by_id]),
    )
