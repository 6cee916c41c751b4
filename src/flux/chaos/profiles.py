"""The three run lengths of ``flux chaos``: ``quick`` (CI, about 8 min), ``full`` (every fault, longer) and ``soak``.

Example:
    >>> PROFILES["quick"].users
    10
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["CITIES", "PROFILES", "ChaosProfile", "City"]


@dataclass(frozen=True, slots=True)
class City:
    name: str
    lat: float
    lon: float


CITIES: Final = (
    City("Paris", 48.8566, 2.3522),
    City("Tokyo", 35.6762, 139.6503),
    City("New York", 40.7128, -74.006),
    City("São Paulo", -23.5505, -46.6333),
    City("Nairobi", -1.2921, 36.8219),
    City("Reykjavík", 64.1466, -21.9426),
)


@dataclass(frozen=True, slots=True)
class ChaosProfile:
    """How long and how hard a run is.

    Attributes:
        name: Profile name.
        users: Simulated Socket.IO users.
        action_every_s: Mean seconds between one user's actions (refresh, location update).
        warmup_s: Load before the first fault (the memory baseline is taken after it).
        settle_s: Load after a fault is lifted before the next one starts.
        kafka_down_s: How long the broker stays dead.
        registry_down_s: How long the registry stays dead.
        valkey_down_s: How long Valkey stays dead.
        service_down_s: How long each killed domain service stays dead.
        bff_pause_s: How long the BFF stays SIGSTOPped.
        bff_instance_down_s: How long a killed BFF instance stays dead once its clients are back.
        registry_session_s: The registry nodes' election session (the broker's minimum, 6 s, in every
            profile): how long a silent leader keeps the lead.
        registration_clients: Clients registering schemas at once during the registry leader faults.
        upstream_fault_s: Length of each upstream fault (slow, 5xx, 429).
        flood_s: Length of one flood period (and of the calm period measured just before it).
        flood_cycles: Calm/flood period pairs; interleaving them cancels the drift of whatever
            else the host is running, which a single before/after pair cannot.
        steady_s: Extra load after the last fault (the soak's long tail, with periodic light faults).
        drain_s: Quiet time at the end so every accepted command can arrive.
        recovery_bound_s: A command accepted during a fault must reach its clients within this long
            after the fault is lifted.
        memory_settle_s: The memory baseline is taken this long into the steady phase (after the
            fault plan), so every process has reached its working set (a JVM grows its heap for
            minutes) and the check measures growth under steady load, not start-up.
        memory_span_s: The memory check needs at least this long between baseline and final sample.
    """

    name: str
    users: int
    action_every_s: float
    warmup_s: float
    settle_s: float
    kafka_down_s: float
    registry_down_s: float
    valkey_down_s: float
    service_down_s: float
    bff_pause_s: float
    bff_instance_down_s: float
    registry_session_s: float
    registration_clients: int
    upstream_fault_s: float
    flood_s: float
    flood_cycles: int
    steady_s: float
    drain_s: float
    recovery_bound_s: float
    memory_settle_s: float
    memory_span_s: float


PROFILES: Final[dict[str, ChaosProfile]] = {
    "quick": ChaosProfile(
        name="quick",
        users=10,
        action_every_s=3.0,
        warmup_s=8.0,
        settle_s=5.0,
        kafka_down_s=3.0,
        registry_down_s=3.0,
        valkey_down_s=6.0,
        service_down_s=1.0,
        bff_pause_s=4.0,
        bff_instance_down_s=2.0,
        registry_session_s=6.0,
        registration_clients=4,
        upstream_fault_s=6.0,
        flood_s=5.0,
        flood_cycles=2,
        steady_s=0.0,
        drain_s=8.0,
        recovery_bound_s=60.0,
        memory_settle_s=0.0,
        memory_span_s=600.0,
    ),
    "full": ChaosProfile(
        name="full",
        users=24,
        action_every_s=3.0,
        warmup_s=30.0,
        settle_s=15.0,
        kafka_down_s=10.0,
        registry_down_s=15.0,
        valkey_down_s=30.0,
        service_down_s=3.0,
        bff_pause_s=10.0,
        bff_instance_down_s=10.0,
        registry_session_s=6.0,
        registration_clients=6,
        upstream_fault_s=20.0,
        flood_s=10.0,
        flood_cycles=4,
        steady_s=60.0,
        drain_s=15.0,
        recovery_bound_s=60.0,
        memory_settle_s=30.0,
        memory_span_s=900.0,
    ),
    "soak": ChaosProfile(
        name="soak",
        users=24,
        action_every_s=3.0,
        warmup_s=60.0,
        settle_s=20.0,
        kafka_down_s=10.0,
        registry_down_s=15.0,
        valkey_down_s=30.0,
        service_down_s=3.0,
        bff_pause_s=10.0,
        bff_instance_down_s=10.0,
        registry_session_s=6.0,
        registration_clients=6,
        upstream_fault_s=20.0,
        flood_s=10.0,
        flood_cycles=4,
        steady_s=1200.0,
        drain_s=15.0,
        recovery_bound_s=60.0,
        memory_settle_s=300.0,
        memory_span_s=840.0,
    ),
}
