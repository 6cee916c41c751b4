"""Flux: a schema-registry-driven, event-driven real-time data platform.

Kafka is the only integration layer; the BFF fans events out to browsers
over Socket.IO. See README.md and docs/architecture.md.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
