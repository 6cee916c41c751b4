"""Schema registrations under fault: several clients registering at once, and the audit of what they got.

During the registry faults, :class:`RegistrationLoad` runs ``clients`` writers. Each registers a
new Avro schema under a new subject, on a node picked at random among those alive, and retries
(on any node) until one answers 200 — registering the same schema under the same subject again
answers the same id, so a retry never asks for a second one. Every acknowledged registration is
a promise the registry made to a client.

:func:`audit_registrations` then checks the promises against every node:

* no id was given to two different schemas (the one thing a registry must never do);
* every acknowledged registration is there, on every node: the subject has exactly version 1,
  with the id the client was given, and the id reads back as that schema.

Example:
    >>> load = RegistrationLoad(lambda: ["http://127.0.0.1:8081"], clients=4, tag="run1")  # doctest: +SKIP
    >>> load.start(); ...; acknowledged = await load.stop()  # doctest: +SKIP
    >>> (await audit_registrations(acknowledged, ["http://127.0.0.1:8081"]))["missing"]  # doctest: +SKIP
    0
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import aiohttp

from flux.chaos.evaluation import MAX_DETAILS

__all__ = ["Registration", "RegistrationLoad", "audit_registrations", "schema_of"]

CONTENT_TYPE: Final = "application/vnd.schemaregistry.v1+json"
# A request to a SIGSTOPped node sits in its socket: give up on it and try another node.
REQUEST_TIMEOUT_S: Final = 8.0
RETRY_PAUSE_S: Final = 0.1


@dataclass(frozen=True, slots=True)
class Registration:
    """One acknowledged registration: the schema's record name and the id the client was given."""

    subject: str
    name: str
    schema_id: int
    node: str


def schema_of(name: str) -> str:
    """The Avro schema a writer registers under record name ``name`` (one distinct schema per name)."""
    return json.dumps({"type": "record", "name": name, "namespace": "flux.chaos.registry", "fields": []})


@dataclass(slots=True)
class RegistrationLoad:
    """``clients`` concurrent writers against the nodes ``nodes()`` returns (see module docs)."""

    nodes: Callable[[], Sequence[str]]
    clients: int
    tag: str
    acknowledged: dict[str, Registration] = field(default_factory=dict)
    attempts_failed: int = 0
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._writer(index), name=f"chaos-registrar-{index}")
            for index in range(self.clients)
        ]

    def count(self) -> int:
        return len(self.acknowledged)

    async def wait_for(self, count: int, timeout_s: float) -> bool:
        """Wait until at least ``count`` registrations are acknowledged in all."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self.count() < count:
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.1)
        return True

    async def stop(self) -> dict[str, Registration]:
        """Stop every writer (a registration in flight is abandoned, not counted) and return the acks."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        return dict(self.acknowledged)

    async def _writer(self, index: int) -> None:
        rng = random.Random(f"{self.tag}:{index}")
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout, headers={"Content-Type": CONTENT_TYPE}) as http:
            for n in itertools.count():
                subject, name = f"chaos-{self.tag}-{index}-{n}-value", f"R{self.tag}C{index}N{n}"
                body = {"schema": schema_of(name)}
                while True:
                    candidates = list(self.nodes())
                    if not candidates:
                        await asyncio.sleep(RETRY_PAUSE_S)
                        continue
                    node = rng.choice(candidates)
                    schema_id = await self._register(http, node, subject, body)
                    if schema_id is not None:
                        self.acknowledged[subject] = Registration(subject, name, schema_id, node)
                        break
                    self.attempts_failed += 1
                    await asyncio.sleep(RETRY_PAUSE_S)

    @staticmethod
    async def _register(
        http: aiohttp.ClientSession, node: str, subject: str, body: dict[str, str]
    ) -> int | None:
        try:
            async with http.post(f"{node}/subjects/{subject}/versions", json=body) as answer:
                if answer.status != 200:
                    return None
                found = await answer.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError):
            return None
        schema_id = found.get("id") if isinstance(found, dict) else None
        return schema_id if isinstance(schema_id, int) else None


async def _read_json(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(url) as answer:
        if answer.status != 200:
            return {"error_code": answer.status}
        return await answer.json(content_type=None)


async def _node_misses(
    http: aiohttp.ClientSession, node: str, registrations: Sequence[Registration]
) -> list[str]:
    """The registrations ``node`` does not serve exactly as acknowledged."""
    misses: list[str] = []
    for reg in registrations:
        versions = await _read_json(http, f"{node}/subjects/{reg.subject}/versions")
        version = await _read_json(http, f"{node}/subjects/{reg.subject}/versions/1")
        by_id = await _read_json(http, f"{node}/schemas/ids/{reg.schema_id}")
        try:
            read_name = json.loads(by_id["schema"])["name"] if isinstance(by_id, dict) else None
        except (KeyError, TypeError, ValueError):
            read_name = None
        if versions != [1] or not isinstance(version, dict) or version.get("id") != reg.schema_id:
            misses.append(f"{node} {reg.subject}: versions {versions}, v1 {version}")
        elif read_name != reg.name:
            misses.append(f"{node} id {reg.schema_id}: reads as {read_name!r}, acknowledged as {reg.name!r}")
    return misses


async def audit_registrations(acknowledged: dict[str, Registration], nodes: Sequence[str]) -> dict[str, Any]:
    """Check the acknowledged registrations against every node in ``nodes`` (see module docs)."""
    owners: dict[int, str] = {}
    reused: list[str] = []
    for reg in acknowledged.values():
        first = owners.setdefault(reg.schema_id, reg.name)
        if first != reg.name:
            reused.append(f"id {reg.schema_id}: {first} and {reg.name}")
    misses: list[str] = []
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        registrations = list(acknowledged.values())
        for node in nodes:
            try:
                misses += await _node_misses(http, node, registrations)
            except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
                misses.append(f"{node}: unreadable ({type(exc).__name__})")
    return {
        "acknowledged": len(acknowledged),
        "nodes_checked": len(nodes),
        "ids_reused": len(reused),
        "ids_reused_detail": reused[:MAX_DETAILS],
        "missing": len(misses),
        "missing_detail": misses[:MAX_DETAILS],
    }
