"""The BFF: Flux's single real-time gateway (Kafka events in, Socket.IO rooms out).

See ``docs/bff.md`` for the architecture and ``docs/client-protocol.md`` for
the wire protocol clients speak.
"""

from __future__ import annotations

__all__: list[str] = []
