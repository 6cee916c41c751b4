"""Places without coordinates: an offline gazetteer of the world's cities (``flux.geo.gazetteer``).

Pure lookups (no network): city search by name prefix ranked by population, and the nearest city
to a point. Only :mod:`flux.geo.cache`, which finds Flux's cache dir for the index file, imports
other Flux modules (``flux.paths``, ``flux.settings``). The BFF serves it on ``GET /api/cities`` and ``flux watch --city``
uses it to turn a name into coordinates (ADR-019).
"""

from flux.geo.gazetteer import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_QUERY_LENGTH,
    City,
    Gazetteer,
    GazetteerQueryError,
    Match,
    Nearest,
    fold,
    load_gazetteer,
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
