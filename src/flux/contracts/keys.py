"""Record keys shared by producers and consumers (documented per topic in schemas/topics.yaml).

Weather is keyed by the normalised city, so one city's commands and events stay
in order on one partition and the compacted event topic keeps the latest
snapshot per city. Global snapshots (coins, movers, news, stocks) use one key.

Example:
    >>> city_key("  New   YORK ")
    'new york'
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = ["GLOBAL_KEY", "city_display", "city_key"]

GLOBAL_KEY: Final = "global"
_WHITESPACE: Final = re.compile(r"\s+")


def city_display(raw: str) -> str:
    """NFC-normalised city name with whitespace collapsed and trimmed."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", raw)).strip()


def city_key(raw: str) -> str:
    """The key (and room suffix) of a city: its display form, case-folded."""
    return city_display(raw).casefold()
