"""HTTP API of the registry (aiohttp): Confluent's v1 REST routes, auth, metrics, OpenAPI."""

__all__: list[str] = []
