"""Simulated users: real Socket.IO clients that join rooms, refresh, move between cities and record everything.

Each user connects with its own ``userId`` (so its commands can be found in
Kafka), subscribes to every global channel, sets a city, then acts every few
seconds: a refresh of a global domain, a weather re-request for its city, or
(only while the driver says the system is calm) a move to another city.
Every message is recorded with its receive time; every request with its
acknowledgement; every room membership with its start and end.

Example:
    >>> workload = Workload(url, users=10, seed=42, action_every_s=3.0)  # doctest: +SKIP
    >>> await workload.start(); ...; await workload.stop()  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from typing import Any, Final

import socketio

from flux.bff.instance import instance_of
from flux.chaos.observations import Ack, Membership, Receipt, now_ms
from flux.chaos.profiles import CITIES, City
from flux.contracts.keys import GLOBAL_KEY, city_key

__all__ = ["CHANNELS", "REFRESH_DOMAINS", "Connect", "Join", "SimulatedUser", "Workload"]

LOG = logging.getLogger(__name__)

CHANNELS: Final = ("crypto.global", "news.global", "stock.global")
REFRESH_DOMAINS: Final = ("news", "stocks", "crypto:topcoins", "crypto:movers")
CHANNEL_OF_STREAM: Final = {
    "crypto:topcoins": "crypto.global",
    "crypto:movers": "crypto.global",
    "crypto:ticker": "crypto.global",
    "news": "news.global",
    "stocks": "stock.global",
}
# Longer than the BFF's Kafka delivery timeout (30 s): an ack always comes back before it.
CALL_TIMEOUT_S: Final = 45.0
_USER_NAMESPACE: Final = uuid.UUID("0b7f1f52-52f0-4b8e-9d55-7f3f1c2a9e61")

Connect = tuple[float, int, str]
"""(epoch ms, user index, BFF instance that took the session)."""
Join = tuple[float, int, int]
"""(epoch ms, user index, streams hydrated): a user finished (re)joining its rooms."""


def _instance(sio: socketio.AsyncClient) -> str:
    """The BFF instance holding ``sio``'s session (``""``: one unnamed BFF, or not connected)."""
    return instance_of(sio.get_sid() or "") or ""


def room_of(stream: str, key: str) -> str:
    """The Socket.IO room a stream's message for ``key`` is sent to."""
    return f"weather.{key}" if stream == "weather" else CHANNEL_OF_STREAM[stream]


