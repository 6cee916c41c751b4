"""Embedded dev stack: real Apache Kafka (KRaft), the Flux registry, Valkey and Flux's own processes,
started as local processes without Docker (ADR-011, ADR-013)."""
