"""The position table the processes of a ``--workers`` node share, and the worker spec they pass."""

from __future__ import annotations

import asyncio
import os

from flux.registry.workers import PositionTable, parse_worker_spec


def test_a_new_table_has_every_slot_unready_and_is_shared_through_its_fd() -> None:
    table = PositionTable.create(3)
    try:
        assert [table.get(s) for s in range(3)] == [-1, -1, -1]
        other = PositionTable(os.dup(table.fd), 3)  # what a worker maps from the fd it was given
        other.set(2, 41)
        assert table.get(2) == 41
        other.close()
    finally:
        table.close()


async def test_a_write_waits_for_ready_siblings_only() -> None:
    table = PositionTable.create(3)
    try:
        table.set(0, 10)
        table.set(1, 5)  # slot 2 stays -1: not replayed yet (or gone), never waited for
        assert table.behind(10) == [1]

        async def catch_up() -> None:
            await asyncio.sleep(0.02)
            table.set(1, 10)

        task = asyncio.create_task(catch_up())
        assert await table.wait_all(10, limit_s=2.0)
        await task
        assert not await table.wait_all(11, limit_s=0.05), "a sibling that lags is waited for only so long"
    finally:
        table.close()


def test_the_worker_spec_round_trips() -> None:
    spec = parse_worker_spec("1,7,8,2")
    assert (spec.slot, spec.watch_fd, spec.table_fd, spec.slots) == (1, 7, 8, 2)