class SimulatedUser:
    """One Socket.IO client (see module docs)."""

    def __init__(self, index: int, url: str, *, seed: int, action_every_s: float, workload: Workload) -> None:
        self.index = index
        self.url = url
        self.user_id = str(uuid.uuid5(_USER_NAMESPACE, f"{seed}:{index}"))
        self.rng = random.Random(seed * 1000 + index)
        self.action_every_s = action_every_s
        self.city: City = CITIES[index % len(CITIES)]
        self.workload = workload
        self.connects = 0
        self.disconnects = 0
        self.open_rooms: dict[str, Membership] = {}
        self._busy = asyncio.Lock()
        self._joined = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._action: asyncio.Task[None] | None = None
        self.sio = socketio.AsyncClient(
            reconnection=True,
            reconnection_attempts=0,
            reconnection_delay=0.5,
            reconnection_delay_max=2.0,
            randomization_factor=0.3,
        )
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("*", self._on_message)

    @property
    def connected(self) -> bool:
        return bool(self.sio.connected)

    async def start(self) -> None:
        """Connect (retrying until the BFF answers) and start acting."""
        for attempt in range(60):
            try:
                await self.sio.connect(
                    self.url, auth={"userId": self.user_id}, transports=["websocket"], wait_timeout=10
                )
                break
            except socketio.exceptions.ConnectionError:
                if attempt == 59:
                    raise
                await asyncio.sleep(0.5)
        await asyncio.wait_for(self._joined.wait(), timeout=CALL_TIMEOUT_S)
        self._runner = asyncio.create_task(self._act(), name=f"user-{self.index}")

    async def stop(self) -> None:
        """Stop acting and disconnect (memberships end now)."""
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        async with self._busy:
            with contextlib.suppress(Exception):
                await self.sio.disconnect()
        self._close_rooms(now_ms())
        for task in list(self._tasks):
            task.cancel()

    # ------------------------------------------------------------- handlers
    async def _on_connect(self) -> None:
        self.connects += 1
        self.workload.connect_log.append((now_ms(), self.index, _instance(self.sio)))
        task = asyncio.create_task(self._join_all(), name=f"join-{self.index}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _on_disconnect(self, *reason: Any) -> None:
        if self._action is not None and not self._action.done():
            self._action.cancel()  # its ack cannot arrive on a dead connection
        self._close_rooms(now_ms())
        if self.workload.stopping:
            return
        self.disconnects += 1
        self.workload.disconnect_log.append((now_ms(), self.index, str(reason[0]) if reason else ""))

    async def _on_message(self, event: str, data: Any = None, *rest: Any) -> None:
        received = now_ms()
        if not isinstance(data, dict):
            return
        payload = data.get("data")
        key = GLOBAL_KEY
        if event == "weather" and isinstance(payload, dict):
            key = str(payload.get("cityKey", ""))
        try:
            receipt = Receipt(
                user=self.index,
                stream=event,
                key=key,
                snapshot_id=str(data["snapshotId"]),
                produced_at=int(data["producedAt"]),
                received_at=received,
            )
        except (KeyError, TypeError, ValueError):
            self.workload.malformed += 1
            return
        self.workload.receipts.append(receipt)

    # -------------------------------------------------------------- actions
    def _close_rooms(self, moment: float) -> None:
        for membership in self.open_rooms.values():
            if membership.left_at is None:
                membership.left_at = moment
        self.open_rooms.clear()

    def _open_room(self, room: str, moment: float) -> Membership:
        """Start a membership of ``room`` unless one is open already; return the open one."""
        current = self.open_rooms.get(room)
        if current is not None and current.left_at is None:
            return current
        membership = Membership(self.index, room, moment)
        self.open_rooms[room] = membership
        self.workload.memberships.append(membership)
        return membership

    async def _join_all(self) -> None:
        hydrated = 0
        async with self._busy:
            for channel in CHANNELS:
                sent = now_ms()
                membership = self._open_room(channel, sent)
                reply: Any = None
                with contextlib.suppress(Exception):
                    reply = await self.sio.call("subscribe", {"channel": channel}, timeout=CALL_TIMEOUT_S)
                membership.hydrations.append((sent, now_ms()))
                if isinstance(reply, dict) and isinstance(reply.get("hydrated"), list):
                    hydrated += len(reply["hydrated"])
            await self._locate(self.city)
        self.workload.join_log.append((now_ms(), self.index, hydrated))
        self._joined.set()

    async def _call(self, ack: Ack, event: str, payload: dict[str, Any]) -> None:
        self.workload.acks.append(ack)
        try:
            reply = await self.sio.call(event, payload, timeout=CALL_TIMEOUT_S)
        except asyncio.CancelledError:
            ack.error = "no-ack:disconnected"
            raise
        except Exception as exc:
            ack.error = f"no-ack:{type(exc).__name__}"
            return
        ack.acked_at = now_ms()
        if isinstance(reply, dict):
            ack.ok = bool(reply.get("ok"))
            ack.coalesced = bool(reply.get("coalesced"))
            error = reply.get("error")
            if isinstance(error, dict):
                ack.error = str(error.get("code", ""))

    async def _locate(self, city: City) -> None:
        key = city_key(city.name)
        room = room_of("weather", key)
        previous = next((r for r in self.open_rooms if r.startswith("weather.")), None)
        ack = Ack(self.index, self.user_id, "locationUpdate", "weather", key, now_ms())
        membership = self._open_room(room, ack.sent_at)
        await self._call(ack, "locationUpdate", {"city": city.name, "lat": city.lat, "lon": city.lon})
        membership.hydrations.append((ack.sent_at, ack.acked_at or now_ms()))
        if ack.ok or ack.acked_at is None:
            if previous is not None and previous != room:
                old = self.open_rooms.pop(previous)
                old.left_at = ack.acked_at or now_ms()
            self.city = city
        elif previous != room:
            # Refused: the server did not move this client; it stays in its previous room.
            refused = self.open_rooms.pop(room)
            refused.left_at = ack.acked_at

    async def _refresh(self, domain: str) -> None:
        ack = Ack(self.index, self.user_id, "refresh", domain, GLOBAL_KEY, now_ms())
        await self._call(ack, "refresh", {"domain": domain})

    async def _act(self) -> None:
        await asyncio.sleep(self.rng.uniform(0, self.action_every_s))
        while True:
            await asyncio.sleep(self.action_every_s * self.rng.uniform(0.5, 1.5))
            if not self.connected or not self.workload.acting:
                continue
            roll = self.rng.random()
            async with self._busy:
                if not self.connected:
                    continue
                # Its own task, so a disconnect can end it (python-socketio's call() keeps waiting
                # for an ack that can no longer come) and the rejoin need not wait 45 s for _busy.
                self._action = asyncio.create_task(self._one_action(roll), name=f"action-{self.index}")
                try:
                    await self._action
                except asyncio.CancelledError:
                    current = asyncio.current_task()
                    if current is not None and current.cancelling():
                        raise  # this loop itself is being stopped
                finally:
                    self._action = None

    async def _one_action(self, roll: float) -> None:
        if roll < 0.45:
            await self._refresh(self.rng.choice(REFRESH_DOMAINS))
        elif roll < 0.8 or not self.workload.calm:
            await self._locate(self.city)
        else:
            await self._locate(self.rng.choice([c for c in CITIES if c != self.city]))


class Workload:
    """N simulated users and everything they observed."""

    def __init__(self, url: str, *, users: int, seed: int, action_every_s: float) -> None:
        self.receipts: list[Receipt] = []
        self.acks: list[Ack] = []
        self.memberships: list[Membership] = []
        self.disconnect_log: list[tuple[float, int, str]] = []
        self.connect_log: list[Connect] = []
        self.join_log: list[Join] = []
        self.malformed = 0
        self.calm = True
        self.acting = True
        self.stopping = False
        self.users = [
            SimulatedUser(i, url, seed=seed, action_every_s=action_every_s, workload=self)
            for i in range(users)
        ]

    async def start(self) -> None:
        await asyncio.gather(*(u.start() for u in self.users))

    async def stop(self) -> None:
        self.stopping = True
        await asyncio.gather(*(u.stop() for u in self.users), return_exceptions=True)

    def connected(self) -> int:
        return sum(1 for u in self.users if u.connected)

    def users_by_instance(self) -> dict[str, list[int]]:
        """The connected users per BFF instance that holds their session (``""``: one unnamed BFF)."""
        found: dict[str, list[int]] = {}
        for user in self.users:
            if user.connected:
                found.setdefault(_instance(user.sio), []).append(user.index)
        return found

    async def wait_all_connected(self, timeout_s: float) -> bool:
        """Wait until every user is connected again; return whether they all are."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while self.connected() < len(self.users):
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(0.2)
        return True
