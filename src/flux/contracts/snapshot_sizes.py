"""How many entries a global snapshot holds: shared by the services and the BFF.

Refresh commands carry a ``limit`` ("how many entries the snapshot should
hold"). The BFF asks for the sizes below, the services publish them on their
schedules, so a refresh never changes what a snapshot looks like. Another
producer may ask for a different size; the service honours it within
``1..MAX_SNAPSHOT_SIZE`` (a larger or non-positive limit is clamped, never an
error: the command is still answered).

Example:
    >>> snapshot_size(500, NEWS_SIZE)
    50
    >>> snapshot_size(0, NEWS_SIZE)
    1
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "MAX_SNAPSHOT_SIZE",
    "MOVERS_SIZE",
    "NEWS_SIZE",
    "STOCKS_SIZE",
    "TOP_COINS_SIZE",
    "snapshot_size",
]

TOP_COINS_SIZE: Final = 10
MOVERS_SIZE: Final = 5  # gainers and losers each
NEWS_SIZE: Final = 20
STOCKS_SIZE: Final = 10
MAX_SNAPSHOT_SIZE: Final = 50


def snapshot_size(limit: object, default: int) -> int:
    """The size a command asks for, clamped to ``1..MAX_SNAPSHOT_SIZE``; ``default`` when it asks none."""
    if not isinstance(limit, int) or isinstance(limit, bool):
        return default
    return max(1, min(limit, MAX_SNAPSHOT_SIZE))
