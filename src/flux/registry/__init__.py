"""The Flux Schema Registry: a Confluent-API-compatible registry stored in a compacted Kafka topic.

``flux.schemas.compatibility`` is the offline, pure part (parsing, identity, compatibility);
``flux.registry.core`` holds registry state and rules, ``flux.registry.storage`` the Kafka log,
``flux.registry.api`` the aiohttp routes.
"""

__all__: list[str] = []
