"""Whole-system fault injection and soak (``flux chaos``, ``make chaos``).

The driver starts the embedded stack with every service (live mode against the
fake upstreams) and the BFF, runs simulated Socket.IO users, injects faults one
after another by their real mechanism (signals, restarts, the upstreams' fault
API, poison bytes in Kafka), then checks the platform's promises from what the
clients received and from Kafka itself, and writes a report.
"""

from flux.chaos.driver import ChaosResult, run_chaos
from flux.chaos.profiles import PROFILES, ChaosProfile

__all__ = ["PROFILES", "ChaosProfile", "ChaosResult", "run_chaos"]
