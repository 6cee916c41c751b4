"""Registry logic independent of HTTP and Kafka: records, state, operations, error codes."""

__all__: list[str] = []
