"""Snapshot sizes: the BFF's refresh commands ask for what the services publish on schedule."""

from datetime import UTC, datetime

import pytest

from flux.bff.commands import Command, CommandKind
from flux.bff.kafka_commands import to_contract
from flux.contracts.snapshot_sizes import (
    MAX_SNAPSHOT_SIZE,
    MOVERS_SIZE,
    NEWS_SIZE,
    STOCKS_SIZE,
    TOP_COINS_SIZE,
    snapshot_size,
)

USER = "6f1c4f2e-7a55-4f43-9a43-2f0c3b1d9e10"


@pytest.mark.parametrize(
    ("limit", "expected"),
    [(7, 7), (0, 1), (-3, 1), (MAX_SNAPSHOT_SIZE + 1, MAX_SNAPSHOT_SIZE), (None, 20), (True, 20), ("9", 20)],
)
def test_snapshot_size_clamps_and_falls_back(limit: object, expected: int) -> None:
    assert snapshot_size(limit, 20) == expected


@pytest.mark.parametrize(
    ("kind", "size"),
    [
        (CommandKind.TOPCOINS_REFRESH, TOP_COINS_SIZE),
        (CommandKind.MOVERS_REFRESH, MOVERS_SIZE),
        (CommandKind.NEWS_REFRESH, NEWS_SIZE),
        (CommandKind.STOCKS_REFRESH, STOCKS_SIZE),
    ],
)
def test_bff_refresh_commands_ask_for_the_scheduled_size(kind: CommandKind, size: int) -> None:
    command = to_contract(Command(kind, USER, datetime(2026, 12, 1, tzinfo=UTC)))
    assert command.limit == size
