"""The registry's storage: a compacted, single-partition Kafka topic replayed into memory."""

__all__: list[str] = []
