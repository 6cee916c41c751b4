"""Slow-client policy of the bounded Engine.IO send queue."""

from __future__ import annotations

import asyncio
import contextlib

from engineio import packet as eio_packet

from flux.bff.fanout import BoundedSendQueue


def message(event: str, n: int) -> eio_packet.Packet:
    return eio_packet.Packet(eio_packet.MESSAGE, f'2["{event}",{{"n":{n}}}]')


def drain(queue: BoundedSendQueue) -> list[object]:
    out = []
    while not queue.empty():
        item = queue.get_nowait()
        out.append(item.data if isinstance(item, eio_packet.Packet) and item.data is not None else item)
    return out


def test_ticker_overflow_drops_the_oldest_ticker_batch() -> None:
    drops: list[int] = []
    queue = BoundedSendQueue(3, on_drop=lambda: drops.append(1))
    queue.put_nowait(message("crypto:ticker", 1))
    queue.put_nowait(message("news", 1))
    queue.put_nowait(message("crypto:ticker", 2))
    queue.put_nowait(message("crypto:ticker", 3))
    assert drain(queue) == [
        '2["news",{"n":1}]',
        '2["crypto:ticker",{"n":2}]',
        '2["crypto:ticker",{"n":3}]',
    ]
    assert drops == [1]


async def test_snapshot_overflow_disconnects_the_client() -> None:
    overflows: list[int] = []
    queue = BoundedSendQueue(2, on_overflow=lambda: overflows.append(1))
    queue.put_nowait(message("news", 1))
    queue.put_nowait(message("stocks", 1))
    queue.put_nowait(message("weather", 1))
    assert queue.overflowed and overflows == [1]
    queue.put_nowait(message("news", 2))  # ignored after the cut
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
        queue.task_done()
    await asyncio.wait_for(queue.join(), 1.0)  # close(wait=True) must not hang on dropped packets
    assert items[0].packet_type == eio_packet.CLOSE
    assert items[1] is None  # stops the writer task
    assert len(items) == 2


def test_control_packets_are_never_limited() -> None:
    queue = BoundedSendQueue(1)
    queue.put_nowait(message("news", 1))
    for _ in range(5):
        queue.put_nowait(eio_packet.Packet(eio_packet.PING))
    assert queue.qsize() == 6 and not queue.overflowed


def test_ticker_limit_keeps_only_the_latest_batches() -> None:
    drops: list[int] = []
    queue = BoundedSendQueue(100, on_drop=lambda: drops.append(1), ticker_limit=2)
    queue.put_nowait(message("news", 1))
    for n in range(5):
        queue.put_nowait(message("crypto:ticker", n))
    assert drain(queue) == ['2["news",{"n":1}]', '2["crypto:ticker",{"n":3}]', '2["crypto:ticker",{"n":4}]']
    assert len(drops) == 3
    queue.put_nowait(message("crypto:ticker", 5))  # counts went back down while draining
    assert drain(queue) == ['2["crypto:ticker",{"n":5}]']


class RecordingDirect:
    """Stands in for a DirectWebSocket: records what the queue writes straight to the socket."""

    def __init__(self) -> None:
        self.written: list[object] = []

    def write_packet(self, packet: eio_packet.Packet) -> bool:
        self.written.append(packet.data)
        return True


async def test_idle_queue_writes_messages_directly_but_queues_pings_and_close() -> None:
    queue = BoundedSendQueue(limit=8)
    direct = RecordingDirect()
    queue.direct = direct  # type: ignore[assignment]
    queue.put_nowait(message("news", 1))
    assert direct.written == ['2["news",{"n":1}]']
    # The heartbeat is what keeps Engine.IO's writer waiting on the queue (see the BFF heartbeat test).
    queue.put_nowait(eio_packet.Packet(eio_packet.PING))
    queue.put_nowait(eio_packet.Packet(eio_packet.CLOSE))
    assert direct.written == ['2["news",{"n":1}]']
    assert [queue.get_nowait().packet_type for _ in range(2)] == [eio_packet.PING, eio_packet.CLOSE]


async def test_a_packet_taken_but_not_yet_written_keeps_later_packets_queued() -> None:
    queue = BoundedSendQueue(limit=8)
    queue.put_nowait(message("news", 1))  # queued before the socket went direct
    direct = RecordingDirect()
    queue.direct = direct  # type: ignore[assignment]
    taking = asyncio.create_task(queue.get())  # Engine.IO's poll runs get() in a task of its own
    await asyncio.sleep(0)
    assert taking.done() and queue.empty() and queue.in_flight
    queue.put_nowait(message("news", 2))  # must not overtake 1, which is not on the socket yet
    assert direct.written == []
    assert drain(queue) == ['2["news",{"n":2}]']
    with contextlib.suppress(asyncio.QueueEmpty):
        queue.get_nowait()  # the writer's drain ends the batch
    assert not queue.in_flight
    queue.put_nowait(message("news", 3))
    assert direct.written == ['2["news",{"n":3}]']
